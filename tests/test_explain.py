"""Score receipts: exact lines for small rulesets, every receipt adds up, compact reasons."""

import datetime as dt
import importlib.util
import json
from pathlib import Path

import click
import polars as pl
import pytest
from click.testing import CliRunner

import salesrules
from salesrules.analysis.explain import (
    condition_parts,
    explain,
    explain_row,
    find_record,
    referenced_names,
)
from salesrules.analysis.receipts import receipt_frame, receipts
from salesrules.cli.explain import explain_command
from salesrules.compiler.manifest import compact_reasons
from salesrules.errors import InputError
from salesrules.runners.local import evaluate_full

ROOT = Path(__file__).parent.parent
AS_OF = dt.date(2026, 11, 22)

RULESET = """\
salesrules: 1
name: tiny
version: "1"
fields:
  id: {type: string, key: true}
  company: string
  deal_value: money
  merger_pending: {type: boolean, default: false}
  decision_makers: {type: integer, default: 1}
  budget_confirmed: {type: boolean, default: false}
  last_contact: date
tiers:
  - {name: high, when: "deal_value > 1_000_000", points: 50}
  - {name: medium, when: "deal_value >= 500_000", points: 30}
  - {name: low, points: 10}
stages:
  - {name: discovery, probability: 0.1, points: 15, aliases: [Prospecting]}
  - {name: presentation, probability: 0.25, points: 20}
  - {name: won, closed: won}
  - {name: lost, closed: lost}
factors:
  - name: merger
    when: merger_pending
    points: -20
    reason: A merger is pending
  - name: decision_makers
    when: "decision_makers > 2"
    points: "-5 * (decision_makers - 2)"
    reason: "{decision_makers} decision makers"
  - name: hot
    when: "budget_confirmed and days_since(last_contact) <= 14 and deal_value >= 100_000"
    points: 15
    reason: Budget confirmed and recent contact
scores:
  priority:
    min: 0
    max: 80
    bands:
      - {name: A, min: 70}
      - {name: B, min: 40}
      - {name: C}
actions:
  - name: call
    when: "stage == 'presentation'"
    text: "Call {company}"
    due: "as_of + 2"
"""

DATA = """\
id,company,deal_value,stage,merger_pending,decision_makers,budget_confirmed,last_contact
A1,Acme,2000000,presentation,no,1,yes,2026-11-20
B2,Birch,50000,Prospecting,yes,4,yes,2026-10-01
C3,Cobalt,,,no,,no,
"""


@pytest.fixture
def files(tmp_path):
    ruleset = tmp_path / "tiny.yaml"
    ruleset.write_text(RULESET)
    data = tmp_path / "deals.csv"
    data.write_text(DATA)
    return str(data), str(ruleset)


@pytest.fixture
def tiny(files):
    return salesrules.load(files[1])


def test_receipt_of_a_clamped_record_is_exact(files, tiny):
    receipt = explain(tiny, files[0], "A1", as_of=AS_OF)
    assert {k: receipt[k] for k in ("id", "score", "band", "tier", "stage")} == {
        "id": "A1", "score": 80, "band": "A", "tier": "high", "stage": "presentation",
    }
    assert receipt["contributions"] == [
        {"kind": "tier", "name": "high", "points": 50, "reason": "deal_value > 1_000_000",
         "inputs": {"deal_value": 2_000_000.0}},
        {"kind": "stage", "name": "presentation", "points": 20,
         "reason": "recorded stage ('presentation' in column 'stage')", "inputs": {"stage": "presentation"}},
        {"kind": "factor", "name": "hot", "points": 15, "reason": "Budget confirmed and recent contact",
         "inputs": {"budget_confirmed": True, "last_contact": dt.date(2026, 11, 20), "deal_value": 2_000_000.0}},
        {"kind": "clamp", "name": "max", "points": -5, "reason": "the sum 85 is held to the maximum 80",
         "inputs": {"sum": 85, "max": 80}},
    ]
    assert sum(c["points"] for c in receipt["contributions"]) == receipt["score"]
    assert receipt["not_fired"] == [
        {"name": "merger", "condition": "merger_pending", "false_part": "merger_pending", "value": False,
         "inputs": {"merger_pending": False}, "points_if_fired": -20},
        {"name": "decision_makers", "condition": "decision_makers > 2", "false_part": "decision_makers > 2",
         "value": False, "inputs": {"decision_makers": 1}, "points_if_fired": "-5 * (decision_makers - 2)"},
    ]
    assert receipt["actions"] == [{"name": "call", "text": "Call Acme", "due": "2026-11-24"}]
    assert receipt["bands"] == [
        {"name": "A", "min": 70, "this": True}, {"name": "B", "min": 40, "this": False},
        {"name": "C", "min": None, "this": False},
    ]
    assert receipt["next_band"] is None
    assert receipt["gaps"] == []
    assert receipt["as_of"] == "2026-11-22" and receipt["ruleset"] == "tiny"


def test_receipt_clamped_at_min_and_the_false_part_of_a_condition(files, tiny):
    receipt = explain(tiny, files[0], "B2", as_of=AS_OF)
    assert [(c["kind"], c["name"], c["points"]) for c in receipt["contributions"]] == [
        ("tier", "low", 10), ("stage", "discovery", 15), ("factor", "merger", -20),
        ("factor", "decision_makers", -10), ("clamp", "min", 5),
    ]
    assert receipt["score"] == 0 == sum(c["points"] for c in receipt["contributions"])
    assert receipt["contributions"][1]["reason"] == "recorded stage ('Prospecting' in column 'stage')"
    assert receipt["contributions"][3]["reason"] == "4 decision makers"
    assert receipt["contributions"][3]["inputs"] == {"decision_makers": 4}
    assert receipt["contributions"][4]["inputs"] == {"sum": -5, "min": 0}
    (hot,) = receipt["not_fired"]
    assert hot == {
        "name": "hot",
        "condition": "budget_confirmed and days_since(last_contact) <= 14 and deal_value >= 100_000",
        "false_part": "days_since(last_contact) <= 14",
        "value": False,
        "inputs": {"last_contact": dt.date(2026, 10, 1)},
        "points_if_fired": 15,
        "also_false": ["deal_value >= 100_000"],
    }
    assert receipt["next_band"] == {"name": "B", "needs": 40}
    assert receipt["actions"] == []


def test_receipt_with_unknown_values(files, tiny):
    receipt = explain(tiny, files[0], "C3", as_of=AS_OF)
    assert receipt["stage"] == "unknown" and receipt["tier"] == "low"
    assert receipt["contributions"] == [
        {"kind": "tier", "name": "low", "points": 10, "reason": "the catch-all tier level",
         "inputs": {"deal_value": None}},
        {"kind": "stage", "name": "unknown", "points": 0,
         "reason": "no stage recorded, and no stage's entry evidence holds", "inputs": {"stage": None}},
    ]
    hot = next(n for n in receipt["not_fired"] if n["name"] == "hot")
    # The first part that is not true is false here (budget_confirmed defaults to false).
    assert hot["false_part"] == "budget_confirmed" and hot["value"] is False
    assert hot["also_false"] == ["days_since(last_contact) <= 14", "deal_value >= 100_000"]


def test_text_receipt(files):
    data, ruleset = files
    result = CliRunner().invoke(explain_command, [data, "-r", ruleset, "--id", "B2", "--as-of", "2026-11-22"])
    assert result.exit_code == 0, result.output
    assert result.output == """\
B2: score 0, band C (tier low, stage discovery)
ruleset tiny 1 ({hash}), as of 2026-11-22

Contributions to priority
  +10  tier low         the catch-all tier level
                        read deal_value = 50000
  +15  stage discovery  recorded stage ('Prospecting' in column 'stage')
                        read stage = discovery
  −20  merger           A merger is pending
                        read merger_pending = yes
  −10  decision_makers  4 decision makers
                        read decision_makers = 4
   +5  clamp to min     the sum -5 is held to the minimum 0
  ----
    0  = priority

Bands: A from 70 | B from 40 | C otherwise <- 0 (40 more for B)

Not fired
  hot (would add +15): days_since(last_contact) <= 14 is false
      read last_contact = 2026-10-01

Actions: none
""".replace("{hash}", salesrules.load(ruleset).hash)


def test_json_receipt_from_the_command(files):
    data, ruleset = files
    result = CliRunner().invoke(explain_command, [data, "-r", ruleset, "--id", "A1", "-f", "json", "--as-of", "2026-11-22"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert list(document)[:8] == ["id", "score", "band", "tier", "stage", "contributions", "not_fired", "actions"]
    assert document["contributions"][2]["inputs"]["last_contact"] == "2026-11-20"
    assert sum(c["points"] for c in document["contributions"]) == document["score"] == 80


def test_unknown_id_is_a_one_line_error_with_a_hint(files):
    from salesrules.cli import _Group

    data, ruleset = files
    group = _Group("salesrules", commands=[explain_command])
    runner = CliRunner()
    result = runner.invoke(group, ["explain", data, "-r", ruleset, "--id", "a1"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {data}: no record with id 'a1' (key field 'id', 3 records) (did you mean 'A1'?)"
    ]
    result = runner.invoke(group, ["explain", data, "-r", ruleset, "--id", "B21"])
    assert "(did you mean 'B2'?)" in result.stderr
    result = runner.invoke(group, ["explain", data, "-r", ruleset, "--id", "zzzzzz"])
    assert result.exit_code == 2
    assert "ids look like 'A1'" in result.stderr


def test_find_record_raises_input_error(files, tiny):
    evaluation = evaluate_full(tiny, files[0], as_of=AS_OF, internal=True)
    with pytest.raises(InputError):
        find_record(evaluation.results, evaluation.plan, "nope")
    assert find_record(evaluation.results, evaluation.plan, " B2 ").height == 1


def test_compact_reasons(files, tiny):
    evaluation = evaluate_full(tiny, files[0], as_of=AS_OF, internal=True)
    frame = evaluation.results
    reasons = frame.select(compact_reasons(frame, evaluation.plan)).to_series().to_list()
    assert reasons == [
        "+50 high tier; +20 presentation stage; +15 hot; −5 clamp to max 80",
        "+10 low tier; +15 discovery stage; −20 merger; −10 decision makers; +5 clamp to min 0",
        "+10 low tier",
    ]


def test_receipts_without_a_key_use_the_row_number(tmp_path):
    ruleset = tmp_path / "nokey.yaml"
    ruleset.write_text(
        'salesrules: 1\nname: nokey\nfields: {v: integer}\n'
        'factors:\n  - {name: big, when: "v > 5", points: "v * 2"}\n'
    )
    rs = salesrules.load(ruleset)
    records = [{"v": 3}, {"v": 7}]
    assert explain(rs, records, 2)["contributions"] == [
        {"kind": "factor", "name": "big", "points": 14, "reason": "big", "inputs": {"v": 7}},
    ]
    assert explain(rs, records, "1")["score"] == 0
    lines = receipts(rs, records)
    assert lines.select("key", "kind", "name", "points").rows() == [("2", "factor", "big", 14)]


def test_several_scores_each_add_up(tmp_path):
    ruleset = tmp_path / "two.yaml"
    ruleset.write_text("""\
salesrules: 1
name: two
fields: {id: {type: string, key: true}, value: number, visits: integer}
tiers:
  - {name: big, when: "value > 100", points: 40}
  - {name: small, points: 5}
factors:
  - {name: visits, when: "visits > 0", points: "visits * 2.5", score: engagement}
  - {name: odd, when: "value > 0", points: 0.25}
scores:
  fit: {bands: [{name: F1, min: 30}, {name: F2}]}
  engagement: {max: 10, bands: [{name: E1, min: 5}, {name: E2}]}
  priority: {by: engagement}
""")
    rs = salesrules.load(ruleset)
    receipt = explain(rs, [{"id": "x", "value": 150, "visits": 5}], "x")
    assert receipt["score"] == 10.0 and receipt["band"] == "E1" and receipt["score_name"] == "engagement"
    assert [(c["kind"], c["name"], c["points"]) for c in receipt["contributions"]] == [
        ("factor", "visits", 12.5), ("clamp", "max", -2.5),
    ]
    fit = receipt["scores"]["fit"]
    assert [(c["kind"], c["name"], c["points"]) for c in fit["contributions"]] == [
        ("tier", "big", 40.0), ("factor", "odd", 0.25),
    ]
    assert fit["score"] == 40.25 == sum(c["points"] for c in fit["contributions"])


def test_decayed_factors_are_lines_of_their_own(tmp_path):
    ruleset = tmp_path / "decay.yaml"
    ruleset.write_text("""\
salesrules: 1
name: decay
fields: {id: {type: string, key: true}, last_contact: date, visits: integer}
factors:
  - name: contact
    when: "last_contact is not None"
    points: 20
    decay: {since: last_contact, half_life: 30}
  - name: visit
    when: "visits > 0"
    points: 10
    decay: {since: last_contact, steps: [{after: 10, points: -3}, {after: 40, points: -8}]}
""")
    rs = salesrules.load(ruleset)
    records = [{"id": "a", "last_contact": "2026-10-23", "visits": 2}, {"id": "b", "last_contact": "2026-11-20", "visits": 1}]
    receipt = explain(rs, records, "a", as_of=AS_OF)
    assert [(c["kind"], c["name"], c["points"]) for c in receipt["contributions"]] == [
        ("factor", "contact", 20.0), ("decay", "contact", -10.0), ("factor", "visit", 10.0), ("decay", "visit", -3.0),
    ]
    assert receipt["contributions"][1]["reason"] == "contact fades with 30 days since last_contact (half-life 30 days)"
    assert receipt["score"] == 17.0
    lines = receipts(rs, records, as_of=AS_OF)
    totals = dict(lines.group_by("key").agg(pl.col("points").sum()).rows())
    scores = dict(rs.evaluate(records, as_of=AS_OF).select("id", "score").rows())
    assert totals == pytest.approx(scores, abs=1e-9) and "other" not in lines["kind"].to_list()
    evaluation = evaluate_full(rs, records, as_of=AS_OF, internal=True)
    compact = evaluation.results.select(compact_reasons(evaluation.results, evaluation.plan)).to_series().to_list()
    assert compact == ["+20 contact; \u221210 contact decay; +10 visit; \u22123 visit decay",
                       "+20 contact; \u22120.9 contact decay; +10 visit"]


def test_referenced_names_and_condition_parts():
    assert referenced_names("days_since(last_contact) <= 14 and x in ('a', 'b') and not y is None") == [
        "last_contact", "x", "y",
    ]
    assert referenced_names("true or as_of > d") == ["as_of", "d"]
    assert condition_parts("a and (b or c)\n and d") == ["a", "(b or c)", "d"]
    assert condition_parts("(x + 1) > 2 and f(a and b) and not c") == ["(x + 1) > 2", "f(a and b)", "not c"]
    assert condition_parts("x in ('and', 'or') and y") == ["x in ('and', 'or')", "y"]
    assert condition_parts("a or b and c") == ["a or b and c"]


def _generator():
    spec = importlib.util.spec_from_file_location("salesrules_benchmark_generate", ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_receipts_add_up_on_every_record_of_a_generated_file():
    frame = _generator().generate_frame(10_000, seed=3, as_of=AS_OF)
    ruleset = salesrules.load(ROOT / "rulesets" / "standard.yaml")
    evaluation = evaluate_full(ruleset, frame, as_of=AS_OF, internal=True)
    results, plan = evaluation.results, evaluation.plan
    lines = receipt_frame(results, plan)
    totals = lines.group_by("__row").agg(pl.col("points").sum().alias("total"), pl.len().alias("lines"))
    checked = results.select("__row", "id", "score", "__raw:priority").join(totals, on="__row", how="left")
    assert checked.height == 10_000
    assert checked.filter(pl.col("total").is_null()).height == 0  # every record has lines
    wrong = checked.filter(pl.col("total") != pl.col("score"))
    assert wrong.height == 0, wrong.head()
    assert lines.filter(pl.col("kind") == "other").height == 0  # every part is one the receipt knows
    clamped = checked.filter(pl.col("score") != pl.col("__raw:priority")).height
    assert clamped > 0 and lines.filter(pl.col("kind") == "clamp").height == clamped
    # One record's receipt is the same lines, with reasons and inputs.
    for key in ("OPP-00000001", results.filter(pl.col("score") != pl.col("__raw:priority"))["id"][0]):
        receipt = explain_row(find_record(results, plan, key), plan)
        mine = lines.filter(pl.col("key") == key).select("kind", "name", "points").rows()
        assert [(c["kind"], c["name"], c["points"]) for c in receipt["contributions"]] == mine
        assert sum(c["points"] for c in receipt["contributions"]) == receipt["score"]
    # The compact reasons sum to the score too: parse the signed numbers back.
    compact = results.select(
        pl.col("score"),
        compact_reasons(results, plan)
        .str.replace_all("\u2212", "-")
        .str.extract_all(r"[+-]\d+")
        .list.eval(pl.element().cast(pl.Int64))
        .list.sum()
        .alias("sum"),
    )
    assert compact.filter(pl.col("sum") != pl.col("score")).height == 0


def test_explain_help_names_the_options():
    result = CliRunner().invoke(explain_command, ["--help"])
    assert result.exit_code == 0
    for option in ("--id", "--format", "--as-of", "--ruleset"):
        assert option in result.output
    assert isinstance(explain_command, click.Command) and explain_command.name == "explain"


def test_docs_examples_are_up_to_date():
    """docs/explain.md, diff.md, backtest.md and reports.md show the real output of their commands."""
    import sys

    spec = importlib.util.spec_from_file_location("salesrules_docs_generate_examples", ROOT / "docs" / "generate_examples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        assert module.main(["--check"]) == 0, "the docs are out of date; run: python docs/generate_examples.py"
    finally:
        sys.modules.pop(spec.name, None)
