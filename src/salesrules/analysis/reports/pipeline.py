"""The pipeline per group and in total: sold, expected, left to build, coverage, forecast.

Every figure is a column aggregation over the per-record results; see docs/reports.md for the
definitions. Money is rounded to cents per deal before it is summed.
"""

from __future__ import annotations

import polars as pl

from ...model.columns import CLOSED, LOST, WON
from .model import FORECAST_COLUMNS, PIPELINE_COLUMNS, TOTAL

NO_GROUP = "(none)"
FORECAST_ORDER = ("commit", "best_case", "pipeline")


def cents(expr: pl.Expr) -> pl.Expr:
    """Money rounded to cents, halves away from zero."""
    return expr.round(2, mode="half_away_from_zero")


def deal_columns(results: pl.DataFrame, plan, settings) -> pl.DataFrame:
    """One row per record with what the report reads: group, value, open, won, lost (in the
    period), weighted value, slipped, the forecast category, the stage and days in it."""
    value = pl.col(settings.value).cast(pl.Float64)
    in_period = pl.lit(True)
    if settings.period is not None:
        start, end = settings.period
        in_period = pl.col(settings.close_date).is_between(pl.lit(start), pl.lit(end)).fill_null(False)
    open_ = ~pl.col(CLOSED)
    probability = pl.col("stage_probability").cast(pl.Float64)
    forecast = {s.name: s.forecast for s in plan.ruleset.stages if s.forecast}
    slipped = pl.lit(False)
    if settings.close_date is not None:
        slipped = open_ & (pl.col(settings.close_date) < pl.lit(plan.as_of)).fill_null(False)
    group = pl.col(settings.by).cast(pl.String).fill_null(NO_GROUP) if settings.by else pl.lit(TOTAL)
    days = pl.col("days_in_stage").cast(pl.Float64) if settings.days_in_stage else pl.lit(None, pl.Float64)
    return results.select(
        group.alias("group"),
        pl.col("stage").cast(pl.String),
        value.alias("value"),
        open_.alias("open"),
        (pl.col(WON) & in_period).alias("won"),
        (pl.col(LOST) & in_period).alias("lost"),
        pl.when(open_).then(cents(value * probability)).alias("weighted"),
        slipped.alias("slipped"),
        pl.when(open_).then(pl.col("stage").cast(pl.String).replace_strict(forecast, default=None, return_dtype=pl.String))
        .alias("forecast") if forecast else pl.lit(None, pl.String).alias("forecast"),
        days.alias("days"),
    )


def _sums(forecast: bool) -> list[pl.Expr]:
    value = pl.col("value").fill_null(0)
    sums = [
        pl.col("open").sum().cast(pl.Int64).alias("open_deals"),
        cents(value.filter(pl.col("open")).sum()).alias("open_value"),
        cents(pl.col("weighted").fill_null(0).sum()).alias("weighted_value"),
        pl.col("won").sum().cast(pl.Int64).alias("won_deals"),
        cents(value.filter(pl.col("won")).sum()).alias("won_value"),
        pl.col("lost").sum().cast(pl.Int64).alias("lost_deals"),
        pl.col("slipped").sum().cast(pl.Int64).alias("slipped"),
    ]
    if forecast:
        sums += [cents(value.filter(pl.col("forecast") == f).sum()).alias(f"__open_{f}") for f in FORECAST_ORDER]
    return sums


def pipeline(deals: pl.DataFrame, quotas: dict[str, float], grouped: bool, forecast: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The pipeline per group (every group with deals or a quota, sorted) and its total."""
    schema = {"group": pl.String, "quota": pl.Float64}
    quota_frame = pl.DataFrame({"group": list(quotas), "quota": list(quotas.values())}, schema=schema)
    if grouped:
        groups = deals.group_by("group").agg(_sums(forecast))
        groups = quota_frame.join(groups, on="group", how="full", coalesce=True).sort("group")
    else:
        groups = deals.head(0).group_by("group").agg(_sums(forecast)).with_columns(pl.lit(None, pl.Float64).alias("quota"))
    total = deals.select(_sums(forecast)).with_columns(
        pl.lit(TOTAL).alias("group"),
        pl.lit(sum(quotas.values()) if quotas else None, pl.Float64).alias("quota"),
    )
    return _figures(groups, forecast), _figures(total, forecast)


def _figures(frame: pl.DataFrame, forecast: bool) -> pl.DataFrame:
    """Counts and sums filled for groups with a quota but no deal, then the derived figures."""
    counts = ["open_deals", "won_deals", "lost_deals", "slipped"]
    money = ["open_value", "weighted_value", "won_value"] + ([f"__open_{f}" for f in FORECAST_ORDER] if forecast else [])
    frame = frame.with_columns(
        *[pl.col(c).fill_null(0).cast(pl.Int64) for c in counts],
        *[pl.col(c).fill_null(0.0).cast(pl.Float64) for c in money],
        pl.col("quota").cast(pl.Float64),
    )
    quota, won, weighted = pl.col("quota"), pl.col("won_value"), pl.col("weighted_value")
    # Without a quota there is no gap: max_horizontal alone would give 0 for a null.
    known = quota.is_not_null()
    frame = frame.with_columns(
        pl.when(known).then(cents(pl.max_horizontal(quota - won, pl.lit(0.0)))).alias("gap"),
        pl.when(known).then(cents(pl.max_horizontal(quota - won - weighted, pl.lit(0.0)))).alias("left_to_build"),
        cents(won + weighted).alias("expected"),
        pl.when(quota > 0).then(won / quota).alias("attainment"),
    ).with_columns(
        pl.when(pl.col("gap") > 0).then(pl.col("open_value") / pl.col("gap")).alias("coverage"),
    )
    columns = list(PIPELINE_COLUMNS)
    if forecast:
        commit = won + pl.col("__open_commit")
        best = commit + pl.col("__open_best_case")
        frame = frame.with_columns(
            cents(commit).alias("forecast_commit"),
            cents(best).alias("forecast_best_case"),
            cents(best + pl.col("__open_pipeline")).alias("forecast_pipeline"),
        )
        columns += FORECAST_COLUMNS
    return frame.select(columns)
