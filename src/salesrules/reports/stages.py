"""The stages of the pipeline: deals and value in each, days in stage, and conversion.

A deal has passed every open stage before its current one; a won deal has passed them all; a
lost deal has reached the stage its ``lost_at_stage`` field names (and the ones before it), and
without that field it is left out of conversion and counted as left out. ``reached`` is the
number of deals that got at least as far as a stage; ``conversion`` the share of them that got
to the next open stage, or to won after the last one.
"""

from __future__ import annotations

import polars as pl

from .model import STAGE_COLUMNS
from .pipeline import money

UNKNOWN_STAGE = "unknown"


def lost_at(results: pl.DataFrame, plan, field: str | None) -> pl.Series:
    """The open stage each record's ``field`` names (by name or alias, ignoring case); null when
    unknown or without the field."""
    if field is None:
        return pl.Series("lost_at", [None] * results.height, dtype=pl.String)
    spellings = {}
    for stage in plan.ruleset.stages:
        if not stage.closed:
            for spelling in (stage.name, *stage.aliases):
                spellings.setdefault(spelling.strip().lower(), stage.name)
    text = results.get_column(field).cast(pl.String).str.strip_chars().str.to_lowercase()
    return text.replace_strict(spellings, default=None, return_dtype=pl.String).alias("lost_at")


def stages(deals: pl.DataFrame, plan) -> tuple[pl.DataFrame, int]:
    """The stage table (open stages in order, then closed ones, then unknown if any record has no
    stage) and the number of lost deals left out of conversion, from a
    :func:`~salesrules.reports.pipeline.deal_cube`."""
    stage_list = plan.ruleset.stages
    open_names = [s.name for s in stage_list if not s.closed]
    place = {name: i for i, name in enumerate(open_names)}
    counted = deals.filter(pl.col("open") | pl.col("won") | pl.col("lost"))
    at = counted.select(
        pl.when(pl.col("open")).then(pl.col("stage").replace_strict(place, default=None, return_dtype=pl.Int64))
        .when(pl.col("won")).then(pl.lit(len(open_names), pl.Int64))
        .when(pl.col("lost")).then(pl.col("lost_at").replace_strict(place, default=None, return_dtype=pl.Int64))
        .alias("reached_to")
    ).get_column("reached_to")
    lost_left_out = int(counted.filter(pl.col("lost") & pl.col("lost_at").replace_strict(place, default=None).is_null())["n"].sum())
    weights = counted.get_column("n")
    reached = [int(weights.filter(at >= i).sum()) for i in range(len(open_names) + 1)]
    rows = []
    for stage in stage_list:
        here = counted.filter(pl.col("stage") == stage.name)
        if stage.closed:
            here = here.filter(pl.col(stage.closed))
        row = {
            "stage": stage.name,
            "deals": int(here["n"].sum()),
            "value": here.select(money(pl.col("cents").fill_null(0).sum())).item(),
            "weighted_value": None,
            "avg_days_in_stage": None,
            "reached": None,
            "conversion": None,
            "closed": stage.closed,
        }
        if not stage.closed:
            i = place[stage.name]
            row["weighted_value"] = here.select(money(pl.col("weighted").fill_null(0).sum())).item()
            row["avg_days_in_stage"] = here.select(
                pl.when(pl.col("days_n").sum() > 0).then(pl.col("days").sum() / pl.col("days_n").sum())
            ).item()
            row["reached"] = reached[i]
            row["conversion"] = reached[i + 1] / reached[i] if reached[i] else None
        rows.append(row)
    unknown = deals.filter(pl.col("stage").is_null())
    if unknown.height:
        rows.append({"stage": UNKNOWN_STAGE, "deals": int(unknown["n"].sum()), "value": unknown.select(money(pl.col("cents").fill_null(0).sum())).item(),
                     "weighted_value": None, "avg_days_in_stage": None, "reached": None, "conversion": None, "closed": None})
    schema = {"stage": pl.String, "deals": pl.Int64, "value": pl.Float64, "weighted_value": pl.Float64,
              "avg_days_in_stage": pl.Float64, "reached": pl.Int64, "conversion": pl.Float64, "closed": pl.String}
    return pl.DataFrame(rows, schema=schema).select(STAGE_COLUMNS), lost_left_out
