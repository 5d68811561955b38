"""The parts of every score a plan computes, and the compact receipt built from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from ..model.columns import UNKNOWN

MINUS = "\u2212"  # the minus sign of receipts: −20


@dataclass(frozen=True)
class Part:
    """One source of points of a score, as columns of the internal results frame.

    ``item`` identifies the part across rulesets (``tier``, ``stage``, ``classification:NAME``,
    ``factor:NAME``, ``clamp``); ``name`` is the level, stage or factor the record got;
    ``fired`` is true where the part is a line of the receipt.
    """

    kind: str
    item: str
    score: str
    points: pl.Expr
    name: pl.Expr
    fired: pl.Expr
    source: Any = None  # the Classification, Factor or Score it comes from


def score_parts(plan, columns) -> dict[str, list[Part]]:
    """The parts of every score, in receipt order: tier, stage, other classifications, factors, clamp."""
    rs = plan.ruleset
    columns = set(columns)
    first = next(iter(rs.scores))
    parts: dict[str, list[Part]] = {}
    for score in rs.scores:
        found: list[Part] = []
        classifications = sorted(rs.classifications, key=lambda c: c.name != "tier")
        for c in classifications:
            column = f"__{c.name}_points:{score}"
            if column in columns:
                kind, item = ("tier", "tier") if c.name == "tier" else ("classification", f"classification:{c.name}")
                found.append(Part(kind, item, score, pl.col(column), pl.col(c.name).fill_null(UNKNOWN), pl.lit(True), c))
                if c.name == "tier":
                    found.extend(_stage_part(score, columns))
        if not any(p.kind == "tier" for p in found):
            found[:0] = _stage_part(score, columns)
        for factor in rs.factors:
            if (factor.score or first) != score or f"__points:{factor.name}" not in columns:
                continue
            found.append(Part("factor", f"factor:{factor.name}", score, pl.col(f"__points:{factor.name}"),
                              pl.lit(factor.name), pl.col(f"__factor:{factor.name}"), factor))
            decay = f"__decay:{factor.name}"
            if decay in columns:  # the recency decay of the factor's points is a part of its own
                found.append(Part("decay", f"decay:{factor.name}", score, pl.col(decay), pl.lit(factor.name),
                                  pl.col(f"__factor:{factor.name}") & (pl.col(decay).fill_null(0) != 0), factor))
        total, raw = pl.col(f"__score:{score}"), pl.col(f"__raw:{score}")
        # Whatever the raw sum holds beyond the known parts (none, unless the engine gained a kind
        # of part this module does not know): shown, never hidden, so a receipt still adds up.
        known = [p.points.cast(pl.Float64).fill_null(0) for p in found]
        rest = raw.cast(pl.Float64) - (pl.sum_horizontal(known) if known else pl.lit(0.0))
        found.append(Part("other", "other", score, rest, pl.lit("other"), (rest.abs() > 1e-9).fill_null(False)))
        found.append(Part("clamp", "clamp", score, total - raw,
                          pl.when(total < raw).then(pl.lit("max")).otherwise(pl.lit("min")),
                          (total != raw).fill_null(False), rs.scores[score]))
        parts[score] = found
    return parts


def _stage_part(score: str, columns: set) -> list[Part]:
    column = f"__stage_points:{score}"
    if column not in columns:
        return []
    return [Part("stage", "stage", score, pl.col(column), pl.col("stage").fill_null(UNKNOWN), pl.lit(True))]


def compact_reasons(results: pl.DataFrame, plan) -> pl.Expr:
    """The receipt of the ranking score in one line per record, e.g.
    ``+50 high tier; +15 presentation stage; −20 merger; +5 clamp to min 0``.

    ``results`` is (or has the columns of) an internal evaluation; the expression uses only
    polars string operations, so it runs columnar over any number of rows. Parts worth 0 are
    left out; a record without any is an empty string.
    """
    pieces = []
    for part in score_parts(plan, results.columns)[plan.ruleset.ranking_score]:
        label = _compact_label(part)
        points = part.points.fill_null(0)
        text = pl.concat_str([_signed(points), pl.lit(" "), label])
        pieces.append(pl.when(part.fired & (points != 0)).then(text))
    if not pieces:
        return pl.lit("", pl.String)
    return pl.concat_str(pieces, separator="; ", ignore_nulls=True).fill_null("")


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
