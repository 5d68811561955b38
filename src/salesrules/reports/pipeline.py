"""The pipeline per group and in total: sold, expected, left to build, coverage, forecast.

Every figure is a column aggregation over the per-record results; see docs/reports.md for the
definitions. Money is summed in whole cents, exactly; a weighted value is rounded to cents per
deal before it is summed.
"""

from __future__ import annotations

import polars as pl

from ..model.columns import CLOSED, LOST, WON
from .model import FORECAST_COLUMNS, PIPELINE_COLUMNS, TOTAL

NO_GROUP = "(none)"
FORECAST_ORDER = ("commit", "best_case", "pipeline")


def whole_cents(amount: pl.Expr) -> pl.Expr:
    """An amount as a whole number of cents (Int128), halves away from zero."""
    return (amount * 100).round(0, mode="half_away_from_zero").cast(pl.Int128)


def weighted_cents(amount: pl.Expr, probability: pl.Expr) -> pl.Expr:
    """amount × probability in whole cents, computed exactly: the amount in cents times the
    probability in millionths, rounded half away from zero. Floating point would round
    10.01 × 0.5 = 5.005 down to 5.00; this gives 5.01."""
    millionths = (probability * 1_000_000).round(0, mode="half_away_from_zero").cast(pl.Int128)
    product = whole_cents(amount) * millionths
    return (product.abs() + 500_000) // 1_000_000 * product.sign()


def money(total_cents: pl.Expr) -> pl.Expr:
    """Whole cents as an amount: 301 is 3.01 exactly (dividing floats by 100 gives 3.0100000000000002)."""
    return (total_cents.cast(pl.Decimal(38, 2)) / pl.lit(100).cast(pl.Decimal(38, 0))).cast(pl.Float64)


def deal_columns(results: pl.DataFrame, plan, settings) -> pl.DataFrame:
    """One row per record with what the report reads: group, value, open, won, lost (in the
    period), weighted value, slipped, the forecast category, the stage and days in it."""
    value = pl.col(settings.value).cast(pl.Float64) if settings.value is not None else pl.lit(None, pl.Float64)
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
        whole_cents(value).alias("cents"),
        open_.alias("open"),
        (pl.col(WON) & in_period).alias("won"),
        (pl.col(LOST) & in_period).alias("lost"),
        pl.when(open_).then(weighted_cents(value, probability)).alias("weighted"),
        slipped.alias("slipped"),
        pl.when(open_).then(pl.col("stage").cast(pl.String).replace_strict(forecast, default=None, return_dtype=pl.String))
        .alias("forecast") if forecast else pl.lit(None, pl.String).alias("forecast"),
        days.alias("days"),
    )


# What a report tells deals apart by; every figure is a sum over deals alike in these.
CUBE_DIMENSIONS = ["group", "stage", "open", "won", "lost", "forecast", "lost_at"]


def deal_cube(deals: pl.DataFrame) -> pl.DataFrame:
    """The deals (:func:`deal_columns` with ``lost_at``) summed per :data:`CUBE_DIMENSIONS`: ``n``
    deals, their ``cents`` and ``weighted`` cents, how many ``slipped``, the sum of their
    ``days`` in stage and how many have them (``days_n``). Every report figure is computed from
    this cube, so an engine that computes it (Spark) gives the same report."""
    return deals.group_by(CUBE_DIMENSIONS).agg(
        pl.len().cast(pl.Int64).alias("n"),
        pl.col("cents").fill_null(0).sum().alias("cents"),
        pl.col("weighted").fill_null(0).sum().alias("weighted"),
        pl.col("slipped").sum().cast(pl.Int64).alias("slipped"),
        pl.col("days").sum().alias("days"),
        pl.col("days").count().cast(pl.Int64).alias("days_n"),
    )


def _sums(forecast: bool) -> list[pl.Expr]:
    """Counts, and sums of money in whole cents (columns ``c:NAME``), over a :func:`deal_cube`."""
    value = pl.col("cents").fill_null(0)
    n = pl.col("n")
    sums = [
        n.filter(pl.col("open")).sum().cast(pl.Int64).alias("open_deals"),
        value.filter(pl.col("open")).sum().alias("c:open_value"),
        pl.col("weighted").fill_null(0).sum().alias("c:weighted_value"),
        n.filter(pl.col("won")).sum().cast(pl.Int64).alias("won_deals"),
        value.filter(pl.col("won")).sum().alias("c:won_value"),
        n.filter(pl.col("lost")).sum().cast(pl.Int64).alias("lost_deals"),
        pl.col("slipped").sum().cast(pl.Int64).alias("slipped"),
    ]
    if forecast:
        sums += [value.filter(pl.col("forecast") == f).sum().alias(f"c:{f}") for f in FORECAST_ORDER]
    return sums


def pipeline(deals: pl.DataFrame, quotas: dict[str, float], grouped: bool, forecast: bool) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The pipeline per group (every group with deals or a quota, sorted) and its total, from a
    :func:`deal_cube`."""
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
    """Counts and sums filled for groups with a quota but no deal, then the derived figures,
    all computed in whole cents."""
    counts = ["open_deals", "won_deals", "lost_deals", "slipped"]
    sums = [c for c in frame.columns if c.startswith("c:")]
    frame = frame.with_columns(
        *[pl.col(c).fill_null(0).cast(pl.Int64) for c in counts],
        *[pl.col(c).fill_null(0).cast(pl.Int128) for c in sums],
        whole_cents(pl.col("quota").cast(pl.Float64)).alias("c:quota"),
    )
    quota, won, weighted, open_ = (pl.col(f"c:{n}") for n in ("quota", "won_value", "weighted_value", "open_value"))
    zero = pl.lit(0, pl.Int128)
    # Without a quota there is no gap: max_horizontal alone would give 0 for a null.
    frame = frame.with_columns(
        pl.when(quota.is_not_null()).then(pl.max_horizontal(quota - won, zero)).alias("c:gap"),
        pl.when(quota.is_not_null()).then(pl.max_horizontal(quota - won - weighted, zero)).alias("c:left_to_build"),
        (won + weighted).alias("c:expected"),
        pl.when(quota > 0).then(won.cast(pl.Float64) / quota.cast(pl.Float64)).alias("attainment"),
    ).with_columns(
        pl.when(pl.col("c:gap") > 0).then(open_.cast(pl.Float64) / pl.col("c:gap").cast(pl.Float64)).alias("coverage"),
    )
    if forecast:
        commit = won + pl.col("c:commit")
        best = commit + pl.col("c:best_case")
        frame = frame.with_columns(
            commit.alias("c:forecast_commit"), best.alias("c:forecast_best_case"),
            (best + pl.col("c:pipeline")).alias("c:forecast_pipeline"),
        )
    columns = PIPELINE_COLUMNS + (FORECAST_COLUMNS if forecast else [])
    money_columns = {c[2:] for c in frame.columns if c.startswith("c:")} - {"quota"}
    return frame.with_columns(money(pl.col(f"c:{c}")).alias(c) for c in money_columns).select(columns)
