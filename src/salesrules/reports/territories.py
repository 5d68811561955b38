"""Territories: potential (open value) and workload against the average territory, balance,
win rate, attainment and performance, reps and accounts, customers against new accounts.

``potential_index`` is 100 × the territory's open value ÷ the mean over territories (100 is
average); ``workload_index`` likewise for the workload. A territory is ``balanced`` when both lie
within the tolerance of 100. The open value is summed in whole cents and the balance of
potential is decided in whole numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..errors import UsageError, did_you_mean
from ..model.columns import CLOSED, LOST, WON
from .pipeline import NO_GROUP, money, whole_cents

TERRITORY_COLUMNS = [
    "group", "accounts", "customers", "new_accounts", "reps", "open_deals", "open_value", "workload",
    "potential_index", "workload_index", "balanced", "won_deals", "won_value", "lost_deals", "win_rate",
    "quota", "attainment", "performance",
]
MILLION = 1_000_000


@dataclass(frozen=True)
class TerritoryFields:
    """The fields the territories section reads, resolved against a plan."""

    by: str
    owner: str | None
    tolerance: float
    quotas: dict[str, float]


def territory_fields(plan, quotas: dict[str, float] | None = None) -> TerritoryFields | None:
    """The territory settings of ``plan``: ``reports.territories.by``, else ``territory``, else
    ``region``; None when the ruleset has none. ``quotas`` (per territory) replace the ruleset's."""
    settings = plan.ruleset.reports.territories
    fields = plan.fields
    by = settings.by or next((f for f in ("territory", "region") if f in fields), None)
    if by is None:
        return None
    if by not in fields and by not in plan.output:
        raise UsageError(f"reports.territories.by: {by!r} is not a field{did_you_mean(by, fields)}")
    owner = "owner" if "owner" in fields else None
    return TerritoryFields(by, owner, settings.tolerance, dict(quotas) if quotas else dict(settings.quotas))


def record_columns(results: pl.DataFrame, spec: TerritoryFields, value: str, won: pl.Expr, lost: pl.Expr,
                   account: str | None) -> pl.DataFrame:
    """One row per record with what the territories section reads; ``won`` and ``lost`` say
    which closed deals count (those in the report's period)."""
    from ..compiler.sections.reports import WORKLOAD

    return results.select(
        pl.col(spec.by).cast(pl.String).fill_null(NO_GROUP).alias("group"),
        (pl.col(account).cast(pl.String) if account else pl.lit(None, pl.String)).alias("account"),
        (pl.col(spec.owner).cast(pl.String) if spec.owner else pl.lit(None, pl.String)).alias("owner"),
        whole_cents(pl.col(value).cast(pl.Float64)).fill_null(0).alias("cents"),
        (~pl.col(CLOSED)).alias("open"),
        (pl.col(WON) & won).alias("won"),
        (pl.col(LOST) & lost).alias("lost"),
        pl.col(WORKLOAD).fill_null(0.0).alias("workload"),
    )


def territories(records: pl.DataFrame, spec: TerritoryFields, customers: set[str] | None) -> pl.DataFrame:
    """One row per territory (sorted by name; records without one under ``(none)``)."""
    grouped = records.group_by("group").agg(**territory_sums(customers))
    return territory_table(grouped, spec, customers is not None)


def territory_sums(customers: set[str] | None) -> dict[str, pl.Expr]:
    """What is counted and summed per territory from the record columns."""
    open_ = pl.col("open")
    is_customer = pl.col("account").is_in(list(customers or set()))
    return {
        "accounts": pl.col("account").drop_nulls().n_unique().cast(pl.Int64),
        "customers": pl.col("account").filter(is_customer).drop_nulls().n_unique().cast(pl.Int64),
        "reps": pl.col("owner").filter(open_).drop_nulls().n_unique().cast(pl.Int64),
        "open_deals": open_.sum().cast(pl.Int64),
        "c:open": pl.col("cents").filter(open_).sum().cast(pl.Int128),
        "workload": pl.col("workload").filter(open_).sum().cast(pl.Float64),
        "won_deals": pl.col("won").sum().cast(pl.Int64),
        "c:won": pl.col("cents").filter(pl.col("won")).sum().cast(pl.Int128),
        "lost_deals": pl.col("lost").sum().cast(pl.Int64),
    }


def territory_table(grouped: pl.DataFrame, spec: TerritoryFields, with_accounts: bool) -> pl.DataFrame:
    """The territories table from the :func:`territory_sums` of each territory (summed here or
    by another engine), with the quotas' territories that have no record."""
    quota_frame = pl.DataFrame({"group": list(spec.quotas), "quota": list(spec.quotas.values())},
                               schema={"group": pl.String, "quota": pl.Float64})
    grouped = quota_frame.join(grouped, on="group", how="full", coalesce=True).sort("group")
    grouped = grouped.with_columns(
        *[pl.col(c).fill_null(0) for c in ("accounts", "customers", "reps", "open_deals", "won_deals", "lost_deals")],
        pl.col("c:open").fill_null(0).cast(pl.Int128), pl.col("c:won").fill_null(0).cast(pl.Int128),
        pl.col("workload").fill_null(0.0),
    )
    return _figures(grouped, spec.tolerance, with_accounts)


def _figures(frame: pl.DataFrame, tolerance: float, with_accounts: bool) -> pl.DataFrame:
    count = frame.height
    potential, work = pl.col("c:open"), pl.col("workload")
    total_potential, total_work = potential.sum(), work.sum()
    tol = round(tolerance * MILLION)
    # |x·n − total| ≤ tolerance × total, in whole numbers for the cents.
    potential_ok = ((potential * count - total_potential).abs() * MILLION <= total_potential * tol)
    work_ok = (work * count - total_work).abs() <= total_work * tolerance * (1 + 1e-12)
    closed = pl.col("won_deals") + pl.col("lost_deals")
    frame = frame.with_columns(
        pl.when(total_potential > 0).then(potential.cast(pl.Float64) * count * 100 / total_potential.cast(pl.Float64)).alias("potential_index"),
        pl.when(total_work > 0).then(work * count * 100 / total_work).alias("workload_index"),
        pl.when((total_potential > 0) & (total_work > 0)).then(potential_ok & work_ok).alias("balanced"),
        pl.when(closed > 0).then(pl.col("won_deals") / closed).alias("win_rate"),
        money(potential).alias("open_value"),
        money(pl.col("c:won")).alias("won_value"),
        pl.when(pl.col("quota") > 0).then(pl.col("c:won").cast(pl.Float64) / whole_cents(pl.col("quota")).cast(pl.Float64)).alias("attainment"),
    )
    measure = "attainment" if frame["attainment"].is_not_null().any() else "win_rate"
    mean = frame[measure].mean()
    value = pl.col(measure)
    performance = pl.lit(None, pl.String) if mean is None else (
        pl.when(value.is_null()).then(pl.lit(None, pl.String))
        .when(value > mean * (1 + tolerance)).then(pl.lit("high"))
        .when(value < mean * (1 - tolerance)).then(pl.lit("low"))
        .otherwise(pl.lit("average"))
    )
    frame = frame.with_columns(
        performance.alias("performance"),
        (pl.col("accounts") - pl.col("customers")).alias("new_accounts"),
    )
    if not with_accounts:
        frame = frame.with_columns(pl.lit(None, pl.Int64).alias(c) for c in ("accounts", "customers", "new_accounts"))
    return frame.select(TERRITORY_COLUMNS)
