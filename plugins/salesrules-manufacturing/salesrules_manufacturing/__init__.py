"""salesrules for industrial and manufacturing sellers.

Long procurement, capital budget cycles, sample and prototype requests, and buying centres
spread over several sites. The plugin adds:

- signals ``buying_complexity``, ``prototype_stage`` and ``capex_cycle_open``;
- functions ``fiscal_quarter(date, start_month)``, ``days_to_budget_cycle(start_month)``
  and ``lead_time_weeks(date)``;
- the ruleset ``builtin:manufacturing`` (extends ``builtin:standard``);
- the output formats ``salesforce-csv`` and ``hubspot-csv``: CRM import files that write the
  results back to the records they came from.

Everything is a polars expression: nothing runs per record in Python.
"""

from __future__ import annotations

from importlib.resources import files

import polars as pl

import salesrules
from salesrules.io.outputs import OutputContext, provenance_text, text_frame
from salesrules.language.functions import NO_LITERAL

__all__ = [
    "CRM_COLUMNS",
    "buying_complexity",
    "capex_cycle_open",
    "days_to_budget_cycle",
    "fiscal_quarter",
    "lead_time_weeks",
    "prototype_stage",
    "write_hubspot_csv",
    "write_salesforce_csv",
]


# ---------------------------------------------------------------- shared expressions


def _month_or_null(start: pl.Expr) -> pl.Expr:
    """A fiscal-year start month as Int64; anything outside 1-12 is null."""
    month = start.cast(pl.Int64, strict=False)
    return pl.when(month.is_between(1, 12)).then(month)


def _fiscal_quarter(date: pl.Expr, start: pl.Expr) -> pl.Expr:
    """The fiscal quarter (1-4) of ``date`` for a fiscal year starting in month ``start``."""
    offset = (date.dt.month().cast(pl.Int64) - _month_or_null(start) + 12) % 12
    return offset // 3 + 1


def _check_month(call, index: int) -> None:
    """Reject a literal start month outside 1-12 when the ruleset is compiled."""
    value = call.literals[index]
    if value is NO_LITERAL or value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 12:
        raise ValueError(f"{call.name}(): the fiscal-year start month must be a whole number from 1 to 12, not {value!r}")


# ---------------------------------------------------------------- functions


def fiscal_quarter(call):
    """The fiscal quarter (1-4) of a date for a fiscal year starting in ``start_month`` (1-12).

    ``fiscal_quarter('2026-12-15', 7)`` is 2: a July fiscal year runs Jul-Sep, Oct-Dec,
    Jan-Mar, Apr-Jun. Null when the date is missing or the month is not 1-12.
    """
    _check_month(call, 1)
    return _fiscal_quarter(call.args[0], call.args[1])


def days_to_budget_cycle(call):
    """Whole days from the as-of date to the first day of the customer's next fiscal year.

    0 on the first day of the fiscal year itself. Capital budgets are set in the months
    before that day. Null when the month is missing or not 1-12.
    """
    _check_month(call, 0)
    month = _month_or_null(call.args[0])
    as_of = pl.lit(call.as_of, pl.Date)
    # clip keeps pl.date valid on rows the when() discards (polars evaluates both branches).
    safe = month.fill_null(1).clip(1, 12)
    this_year = pl.date(pl.lit(call.as_of.year), safe, 1)
    next_year = pl.date(pl.lit(call.as_of.year + 1), safe, 1)
    start = pl.when(this_year >= as_of).then(this_year).otherwise(next_year)
    return pl.when(month.is_not_null()).then((start - as_of).dt.total_days())


def lead_time_weeks(call):
    """Whole weeks from the as-of date to a date, rounded down; negative once the date has passed."""
    return (call.args[0] - pl.lit(call.as_of, pl.Date)).dt.total_days() // 7


# ---------------------------------------------------------------- signals


def buying_complexity(inputs):
    """How many sites and buyers beyond the first one each are involved: ``(sites - 1) + (buyers - 1)``.

    0 for one buyer at one site. A missing or non-positive count counts as one.
    """
    sites = pl.max_horizontal(inputs["sites_involved"].cast(pl.Int64, strict=False), pl.lit(1, pl.Int64))
    buyers = pl.max_horizontal(inputs["buyer_count"].cast(pl.Int64, strict=False), pl.lit(1, pl.Int64))
    return (sites - 1) + (buyers - 1)


def prototype_stage(inputs):
    """True while a sample or prototype is requested and not yet approved (unknown counts as no)."""
    requested = inputs["sample_requested"].fill_null(False) | inputs["prototype_requested"].fill_null(False)
    return requested & ~inputs["sample_approved"].fill_null(False)


def capex_cycle_open(inputs):
    """True when the expected close date falls in the first half of the customer's fiscal year.

    New capital budgets are released at the start of the fiscal year and are mostly committed
    by its second half. Null when the close date or the start month is missing. It needs no
    as-of date; for "how long until the next budget cycle" use ``days_to_budget_cycle``.
    """
    return _fiscal_quarter(inputs["close_date"], inputs["fiscal_year_start"]) <= 2


# ---------------------------------------------------------------- output formats

# Generic result names, in file order, mapped to each CRM's property names.
CRM_COLUMNS = {
    "salesforce": {
        "key": "Id",
        "score": "Priority_Score__c",
        "band": "Priority_Band__c",
        "tier": "Value_Tier__c",
        "rank": "Priority_Rank__c",
        "stage_probability": "Stage_Probability__c",
        "next_action": "Next_Action__c",
        "next_action_due": "Next_Action_Due__c",
        "actions": "Recommended_Actions__c",
        "reasons": "Score_Reasons__c",
        "gaps": "Stage_Gaps__c",
        "ruleset": "Scoring_Ruleset__c",
        "ruleset_version": "Scoring_Ruleset_Version__c",
        "ruleset_hash": "Scoring_Ruleset_Hash__c",
        "as_of": "Scored_As_Of__c",
    },
    "hubspot": {
        "key": "Record ID",
        "score": "priority_score",
        "band": "priority_band",
        "tier": "value_tier",
        "rank": "priority_rank",
        "stage_probability": "stage_probability",
        "next_action": "next_action",
        "next_action_due": "next_action_due_date",
        "actions": "recommended_actions",
        "reasons": "score_reasons",
        "gaps": "stage_gaps",
        "ruleset": "scoring_ruleset",
        "ruleset_version": "scoring_ruleset_version",
        "ruleset_hash": "scoring_ruleset_hash",
        "as_of": "scored_as_of",
    },
}


def _number_text(expr: pl.Expr) -> pl.Expr:
    """A number as import text: ``35`` for whole numbers, else at most two decimals (``0.35``).

    Halves round away from zero, like the core's ``round()``.
    """
    value = expr.cast(pl.Float64).round(2, mode="half_away_from_zero")
    whole = value.round(0) == value
    return pl.when(whole).then(value.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(value.cast(pl.String))


def _column(frame: pl.DataFrame, name: str, dtype) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype)


def _next_action(frame: pl.DataFrame) -> pl.Expr:
    """The fired action due soonest (undated ones after dated ones, ties in ruleset order)."""
    if "actions" not in frame.columns or not isinstance(frame.schema["actions"], pl.List):
        return pl.lit(None, pl.Struct({"text": pl.String, "due": pl.Date}))
    due = pl.element().struct.field("due")
    return pl.col("actions").list.eval(pl.element().sort_by(due, nulls_last=True, maintain_order=True)).list.first()


def crm_frame(frame: pl.DataFrame, context: OutputContext, crm: str) -> pl.DataFrame:
    """The results as the columns of a CRM import file for ``crm`` (``salesforce`` or ``hubspot``).

    Salesforce percent fields take 0-100, so the stage probability is multiplied by 100 there;
    HubSpot takes 0-1. Lists are joined with ``"; "`` and an empty list is an empty cell.
    """
    if context.key == "row" or context.key not in frame.columns:
        raise salesrules.UsageError(
            f"{crm}-csv needs a ruleset with a key field holding the CRM record id; this one has none"
        )
    names = CRM_COLUMNS[crm]
    texts = text_frame(frame.select([c for c in ("actions", "reasons", "gaps") if c in frame.columns]), "; ")
    probability = _column(frame, "stage_probability", pl.Float64)
    if crm == "salesforce":
        probability = probability * 100
    nxt = _next_action(frame)
    prov = provenance_text(context)
    generic = {
        "key": pl.col(context.key).cast(pl.String),
        "score": _number_text(_column(frame, "score", pl.Float64)),
        "band": _column(frame, "band", pl.String),
        "tier": _column(frame, "tier", pl.String),
        "rank": _column(frame, "rank", pl.Int64).cast(pl.String),
        "stage_probability": _number_text(probability),
        "next_action": nxt.struct.field("text"),
        "next_action_due": nxt.struct.field("due").dt.to_string("%Y-%m-%d"),
        "actions": texts.get_column("actions") if "actions" in texts.columns else pl.lit(None, pl.String),
        "reasons": texts.get_column("reasons") if "reasons" in texts.columns else pl.lit(None, pl.String),
        "gaps": texts.get_column("gaps") if "gaps" in texts.columns else pl.lit(None, pl.String),
        **{key: pl.lit(prov[key] or None, pl.String) for key in ("ruleset", "ruleset_version", "ruleset_hash", "as_of")},
    }
    out = []
    for key, crm_name in names.items():
        value = generic[key]
        out.append((value.alias(crm_name) if isinstance(value, pl.Expr) else value.rename(crm_name)).cast(pl.String))
    return frame.select(out)


def write_salesforce_csv(frame: pl.DataFrame, stream, context: OutputContext) -> None:
    """Write a Salesforce Data Loader / Data Import Wizard update file (UTF-8 CSV, ``Id`` first)."""
    crm_frame(frame, context, "salesforce").write_csv(stream)


def write_hubspot_csv(frame: pl.DataFrame, stream, context: OutputContext) -> None:
    """Write a HubSpot import file (UTF-8 CSV) that updates records matched by ``Record ID``."""
    crm_frame(frame, context, "hubspot").write_csv(stream)


# ---------------------------------------------------------------- hooks


@salesrules.hookimpl
def register_functions(register):
    """Register ``fiscal_quarter``, ``days_to_budget_cycle`` and ``lead_time_weeks``."""
    register("fiscal_quarter", fiscal_quarter, args=["date", "integer"], returns="integer", doc=fiscal_quarter.__doc__)
    register("days_to_budget_cycle", days_to_budget_cycle, args=["integer"], returns="integer", doc=days_to_budget_cycle.__doc__)
    register("lead_time_weeks", lead_time_weeks, args=["date"], returns="integer", doc=lead_time_weeks.__doc__)


@salesrules.hookimpl
def register_signals(register):
    """Register ``buying_complexity``, ``prototype_stage`` and ``capex_cycle_open``."""
    register(
        "buying_complexity", buying_complexity,
        inputs={"sites_involved": "integer", "buyer_count": "integer"},
        returns="integer", doc=buying_complexity.__doc__,
    )
    register(
        "prototype_stage", prototype_stage,
        inputs={"sample_requested": "boolean", "prototype_requested": "boolean", "sample_approved": "boolean"},
        returns="boolean", doc=prototype_stage.__doc__,
    )
    register(
        "capex_cycle_open", capex_cycle_open,
        inputs={"close_date": "date", "fiscal_year_start": "integer"},
        returns="boolean", doc=capex_cycle_open.__doc__,
    )


@salesrules.hookimpl
def register_rulesets(register):
    """Register ``builtin:manufacturing``."""
    path = files("salesrules_manufacturing").joinpath("manufacturing.yaml")
    register("manufacturing", str(path), description="Industrial sales: procurement, capital budgets, samples, sites")


@salesrules.hookimpl
def register_output_formats(register):
    """Register the CRM import files ``salesforce-csv`` and ``hubspot-csv``.

    Both write ``.csv`` files, but only ``-f`` selects them: the core picks a format from
    ``-o``'s extension, and a plain ``.csv`` must keep meaning the core ``csv`` format.
    """
    register("salesforce-csv", write_salesforce_csv, extension=".csv", binary=True)
    register("hubspot-csv", write_hubspot_csv, extension=".csv", binary=True)
