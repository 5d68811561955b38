"""The pipeline report: the per-record results aggregated per group and stage, and advice.

:func:`report` evaluates records exactly as ``evaluate`` does (the same runner, readers,
lookups and bad-input handling), keeping only the columns the report reads, and returns a
:class:`~salesrules.reports.model.Report`.
"""

from __future__ import annotations

import polars as pl

from .advice import coverage_multiple, late_stages, recommendations
from .model import Report
from .pipeline import deal_columns, deal_cube, pipeline
from .settings import resolve
from .stages import lost_at, stages


def report(ruleset, data, *, as_of=None, by=None, quotas=None, period=None, **options) -> Report:
    """The pipeline report of ``data`` (anything ``Ruleset.evaluate`` reads).

    ``by`` is the field to group by (default: the ruleset's ``reports.pipeline.by``, else
    ``owner``), ``quotas`` a file of quotas per group, ``period`` ``"FROM..TO"`` (ISO dates,
    inclusive) for the won and lost deals counted; other options as for ``evaluate``.
    """
    from ..compiler.plan import compile_ruleset
    from ..runners.local import evaluate_full

    plan = compile_ruleset(ruleset, as_of)
    settings = resolve(plan, by=by, quotas=quotas, period=period, encoding=options.get("encoding"))
    evaluation = evaluate_full(ruleset, data, as_of=plan.as_of, internal=True, columns=read_columns(settings), **options)
    return finish(deal_cube(deals_of(settings, plan, evaluation.results)), plan, settings)


def read_columns(settings) -> tuple[str, ...]:
    """The columns of the per-record results a report reads."""
    wanted = [settings.by, settings.value, settings.close_date, settings.lost_at_stage, "stage", "stage_probability", "__won", "__lost"]
    if settings.days_in_stage:
        wanted.append("days_in_stage")
    return tuple(dict.fromkeys(c for c in wanted if c))


def deals_of(settings, plan, results: pl.DataFrame) -> pl.DataFrame:
    """What the report reads of each record (:func:`~salesrules.reports.pipeline.deal_columns` and
    the stage a lost deal was lost at), from results with the :func:`read_columns`."""
    return deal_columns(results, plan, settings).with_columns(lost_at(results, plan, settings.lost_at_stage))


def finish(deals: pl.DataFrame, plan, settings) -> Report:
    """The report of a :func:`~salesrules.reports.pipeline.deal_cube`."""
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


__all__ = ["Report", "report"]
