"""The ``reports:`` section: how ``salesrules report`` groups and values the pipeline, where the
quotas and close dates are, and the thresholds of its advice. It adds no step to the plan."""

from __future__ import annotations

from ...errors import RulesetError
from ...model.sections import ReportSettings
from .schema import IDENTIFIER

NAME = "reports"
_RATIO = {"type": "number", "exclusiveMinimum": 0}
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
                    "quotas": {
                        "type": "object",
                        "additionalProperties": {"type": "number", "minimum": 0},
                        "description": "Each group's quota; a --quotas file replaces them",
                    },
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
    )}
