"""The manifest of a plan: which column holds what, for the tools that read a plan's results.

While a ruleset compiles, each section records the parts of every score it adds (an
:class:`Entry`: its kind, the column of its points, the column saying where it fired) and each
score records its columns (:class:`ScoreColumns`). Explain, diff, backtest and the test runner
read the manifest, never the columns' names. :func:`score_parts` turns it into polars
expressions in receipt order, and :func:`compact_reasons` into one line of text per record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ..errors import UsageError
from ..model.columns import UNKNOWN

MINUS = "\u2212"  # the minus sign of receipts: −20
# The place of each kind of part on a receipt; parts of one kind keep the order of the ruleset.
RECEIPT_ORDER = {"tier": 0, "stage": 1, "classification": 2, "factor": 3, "decay": 3}


@dataclass(frozen=True)
class Entry:
    """One part of a score as the plan computes it.

    ``kind`` is ``tier``, ``stage``, ``classification``, ``factor`` or ``decay`` (a factor's
    recency decay, a part of its own); ``item`` identifies the part across rulesets
    (``factor:NAME``...). ``points`` is the column of its points. The name a receipt shows is
    the value of column ``name`` (the level or stage the record got), else ``label``; the part
    is a line of the receipt where column ``fired`` is true (always without one).
    """

    kind: str
    item: str
    score: str
    points: str
    name: str | None = None
    label: str | None = None
    fired: str | None = None
    source: Any = None  # the Classification, Stage list or Factor it comes from


@dataclass(frozen=True)
class ScoreColumns:
    """The columns of one score: its raw sum, its total (clamped) and its band."""

    name: str
    raw: str
    total: str
    band: str


@dataclass
class Manifest:
    """The parts and columns of a plan's scores, and the column of each factor's condition."""

    entries: list[Entry] = field(default_factory=list)
    scores: dict[str, ScoreColumns] = field(default_factory=dict)
    factors: dict[str, str] = field(default_factory=dict)

    def add(self, entry: Entry) -> None:
        """Record a part of a score."""
        self.entries.append(entry)

    def parts_of(self, score: str) -> list[Entry]:
        """The recorded parts of ``score`` in receipt order: tier, stage, other classifications, factors."""
        return sorted((e for e in self.entries if e.score == score), key=lambda e: RECEIPT_ORDER.get(e.kind, 4))

    def columns(self) -> set[str]:
        """Every column the manifest names."""
        named = {c for e in self.entries for c in (e.points, e.name, e.fired) if c is not None}
        named |= {c for s in self.scores.values() for c in (s.raw, s.total, s.band)}
        return named | set(self.factors.values())


@dataclass(frozen=True)
class Part:
    """One line of a score's receipt as polars expressions over the internal results.

    ``points`` and ``name`` are the part's points and the name it shows; ``fired`` is true
    where the part is a line of the receipt. Besides the manifest's entries, every score has
    an ``other`` part (whatever the sum holds beyond the known parts: none, unless a section
    adds points without recording them) and a ``clamp`` part.
    """

    kind: str
    item: str
    score: str
    points: pl.Expr
    name: pl.Expr
    fired: pl.Expr
    source: Any = None  # the Classification, Factor or Score it comes from


def score_parts(plan, columns=None) -> dict[str, list[Part]]:
    """The parts of every score of ``plan``, in receipt order, then ``other`` and ``clamp``.

    With ``columns`` (of a results frame), a frame without the internal columns is a usage error.
    """
    manifest = plan.manifest
    if columns is not None:
        missing = manifest.columns() - set(columns)
        if missing:
            raise UsageError("receipts need the internal results of an evaluation (evaluate_full(..., internal=True))")
    parts: dict[str, list[Part]] = {}
    for score, columns_of in manifest.scores.items():
        found = [_part(entry) for entry in manifest.parts_of(score)]
        total, raw = pl.col(columns_of.total), pl.col(columns_of.raw)
        known = [p.points.cast(pl.Float64).fill_null(0) for p in found]
        rest = raw.cast(pl.Float64) - (pl.sum_horizontal(known) if known else pl.lit(0.0))
        found.append(Part("other", "other", score, rest, pl.lit("other"), (rest.abs() > 1e-9).fill_null(False)))
        found.append(Part("clamp", "clamp", score, total - raw,
                          pl.when(total < raw).then(pl.lit("max")).otherwise(pl.lit("min")),
                          (total != raw).fill_null(False), plan.ruleset.scores[score]))
        parts[score] = found
    return parts


def _part(entry: Entry) -> Part:
    points = pl.col(entry.points)
    name = pl.col(entry.name).fill_null(UNKNOWN) if entry.name is not None else pl.lit(entry.label)
    fired = pl.col(entry.fired) if entry.fired is not None else pl.lit(True)
    if entry.kind == "decay":  # a decay is a line only where it changed the points
        fired = fired & (points.fill_null(0) != 0)
    return Part(entry.kind, entry.item, entry.score, points, name, fired, entry.source)


def compact_reasons(results: pl.DataFrame, plan) -> pl.Expr:
    """The receipt of the ranking score in one line per record, e.g.
    ``+50 high tier; +15 presentation stage; −20 merger; +5 clamp to min 0``.

    ``results`` is an internal evaluation (a frame, a lazy frame or its schema); the expression uses only
    polars string operations, so it runs columnar over any number of rows. Parts worth 0 are
    left out; a record without any is an empty string.
    """
    pieces = []
    for part in score_parts(plan, _column_names(results))[plan.ruleset.ranking_score]:
        label = _compact_label(part)
        points = part.points.fill_null(0)
        text = pl.concat_str([_signed(points), pl.lit(" "), label])
        pieces.append(pl.when(part.fired & (points != 0)).then(text))
    if not pieces:
        return pl.lit("", pl.String)
    return pl.concat_str(pieces, separator="; ", ignore_nulls=True).fill_null("")


def _column_names(results) -> list[str]:
    """The column names of a frame, a lazy frame or a schema."""
    if isinstance(results, pl.Schema):
        return results.names()
    if isinstance(results, pl.LazyFrame):
        return results.collect_schema().names()
    return list(results.columns)


def _compact_label(part: Part) -> pl.Expr:
    if part.kind == "tier":
        return pl.concat_str([part.name, pl.lit(" tier")])
    if part.kind == "stage":
        return pl.concat_str([part.name, pl.lit(" stage")])
    if part.kind == "classification":
        return pl.concat_str([part.name, pl.lit(" " + part.source.name.replace("_", " "))])
    if part.kind == "factor":
        return pl.lit(part.source.name.replace("_", " "))
    if part.kind == "decay":
        return pl.lit(part.source.name.replace("_", " ") + " decay")
    if part.kind == "other":
        return pl.lit("other parts")
    score = part.source
    low = pl.lit(f"clamp to min {_number_text(score.min)}")
    high = pl.lit(f"clamp to max {_number_text(score.max)}")
    return pl.when(part.name == "max").then(high).otherwise(low)


def _signed(points: pl.Expr) -> pl.Expr:
    """``+10``, ``−20``, ``+2.5``: the sign, then the magnitude without needless decimals."""
    size = points.abs()
    whole = size.round(0) == size
    magnitude = pl.when(whole).then(size.cast(pl.Int64).cast(pl.String)).otherwise(size.round(2).cast(pl.String))
    sign = pl.when(points < 0).then(pl.lit(MINUS)).otherwise(pl.lit("+"))
    return pl.concat_str([sign, magnitude])


def _number_text(value) -> str:
    if value is None:
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{round(value, 2)}"
    return str(value)
