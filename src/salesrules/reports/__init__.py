"""The pipeline report: the per-record results aggregated per group and stage, and advice.

:func:`report` evaluates records exactly as ``evaluate`` does (the same runner, readers,
lookups and bad-input handling), keeping only the columns the report reads, and returns a
:class:`~salesrules.reports.model.Report`.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from . import accounts as acc
from . import territories as terr
from .advice import coverage_multiple, late_stages, recommendations
from .model import Report
from .pipeline import deal_columns, deal_cube, pipeline
from .segments import segment_names, segments
from .settings import resolve
from .stages import lost_at, stages

# The value column of a report whose ruleset has no money field.
NO_VALUE = "__no_value"


def report(ruleset, data, *, as_of=None, by=None, quotas=None, period=None, **options) -> Report:
    """The pipeline report of ``data`` (anything ``Ruleset.evaluate`` reads), with the accounts,
    territories and segments.

    ``by`` is the field to group by (default: the ruleset's ``reports.pipeline.by``, else
    ``owner``), ``quotas`` a file of quotas per group, ``period`` ``"FROM..TO"`` (ISO dates,
    inclusive) for the won and lost deals counted; other options as for ``evaluate``.
    """
    from ..compiler.plan import compile_ruleset
    from ..runners.local import evaluate_full

    plan = compile_ruleset(ruleset, as_of)
    settings = resolve(plan, by=by, quotas=quotas, period=period, encoding=options.get("encoding"))
    accounts_spec = acc.account_fields(plan)
    territory_spec = terr.territory_fields(plan, _territory_quotas(settings, plan))
    columns = read_columns(settings, plan, accounts_spec, territory_spec)
    evaluation = evaluate_full(ruleset, data, as_of=plan.as_of, internal=True, columns=columns, **options)
    results = evaluation.results
    # Without a money field the report counts deals; the sections that sum value sum nothing.
    value = settings.value or NO_VALUE
    if settings.value is None:
        results = results.with_columns(pl.lit(None, pl.Float64).alias(NO_VALUE))
    base = finish(deal_cube(deals_of(settings, plan, results)), plan, settings)
    return with_sections(base, results, plan, settings, value, accounts_spec, territory_spec)


def read_columns(settings, plan=None, accounts_spec=None, territory_spec=None) -> tuple[str, ...]:
    """The columns of the per-record results a report reads: the pipeline's, and with ``plan``
    those of the accounts, the territories and the segments."""
    wanted = [settings.by, settings.value, settings.close_date, settings.lost_at_stage, "stage", "stage_probability", "__won", "__lost"]
    if settings.days_in_stage:
        wanted.append("days_in_stage")
    if accounts_spec:
        wanted += [accounts_spec.by, accounts_spec.customer, "score", "band", "__closed"]
    if territory_spec:
        wanted += [territory_spec.by, territory_spec.owner, "__workload", "__closed"]
    if plan is not None:
        wanted += segment_names(plan) + ["__closed"]
    return tuple(dict.fromkeys(c for c in wanted if c))


def deals_of(settings, plan, results: pl.DataFrame) -> pl.DataFrame:
    """What the report reads of each record (:func:`~salesrules.reports.pipeline.deal_columns` and
    the stage a lost deal was lost at), from results with the :func:`read_columns`."""
    return deal_columns(results, plan, settings).with_columns(lost_at(results, plan, settings.lost_at_stage))


def finish(deals: pl.DataFrame, plan, settings) -> Report:
    """The report of a :func:`~salesrules.reports.pipeline.deal_cube`: the pipeline, the stages
    and the advice."""
    forecast = any(s.forecast for s in plan.ruleset.stages)
    groups, total = pipeline(deals, settings.quotas, settings.by is not None, forecast)
    stage_table, left_out = stages(deals, plan)
    multiple = coverage_multiple(deals, plan.ruleset.reports)
    advice = recommendations(deals, groups, total, plan, multiple)
    return Report(
        groups, total, stage_table, advice,
        settings={
            "by": settings.by,
            "value": settings.value,
            "close_date": settings.close_date,
            "period": [d.isoformat() for d in settings.period] if settings.period else None,
            "coverage_multiple": multiple[0],
            "coverage_source": multiple[1],
            "lost_left_out": left_out,
            "late_stages": late_stages(plan),
        },
        provenance=plan.provenance,
    )


def with_sections(base: Report, results: pl.DataFrame, plan, settings, value: str, accounts_spec, territory_spec) -> Report:
    """``base`` with the accounts, territories and segments of the per-record ``results``."""
    account_table = account_summary = territory_table = None
    if accounts_spec:
        account_table, account_summary = acc.accounts(acc.record_columns(results, accounts_spec, value), accounts_spec)
    if territory_spec:
        period = in_period(settings)
        customers = set(account_table.filter(pl.col("customer"))["group"].to_list()) if account_table is not None else None
        records = terr.record_columns(results, territory_spec, value, period, period,
                                      accounts_spec.by if accounts_spec else None)
        territory_table = terr.territories(records, territory_spec, customers)
    segment_table, segment_totals = segments(results, plan, value)
    return replace(
        base,
        accounts=account_table,
        account_summary=account_summary,
        territories=territory_table,
        territory_settings=_territory_settings(territory_spec, territory_table),
        segments=segment_table,
        segment_totals=segment_totals,
    )


def in_period(settings) -> pl.Expr:
    """Whether a record's close date lies in the report's period (always, without a period):
    which won and lost deals the territories count."""
    if settings.period is None:
        return pl.lit(True)
    return pl.col(settings.close_date).is_between(*map(pl.lit, settings.period)).fill_null(False)


def _territory_quotas(settings, plan) -> dict[str, float] | None:
    """The --quotas of a pipeline grouped by the territory field are the territories' quotas too."""
    spec = terr.territory_fields(plan)
    return settings.quotas if spec is not None and settings.by == spec.by and settings.quotas else None


def _territory_settings(spec, table) -> dict | None:
    if spec is None:
        return None
    measure = "attainment" if table is not None and table["attainment"].is_not_null().any() else "win_rate"
    return {"by": spec.by, "tolerance": spec.tolerance, "performance_by": measure}


__all__ = ["Report", "report"]
