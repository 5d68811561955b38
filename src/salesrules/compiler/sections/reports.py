"""The ``reports:`` section: how ``salesrules report`` groups and values the pipeline, where the
quotas and close dates are, the thresholds of its advice, and how accounts and territories are
found. Its one step is the per-record workload of ``reports.territories.workload``."""

from __future__ import annotations

import polars as pl

from ...errors import RulesetError
from ...model.columns import CLOSED
from ...model.sections import AccountSettings, ReportSettings, TerritorySettings
from .schema import EXPRESSION, IDENTIFIER

NAME = "reports"
_RATIO = {"type": "number", "exclusiveMinimum": 0}
WORKLOAD = "__workload"
_SHARE = {"type": "number", "exclusiveMinimum": 0, "maximum": 1}
_QUOTAS = {
    "type": "object",
    "additionalProperties": {"type": "number", "minimum": 0},
    "description": "Each group's quota; a --quotas file replaces them",
}
SCHEMA = {
    "reports": {
        "type": "object",
        "additionalProperties": False,
        "description": "How `salesrules report` aggregates the results (every key has a default)",
        "properties": {
            "pipeline": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "by": {**IDENTIFIER, "description": "The field the pipeline is grouped by (default: owner)"},
                    "value": {**IDENTIFIER, "description": "The money field of a deal's value (default: deal_value)"},
                    "close_date": {**IDENTIFIER, "description": "The date field a deal closes on (default: close_date)"},
                    "lost_at_stage": {**IDENTIFIER, "description": "The field naming the stage a lost deal had reached"},
                    "quotas": _QUOTAS,
                    "coverage": {**_RATIO, "description": "The pipeline coverage required, as a multiple of the gap"},
                },
            },
            "advice": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "late_stages": {
                        "type": "array",
                        "items": {"type": "string", "minLength": 1},
                        "description": "The open stages counted as near close (default: the later half)",
                    },
                    "prospect_ratio": {**_RATIO, "description": "Late deals per early deal above which: prospect more"},
                    "qualify_ratio": {**_RATIO, "description": "Early deals per late deal above which: qualify and present"},
                    "closing_gap": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "maximum": 1,
                        "description": "How far below the team's a group's late-stage conversion may fall",
                    },
                    "min_deals": {"type": "integer", "minimum": 1, "description": "Deals a figure needs before advice uses it"},
                    "min_closed": {"type": "integer", "minimum": 1, "description": "Closed deals needed to use the win rate"},
                },
            },
            "accounts": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "by": {**IDENTIFIER, "description": "The field naming a record's account (default: account, else company)"},
                    "value": {"enum": ["all", "won"], "description": "What the ABC ranks: the value of all deals (default) or won deals"},
                    "score": {"enum": ["max", "sum", "mean"], "description": "How the open records' scores roll up (default: max)"},
                    "customer": {**IDENTIFIER, "description": "A boolean field marking an existing customer (besides a won deal)"},
                    "abc": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "a": {**_SHARE, "description": "The share of value the A accounts reach (default 0.8)"},
                            "b": {**_SHARE, "description": "The share of value A and B accounts reach (default 0.95)"},
                        },
                    },
                },
            },
            "territories": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "by": {**IDENTIFIER, "description": "The territory field (default: territory, else region)"},
                    "workload": {**EXPRESSION, "description": "Each open record's workload (default 1 per open deal)"},
                    "tolerance": {"type": "number", "minimum": 0, "description": "How far from the average a balanced territory may be (default 0.15)"},
                    "quotas": _QUOTAS,
                },
            },
        },
    }
}


def build(ctx) -> dict:
    """The report settings (all defaults without the section)."""
    spec = ctx.data.get("reports") or {}
    pipeline, advice = spec.get("pipeline") or {}, spec.get("advice") or {}
    late = advice.get("late_stages")
    stages = {s.name for s in ctx.built.get("stages", [])}
    for name in late or ():
        if name not in stages:
            raise RulesetError(f"reports.advice.late_stages: {name!r} is not a stage", ctx.loc("reports"))
    defaults = ReportSettings()
    return {"reports": ReportSettings(
        by=pipeline.get("by"),
        value=pipeline.get("value"),
        close_date=pipeline.get("close_date"),
        lost_at_stage=pipeline.get("lost_at_stage"),
        quotas={str(k): float(v) for k, v in (pipeline.get("quotas") or {}).items()},
        coverage=pipeline.get("coverage"),
        late_stages=tuple(late) if late else None,
        prospect_ratio=advice.get("prospect_ratio", defaults.prospect_ratio),
        qualify_ratio=advice.get("qualify_ratio", defaults.qualify_ratio),
        closing_gap=advice.get("closing_gap", defaults.closing_gap),
        min_deals=advice.get("min_deals", defaults.min_deals),
        min_closed=advice.get("min_closed", defaults.min_closed),
        loc=ctx.loc("reports"),
        accounts=_accounts(ctx, spec.get("accounts") or {}),
        territories=_territories(ctx, spec.get("territories") or {}),
    )}


def _accounts(ctx, spec: dict) -> AccountSettings:
    abc = spec.get("abc") or {}
    a, b = abc.get("a", 0.8), abc.get("b", 0.95)
    if a > b:
        raise RulesetError(f"reports.accounts.abc: a ({a}) must not be above b ({b})", ctx.loc("reports", "accounts", "abc"))
    return AccountSettings(
        by=spec.get("by"), value=spec.get("value", "all"), score=spec.get("score", "max"),
        customer=spec.get("customer"), a=float(a), b=float(b),
    )


def _territories(ctx, spec: dict) -> TerritorySettings:
    return TerritorySettings(
        by=spec.get("by"),
        workload=ctx.expr(spec.get("workload"), "reports", "territories", "workload"),
        tolerance=float(spec.get("tolerance", 0.15)),
        quotas={str(k): float(v) for k, v in (spec.get("quotas") or {}).items()},
    )


def expressions(ruleset):
    """The workload expression."""
    yield ruleset.reports.territories.workload


def compile(compiler, scope):
    """Each open record's workload (null for closed ones), for the territories report."""
    source = compiler.ruleset.reports.territories.workload
    if source is None:
        workload = pl.lit(1.0)
    else:
        workload = compiler.expr(source, scope, "numeric").expr.cast(pl.Float64).fill_null(0.0)
    compiler.steps.append([pl.when(~pl.col(CLOSED)).then(workload).alias(WORKLOAD)])
    return scope
