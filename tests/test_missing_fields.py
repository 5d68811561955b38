"""A field the rules read must have a column in a file, a database table or a frame; records given
as dicts keep treating a missing key as null."""

from __future__ import annotations

import warnings

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import salesrules
from salesrules.cli import cli
from salesrules.errors import InputError, MissingColumnWarning

RULESET = """\
salesrules: 1
name: reads
version: "1"
as_of: 2026-11-22
fields:
  id: {type: string, key: true, aliases: [Ref]}
  value: {type: money, aliases: [Amount, "Deal Value"]}
  company: {type: string}
  evidence: {type: boolean}
  note: {type: string, optional: true}
  confirmed: {type: boolean, default: false}
  unused: {type: string}
  region: {type: string, required: true, aliases: [Region]}
tiers:
  - {name: big, when: "value >= 100", points: 20}
  - {name: small, points: 5}
stages:
  - {name: lead}
  - {name: demo, entry: {shown: "evidence"}}
factors:
  - {name: confirmed, when: confirmed, points: 10, reason: "Confirmed by {company}"}
  - {name: noted, when: "note is not None", points: 1}
"""

# The fields the rules read that a file must give: the key, a condition's field, a template's
# field and a stage's evidence. ``note`` is optional, ``confirmed`` has a default, ``unused``
# is read by no rule, ``region`` is required (an error of its own); ``stage`` is inferred.
NEEDED = {"id": "Ref", "value": "Amount", "company": "company", "evidence": "evidence"}
COLUMNS = {**NEEDED, "note": "note", "confirmed": "confirmed", "unused": "unused", "stage": "stage"}
VALUES = {"Ref": "A", "Amount": "150", "company": "Acme", "evidence": "yes", "note": "n", "confirmed": "yes",
          "unused": "u", "stage": "lead", "Region": "EMEA"}


@pytest.fixture(scope="module")
def ruleset(tmp_path_factory):
    path = tmp_path_factory.mktemp("rules") / "reads.yaml"
    path.write_text(RULESET)
    return salesrules.load(path)


def frame_of(columns) -> pl.DataFrame:
    return pl.DataFrame({c: [VALUES[c]] for c in columns})


def test_the_plan_knows_which_fields_the_rules_read(ruleset):
    assert set(ruleset.compile().reads) == {"id", "value", "company", "evidence", "note", "confirmed", "stage"}


def test_a_missing_column_of_a_read_field_is_an_error_naming_every_name_tried(ruleset):
    columns = [c for c in VALUES if c != "Amount"]
    with pytest.raises(InputError) as caught:
        ruleset.evaluate(frame_of(columns))
    assert str(caught.value) == (
        "<frame>: no column for field 'value' (looked for 'value', 'Amount', 'Deal Value'); add the column, "
        "give the field a default, mark it optional: true, or use --allow-missing")
    assert caught.value.exit_code == 2


@settings(max_examples=40, deadline=None)
@given(st.sets(st.sampled_from(sorted(COLUMNS))))
def test_only_read_fields_without_default_or_optional_must_be_there(ruleset, absent):
    columns = [VALUES_KEY for field, VALUES_KEY in COLUMNS.items() if field not in absent] + ["Region"]
    missing = [field for field in NEEDED if field in absent]
    if missing:
        with pytest.raises(InputError, match=f"no column for field '{missing[0]}'"):
            ruleset.evaluate(frame_of(columns))
    else:
        out = ruleset.evaluate(frame_of(columns))
        assert out["tier"].to_list() == ["big"]
        assert out["score"].to_list() == [20 + (10 if "confirmed" not in absent else 0) + (1 if "note" not in absent else 0)]


def test_allow_missing_makes_the_values_null_with_one_warning_per_field(ruleset):
    columns = ["Ref", "company", "Region"]
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        out = ruleset.evaluate(frame_of(columns), allow_missing=True)
    assert [str(w.message) for w in seen if issubclass(w.category, MissingColumnWarning)] == [
        "<frame>: no column for field 'value' (looked for 'value', 'Amount', 'Deal Value'); its values are unknown (null)",
        "<frame>: no column for field 'evidence' (looked for 'evidence'); its values are unknown (null)",
    ]
    assert out.select("id", "tier", "stage", "score").rows() == [("A", "small", "unknown", 5)]
    with pytest.warns(MissingColumnWarning):
        report = ruleset.report(frame_of(columns), allow_missing=True)
    assert report.provenance["ruleset"] == "reads"


def test_a_required_field_keeps_its_own_error(ruleset):
    with pytest.raises(InputError, match=r"missing column for required field 'region' \(looked for 'region', 'Region'\)$") as caught:
        ruleset.evaluate(frame_of(["Ref", "Amount", "company", "evidence"]), allow_missing=True)
    assert str(caught.value).startswith("<frame>: missing column")


def test_records_as_dicts_treat_a_missing_key_as_null(ruleset):
    assert ruleset.evaluate_one({"Region": "EMEA", "Amount": 10})["tier"] == "small"
    out = ruleset.evaluate([{"Region": "EMEA", "Ref": "A"}, {"Region": "EMEA", "Ref": "B", "Amount": 500}])
    assert out["tier"].to_list() == ["small", "big"]


def test_the_command_line_error_and_allow_missing(ruleset, tmp_path):
    rules = tmp_path / "reads.yaml"
    rules.write_text(RULESET)
    data = tmp_path / "deals.csv"
    data.write_text("Ref,company,evidence,Region\nA,Acme,yes,EMEA\n")
    runner = CliRunner()
    out = tmp_path / "out.csv"
    result = runner.invoke(cli, ["evaluate", str(data), "-r", str(rules), "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {data}: no column for field 'value' (looked for 'value', 'Amount', 'Deal Value'); add the column, "
        "give the field a default, mark it optional: true, or use --allow-missing"]
    assert not out.exists()
    result = runner.invoke(cli, ["evaluate", str(data), "-r", str(rules), "-f", "csv", "--columns", "id,tier,stage",
                                 "--allow-missing"])
    assert result.exit_code == 0, result.output
    assert [line.split(",")[:3] for line in result.stdout.splitlines()] == [["id", "tier", "stage"], ["A", "small", "demo"]]
    assert result.stderr.splitlines() == [
        f"warning: {data}: no column for field 'value' (looked for 'value', 'Amount', 'Deal Value'); its values are unknown (null)"]
    for command in (["report"], ["explain", "--id", "A"], ["backtest", "--outcome", "tier", "--won", "big", "--lost", "small"],
                    ["diff", "-r", str(rules)]):
        name, *rest = command
        result = runner.invoke(cli, [name, str(data), "-r", str(rules), *rest])
        assert result.exit_code == 2 and "no column for field 'value'" in result.stderr, (command, result.output)
        result = runner.invoke(cli, [name, str(data), "-r", str(rules), *rest, "--allow-missing"])
        assert result.exit_code == 0, (command, result.output)
        assert result.stderr.count("warning: ") == 1, (command, result.stderr)


def test_the_shipped_rulesets_need_the_deal_value_but_not_the_secondary_evidence(tmp_path):
    data = tmp_path / "export.csv"
    data.write_text("Opportunity ID,Amount\nA,$600000\n")
    standard = salesrules.load("builtin:standard")
    assert standard.evaluate(data, as_of="2026-11-22")["tier"].to_list() == ["medium"]
    with pytest.raises(InputError, match="no column for field 'deal_value'"):
        standard.evaluate(pl.DataFrame({"Opportunity ID": ["A"]}))
    bant = salesrules.load("builtin:bant")
    assert bant.evaluate(data, as_of="2026-11-22")["bant"].to_list() == ["not_ready"]
