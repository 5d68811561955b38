"""Score receipts of every record as one long frame, computed columnar from the plan's parts."""

from __future__ import annotations

import datetime as dt

import polars as pl

from ..compiler.manifest import MINUS, Part, _number_text, compact_reasons, score_parts
from ..model.columns import UNKNOWN


def receipt_frame(results: pl.DataFrame, plan, scores: list[str] | None = None) -> pl.DataFrame:
    """Every receipt line of every record as a long frame, computed columnar.

    Columns: ``__row``, ``key`` (as text), ``score`` (the score's name), ``line`` (its place in
    the receipt), ``kind``, ``item``, ``name`` and ``points`` (Float64 when any part or the score
    is fractional, else Int64). The lines of a record and score add up to the score.
    """
    from ..model.columns import ROW

    key = _key_column(plan)
    parts = score_parts(plan, results.columns)
    wanted = scores or list(parts)
    manifest = plan.manifest
    integer = all(results.schema[manifest.scores[s].total] == pl.Int64 for s in wanted) and all(
        results.schema[e.points] in (pl.Int64, pl.Int32) for s in wanted for e in manifest.parts_of(s)
    )
    dtype = pl.Int64 if integer else pl.Float64
    frames = []
    for s in wanted:
        for i, part in enumerate(parts[s]):
            frames.append(results.lazy().filter(part.fired).select(
                pl.col(ROW),
                pl.col(key).cast(pl.String).alias("key"),
                pl.lit(s).alias("score"),
                pl.lit(i, pl.Int32).alias("line"),
                pl.lit(part.kind).alias("kind"),
                pl.lit(part.item).alias("item"),
                part.name.cast(pl.String).alias("name"),
                part.points.cast(dtype).fill_null(0).alias("points"),
            ))
    if not frames:
        return pl.DataFrame(schema={ROW: pl.UInt32, "key": pl.String, "score": pl.String, "line": pl.Int32,
                                    "kind": pl.String, "item": pl.String, "name": pl.String, "points": dtype})
    return pl.concat(frames).sort(ROW, "score", "line").collect()


def receipts(ruleset, data, as_of=None, **options) -> pl.DataFrame:
    """The receipt lines of every record of ``data`` (see :func:`receipt_frame`)."""
    from ..runners.local import evaluate_full

    evaluation = evaluate_full(ruleset, data, as_of=as_of, internal=True, **options)
    return receipt_frame(evaluation.results, evaluation.plan)


def _key_column(plan) -> str:
    from ..model.columns import ROW

    return ROW if plan.key == "row" else plan.key


def display(value) -> str:
    """A value as receipts show it: whole numbers without decimals, yes/no, ISO dates, unknown."""
    if value is None:
        return UNKNOWN
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def signed(value) -> str:
    """Points with their sign: +10, −20, +0."""
    if value is None:
        return "+0"
    text = _number_text(abs(value))
    return f"{MINUS}{text}" if value < 0 else f"+{text}"


__all__ = ["MINUS", "Part", "compact_reasons", "display", "receipt_frame", "receipts", "score_parts", "signed"]
