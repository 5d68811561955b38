"""Conditions read as predicates about one subject (a field, or a function of fields)."""

from __future__ import annotations

import ast
import math

from ...language.functions import NO_LITERAL
from ...language.syntax import CONSTANTS, literal
from ...model.dates import parse_date
from .domains import INF, _expand, _Finite, _Intervals, _Pred, _universe, _Values

_FLIP = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE, ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}


class _Analyzer:
    """Turns conditions into :class:`_Pred` where it can; None where it cannot."""

    def __init__(self, types: dict, functions: dict):
        self.types = types
        self.functions = functions

    def subject(self, node):
        """(key, type) of a field or a function of fields, else None."""
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS or node.id == "as_of":
                return None
            t = self.types.get(node.id)
            return (node.id, t) if t is not None else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            function = self.functions.get(node.func.id)
            returns = getattr(function, "returns", None)
            if not isinstance(returns, str):
                return None
            for arg in node.args:
                if not (isinstance(arg, ast.Name) or literal(arg) is not NO_LITERAL):
                    return None
            from ...model.types import named

            return ast.unparse(node), named(returns)
        return None

    def pred(self, node):
        value = literal(node)
        if value is not NO_LITERAL:
            return _Pred(None, const=value) if value is None or isinstance(value, bool) else None
        if isinstance(node, (ast.Name, ast.Call)):
            found = self.subject(node)
            if found is None or found[1].name != "boolean":
                return None
            universe = _universe(found[1])
            yes = _Finite(frozenset({True}), universe.universe)
            return _Pred(found[0], _Values(yes), _Values(yes.complement()))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self.pred(node.operand)
            return None if inner is None else inner.negate()
        if isinstance(node, ast.BoolOp):
            result = None
            for value_node in node.values:
                part = self.pred(value_node)
                if part is None:
                    return None
                result = part if result is None else self.combine(result, part, isinstance(node.op, ast.And))
                if result is None:
                    return None
            return result
        if isinstance(node, ast.Compare):
            result, left = None, node.left
            for op, right in zip(node.ops, node.comparators):
                part = self.comparison(left, op, right)
                if part is None:
                    return None
                result = part if result is None else self.combine(result, part, True)
                if result is None:
                    return None
                left = right
            return result
        return None

    def combine(self, a: _Pred, b: _Pred, conjunction: bool):
        """``a and b`` or ``a or b`` in three-valued logic; None when about two subjects."""
        if a.subject is None and b.subject is None:
            x, y = a.const, b.const
            if conjunction:
                return _Pred(None, const=False if False in (x, y) else (None if None in (x, y) else True))
            return _Pred(None, const=True if True in (x, y) else (None if None in (x, y) else False))
        if a.subject is None or b.subject is None:
            subject_pred = b if a.subject is None else a
            const = a.const if a.subject is None else b.const
            other = _expand(const, subject_pred.true.values.union(subject_pred.true.values.complement()))
            a, b = (other, subject_pred) if a.subject is None else (subject_pred, other)
            subject = subject_pred.subject
        else:
            if a.subject != b.subject:
                return None
            subject = a.subject
        if conjunction:
            return _Pred(subject, a.true.intersect(b.true), a.false.union(b.false))
        return _Pred(subject, a.true.union(b.true), a.false.intersect(b.false))

    def comparison(self, left, op, right):
        if isinstance(op, (ast.Is, ast.IsNot)):
            found = self.subject(left)
            if found is None or literal(right) is not None:
                return None
            universe = _universe(found[1])
            if universe is None:
                return None
            nothing = universe.complement()
            is_none = _Pred(found[0], _Values(nothing, True), _Values(universe, False))
            return is_none if isinstance(op, ast.Is) else is_none.negate()
        if isinstance(op, (ast.In, ast.NotIn)):
            found = self.subject(left)
            if found is None or not isinstance(right, (ast.List, ast.Tuple, ast.Set)):
                return None
            universe = _universe(found[1])
            if universe is None:
                return None
            values = universe.complement()
            for element in right.elts:
                part = self.values_of(found[1], ast.Eq(), literal(element))
                if part is None:
                    return None
                values = values.union(part)
            if isinstance(op, ast.NotIn):
                values = values.complement()
            return _Pred(found[0], _Values(values), _Values(values.complement()))
        found, constant = self.subject(left), literal(right)
        if found is None:
            found, constant = self.subject(right), literal(left)
            op = _FLIP[type(op)]()
        if found is None or constant is NO_LITERAL or constant is None:
            return None
        values = self.values_of(found[1], op, constant)
        if values is None:
            return None
        return _Pred(found[0], _Values(values), _Values(values.complement()))

    def values_of(self, t, op, constant):
        """The values ``v`` of type ``t`` for which ``v OP constant`` is true."""
        kind = t.name
        if kind in ("integer", "number", "money", "date"):
            if kind == "date":
                if not isinstance(constant, str):
                    return None
                try:
                    constant = parse_date(constant).toordinal()
                except ValueError:
                    return None
            elif isinstance(constant, bool) or not isinstance(constant, (int, float)):
                return None
            if isinstance(constant, float) and math.isnan(constant):
                return None
            integer = kind in ("integer", "date")
            c = constant
            part = {
                ast.Eq: (c, True, c, True),
                ast.Lt: (-INF, False, c, False),
                ast.LtE: (-INF, False, c, True),
                ast.Gt: (c, False, INF, False),
                ast.GtE: (c, True, INF, False),
            }.get(type(op))
            if isinstance(op, ast.NotEq):
                return _Intervals.make([(c, True, c, True)], integer).complement()
            return None if part is None else _Intervals.make([part], integer)
        if kind in ("enum", "boolean", "string"):
            universe = _universe(t)
            if kind == "boolean":
                if not isinstance(constant, bool):
                    return None
            elif not isinstance(constant, str) or (kind == "enum" and constant not in universe.universe):
                return None
            if isinstance(op, ast.Eq):
                return _Finite(frozenset({constant}), universe.universe)
            if isinstance(op, ast.NotEq):
                return _Finite(frozenset({constant}), universe.universe).complement()
            if kind == "enum" and isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
                order = list(t.values)
                at = order.index(constant)
                test = {ast.Lt: lambda i: i < at, ast.LtE: lambda i: i <= at,
                        ast.Gt: lambda i: i > at, ast.GtE: lambda i: i >= at}[type(op)]
                return _Finite(frozenset(v for i, v in enumerate(order) if test(i)), universe.universe)
        return None

    def conjuncts(self, node):
        """What a condition implies about each subject: subject -> values where it can hold."""
        parts = []

        def flatten(n):
            if isinstance(n, ast.BoolOp) and isinstance(n.op, ast.And):
                for v in n.values:
                    flatten(v)
            else:
                parts.append(n)

        flatten(node)
        implied: dict = {}
        for part in parts:
            p = self.pred(part)
            if p is None or p.subject is None:
                continue
            implied[p.subject] = p.true if p.subject not in implied else implied[p.subject].intersect(p.true)
        return implied
