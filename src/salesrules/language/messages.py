"""The words of expression errors: what was combined with what, where, and by which function.

Errors are printed one per line, so every description here is one line: an operand is named
by its text and type (``deal_value (money)``, ``text 'large'``), a position by its column and
the text that starts there, a function by its signature and the plugin that registered it.
"""

from __future__ import annotations

import ast
from typing import Any

from ..model.types import Type

# How much of an expression a message quotes on each side of the offending column.
QUOTE_WIDTH = 40

_TYPE_WORDS = {"string": "text", "boolean": "true/false", "null": "null"}

_OPERATIONS = {
    ast.Add: "added to",
    ast.Sub: "minus",
    ast.Mult: "multiplied by",
    ast.Div: "divided by",
    ast.FloorDiv: "divided (whole) by",
    ast.Mod: "modulo",
    ast.Pow: "raised to the power",
}

_OPERATORS = {
    ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>",
    ast.MatMult: "@", ast.Invert: "~",
}


def type_word(t: Type) -> str:
    """A type as one word: ``integer``, ``number``, ``money``, ``text``, ``date``, ``true/false``, ``enum``."""
    return _TYPE_WORDS.get(t.name, t.name)


def operand(text: str, node: ast.AST, t: Type, value: Any) -> str:
    """An operand for a message: a literal as ``text 'large'``, anything else as ``deal_value (money)``.

    ``text`` is the operand's source text and ``value`` its literal value, or anything else
    (the literal marker of :mod:`.functions`) when it is not a literal.
    """
    if t.name == "null" and value is None:
        return "null"
    if isinstance(value, bool):
        return text
    if isinstance(value, (bool, int, float, str)) and not isinstance(node, ast.Name):
        return f"{type_word(t)} {text}"
    if isinstance(node, ast.Name):
        return f"{text} ({type_word(t)})"
    return f"{text!r} ({type_word(t)})"


def operation(op: ast.operator) -> str:
    """The words for ``left OP right``: ``added to``, ``multiplied by``..."""
    return _OPERATIONS[type(op)]


def operator_symbol(op: ast.AST) -> str:
    """The symbol of a bitwise operator (``>>``, ``~``...)."""
    return _OPERATORS.get(type(op), type(op).__name__)


def quote_at(text: str, col: int) -> str:
    """``text`` quoted with the place of column ``col`` (0-based) shown: ``at column 12: 'a = 1' (here: '= 1')``.

    Long expressions are cut to :data:`QUOTE_WIDTH` characters around the column.
    """
    start = max(0, col - QUOTE_WIDTH)
    end = min(len(text), col + QUOTE_WIDTH)
    shown = ("..." if start else "") + text[start:end] + ("..." if end < len(text) else "")
    here = text[col:end]
    where = f"here: {here!r}" if here.strip() else "here: the end"
    return f"at column {col + 1} of {shown!r} ({where})"


def signature(function) -> str:
    """A function's signature and where it comes from: ``days_since(date) -> integer, from PLUGIN``."""
    params = [_PARAM_WORDS.get(p, p) for p in function.args]
    if function.variadic:
        params.append("...")
    returns = function.returns
    if callable(returns) and not isinstance(returns, Type):
        returns = "depends on the arguments"
    elif isinstance(returns, Type):
        returns = type_word(returns)
    else:
        returns = _TYPE_WORDS.get(str(returns), str(returns))
    where = f", from {function.plugin}" if function.plugin else ""
    return f"{function.name}({', '.join(params)}) -> {returns}{where}"


_PARAM_WORDS = {"numeric": "number", "string": "text", "boolean": "true/false"}

_CONSTRUCTS = {
    ast.Attribute: "attribute access",
    ast.Subscript: "a subscript",
    ast.Lambda: "lambda",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dictionary comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.NamedExpr: "assignment (:=)",
    ast.Starred: "a starred argument",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Dict: "a dictionary",
    ast.Slice: "a slice",
}


def construct(node: ast.AST, source: str) -> str:
    """A forbidden construct named by its kind and its exact text: ``attribute access .__class__``."""
    kind = _CONSTRUCTS.get(type(node), type(node).__name__)
    if isinstance(node, ast.Attribute):
        return f"{kind} .{node.attr}"
    if isinstance(node, ast.Subscript):
        inner = source[source.find("["):] if "[" in source else source
        return f"{kind} {inner}"
    return f"{kind} {source!r}"
