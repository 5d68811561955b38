"""The CRM presets (builtin:salesforce, builtin:hubspot, builtin:pipedrive) on export files written
with the headers the CRMs export, combined with a methodology and no alias of the user's; and
``init`` recognising such an export."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import polars as pl
import pytest

import salesrules
from salesrules.cli import cli
from salesrules.scaffold.crm import recognise

DATA = Path(__file__).resolve().parent.parent / "examples" / "crm"
AS_OF = dt.date(2026, 11, 22)

# Each CRM's default stages, the standard stage they mean and its probability, as the presets'
# comments document them: written out here again, independently of the YAML.
STAGES = {
    "salesforce": {
        "Prospecting": ("lead", 0.10), "Qualification": ("prospect", 0.10), "Needs Analysis": ("discovery", 0.20),
        "Value Proposition": ("presentation", 0.50), "Id. Decision Makers": ("evaluation", 0.60),
        "Perception Analysis": ("evaluation", 0.60), "Proposal/Price Quote": ("negotiation", 0.75),
        "Negotiation/Review": ("negotiation", 0.75), "Closed Won": ("won", 1.0), "Closed Lost": ("lost", 0.0),
    },
    "hubspot": {
        "Appointment Scheduled": ("prospect", 0.20), "Qualified To Buy": ("discovery", 0.40),
        "Presentation Scheduled": ("presentation", 0.60), "Decision Maker Bought-In": ("evaluation", 0.80),
        "Contract Sent": ("negotiation", 0.90), "Closed Won": ("won", 1.0), "Closed Lost": ("lost", 0.0),
    },
    "pipedrive": {
        "Qualified": ("prospect", 0.10), "Contact Made": ("discovery", 0.20), "Demo Scheduled": ("presentation", 0.40),
        "Proposal Made": ("evaluation", 0.60), "Negotiations Started": ("negotiation", 0.80),
    },
}
COLUMNS = {  # id, value, stage, owner, company, close date
    "salesforce": ("Opportunity ID", "Amount", "Stage", "Opportunity Owner", "Account Name", "Close Date"),
    "hubspot": ("Record ID", "Amount", "Deal Stage", "Deal owner", "Associated Company", "Close Date"),
    "pipedrive": ("Deal - ID", "Deal - Value", "Deal - Stage", "Deal - Owner", "Deal - Organization",
                  "Deal - Expected close date"),
}


def expected_rows(crm: str) -> list[tuple]:
    """(id, tier, stage, probability, close date) of every row, computed from the file with Python alone."""
    ident, value, stage, _, _, close = COLUMNS[crm]
    rows = []
    with open(DATA / f"{crm}.csv", newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            amount = float(row[value].replace(",", ""))
            tier = "high" if amount > 1_000_000 else "medium" if amount >= 500_000 else "low"
            name, probability = STAGES[crm][row[stage]]
            status = row.get("Deal - Status")
            if status in ("Won", "Lost"):
                name, probability = status.lower(), 1.0 if status == "Won" else 0.0
            text = row[close][:10]
            date = (dt.datetime.strptime(text, "%m/%d/%Y").date() if crm == "salesforce"
                    else dt.date.fromisoformat(text))
            rows.append((row[ident], tier, name, probability, date))
    return rows


def combined(tmp_path, crm: str, methodology: str = "builtin:standard") -> str:
    path = tmp_path / f"{crm}.yaml"
    path.write_text(f"salesrules: 1\nname: acme\nextends: [{methodology}, builtin:{crm}]\n")
    return str(path)


@pytest.mark.parametrize("crm", sorted(STAGES))
def test_a_preset_evaluates_its_crm_export_with_no_alias(tmp_path, crm):
    ruleset = salesrules.load(combined(tmp_path, crm))
    results = ruleset.evaluate(str(DATA / f"{crm}.csv"), as_of=AS_OF, internal=True)
    got = results.select("id", "tier", "stage", "stage_probability", "close_date").rows()
    assert got == expected_rows(crm)
    # The owner and the account are the standard fields the reports group by.
    _, _, _, owner, company, _ = COLUMNS[crm]
    source = pl.read_csv(DATA / f"{crm}.csv", infer_schema=False)
    assert results["owner"].to_list() == source[owner].to_list()
    assert results["company"].to_list() == source[company].to_list()


@pytest.mark.parametrize("crm", sorted(STAGES))
def test_a_preset_report_groups_by_the_crm_owner(tmp_path, crm):
    report = salesrules.load(combined(tmp_path, crm)).report(str(DATA / f"{crm}.csv"), as_of=AS_OF)
    owners = pl.read_csv(DATA / f"{crm}.csv", infer_schema=False)[COLUMNS[crm][3]].unique().sort().to_list()
    assert report.pipeline["group"].to_list() == owners
    expected = expected_rows(crm)
    won = [r for r in expected if r[2] == "won"]
    assert report.total["won_deals"].to_list() == [len(won)]


def test_pipedrive_status_makes_a_deal_won_or_lost_whatever_its_stage(tmp_path):
    ruleset = salesrules.load(combined(tmp_path, "pipedrive"))
    one = ruleset.evaluate_one({"Deal - Stage": "Proposal Made", "Deal - Status": " won ", "Deal - Value": "10"})
    assert (one["stage"], one["stage_probability"]) == ("won", 1.0)
    one = ruleset.evaluate_one({"Deal - Stage": "Proposal Made", "Deal - Status": "Open", "Deal - Value": "10"})
    assert (one["stage"], one["stage_probability"]) == ("evaluation", 0.6)


def test_stage_status_must_name_a_string_field(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("salesrules: 1\nname: r\nextends: [builtin:standard]\nstage_status: {field: deal_value, won: [Won]}\n")
    with pytest.raises(salesrules.RulesetError, match="stage_status: field 'deal_value' must be a string, not money"):
        salesrules.load(str(path))
    path.write_text("salesrules: 1\nname: r\nextends: [builtin:standard]\nstage_status: {field: statu, won: [Won]}\n")
    with pytest.raises(salesrules.RulesetError, match="stage_status: 'statu' is not a field"):
        salesrules.load(str(path))


@pytest.mark.parametrize("crm", sorted(STAGES))
def test_init_recognises_the_export_and_starts_from_the_preset(tmp_path, crm, cli_runner):
    out = tmp_path / "mine.yaml"
    result = cli_runner.invoke(cli, ["init", str(DATA / f"{crm}.csv"), "-o", str(out), "--name", "mine"])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert f"extends: [builtin:standard, builtin:{crm}]" in text
    results = salesrules.load(str(out)).evaluate(str(DATA / f"{crm}.csv"), as_of=AS_OF)
    assert [(r[0], r[2]) for r in results.select("id", "tier", "stage").rows()] == [
        (r[0], r[2]) for r in expected_rows(crm)
    ]


@pytest.mark.parametrize(
    "columns, crm",
    [
        (["Opportunity Owner", "Account Name", "Opportunity Name", "Stage", "Amount", "Probability (%)"], "salesforce"),
        (["Record ID", "Deal Name", "Deal Stage", "Amount", "Deal owner"], "hubspot"),
        (["Deal - Title", "Deal - Value", "Deal - Stage", "Deal - Owner"], "pipedrive"),
        (["Opportunity ID", "Account Name", "Owner", "Amount", "Stage", "Created Date"], None),
        (["id", "value"], None),
    ],
)
def test_recognise(columns, crm):
    assert recognise(columns) == crm
