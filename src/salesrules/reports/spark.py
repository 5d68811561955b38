"""The pipeline report of a Spark DataFrame: each partition's records evaluated and turned into
what the report reads of them by polars (``mapInArrow``), summed by Spark into the cube of
:func:`~salesrules.reports.pipeline.deal_cube`, whose few rows alone reach the driver, where
the figures are computed exactly as for a local report."""

from __future__ import annotations

import functools
from dataclasses import replace

import polars as pl

from ..model.columns import CLOSED, ROW
from ..runners.partitions import ERROR
from . import NO_VALUE, _territory_quotas, _territory_settings, deals_of, finish, in_period, read_columns
from . import accounts as acc
from . import territories as terr
from .pipeline import CUBE_DIMENSIONS, whole_cents
from .segments import UNKNOWN, segment_names, segment_table
from .settings import resolve


def _deals(settings, sections, plan, results: pl.DataFrame) -> pl.DataFrame:
    """A batch of per-record results as the report reads them, with the row number, the key
    and the error message the runner needs, and what the accounts (``a:``), territories
    (``t:``) and segments (``s:``) read of each record."""
    kept = [ROW, ERROR] + ([plan.key] if plan.key != "row" else [])
    accounts_spec, territory_spec, value = sections
    if value == NO_VALUE:
        results = results.with_columns(pl.lit(None, pl.Float64).alias(NO_VALUE))
    parts = [results.select(kept), deals_of(settings, plan, results)]
    if accounts_spec:
        records = acc.record_columns(results, accounts_spec, value).with_columns(
            pl.col("cents").fill_null(0),
            pl.col("band").replace_strict(acc.band_index(accounts_spec), default=None, return_dtype=pl.Int64),
        )
        parts.append(records.rename(lambda c: "a:" + c))
    if territory_spec:
        period = in_period(settings)
        records = terr.record_columns(results, territory_spec, value, period, period,
                                      accounts_spec.by if accounts_spec else None)
        parts.append(records.rename(lambda c: "t:" + c))
    parts.append(results.select(
        (~pl.col(CLOSED)).alias("s:open"),
        whole_cents(pl.col(value).cast(pl.Float64)).fill_null(0).alias("s:cents"),
        *[pl.col(name).cast(pl.String).fill_null(UNKNOWN).alias("s:" + name) for name in segment_names(plan)],
    ))
    return pl.concat(parts, how="horizontal")


def report(frame, ruleset, compile, ident, *, as_of=None, by=None, quotas=None, period=None, on_error="error",
           on_duplicate="error", source=None, allow_missing=False):
    """The :class:`~salesrules.reports.model.Report` of the Spark DataFrame ``frame`` (see
    :func:`salesrules.spark.report`); ``compile`` and ``ident`` as for
    :func:`salesrules.runners.spark.run`."""
    from pyspark.sql import functions as F

    from ..compiler.plan import compile_ruleset
    from ..runners.spark import SOURCE, column, run

    plan = compile_ruleset(ruleset, as_of)
    settings = resolve(plan, by=by, quotas=quotas, period=period)
    accounts_spec = acc.account_fields(plan)
    territory_spec = terr.territory_fields(plan, _territory_quotas(settings, plan))
    sections = (accounts_spec, territory_spec, settings.value or NO_VALUE)
    post = functools.partial(_deals, settings, sections)
    outcome = run(frame, plan, compile, ident, on_error=on_error, on_duplicate=on_duplicate, source=source or SOURCE,
                  extra=read_columns(settings, plan, accounts_spec, territory_spec), post=post,
                  allow_missing=allow_missing)
    cube = outcome.results.groupBy(*[column(c) for c in CUBE_DIMENSIONS]).agg(
        F.count(F.lit(1)).alias("n"),
        F.sum(F.coalesce(column("cents"), F.lit(0).cast("decimal(38,0)"))).alias("cents"),
        F.sum(F.coalesce(column("weighted"), F.lit(0).cast("decimal(38,0)"))).alias("weighted"),
        F.sum(column("slipped").cast("long")).alias("slipped"),
        F.sum(column("days")).alias("days"),
        F.count(column("days")).alias("days_n"),
    )
    deals = pl.DataFrame(pl.from_arrow(cube.toArrow())).with_columns(
        pl.col("n", "slipped", "days_n").cast(pl.Int64),
        pl.col("cents", "weighted").cast(pl.Int128),
        pl.col("days").cast(pl.Float64),
    )
    base = finish(deals, plan, settings)
    return _with_sections(base, outcome.results, plan, accounts_spec, territory_spec), outcome.rejects


def _with_sections(base, results, plan, accounts_spec, territory_spec):
    """``base`` with the accounts, territories and segments, their sums computed by Spark and the
    tables built from them as a local report builds them."""
    from pyspark.sql import functions as F

    from ..runners.spark import column

    account_table = account_summary = territory_table = None
    if accounts_spec:
        opened = column("a:open")
        rolled = {"max": F.max, "sum": F.sum, "mean": F.avg}[accounts_spec.score](F.when(opened, column("a:score")))
        grouped = results.where(column("a:account").isNotNull()).groupBy(column("a:account").alias("account")).agg(
            F.count(F.lit(1)).alias("deals"),
            F.sum(opened.cast("long")).alias("open_deals"),
            F.sum(F.when(opened, column("a:cents")).otherwise(0)).alias("c:open"),
            F.sum(F.when(column("a:won_ever"), column("a:cents")).otherwise(0)).alias("c:won"),
            F.sum(column("a:cents")).alias("c:all"),
            F.when(F.max(opened.cast("int")) == 1, rolled.cast("double")).alias("score"),
            F.min(F.when(opened, column("a:band"))).alias("best"),
            F.max((column("a:won_ever") | F.coalesce(column("a:customer"), F.lit(False))).cast("int")).alias("customer"),
        )
        without = results.where(column("a:account").isNull()).count()
        account_table, account_summary = acc.account_table(_local(grouped, {
            "deals": pl.Int64, "open_deals": pl.Int64, "c:open": pl.Int128, "c:won": pl.Int128, "c:all": pl.Int128,
            "score": pl.Float64, "best": pl.Int64, "customer": pl.Boolean}), accounts_spec, without)
    if territory_spec:
        customers = set(account_table.filter(pl.col("customer"))["group"].to_list()) if account_table is not None else None
        opened, account = column("t:open"), column("t:account")
        is_customer = account.isin(sorted(customers)) if customers else F.lit(False)
        grouped = results.groupBy(column("t:group").alias("group")).agg(
            F.countDistinct(account).alias("accounts"),
            F.countDistinct(F.when(is_customer, account)).alias("customers"),
            F.countDistinct(F.when(opened, column("t:owner"))).alias("reps"),
            F.sum(opened.cast("long")).alias("open_deals"),
            F.sum(F.when(opened, column("t:cents")).otherwise(0)).alias("c:open"),
            F.sum(F.when(opened, column("t:workload")).otherwise(0.0)).alias("workload"),
            F.sum(column("t:won").cast("long")).alias("won_deals"),
            F.sum(F.when(column("t:won"), column("t:cents")).otherwise(0)).alias("c:won"),
            F.sum(column("t:lost").cast("long")).alias("lost_deals"),
        )
        territory_table = terr.territory_table(_local(grouped, {
            "accounts": pl.Int64, "customers": pl.Int64, "reps": pl.Int64, "open_deals": pl.Int64, "c:open": pl.Int128,
            "workload": pl.Float64, "won_deals": pl.Int64, "c:won": pl.Int128, "lost_deals": pl.Int64}),
            territory_spec, customers is not None)
    open_records = results.where(column("s:open"))
    counts = [
        _local(open_records.groupBy(column("s:" + name).alias("segment")).agg(
            F.count(F.lit(1)).alias("deals"), F.sum(column("s:cents")).alias("c:value")),
            {"deals": pl.Int64, "c:value": pl.Int128}).with_columns(pl.lit(name).alias("classification"))
        for name in segment_names(plan)
    ]
    totals = open_records.agg(F.count(F.lit(1)).alias("deals"), F.sum(column("s:cents")).alias("cents")).collect()[0]
    counted = pl.concat(counts) if counts else pl.DataFrame(schema={"segment": pl.String, "deals": pl.Int64,
                                                                    "c:value": pl.Int128, "classification": pl.String})
    segment_frame, segment_totals = segment_table(counted, plan, int(totals["deals"]), int(totals["cents"] or 0))
    return replace(
        base, accounts=account_table, account_summary=account_summary, territories=territory_table,
        territory_settings=_territory_settings(territory_spec, territory_table),
        segments=segment_frame, segment_totals=segment_totals,
    )


def _local(frame, types: dict) -> pl.DataFrame:
    """A small Spark result (sums per group) as a polars frame with the types a local report has."""
    return pl.DataFrame(pl.from_arrow(frame.toArrow())).with_columns(
        *[pl.col(name).cast(dtype) for name, dtype in types.items()])
