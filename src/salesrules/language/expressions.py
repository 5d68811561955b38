"""The expression language: a safe subset of Python syntax compiled to polars expressions.

An expression is parsed with :mod:`ast`, every node is checked against a whitelist and
type-checked against the names in scope (the ruleset's fields and what earlier rules
computed), then compiled to one polars expression. Allowed: literals, names, arithmetic,
comparisons (chained too), ``and``/``or``/``not``, ``in``/``not in`` with literal lists,
``x if c else y``, ``is None``/``is not None`` and calls of registered functions. Nothing
else: no attributes, subscripts, lambdas, comprehensions, f-strings, imports or dunders.
Nulls follow three-valued logic; a rule's ``when`` treats null as false.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
from dataclasses import dataclass, field

import polars as pl

from ..errors import ExpressionError, PluginError, did_you_mean
from ..model.dates import parse_date
from ..model.sections import Expr
from ..model.types import (
    BOOLEAN,
    DATE,
    INTEGER,
    NULL,
    NUMBER,
    STRING,
    Type,
    accepts,
    polars_dtype,
    unify,
)
from .arithmetic import TOO_LARGE, arithmetic_hint, finite, fold, integer_op, shift_date
from .functions import NO_LITERAL, Call
from .lookups import looked_up
from .messages import (
    construct,
    operand,
    operation,
    operator_symbol,
    signature,
    type_word,
)
from .syntax import CONSTANTS, Parsed, literal, parse

MAX_LIST = 1000
MAX_INT = 2**53
# Text joined with + may hold at most this many values read from records (literals do not
# count): each value can be as long as the longest cell, so this bounds how much larger than
# its input an expression's result can be.
MAX_TEXT_PARTS = 32
def _is_none(node: ast.AST) -> bool:
    """True for the literal ``None``/``null``."""
    return literal(node) is None


def _typed(compiled: Compiled, dtype) -> pl.Expr:
    """The expression, with a bare null literal given ``dtype`` so polars can operate on it."""
    return compiled.expr.cast(dtype) if compiled.type.name == "null" else compiled.expr


_PARAM_DTYPES = {"date": pl.Date, "text": pl.String, "string": pl.String, "boolean": pl.Boolean,
                 "integer": pl.Int64, "numeric": pl.Float64, "number": pl.Float64, "money": pl.Float64}


@dataclass
class Scope:
    """The names an expression may use, each with its type and polars expression."""

    names: dict[str, tuple[Type, pl.Expr]]
    functions: dict
    as_of: dt.date
    hints: dict[str, str] = field(default_factory=dict)  # name -> why it is not available here
    # The plugin calls compiled in this scope or a child: (plugin, "function f()", place, the
    # text of its polars expression), so that an error polars raises can name its plugin.
    calls: list = field(default_factory=list)

    def child(self, extra: dict[str, tuple[Type, pl.Expr]]) -> "Scope":
        """A scope with more names (sharing the record of plugin calls)."""
        return Scope({**self.names, **extra}, self.functions, self.as_of, self.hints, self.calls)


@dataclass(frozen=True)
class Compiled:
    """A compiled expression: its polars expression and its type.

    ``parts`` counts the values read from records that a text result is built from (0 for
    a literal), so that joining text cannot make results unboundedly larger than the input.
    ``value`` is the value of a numeric constant such as ``10 ** 10``.
    """

    expr: pl.Expr
    type: Type
    parts: int = 1
    value: object = NO_LITERAL  # the value of a numeric constant (folded), to refuse overflows early


def compile_expression(source: Expr, scope: Scope, expect: str | None = None) -> Compiled:
    """Compile ``source`` in ``scope``; ``expect`` ("boolean", "numeric", "date") checks the result type."""
    text = source.text
    parsed = parse(source)
    compiled = _Compiler(parsed, scope).visit(parsed.tree.body)
    if expect == "boolean" and compiled.type.name not in ("boolean", "null"):
        raise ExpressionError(f"a condition must be true or false, this is {_describe(compiled.type)}: {text!r}", source.loc)
    if expect == "numeric" and not (compiled.type.numeric or compiled.type.name == "null"):
        raise ExpressionError(f"points must be a number, this is {_describe(compiled.type)}: {text!r}", source.loc)
    if expect == "date" and compiled.type.name not in ("date", "null"):
        raise ExpressionError(f"a due date must be a date, this is {_describe(compiled.type)}: {text!r}", source.loc)
    return compiled


def _describe(t: Type) -> str:
    """A type in words for messages: "an integer", "money", "text"..."""
    return {"null": "null", "integer": "an integer", "enum": "text", "string": "text", "money": "money"}.get(t.name, f"a {t.name}")


class _Compiler:
    def __init__(self, parsed: Parsed, scope: Scope):
        self.parsed = parsed
        self.scope = scope

    def error(self, node: ast.AST, message: str) -> ExpressionError:
        """An error at ``node``."""
        return ExpressionError(message, self.parsed.loc(node))

    def visit(self, node: ast.AST) -> Compiled:
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            raise self.error(node, f"{construct(node, self.parsed.text(node))} is not allowed in expressions")
        return method(node)

    def describe(self, node: ast.AST, compiled: Compiled) -> str:
        """An operand in a message: ``deal_value (money)``, ``text 'large'``."""
        return operand(self.parsed.text(node), node, compiled.type, literal(node))

    # -- leaves

    def visit_Constant(self, node: ast.Constant) -> Compiled:
        value = node.value
        if value is None:
            return Compiled(pl.lit(None), NULL, 0)
        if isinstance(value, bool):
            return Compiled(pl.lit(value, pl.Boolean), BOOLEAN, 0)
        if isinstance(value, int):
            if abs(value) > MAX_INT:
                raise self.error(node, f"integer {value} is too large")
            return Compiled(pl.lit(value, pl.Int64), INTEGER, 0, value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.error(node, f"the number {self.parsed.text(node)} is too large to be represented: {TOO_LARGE}")
            return Compiled(pl.lit(value, pl.Float64), NUMBER, 0, value)
        if isinstance(value, str):
            return Compiled(pl.lit(value, pl.String), STRING, 0)
        raise self.error(node, f"{type(value).__name__} literal {self.parsed.text(node)} is not allowed in expressions")

    def visit_Name(self, node: ast.Name) -> Compiled:
        name = node.id
        if name.startswith("__"):
            raise self.error(node, f"{name} is not allowed in expressions: names starting with __ are reserved")
        if name in self.scope.names:
            t, expr = self.scope.names[name]
            return Compiled(expr, t)
        if name == "as_of":
            return Compiled(pl.lit(self.scope.as_of, pl.Date), DATE, 0)
        if name in CONSTANTS:
            return self.visit_Constant(ast.Constant(CONSTANTS[name], lineno=node.lineno, col_offset=node.col_offset))
        if name in self.scope.hints:
            raise self.error(node, f"{name!r} {self.scope.hints[name]}")
        if name in self.scope.functions:
            raise self.error(node, f"{name!r} is a function; call it as {name}(...)")
        suggestion = did_you_mean(name, list(self.scope.names) + ["as_of"])
        # A bare word is read as a name: ``occupation == Student`` means the text 'Student'.
        quoting = f"; if {name} is a text value, quote it: '{name}'" if name[:1].isupper() else ""
        raise self.error(node, f"unknown field {name!r}{suggestion}{quoting}")

    # -- operators

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Compiled:
        operand = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            self.require(node.operand, operand, "boolean", "'not'")
            return Compiled(~_typed(operand, pl.Boolean), BOOLEAN)
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            if not (operand.type.numeric or operand.type.name == "null"):
                sign = "-" if isinstance(node.op, ast.USub) else "+"
                raise self.error(node, f"type mismatch: {sign} needs a number, not {self.describe(node.operand, operand)}")
            if operand.type.name == "null" or isinstance(node.op, ast.UAdd):
                return operand
            value = -operand.value if isinstance(operand.value, (int, float)) else NO_LITERAL
            if operand.type.name == "integer" and not operand.expr.meta.is_literal():
                return Compiled(integer_op(pl.lit(0, pl.Int64), operand.expr, ast.Sub()), operand.type, value=value)
            return Compiled(-operand.expr, operand.type, value=value)
        raise self.error(node, f"the bitwise operator {operator_symbol(node.op)} is not allowed in expressions")

    def visit_BoolOp(self, node: ast.BoolOp) -> Compiled:
        word = "'and'" if isinstance(node.op, ast.And) else "'or'"
        parts = []
        for value in node.values:
            compiled = self.visit(value)
            self.require(value, compiled, "boolean", word)
            parts.append(_typed(compiled, pl.Boolean))
        result = parts[0]
        for part in parts[1:]:
            result = (result & part) if isinstance(node.op, ast.And) else (result | part)
        return Compiled(result, BOOLEAN)

    def visit_BinOp(self, node: ast.BinOp) -> Compiled:
        left, right = self.visit(node.left), self.visit(node.right)
        op = node.op
        lt, rt = left.type, right.type
        is_null = lt.name == "null", rt.name == "null"
        if isinstance(op, ast.Add) and (lt.text or is_null[0]) and (rt.text or is_null[1]) and not all(is_null):
            parts = left.parts + right.parts
            if parts > MAX_TEXT_PARTS:
                raise self.error(node, f"text is joined from more than {MAX_TEXT_PARTS} values of the record; "
                                       "an expression may join at most that many")
            return Compiled(pl.concat_str([_typed(left, pl.String), _typed(right, pl.String)]), STRING, parts)
        if isinstance(op, (ast.Add, ast.Sub)) and lt.name == "date" and rt.name in ("integer", "null"):
            return Compiled(shift_date(left.expr, _typed(right, pl.Int64), op), DATE)
        if isinstance(op, ast.Add) and lt.name in ("integer", "null") and rt.name == "date":
            return Compiled(shift_date(right.expr, _typed(left, pl.Int64), op), DATE)
        if isinstance(op, ast.Sub) and lt.name in ("date", "null") and rt.name in ("date", "null") and not all(is_null):
            return Compiled((_typed(left, pl.Date) - _typed(right, pl.Date)).dt.total_days(), INTEGER)
        if type(op) not in (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow):
            raise self.error(node, f"the bitwise operator {operator_symbol(op)} is not allowed in expressions")
        for side, t in ((node.left, lt), (node.right, rt)):
            if not (t.numeric or t.name == "null"):
                raise self.error(side, f"type mismatch: {self.describe(node.left, left)} {operation(op)} "
                                       f"{self.describe(node.right, right)}{arithmetic_hint(op, lt, rt)}")
        value = NO_LITERAL
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left.value, right.value)):
            try:
                value = fold(op, left.value, right.value)
            except OverflowError as exc:
                raise self.error(node, f"the constant {self.parsed.text(node)} is too large to be represented: {exc}") from None
            value = NO_LITERAL if value is None else value
        compiled = self.arithmetic(op, left, right)
        return Compiled(compiled.expr, compiled.type, value=value)

    def arithmetic(self, op: ast.operator, left: Compiled, right: Compiled) -> Compiled:
        """``left op right`` on numbers: exact whole numbers or null, finite floats or null."""
        lt, rt = left.type, right.type
        result_type = unify(lt, rt) or NUMBER
        if result_type.name == "null":
            result_type = NUMBER
        dtype = polars_dtype(result_type)
        a, b = _typed(left, dtype), _typed(right, dtype)
        if result_type.name == "integer" and isinstance(op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv)):
            return Compiled(integer_op(a, b, op), result_type)
        if isinstance(op, ast.Add):
            return Compiled(finite(a + b), result_type)
        if isinstance(op, ast.Sub):
            return Compiled(finite(a - b), result_type)
        if isinstance(op, ast.Mult):
            return Compiled(finite(a * b), result_type)
        if isinstance(op, ast.Pow):
            # Powers run in floating point so no exponent takes unbounded work.
            return Compiled(finite(a.cast(pl.Float64).pow(b.cast(pl.Float64))), NUMBER)
        # Division by zero is unknown (null), as in Python it is an error: never inf or NaN.
        nonzero = b != 0
        if isinstance(op, ast.Div):
            return Compiled(finite(pl.when(nonzero).then(a.cast(pl.Float64) / b)), NUMBER)
        rest = pl.when(nonzero).then(a // b if isinstance(op, ast.FloorDiv) else a % b)
        return Compiled(rest if result_type.name == "integer" else finite(rest), result_type)

    def visit_IfExp(self, node: ast.IfExp) -> Compiled:
        test = self.visit(node.test)
        self.require(node.test, test, "boolean", "the condition of 'if'")
        body, orelse = self.visit(node.body), self.visit(node.orelse)
        t = unify(body.type, orelse.type)
        if t is None:
            raise self.error(node, "type mismatch: the two branches of 'if' have different types: "
                                   f"{self.describe(node.body, body)} and {self.describe(node.orelse, orelse)}")
        dtype = polars_dtype(t)
        return Compiled(pl.when(_typed(test, pl.Boolean)).then(_typed(body, dtype)).otherwise(_typed(orelse, dtype)), t,
                        max(body.parts, orelse.parts))

    def visit_Compare(self, node: ast.Compare) -> Compiled:
        parts = []
        left_node, left = node.left, self.visit(node.left)
        if len(node.ops) > 1:
            for op, right_node in zip(node.ops, node.comparators):
                if isinstance(op, (ast.In, ast.NotIn, ast.Is, ast.IsNot)):
                    raise self.error(right_node, "'in' and 'is' cannot be chained with other comparisons; join them with 'and'")
        for op, right_node in zip(node.ops, node.comparators):
            if isinstance(op, (ast.In, ast.NotIn)):
                parts.append(self.membership(left_node, left, op, right_node))
                continue
            if isinstance(op, (ast.Is, ast.IsNot)):
                if not _is_none(right_node):
                    raise self.error(right_node, "'is' only tests for None: write 'x is None' or 'x is not None'")
                parts.append(left.expr.is_null() if isinstance(op, ast.Is) else left.expr.is_not_null())
                continue
            right = self.visit(right_node)
            parts.append(self.comparison(op, left_node, left, right_node, right))
            left_node, left = right_node, right
        result = parts[0]
        for part in parts[1:]:
            result = result & part
        return Compiled(result, BOOLEAN)

    def comparison(self, op, left_node, left: Compiled, right_node, right: Compiled) -> pl.Expr:
        for side in (left_node, right_node):
            if _is_none(side):
                raise self.error(side, "comparing with None is always unknown; write 'x is None' or 'x is not None'")
        a, b = self.coerce_pair(left_node, left, right_node, right)
        ordering = not isinstance(op, (ast.Eq, ast.NotEq))
        for side, t in ((left_node, left.type), (right_node, right.type)):
            if ordering and t.name == "boolean":
                raise self.error(side, f"type mismatch: {operand(self.parsed.text(side), side, t, literal(side))} "
                                       "cannot be ordered: true/false values have no order for < or >")
        enum_type = left.type if left.type.name == "enum" else right.type if right.type.name == "enum" else None
        if ordering and enum_type is not None:
            self.check_enum_order(left_node, left.type, right_node, right.type, enum_type)
            a, b = self.enum_rank(a, enum_type), self.enum_rank(b, enum_type)
        return {
            ast.Eq: lambda: a == b,
            ast.NotEq: lambda: a != b,
            ast.Lt: lambda: a < b,
            ast.LtE: lambda: a <= b,
            ast.Gt: lambda: a > b,
            ast.GtE: lambda: a >= b,
        }[type(op)]()

    def check_enum_order(self, left_node, lt: Type, right_node, rt: Type, enum_type: Type) -> None:
        """Order compares positions in one list of values: the other side must be of that list."""
        for node, t in ((left_node, lt), (right_node, rt)):
            if t == enum_type or t.name == "null" or (t.name == "string" and isinstance(literal(node), str)):
                continue
            raise self.error(node, f"cannot order {operand(self.parsed.text(node), node, t, literal(node))} against the values {', '.join(enum_type.values[:12])}: "
                                   "< and > compare positions in the list of values, so compare with one of them")

    def enum_rank(self, expr: pl.Expr, t: Type) -> pl.Expr:
        """Enum values order by their declared position (stages by the order of the cycle)."""
        return looked_up(expr, list(t.values), list(range(len(t.values))), pl.Int32)

    def coerce_pair(self, left_node, left: Compiled, right_node, right: Compiled):
        """Check two operands can be compared; turn date and enum literals into checked values."""
        lt, rt = left.type, right.type
        for node_a, ta, node_b, tb in ((left_node, lt, right_node, rt), (right_node, rt, left_node, lt)):
            if ta.name == "enum" and isinstance(node_b, ast.Constant) and isinstance(node_b.value, str):
                self.check_enum_literal(node_b, node_b.value, ta)
        if lt.name == "date" and rt.name == "string" and isinstance(right_node, ast.Constant):
            return left.expr, pl.lit(self.date_literal(right_node), pl.Date)
        if rt.name == "date" and lt.name == "string" and isinstance(left_node, ast.Constant):
            return pl.lit(self.date_literal(left_node), pl.Date), right.expr
        if unify(lt, rt) is None:
            raise self.error(right_node, f"type mismatch: {self.describe(left_node, left)} compared with {self.describe(right_node, right)}")
        return left.expr, right.expr

    def date_literal(self, node: ast.Constant) -> dt.date:
        try:
            return parse_date(node.value)
        except ValueError as exc:
            raise self.error(node, str(exc)) from None

    def check_enum_literal(self, node: ast.AST, value: str, t: Type) -> None:
        if value not in t.values:
            shown = ", ".join(t.values[:12]) + (", ..." if len(t.values) > 12 else "")
            raise self.error(node, f"{value!r} is not one of: {shown}{did_you_mean(value, t.values)}")

    def membership(self, left_node, left: Compiled, op, right_node) -> pl.Expr:
        """``x in (literal, ...)``: null when ``x`` is null (three-valued, like ``==``)."""
        if not isinstance(right_node, (ast.List, ast.Tuple, ast.Set)):
            raise self.error(right_node, "'in' needs a literal list, e.g. x in ('a', 'b')")
        if len(right_node.elts) > MAX_LIST:
            raise self.error(right_node, f"a list may hold at most {MAX_LIST} values")
        values = []
        common = values_type = left.type
        for element in right_node.elts:
            value = literal(element)
            if value is NO_LITERAL:
                raise self.error(element, "'in' lists may only hold literal values")
            if value is None:
                raise self.error(element, "'in' lists cannot hold None; test 'x is None' separately")
            t = self.visit_Constant(ast.Constant(value, lineno=element.lineno, col_offset=element.col_offset)).type
            if left.type.name == "enum" and isinstance(value, str):
                self.check_enum_literal(element, value, left.type)
            elif left.type.name == "date" and isinstance(value, str):
                value = self.date_literal(element)
                t = DATE
            if unify(left.type, t) is None:
                raise self.error(element, f"type mismatch: {self.describe(left_node, left)} compared with "
                                          f"{type_word(t)} {self.parsed.text(element)}")
            common = unify(common, t)
            if common is None:
                raise self.error(element, f"type mismatch: the values of an 'in' list must all have the same type, "
                                          f"not {type_word(t)} {self.parsed.text(element)} among {type_word(values_type)} values")
            values.append(value)
            values_type = t
        if common.name == "null":  # null in (...) and null in (): unknown
            return pl.lit(None, pl.Boolean)
        dtype = polars_dtype(common)
        test = left.expr.cast(dtype).is_in(pl.Series(values, dtype=dtype).implode())
        return ~test if isinstance(op, ast.NotIn) else test

    def visit_Call(self, node: ast.Call) -> Compiled:
        if not isinstance(node.func, ast.Name):
            for inner in ast.walk(node.func):  # name the reserved name, the first thing a reader must see
                if isinstance(inner, ast.Name) and inner.id.startswith("__"):
                    self.visit_Name(inner)
            raise self.error(node.func, f"calling {self.parsed.text(node.func)} is not allowed in expressions: "
                                        "only registered functions can be called, by their name")
        name = node.func.id
        if name.startswith("__"):
            raise self.error(node.func, f"{name} is not allowed in expressions: names starting with __ are reserved")
        function = self.scope.functions.get(name)
        if function is None:
            clash = getattr(self.scope.functions, "clash", lambda _name: None)(name)
            if clash is not None:
                raise self.error(node.func, clash)
            raise self.error(node.func, f"unknown function {name!r}{did_you_mean(name, self.scope.functions)}")
        name = function.name  # a qualified name calls the function by its own name
        sig = signature(function)
        if node.keywords:
            raise self.error(node, f"the keyword argument {self.parsed.text(node.keywords[0])} is not allowed in "
                                   f"expressions: arguments are passed in order to {sig}")
        params = list(function.args)
        n = len(node.args)
        if function.variadic:
            if n < max(1, len(params)):
                raise self.error(node, f"{sig}: takes at least {_arguments(max(1, len(params)))}, got {n}")
        elif n != len(params):
            raise self.error(node, f"{sig}: takes {_arguments(len(params))}, got {n}")
        args, types, literals, compiled_args = [], [], [], []
        for i, arg_node in enumerate(node.args):
            arg = self.visit(arg_node)
            compiled_args.append(arg)
            param = params[min(i, len(params) - 1)] if params else "any"
            if not accepts(param, arg.type):
                raise self.error(arg_node, f"{sig}: argument {i + 1} must be {_param_words(param)}, "
                                           f"not {self.describe(arg_node, arg)}")
            args.append(_typed(arg, _PARAM_DTYPES[param]) if param in _PARAM_DTYPES else arg.expr)
            types.append(arg.type)
            literals.append(literal(arg_node))
        call = Call(name, tuple(args), tuple(types), tuple(literals), self.scope.as_of)
        try:
            returns = function.returns(tuple(types)) if callable(function.returns) else function.returns
        except ValueError as exc:
            raise self.error(node, f"{sig}: {exc}") from None
        try:
            expr = function.impl(call)
        except ValueError as exc:
            raise self.error(node, f"{sig}: {str(exc).removeprefix(f'{name}(): ')}") from None
        except Exception as exc:  # a plugin's bug is reported by the plugin's name, not a traceback
            raise PluginError(
                f"plugin {function.plugin!r} failed in function {name}(): {type(exc).__name__}: {exc}", self.parsed.loc(node)
            ) from exc
        self.scope.calls.append((function.plugin, f"function {name}()", self.parsed.loc(node), str(expr)))
        t = returns if isinstance(returns, Type) else Type(returns)
        if "null" in (x.name for x in types) and t.name != "null":
            expr = expr.cast(polars_dtype(t))  # a null argument must not leave a result without a type
        return Compiled(expr, t, max((a.parts for a in compiled_args), default=1))

    def visit_List(self, node):
        raise self.error(node, "lists are only allowed after 'in'")

    visit_Tuple = visit_List
    visit_Set = visit_List

    def require(self, node, compiled: Compiled, type_name: str, what: str) -> None:
        if compiled.type.name not in (type_name, "null"):
            raise self.error(node, f"type mismatch: {what} needs true/false values, not {self.describe(node, compiled)}")


def _arguments(n: int) -> str:
    """``1 argument``, ``2 arguments``."""
    return f"{n} argument" + ("" if n == 1 else "s")


def _param_words(param: str) -> str:
    return {"numeric": "a number", "number": "a number", "text": "text", "string": "text", "any": "a value",
            "integer": "an integer", "date": "a date", "boolean": "true/false", "money": "a number"}.get(param, param)
