"""Lint of decision tables: rules that overlap where the hit policy forbids it, and input
values no rule matches.

Each cell is read as the set of (non-null) values it accepts: intervals of numbers or dates,
or a finite or co-finite set of texts and booleans. A rule is the product of its cells, so two
rules overlap when every input's cells intersect, and a gap is an input combination, built
from the pieces the cells cut each input's values into, that no rule covers. The proofs are
sound, not complete: a cell naming a field, or an input that is no plain field, is not
reasoned about, and tables too large to enumerate are skipped.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from ...language.unary import (
    Compare,
    Interval,
    Literal,
    UnaryTestError,
    feel_literal,
    parse_tests,
)
from .domains import INF, _Intervals

MAX_COMBINATIONS = 20_000


@dataclass(frozen=True)
class _Texts:
    """A set of texts or booleans: ``values``, or every value but them when ``cofinite``."""

    values: frozenset
    cofinite: bool = False

    def empty(self) -> bool:
        return not self.cofinite and not self.values

    def complement(self) -> _Texts:
        return _Texts(self.values, not self.cofinite)

    def union(self, other: _Texts) -> _Texts:
        if self.cofinite and other.cofinite:
            return _Texts(self.values & other.values, True)
        if self.cofinite or other.cofinite:
            co, fin = (self, other) if self.cofinite else (other, self)
            return _Texts(co.values - fin.values, True)
        return _Texts(self.values | other.values)

    def intersect(self, other: _Texts) -> _Texts:
        return self.complement().union(other.complement()).complement()


def _kind(type_name: str) -> str | None:
    if type_name in ("integer", "number", "money"):
        return "number"
    if type_name == "date":
        return "date"
    if type_name in ("string", "enum", "boolean"):
        return "text"
    return None


def _point(literal: Literal, kind: str):
    if kind == "date":
        return literal.value.toordinal() if isinstance(literal.value, dt.date) else None
    if kind == "number":
        return literal.value if isinstance(literal.value, (int, float)) and not isinstance(literal.value, bool) else None
    return literal.value


def cell_set(text: str, kind: str, integer: bool):
    """The non-null values a cell accepts, or None when it cannot be reasoned about."""
    try:
        tests = parse_tests(text)
    except UnaryTestError:
        return None
    full = _Intervals.full(integer) if kind != "text" else _Texts(frozenset(), True)
    if tests.any:
        return full
    result = _Intervals.make((), integer) if kind != "text" else _Texts(frozenset())
    for test in tests.positives:
        part = _positive(test, kind, integer)
        if part is None:
            return None
        result = result.union(part)
    return result.complement() if tests.negated else result


def _positive(test, kind: str, integer: bool):
    if isinstance(test, Literal):  # null: no non-null value
        return _Intervals.make((), integer) if kind != "text" else _Texts(frozenset())
    if isinstance(test, Compare):
        if not isinstance(test.value, Literal):
            return None
        x = _point(test.value, kind)
        if x is None:
            return None
        if kind == "text":
            if test.op not in ("=", "!="):
                return None
            single = _Texts(frozenset([x]))
            return single if test.op == "=" else single.complement()
        parts = {"=": [(x, True, x, True)], "<": [(-INF, False, x, False)], "<=": [(-INF, False, x, True)],
                 ">": [(x, False, INF, False)], ">=": [(x, True, INF, False)],
                 "!=": [(-INF, False, x, False), (x, False, INF, False)]}[test.op]
        return _Intervals.make(parts, integer)
    if isinstance(test, Interval) and kind != "text":
        if not (isinstance(test.low, Literal) and isinstance(test.high, Literal)):
            return None
        lo, hi = _point(test.low, kind), _point(test.high, kind)
        if lo is None or hi is None:
            return None
        return _Intervals.make(((lo, test.low_closed, hi, test.high_closed),), integer)
    return None


def _pieces(sets: list, kind: str, integer: bool, universe) -> list:
    """The values of one input cut into pieces no cell splits, each with a sample value."""
    if kind == "text":
        named = set(universe or ())
        for s in sets:
            named |= set(s.values)
        pieces = [(_Texts(frozenset([v])), v) for v in sorted(named, key=str)]
        if universe is None:
            pieces.append((_Texts(frozenset(named), True), "another value"))
        return pieces
    ends = sorted({p for s in sets for part in s.parts for p in (part[0], part[2]) if p not in (INF, -INF)})
    candidates = []
    previous = -INF
    for e in ends:
        candidates.append(((previous, False, e, False), None))
        candidates.append(((e, True, e, True), e))
        previous = e
    candidates.append(((previous, False, INF, False), None))
    out = []
    for part, sample in candidates:
        piece = _Intervals.make((part,), integer)
        if not piece.empty():
            out.append((piece, sample if sample is not None else _sample(piece.parts[0])))
    return out


def _sample(part) -> float:
    lo, lo_in, hi, hi_in = part
    if lo == -INF and hi == INF:
        return 0
    if lo == -INF:
        return hi if hi_in else hi - 1
    if hi == INF:
        return lo if lo_in else lo + 1
    return lo if lo_in else (hi if hi_in else (lo + hi) / 2)


def _shown(value, kind: str) -> str:
    if kind == "date" and isinstance(value, (int, float)):
        return feel_literal(dt.date.fromordinal(int(value)))
    return value if value == "another value" else feel_literal(value)


def check_decision(decision, types: dict) -> list[tuple[str, str, object]]:
    """The (code, message, loc) warnings of one decision table; ``types`` gives each plain
    name's (type name, values or None) - fields and earlier decisions."""
    kinds = []
    for inp in decision.inputs:
        type_name, values = types.get(inp.expression.text.strip(), (None, None))
        if type_name == "boolean":
            values = (True, False)
        universe = tuple(inp.values) if inp.values else values
        kinds.append((_kind(type_name) if type_name else None, type_name == "integer", inp, universe))
    if any(k[0] is None for k in kinds):
        return []
    rules = []
    for rule in decision.rules:
        cells = [cell_set(text, kind, integer) for text, (kind, integer, _, _) in zip(rule.tests, kinds)]
        rules.append(None if any(c is None for c in cells) else cells)
    warnings = []
    if decision.hit_policy in ("UNIQUE", "ANY"):
        for (i, a), (j, b) in itertools.combinations(enumerate(rules), 2):
            if a is None or b is None:
                continue
            if decision.hit_policy == "ANY" and decision.rules[i].outputs == decision.rules[j].outputs:
                continue
            if all(not x.intersect(y).empty() for x, y in zip(a, b)):
                warnings.append(("overlapping-rules",
                                 f"decision {decision.name!r}: rules {i + 1} and {j + 1} both match some records, "
                                 f"which {decision.hit_policy} does not allow", decision.rules[j].loc))
    if decision.single_hit and all(o.default is None for o in decision.outputs) and all(r is not None for r in rules):
        gap = _gap(decision, rules, kinds)
        if gap is not None:
            example = " and ".join(f"{inp.label or inp.expression.text} = {_shown(v, kind)}"
                                   for v, (kind, _, inp, _) in zip(gap, kinds))
            warnings.append(("rule-gap", f"decision {decision.name!r}: no rule matches some records, e.g. {example}",
                             decision.loc))
    return warnings


def _gap(decision, rules, kinds):
    """Sample values of an input combination no rule covers, or None."""
    per_input = [
        _pieces([r[j] for r in rules], kind, integer, universe if kind == "text" else None)
        for j, (kind, integer, _, universe) in enumerate(kinds)
    ]
    total = 1
    for pieces in per_input:
        total *= max(len(pieces), 1)
    if total > MAX_COMBINATIONS or not decision.inputs:
        return None
    for combination in itertools.product(*per_input):
        covered = any(
            all(piece.intersect(cell.complement()).empty() for (piece, _), cell in zip(combination, rule))
            for rule in rules
        )
        if not covered:
            return [sample for _, sample in combination]
    return None
