"""The CRM import files built into salesrules: salesforce-csv, hubspot-csv and pipedrive-csv."""

import datetime as dt
import io

import polars as pl
import pytest

import salesrules
from salesrules.default_plugins.output_crm import write_hubspot_csv, write_pipedrive_csv, write_salesforce_csv
from salesrules.io.outputs import OutputContext, format_for_path, write_output
from salesrules.plugins import get_registry


ACTIONS = pl.List(pl.Struct({"name": pl.String, "text": pl.String, "due": pl.Date}))
CONTEXT = OutputContext({"ruleset": "manufacturing", "ruleset_version": "2026.11", "ruleset_hash": "abc123def456", "as_of": "2026-11-22"}, "id")


def results_frame():
    return pl.DataFrame(
        {
            "id": ["006A1", "006A2", "006A3"],
            "tier": ["high", "low", "unknown"],
            "tier_points": [50, 10, 0],
            "stage": ["negotiation", "evaluation", "won"],
            "stage_source": ["recorded", "recorded", "recorded"],
            "stage_conflict": [False, True, False],
            "stage_probability": [0.6, 0.35, 1.0],
            "score": [80, 42, 30],
            "band": ["A", "B", "C"],
            "rank": [1, 2, None],
            "reasons": [["Budget is confirmed", '4 sites, "2" buyers'], ["A sample or prototype is out for approval"], []],
            "actions": [
                [
                    {"name": "set_next_step", "text": "Set a next step", "due": None},
                    {"name": "map_buying_center", "text": "Map the buyers, 4 sites", "due": dt.date(2026, 11, 29)},
                    {"name": "confirm_decision_maker", "text": "Confirm who signs", "due": dt.date(2026, 11, 24)},
                ],
                [{"name": "set_next_step", "text": "Set a next step", "due": None}],
                [],
            ],
            "gaps": [[], ["demo_sample_or_trial"], []],
        },
        schema_overrides={"rank": pl.Int64, "actions": ACTIONS, "gaps": pl.List(pl.String), "reasons": pl.List(pl.String)},
    )


SALESFORCE = (
    "Id,Priority_Score__c,Priority_Band__c,Value_Tier__c,Priority_Rank__c,Stage_Probability__c,Next_Action__c,"
    "Next_Action_Due__c,Recommended_Actions__c,Score_Reasons__c,Stage_Gaps__c,Scoring_Ruleset__c,"
    "Scoring_Ruleset_Version__c,Scoring_Ruleset_Hash__c,Scored_As_Of__c\n"
    '006A1,80,A,high,1,60,Confirm who signs,2026-11-24,"Set a next step; Map the buyers, 4 sites (due 2026-11-29); '
    'Confirm who signs (due 2026-11-24)","Budget is confirmed; 4 sites, ""2"" buyers",,manufacturing,2026.11,abc123def456,2026-11-22\n'
    "006A2,42,B,low,2,35,Set a next step,,Set a next step,A sample or prototype is out for approval,demo_sample_or_trial,"
    "manufacturing,2026.11,abc123def456,2026-11-22\n"
    "006A3,30,C,unknown,,100,,,,,,manufacturing,2026.11,abc123def456,2026-11-22\n"
)

HUBSPOT = (
    "Record ID,priority_score,priority_band,value_tier,priority_rank,stage_probability,next_action,"
    "next_action_due_date,recommended_actions,score_reasons,stage_gaps,scoring_ruleset,"
    "scoring_ruleset_version,scoring_ruleset_hash,scored_as_of\n"
    '006A1,80,A,high,1,0.6,Confirm who signs,2026-11-24,"Set a next step; Map the buyers, 4 sites (due 2026-11-29); '
    'Confirm who signs (due 2026-11-24)","Budget is confirmed; 4 sites, ""2"" buyers",,manufacturing,2026.11,abc123def456,2026-11-22\n'
    "006A2,42,B,low,2,0.35,Set a next step,,Set a next step,A sample or prototype is out for approval,demo_sample_or_trial,"
    "manufacturing,2026.11,abc123def456,2026-11-22\n"
    "006A3,30,C,unknown,,1,,,,,,manufacturing,2026.11,abc123def456,2026-11-22\n"
)


@pytest.mark.parametrize("writer, expected", [(write_salesforce_csv, SALESFORCE), (write_hubspot_csv, HUBSPOT)])
def test_crm_writers(writer, expected):
    stream = io.BytesIO()
    writer(results_frame(), stream, CONTEXT)
    assert stream.getvalue().decode("utf-8") == expected


@pytest.mark.parametrize("name, expected", [("salesforce-csv", SALESFORCE), ("hubspot-csv", HUBSPOT)])
def test_crm_formats_write_through_the_registry(tmp_path, name, expected):
    target = tmp_path / "import.csv"
    write_output(results_frame(), str(target), name, CONTEXT)
    assert target.read_text("utf-8") == expected


def test_crm_writers_ignore_input_columns_and_handle_decimal_scores():
    frame = results_frame().head(1).with_columns(
        pl.lit(81.25).alias("score"), pl.lit(0.125).alias("stage_probability"), pl.lit("x").alias("Amount")
    )
    stream = io.BytesIO()
    write_hubspot_csv(frame, stream, CONTEXT)
    header, row = stream.getvalue().decode().splitlines()
    assert "Amount" not in header
    assert row.startswith("006A1,81.25,A,high,1,0.13,")


def test_crm_writers_need_a_key():
    frame = results_frame().rename({"id": "row"}).with_columns(pl.Series("row", [1, 2, 3]))
    context = OutputContext(CONTEXT.provenance, "row")
    with pytest.raises(salesrules.UsageError, match="salesforce-csv needs a ruleset with a key field"):
        write_salesforce_csv(frame, io.BytesIO(), context)


def test_a_plain_csv_path_keeps_the_core_csv_format():
    assert format_for_path("ranked.csv", "table") == "csv"
    assert format_for_path("-", "table") == "table"


PIPEDRIVE = (
    "Deal - ID,Deal - Priority score,Deal - Priority band,Deal - Value tier,Deal - Priority rank,"
    "Deal - Stage probability,Deal - Next action,Deal - Next action due date,Deal - Recommended actions,"
    "Deal - Score reasons,Deal - Stage gaps,Deal - Scoring ruleset,Deal - Scoring ruleset version,"
    "Deal - Scoring ruleset hash,Deal - Scored as of\n"
    '006A1,80,A,high,1,60,Confirm who signs,2026-11-24,"Set a next step; Map the buyers, 4 sites (due 2026-11-29); '
    'Confirm who signs (due 2026-11-24)","Budget is confirmed; 4 sites, ""2"" buyers",,manufacturing,2026.11,abc123def456,2026-11-22\n'
    "006A2,42,B,low,2,35,Set a next step,,Set a next step,A sample or prototype is out for approval,demo_sample_or_trial,"
    "manufacturing,2026.11,abc123def456,2026-11-22\n"
    "006A3,30,C,unknown,,100,,,,,,manufacturing,2026.11,abc123def456,2026-11-22\n"
)


def test_pipedrive_writer():
    stream = io.BytesIO()
    write_pipedrive_csv(results_frame(), stream, CONTEXT)
    assert stream.getvalue().decode("utf-8") == PIPEDRIVE


def test_the_crm_formats_are_built_in():
    formats = get_registry().output_formats
    assert {n: (f.plugin, f.extension) for n, f in formats.items() if n.endswith("-csv")} == {
        name: ("salesrules.default_plugins.output_crm", ".csv") for name in ("salesforce-csv", "hubspot-csv", "pipedrive-csv")
    }
