"""The built-in CRM import files: ``salesforce-csv``, ``hubspot-csv`` and ``pipedrive-csv``.

Each writes one row per record with the record's CRM id and the results under the CRM's property
names, ready for an update import: Salesforce Data Loader or Data Import Wizard matched on ``Id``,
HubSpot's import of existing records matched on ``Record ID``, Pipedrive's import of deals matched
on ``Deal - ID``. The ruleset needs a key field holding the CRM record id.
"""

from __future__ import annotations

import polars as pl

from salesrules.errors import UsageError
from salesrules.hookspecs import hookimpl
from salesrules.io.outputs import OutputContext, provenance_text, text_frame

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
    "pipedrive": {
        "key": "Deal - ID",
        "score": "Deal - Priority score",
        "band": "Deal - Priority band",
        "tier": "Deal - Value tier",
        "rank": "Deal - Priority rank",
        "stage_probability": "Deal - Stage probability",
        "next_action": "Deal - Next action",
        "next_action_due": "Deal - Next action due date",
        "actions": "Deal - Recommended actions",
        "reasons": "Deal - Score reasons",
        "gaps": "Deal - Stage gaps",
        "ruleset": "Deal - Scoring ruleset",
        "ruleset_version": "Deal - Scoring ruleset version",
        "ruleset_hash": "Deal - Scoring ruleset hash",
        "as_of": "Deal - Scored as of",
    },
}
# CRMs whose probability fields take a percentage (0-100) rather than a fraction.
PERCENT = {"salesforce", "pipedrive"}


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
    """The results as the columns of a CRM import file for ``crm`` (``salesforce``, ``hubspot``
    or ``pipedrive``).

    Salesforce and Pipedrive percent fields take 0-100, so the stage probability is multiplied by
    100 there; HubSpot takes 0-1. Lists are joined with ``"; "`` and an empty list is an empty cell.
    """
    if context.key == "row" or context.key not in frame.columns:
        raise UsageError(
            f"{crm}-csv needs a ruleset with a key field holding the CRM record id; this one has none"
        )
    names = CRM_COLUMNS[crm]
    texts = text_frame(frame.select([c for c in ("actions", "reasons", "gaps") if c in frame.columns]), "; ")
    probability = _column(frame, "stage_probability", pl.Float64)
    if crm in PERCENT:
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


def write_pipedrive_csv(frame: pl.DataFrame, stream, context: OutputContext) -> None:
    """Write a Pipedrive import file (UTF-8 CSV) that updates deals matched by ``Deal - ID``."""
    crm_frame(frame, context, "pipedrive").write_csv(stream)


@hookimpl
def register_output_formats(register):
    """Register the CRM import files ``salesforce-csv``, ``hubspot-csv`` and ``pipedrive-csv``.

    They write ``.csv`` files, but only ``-f`` selects them: a format is picked from ``-o``'s
    extension, and a plain ``.csv`` must keep meaning the ``csv`` format.
    """
    register("salesforce-csv", write_salesforce_csv, extension=".csv", binary=True)
    register("hubspot-csv", write_hubspot_csv, extension=".csv", binary=True)
    register("pipedrive-csv", write_pipedrive_csv, extension=".csv", binary=True)
