"""The sets lint reasons with: the values of one subject for which a condition is true or false.

Numbers and dates are unions of intervals, enums, booleans and texts finite sets (or every
text but a few); a condition about one subject is the pair of the values where it holds
and those where it fails, so that three-valued logic (an unknown condition does not hold)
stays exact under ``not``, ``and`` and ``or``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

INF = math.inf


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
