"""A pipeline report: its sections as polars DataFrames, and its JSON document.

Every report format (see the ``register_report_formats`` hook) receives a :class:`Report`.
Money columns are Float64 rounded to cents; shares (attainment, conversion) are Float64
fractions (0.25 is 25 %); coverage is a multiple (3.0 is three times the gap); a figure that cannot be computed (no quota, no gap, no deal
reached a stage) is null.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

# The pipeline's columns per group, in order; the forecast columns follow when stages declare
# forecast categories.
PIPELINE_COLUMNS = [
    "group", "open_deals", "open_value", "weighted_value", "won_deals", "won_value", "lost_deals",
    "quota", "gap", "left_to_build", "expected", "attainment", "coverage", "slipped",
]
FORECAST_COLUMNS = ["forecast_commit", "forecast_best_case", "forecast_pipeline"]
MONEY_COLUMNS = {
    "open_value", "weighted_value", "won_value", "quota", "gap", "left_to_build", "expected", "value",
    "cost", "cost_per_deal",
    *FORECAST_COLUMNS,
}
SHARE_COLUMNS = {"attainment", "conversion", "share", "cumulative_share", "win_rate", "deal_share", "value_share"}
# Multiples, shown as 3.25×: how many times the open value covers the gap to quota.
MULTIPLE_COLUMNS = {"coverage"}
STAGE_COLUMNS = ["stage", "deals", "value", "weighted_value", "avg_days_in_stage", "reached", "conversion", "closed"]
RECOMMENDATION_COLUMNS = ["group", "advice", "because"]
TOTAL = "total"


@dataclass
class Report:
    """A pipeline report.

    - ``pipeline``: one row per group (:data:`PIPELINE_COLUMNS`, then :data:`FORECAST_COLUMNS`
      when the stages declare forecast categories), sorted by group; ``total``: the same columns
      over every record, one row whose ``group`` is ``"total"``.
    - ``stages``: one row per stage in stage order (:data:`STAGE_COLUMNS`): open stages, then
      the closed ones; ``reached`` counts the deals that got at least that far and
      ``conversion`` is the share of them that reached the next open stage (won, after the
      last open stage); null for closed stages.
    - ``recommendations``: what to do next (:data:`RECOMMENDATION_COLUMNS`), per group and for
      the ``"total"``, with the figures behind each.
    - ``settings``: how the figures were made: ``by`` (the group field), ``value`` (the money
      field), ``period`` (``[from, to]`` ISO dates or None), ``close_date`` (the field or
      None), ``coverage_multiple`` and ``coverage_source`` (``"default"``, ``"ruleset"`` or
      ``"win rate"``), ``lost_left_out`` (lost deals without the stage they reached).
    - ``provenance``: ruleset, ruleset_version, ruleset_hash, as_of.
    - ``accounts`` (:data:`~salesrules.reports.accounts.ACCOUNT_COLUMNS`, by value descending,
      then name) and ``account_summary``; ``territories``
      (:data:`~salesrules.reports.territories.TERRITORY_COLUMNS`) and ``territory_settings``;
      ``segments`` (:data:`~salesrules.reports.segments.SEGMENT_COLUMNS`) and
      ``segment_totals``. None when the ruleset has no account or territory field.
    """

    pipeline: pl.DataFrame
    total: pl.DataFrame
    stages: pl.DataFrame
    recommendations: pl.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    accounts: pl.DataFrame | None = None
    account_summary: dict[str, Any] | None = None
    territories: pl.DataFrame | None = None
    territory_settings: dict[str, Any] | None = None
    segments: pl.DataFrame | None = None
    segment_totals: list[dict[str, Any]] | None = None

    @property
    def as_of(self) -> dt.date | None:
        """The as-of date of the evaluation the report aggregates."""
        value = self.provenance.get("as_of")
        return dt.date.fromisoformat(value) if isinstance(value, str) else value

    def sections(self) -> dict[str, pl.DataFrame]:
        """The report's sections by name, as each format shows them."""
        return {
            "pipeline": pl.concat([self.pipeline, self.total], how="vertical_relaxed"),
            "stages": self.stages,
            "recommendations": self.recommendations,
            **{name: frame for name, frame in (("accounts", self.accounts), ("territories", self.territories),
                                               ("segments", self.segments)) if frame is not None},
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of the report (dates as ISO text, nulls as None).

        ``{"ruleset", "ruleset_version", "ruleset_hash", "as_of", "settings", "pipeline": {"by",
        "groups": [...], "total": {...}}, "stages": [...], "recommendations": [...]}``.
        """
        total = self.total.to_dicts()
        return {
            **self.provenance,
            "settings": self.settings,
            "pipeline": {
                "by": self.settings.get("by"),
                "groups": self.pipeline.to_dicts(),
                "total": total[0] if total else {},
            },
            "stages": self.stages.to_dicts(),
            "recommendations": self.recommendations.to_dicts(),
            **self._more(),
        }

    def _more(self) -> dict[str, Any]:
        """The accounts, territories and segments of the JSON document, where the report has them."""
        more: dict[str, Any] = {}
        if self.accounts is not None:
            summary = self.account_summary or {}
            more["accounts"] = {"by": summary.get("by"), "groups": self.accounts.to_dicts(), "summary": summary}
        if self.territories is not None:
            more["territories"] = {**(self.territory_settings or {}), "groups": self.territories.to_dicts()}
        if self.segments is not None:
            more["segments"] = {"groups": self.segments.to_dicts(), "totals": self.segment_totals or []}
        return more


def as_text(frame: pl.DataFrame, null: str = "\u2013") -> pl.DataFrame:
    """``frame`` as text for people: money with thousands separators and cents, shares as
    percentages with one decimal, multiples as ``3.25×``, counts and other numbers as they are, null as an en dash."""
    columns = []
    for name, dtype in frame.schema.items():
        value = pl.col(name)
        if name in MONEY_COLUMNS and dtype.is_numeric():
            text = _thousands(value.cast(pl.Float64))
        elif name in SHARE_COLUMNS and dtype.is_numeric():
            text = pl.format("{}%", (value * 100).round(1))
        elif name in MULTIPLE_COLUMNS and dtype.is_numeric():
            text = pl.format("{}\u00d7", value.round(2))
        elif name in ("avg_days_in_stage", "potential_index", "workload_index", "workload", "score") and dtype.is_numeric():
            text = value.round(1).cast(pl.String)
        else:
            text = value.cast(pl.String)
        columns.append(text.fill_null(null).alias(name))
    return frame.select(columns)


def _thousands(value: pl.Expr) -> pl.Expr:
    """``1234567.5`` as ``1,234,567.50`` (a minus sign before negative amounts)."""
    cents = (value.abs() * 100).round(0).cast(pl.Int64)
    whole = (cents // 100).cast(pl.String)
    grouped = whole.str.reverse().str.replace_all(r"(\d{3})", "$1,").str.reverse().str.strip_chars_start(",")
    sign = pl.when(value < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str([sign, grouped, pl.lit("."), (cents % 100).cast(pl.String).str.zfill(2)])
