"""The pipeline report of a Spark DataFrame: each partition's records evaluated and turned into
what the report reads of them by polars (``mapInArrow``), summed by Spark into the cube of
:func:`~salesrules.reports.pipeline.deal_cube`, whose few rows alone reach the driver, where
the figures are computed exactly as for a local report."""

from __future__ import annotations

import functools

import polars as pl

from ..model.columns import ROW
from ..runners.partitions import ERROR
from . import deals_of, finish, read_columns
from .pipeline import CUBE_DIMENSIONS
from .settings import resolve


def _deals(settings, plan, results: pl.DataFrame) -> pl.DataFrame:
    """A batch of per-record results as the report reads them, with the row number, the key
    and the error message the runner needs."""
    kept = [ROW, ERROR] + ([plan.key] if plan.key != "row" else [])
    return pl.concat([results.select(kept), deals_of(settings, plan, results)], how="horizontal")


def report(frame, ruleset, compile, ident, *, as_of=None, by=None, quotas=None, period=None, on_error="error",
           on_duplicate="error", source=None):
    """The :class:`~salesrules.reports.model.Report` of the Spark DataFrame ``frame`` (see
    :func:`salesrules.spark.report`); ``compile`` and ``ident`` as for
    :func:`salesrules.runners.spark.run`."""
    from pyspark.sql import functions as F

    from ..compiler.plan import compile_ruleset
    from ..runners.spark import SOURCE, column, run

    plan = compile_ruleset(ruleset, as_of)
    settings = resolve(plan, by=by, quotas=quotas, period=period)
    post = functools.partial(_deals, settings)
    outcome = run(frame, plan, compile, ident, on_error=on_error, on_duplicate=on_duplicate, source=source or SOURCE,
                  extra=read_columns(settings), post=post)
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
    return finish(deals, plan, settings), outcome.rejects
