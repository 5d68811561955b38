"""Segments: for every classification of the ruleset (tier, lead status, channel...), the open
deals, their value and shares per level; where the levels declare a ``cost`` (to serve one
record: a field visit, a call, an e-mail), the cost to serve each segment and in total.
Money and costs are summed in whole cents."""

from __future__ import annotations

import polars as pl

from ..model.columns import CLOSED
from .pipeline import money, whole_cents

SEGMENT_COLUMNS = ["classification", "segment", "deals", "deal_share", "value", "value_share", "cost_per_deal", "cost"]
UNKNOWN = "unknown"


def segment_names(plan) -> list[str]:
    """The classifications the segments section reads, in ruleset order."""
    return [c.name for c in plan.ruleset.classifications]


def segments(results: pl.DataFrame, plan, value: str) -> tuple[pl.DataFrame, list[dict]]:
    """One row per classification and level (the ruleset's order, then ``unknown`` when some
    open records have none), and per classification the total cost to serve (null when its
    levels declare no cost)."""
    names = [c.name for c in plan.ruleset.classifications]
    open_ = results.select(CLOSED, value, *names).filter(~pl.col(CLOSED))
    cents = whole_cents(pl.col(value).cast(pl.Float64)).fill_null(0)
    counts = [
        open_.group_by(pl.col(name).cast(pl.String).fill_null(UNKNOWN).alias("segment"))
        .agg(pl.len().cast(pl.Int64).alias("deals"), cents.sum().cast(pl.Int128).alias("c:value"))
        .with_columns(pl.lit(name).alias("classification"))
        for name in names
    ]
    counted = pl.concat(counts) if counts else pl.DataFrame(schema=COUNT_SCHEMA)
    return segment_table(counted, plan, open_.height, open_.select(cents.sum()).item() or 0)


COUNT_SCHEMA = {"segment": pl.String, "deals": pl.Int64, "c:value": pl.Int128, "classification": pl.String}


def segment_table(counted: pl.DataFrame, plan, total_deals: int, total_cents: int) -> tuple[pl.DataFrame, list[dict]]:
    """The segments table and the totals from the open deals and their value in whole cents per
    ``classification`` and ``segment`` (counted here or by another engine)."""
    frames, totals = [], []
    for classification in plan.ruleset.classifications:
        name = classification.name
        levels = [lv.name for lv in classification.levels]
        costs = {lv.name: lv.cost for lv in classification.levels}
        costed = any(c is not None for c in costs.values())
        counted_here = counted.filter(pl.col("classification") == name).select("segment", "deals", "c:value")
        order = levels + ([UNKNOWN] if UNKNOWN in counted_here["segment"].to_list() and UNKNOWN not in levels else [])
        base = pl.DataFrame({"segment": order, "place": list(range(len(order)))}, schema={"segment": pl.String, "place": pl.Int64})
        cost_cents = {k: round(v * 100) for k, v in costs.items() if v is not None}
        frame = base.join(counted_here, on="segment", how="left").sort("place").with_columns(
            pl.lit(name).alias("classification"),
            pl.col("deals").fill_null(0),
            pl.col("c:value").fill_null(0),
            pl.col("segment").replace_strict(cost_cents, default=None, return_dtype=pl.Int128).alias("c:cost_per_deal"),
        ).with_columns(
            (pl.col("c:cost_per_deal") * pl.col("deals").cast(pl.Int128)).alias("c:cost"),
        )
        frame = frame.select(
            "classification", "segment", "deals",
            (pl.col("deals") / total_deals if total_deals else pl.lit(None, pl.Float64)).alias("deal_share"),
            money(pl.col("c:value")).alias("value"),
            (pl.col("c:value").cast(pl.Float64) / total_cents if total_cents > 0 else pl.lit(None, pl.Float64)).alias("value_share"),
            money(pl.col("c:cost_per_deal")).alias("cost_per_deal"),
            money(pl.col("c:cost")).alias("cost"),
        )
        frames.append(frame)
        total_cost = frame.select(
            (whole_cents(pl.col("cost").fill_null(0)).sum().cast(pl.Int128))).item() if costed else None
        totals.append({"classification": name, "deals": total_deals, "cost": total_cost / 100 if costed else None})
    schema = {"classification": pl.String, "segment": pl.String, "deals": pl.Int64, "deal_share": pl.Float64,
              "value": pl.Float64, "value_share": pl.Float64, "cost_per_deal": pl.Float64, "cost": pl.Float64}
    table = pl.concat([f.cast(schema) for f in frames]) if frames else pl.DataFrame(schema=schema)
    return table, totals
