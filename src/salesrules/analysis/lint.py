"""Linting rulesets: rules that are valid but can never apply, and other likely mistakes.

Every warning has a code, a message and the file, line and column it is about:

- ``unreachable-level``: a tier or classification level that no record can reach, because a
  catch-all comes before it, or because the levels before it already take every value its
  condition accepts (``deal_value >= 500_000`` listed after ``deal_value >= 100_000``).
- ``unreachable-band``: a band that no score can reach (a lower ``min`` before it, a ``min`` above
  the score's ``max``, or a band before it that every clamped score reaches).
- ``overlapping-bands``: two bands of a score with the same ``min``; the second is never used.
- ``never-holds``: a condition that no record can satisfy, such as
  ``deal_value > 5 and deal_value < 3`` or ``stage == 'won' and stage == 'lost'``.
- ``unused-field``: a field that no expression, reason or action text uses (and not the key).
- ``no-probability``: an open stage without a probability.
- ``no-catch-all``: a classification (tiers...) or a score's bands without a catch-all, so some
  records get ``unknown`` or no band.

The analysis is sound, not complete: it only reports what it can prove. Conditions are read
with :mod:`ast` and reasoned about per field ("subject"): comparisons of a field (or a
function of fields such as ``days_since(last_contact)``) with literals, ``in`` lists, ``is
None``, ``not``, ``and`` and ``or``, in three-valued logic (a field without a value makes a
comparison unknown, and an unknown condition does not hold).
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import math
import string
from dataclasses import dataclass

import click

from ..errors import ErrorList, ExpressionError, Loc, SalesrulesError
from ..language.functions import NO_LITERAL
from ..language.syntax import CONSTANTS, Parsed, literal, parse
from ..model.sections import Expr

__all__ = ["LintWarning", "Warning", "lint", "lint_command"]

INF = math.inf
CODES = (
    "unreachable-level",
    "unreachable-band",
    "overlapping-bands",
    "never-holds",
    "unused-field",
    "no-probability",
    "no-catch-all",
)


@dataclass(frozen=True)
class LintWarning:
    """One lint warning: its ``code`` (see :data:`CODES`), a message and where it is."""

    code: str
    message: str
    loc: Loc | None = None

    def __str__(self) -> str:
        where = f"{self.loc}: " if self.loc is not None else ""
        return f"{where}warning: {self.message} ({self.code})"

    def to_dict(self) -> dict:
        return {
            "file": self.loc.file if self.loc else None,
            "line": self.loc.line if self.loc else None,
            "col": self.loc.col if self.loc else None,
            "code": self.code,
            "message": self.message,
        }


Warning = LintWarning  # noqa: A001 - the public name of the API: lint(ruleset) -> list[Warning]


# ---------------------------------------------------------------- sets of values


@dataclass(frozen=True)
class _Intervals:
    """A set of numbers (or of dates as day numbers): a sorted union of disjoint intervals.

    Each part is ``(lo, lo_closed, hi, hi_closed)``; with ``integer`` the parts are whole
    numbers with closed ends, so ``x > 5`` and ``x >= 6`` are the same set.
    """

    parts: tuple
    integer: bool = False

    @classmethod
    def make(cls, parts, integer: bool) -> "_Intervals":
        out = []
        for lo, lo_in, hi, hi_in in parts:
            if lo == INF or hi == -INF:
                continue
            if integer:
                if lo != -INF:
                    lo, lo_in = (math.ceil(lo) if lo_in else math.floor(lo) + 1), True
                if hi != INF:
                    hi, hi_in = (math.floor(hi) if hi_in else math.ceil(hi) - 1), True
            lo_in = lo_in and lo != -INF
            hi_in = hi_in and hi != INF
            if lo > hi or (lo == hi and not (lo_in and hi_in)):
                continue
            out.append((lo, lo_in, hi, hi_in))
        out.sort(key=lambda p: (p[0], not p[1]))
        merged: list = []
        for part in out:
            if merged:
                lo, lo_in, hi, hi_in = merged[-1]
                touches = part[0] < hi or (part[0] == hi and (hi_in or part[1])) or (
                    integer and hi != INF and part[0] == hi + 1)
                if touches:
                    if part[2] > hi or (part[2] == hi and part[3]):
                        hi, hi_in = part[2], part[3]
                    merged[-1] = (lo, lo_in, hi, hi_in)
                    continue
            merged.append(part)
        return cls(tuple(merged), integer)

    @classmethod
    def full(cls, integer: bool) -> "_Intervals":
        return cls(((-INF, False, INF, False),), integer)

    def empty(self) -> bool:
        return not self.parts

    def is_full(self) -> bool:
        return self.parts == ((-INF, False, INF, False),)

    def complement(self) -> "_Intervals":
        gaps, lo, lo_in = [], -INF, False
        for p_lo, p_lo_in, p_hi, p_hi_in in self.parts:
            gaps.append((lo, lo_in, p_lo, not p_lo_in))
            lo, lo_in = p_hi, not p_hi_in
        gaps.append((lo, lo_in, INF, False))
        return _Intervals.make(gaps, self.integer)

    def union(self, other: "_Intervals") -> "_Intervals":
        return _Intervals.make(self.parts + other.parts, self.integer)

    def intersect(self, other: "_Intervals") -> "_Intervals":
        parts = []
        for a in self.parts:
            for b in other.parts:
                lo, lo_in = _bound(a[0], a[1], b[0], b[1], max)
                hi, hi_in = _bound(a[2], a[3], b[2], b[3], min)
                parts.append((lo, lo_in, hi, hi_in))
        return _Intervals.make(parts, self.integer)


def _bound(x, x_in, y, y_in, pick):
    if x == y:
        return x, x_in and y_in
    return (x, x_in) if pick(x, y) == x else (y, y_in)


@dataclass(frozen=True)
class _Finite:
    """A set of enum values, true/false or texts; ``universe`` None means any text (then
    ``negated`` says the set is every text except ``values``)."""

    values: frozenset
    universe: frozenset | None = None
    negated: bool = False

    def empty(self) -> bool:
        return not self.negated and not self.values

    def is_full(self) -> bool:
        if self.universe is None:
            return self.negated and not self.values
        return self.values >= self.universe

    def complement(self) -> "_Finite":
        if self.universe is not None:
            return _Finite(self.universe - self.values, self.universe)
        return _Finite(self.values, None, not self.negated)

    def union(self, other: "_Finite") -> "_Finite":
        a, b = self, other
        if self.universe is not None:
            return _Finite(a.values | b.values, self.universe)
        if not a.negated and not b.negated:
            return _Finite(a.values | b.values)
        if a.negated and b.negated:
            return _Finite(a.values & b.values, None, True)
        pos, neg = (a, b) if not a.negated else (b, a)
        return _Finite(neg.values - pos.values, None, True)

    def intersect(self, other: "_Finite") -> "_Finite":
        a, b = self, other
        if self.universe is not None:
            return _Finite(a.values & b.values, self.universe)
        if not a.negated and not b.negated:
            return _Finite(a.values & b.values)
        if a.negated and b.negated:
            return _Finite(a.values | b.values, None, True)
        pos, neg = (a, b) if not a.negated else (b, a)
        return _Finite(pos.values - neg.values)


@dataclass(frozen=True)
class _Values:
    """The values of one subject for which a condition is true (or false): a set of values,
    and whether "no value" (null) is among them."""

    values: object  # _Intervals or _Finite
    null: bool = False

    def empty(self) -> bool:
        return self.values.empty() and not self.null

    def is_full(self) -> bool:
        return self.values.is_full() and self.null

    def union(self, other: "_Values") -> "_Values":
        return _Values(self.values.union(other.values), self.null or other.null)

    def intersect(self, other: "_Values") -> "_Values":
        return _Values(self.values.intersect(other.values), self.null and other.null)

    def within(self, other: "_Values") -> bool:
        return self.values.intersect(other.values.complement()).empty() and (not self.null or other.null)


@dataclass(frozen=True)
class _Pred:
    """A condition about one subject: the values where it is true and those where it is false
    (where it is neither, it is unknown). ``subject`` None is a constant."""

    subject: str | None
    true: _Values | None = None
    false: _Values | None = None
    const: object = None  # True, False or None (unknown) for a constant

    def negate(self) -> "_Pred":
        if self.subject is None:
            return _Pred(None, const=None if self.const is None else not self.const)
        return _Pred(self.subject, self.false, self.true)


def _universe(t) -> object | None:
    """The set of every value of a type, or None when conditions on it are not analysed."""
    if t is None:
        return None
    if t.name in ("integer", "number", "money"):
        return _Intervals.full(t.name == "integer")
    if t.name == "date":
        return _Intervals.full(True)
    if t.name == "enum":
        return _Finite(frozenset(t.values or ()), frozenset(t.values or ()))
    if t.name == "boolean":
        return _Finite(frozenset({True, False}), frozenset({True, False}))
    if t.name == "string":
        return _Finite(frozenset(), None, True)
    return None


def _expand(const, universe) -> _Pred:
    """A constant as a condition about a subject with values ``universe``."""
    every, nothing = _Values(universe, True), _Values(universe.complement(), False)
    if const is True:
        return _Pred("", every, nothing)
    if const is False:
        return _Pred("", nothing, every)
    return _Pred("", nothing, nothing)


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
            from ..model.types import named

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
                    constant = dt.date.fromisoformat(constant).toordinal()
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


# ---------------------------------------------------------------- the checks


def _parse(source: Expr | None) -> Parsed | None:
    """The parsed expression, None when there is none or it does not parse."""
    if source is None:
        return None
    try:
        return parse(source, limits=False)
    except ExpressionError:
        return None


def _num(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}".replace(",", "_") if isinstance(value, int) and abs(value) >= 10_000 else str(value)


def _names(names) -> str:
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _types(ruleset) -> dict:
    """The type of every name the rules can use: fields, signals, stage, classifications, scores."""
    from ..compiler.fields import effective_fields, field_type
    from ..compiler.plan import compile_ruleset
    from ..model.types import Type

    try:
        scope = compile_ruleset(ruleset).scopes.get("actions")
        if scope is not None:
            return {name: t for name, (t, _) in scope.names.items()}
    except Exception:  # noqa: BLE001 - an unchecked ruleset: fall back to what it declares
        pass
    types = {name: field_type(spec) for name, spec in effective_fields(ruleset).items()}
    for c in ruleset.classifications:
        types[c.name] = Type("enum", tuple(lv.name for lv in c.levels))
    return types


def _functions() -> dict:
    try:
        from ..plugins import get_registry

        return get_registry().functions
    except Exception:  # noqa: BLE001 - without plugins, calls are simply not analysed
        return {}


class _Linter:
    def __init__(self, ruleset):
        self.ruleset = ruleset
        self.analyzer = _Analyzer(_types(ruleset), _functions())
        self.warnings: list[LintWarning] = []

    def warn(self, code: str, message: str, loc: Loc | None) -> None:
        self.warnings.append(LintWarning(code, message, loc))

    def expressions(self):
        rs = self.ruleset
        for c in rs.classifications:
            for level in c.levels:
                yield level.when
                yield level.points
        for stage in rs.stages:
            yield stage.points
            yield from stage.entry.values()
        for factor in rs.factors:
            yield factor.when
            yield factor.points
            decay = getattr(factor, "decay", None)
            if decay is not None:
                yield getattr(decay, "since", None)
        for action in rs.actions:
            yield action.when
            yield action.due

    def run(self) -> list[LintWarning]:
        for source in self.expressions():
            parsed = _parse(source)
            if parsed is not None:
                self.never_holds(parsed, parsed.tree.body)
        for classification in self.ruleset.classifications:
            self.levels(classification)
        for score in self.ruleset.scores.values():
            self.bands(score)
        self.stages()
        self.unused_fields()
        return sorted(self.warnings, key=lambda w: (
            w.loc.file if w.loc else "", (w.loc.line or 0) if w.loc else 0, (w.loc.col or 0) if w.loc else 0, w.code))

    # -- conditions that can never hold

    def never_holds(self, parsed: Parsed, node) -> None:
        if isinstance(node, (ast.BoolOp, ast.Compare, ast.UnaryOp)):
            subject = self.impossible(node)
            if subject is not None:
                self.warn("never-holds",
                          f"condition \"{parsed.text(node)}\" can never hold: no value of {subject} satisfies it",
                          parsed.loc(node))
                return
        for child in ast.iter_child_nodes(node):
            self.never_holds(parsed, child)

    def impossible(self, node) -> str | None:
        """The subject for which ``node`` is never true, else None."""
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
            for subject, values in self.analyzer.conjuncts(node).items():
                if values.empty():
                    return subject
            return None
        p = self.analyzer.pred(node)
        if p is not None and p.subject is not None and p.true.empty():
            return p.subject
        return None

    # -- classifications

    def levels(self, classification) -> None:
        cname = classification.name
        covered: dict = {}  # subject -> (values, [(level name, its values)])
        catch_all = None
        levels = classification.levels
        for level in levels:
            label = f"{cname} level {level.name!r}"
            parsed = _parse(level.when)
            loc = parsed.loc(parsed.tree.body) if parsed is not None else level.loc
            if catch_all is not None:
                self.warn("unreachable-level",
                          f"{label} can never be reached: {catch_all} before it takes every record", loc)
                continue
            full = next((names for values, names in covered.values() if values.is_full()), None)
            if full is not None:
                self.warn("unreachable-level",
                          f"{label} can never be reached: {_names([n for n, _ in full])} before it match every record", loc)
                continue
            if level.when is None:
                catch_all = f"the catch-all level {level.name!r}"
                continue
            if parsed is None:
                continue
            p = self.analyzer.pred(parsed.tree.body)
            if p is not None and p.subject is None:
                if p.const is True:
                    catch_all = f"level {level.name!r}, whose condition always holds,"
                continue
            shadowed = False
            for subject, values in self.analyzer.conjuncts(parsed.tree.body).items():
                if subject in covered and not values.empty() and values.within(covered[subject][0]):
                    by = [n for n, v in covered[subject][1] if not v.intersect(values).empty()]
                    self.warn("unreachable-level",
                              f"{label} can never be reached: {_names(by)} before it already "
                              f"{'takes' if len(by) == 1 else 'take'} every value of {subject} it accepts", loc)
                    shadowed = True
                    break
            if p is not None and not shadowed:
                values, names = covered.get(p.subject, (None, []))
                covered[p.subject] = (p.true if values is None else values.union(p.true), names + [(level.name, p.true)])
        if levels and catch_all is None and levels[-1].when is not None:
            if any(values.is_full() for values, _ in covered.values()):
                return
            what = "tiers have" if cname == "tier" else f"classification {cname!r} has"
            self.warn("no-catch-all",
                      f"{what} no catch-all level: a record that matches none of them is {cname} 'unknown'; "
                      "add a last level without 'when'", levels[-1].loc)

    # -- bands

    def bands(self, score) -> None:
        earlier = []
        catch_all = floor = None
        for band in score.bands:
            label = f"band {band.name!r} of score {score.name!r}"
            if catch_all is not None:
                self.warn("unreachable-band", f"{label} can never be reached: the catch-all band {catch_all!r} "
                          "before it takes every score", band.loc)
                continue
            if floor is not None:
                self.warn("unreachable-band", f"{label} can never be reached: every score is at least "
                          f"{_num(score.min)} (the score's min), so band {floor!r} before it takes them all", band.loc)
                continue
            if band.min is None:
                catch_all = band.name
                continue
            same = next((b for b in earlier if b.min == band.min), None)
            lower = next((b for b in earlier if b.min < band.min), None)
            if same is not None:
                self.warn("overlapping-bands", f"{label} has the same min ({_num(band.min)}) as band {same.name!r} "
                          "before it, so it can never be reached", band.loc)
            elif lower is not None:
                self.warn("unreachable-band", f"{label} can never be reached: band {lower.name!r} before it starts "
                          f"lower, at {_num(lower.min)}; list bands from the highest min down", band.loc)
            elif score.max is not None and band.min > score.max:
                self.warn("unreachable-band", f"{label} can never be reached: its min {_num(band.min)} is above "
                          f"the score's max {_num(score.max)}", band.loc)
            earlier.append(band)
            if score.min is not None and band.min <= score.min:
                floor = band.name
        if earlier and catch_all is None and floor is None:
            lowest = min(b.min for b in earlier)
            self.warn("no-catch-all", f"score {score.name!r} has no catch-all band: a score below {_num(lowest)} "
                      "gets no band; add a last band without min", score.bands[-1].loc)

    # -- stages and fields

    def stages(self) -> None:
        open_stages = [s for s in self.ruleset.stages if s.closed is None]
        missing = [s for s in open_stages if s.probability is None]
        if len(missing) > 1 and len(missing) == len(open_stages):
            # One warning, not one per stage, for a ruleset that uses no probabilities at all.
            self.warn("no-probability", f"no open stage has a probability ({', '.join(s.name for s in missing)}): "
                      "deals have no stage_probability and the weighted pipeline is empty", missing[0].loc)
            return
        for stage in missing:
            self.warn("no-probability", f"open stage {stage.name!r} has no probability: its deals have no "
                      "stage_probability and add nothing to the weighted pipeline", stage.loc)

    def unused_fields(self) -> None:
        rs = self.ruleset
        used: set = set()
        for source in self.expressions():
            parsed = _parse(source)
            if parsed is not None:
                used |= {n.id for n in ast.walk(parsed.tree) if isinstance(n, ast.Name)}
        texts = [f.reason for f in rs.factors] + [a.text for a in rs.actions]
        texts += [lv.reason for c in rs.classifications for lv in c.levels]
        for text in texts:
            if not text:
                continue
            try:
                used |= {name for _, name, _, _ in string.Formatter().parse(text) if name}
            except ValueError:
                continue
        try:
            from ..plugins import get_registry

            for signal in get_registry().signals.values():
                if signal.name in used and signal.name not in rs.fields:
                    used |= set(signal.inputs)
        except Exception:  # noqa: BLE001
            pass
        # Fields the engine itself reads: lookup keys, currency codes and the stage entry date.
        used |= {lookup.on for lookup in getattr(rs, "lookups", None) or ()}
        used |= {spec.currency_field for spec in rs.fields.values() if getattr(spec, "currency_field", None)}
        used |= {getattr(rs, "stage_entered", None) or "stage_entered"}
        for name, spec in rs.fields.items():
            if spec.key or name == "stage" or name in used:
                continue
            self.warn("unused-field", f"field {name!r} is declared but no rule uses it "
                      "(no condition, points, reason or action text)", spec.loc)


def lint(ruleset) -> list[LintWarning]:
    """The lint warnings of a loaded ruleset, sorted by file, line and column."""
    return _Linter(ruleset).run()


# ---------------------------------------------------------------- the command


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


@click.command("lint", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("rulesets", nargs=-1, required=True)
@click.option("--strict", is_flag=True, help="Exit 1 when there is any warning.")
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
def lint_command(rulesets, strict, fmt):
    """Warn about rules in RULESETS that can never apply: unreachable levels and bands,
    conditions that never hold, unused fields, open stages without probability, no catch-all.

    One line per warning (file:line:col: warning: message (code)) and a summary; exits 0 with
    warnings, 1 with --strict and any warning, 1 or 2 when a ruleset cannot be loaded.
    """
    from ..loader.load import load

    found: list[LintWarning] = []
    errors: list[str] = []
    code = 0
    for ref in rulesets:
        try:
            ruleset = load(ref)
        except SalesrulesError as exc:
            for error in (exc.errors if isinstance(exc, ErrorList) else [exc]):
                errors.append(str(error))
                click.echo(f"error: {error}", err=True)
            code = max(code, exc.exit_code)
            continue
        for warning in lint(ruleset):
            if warning not in found:  # a parent shared by two rulesets is reported once
                found.append(warning)
    if fmt == "json":
        document = {"warnings": [w.to_dict() for w in found], "errors": errors,
                    "summary": {"warnings": len(found), "errors": len(errors)}}
        click.echo(json.dumps(document, indent=2))
    else:
        for warning in found:
            click.echo(str(warning))
        summary = _plural(len(found), "warning")
        if errors:
            summary += f", {_plural(len(errors), 'error')}"
        click.echo(summary)
    if not code and strict and found:
        code = 1
    click.get_current_context().exit(code)
