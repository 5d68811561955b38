"""Comparing two rulesets: exact counts, transitions, movers with receipt differences, impact per owner."""

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import salesrules
from salesrules.analysis.diff import compare_frame, diff, field_column
from salesrules.cli.diff import diff_command
from salesrules.runners.local import evaluate_full

ROOT = Path(__file__).parent.parent

OLD = """\
salesrules: 1
name: old
version: "1"
fields:
  id: {type: string, key: true}
  owner: {type: string, aliases: [Rep]}
  deal_value: money
  merger_pending: {type: boolean, default: false}
  budget_confirmed: {type: boolean, default: false}
tiers:
  - {name: high, when: "deal_value > 1_000_000", points: 50}
  - {name: medium, when: "deal_value >= 500_000", points: 30}
  - {name: low, points: 10}
stages:
  - {name: discovery, points: 10}
  - {name: presentation, points: 20}
factors:
  - {name: merger, when: merger_pending, points: -20}
  - {name: budget, when: budget_confirmed, points: 10}
scores:
  priority:
    min: 0
    bands:
      - {name: A, min: 60}
      - {name: B, min: 30}
      - {name: C}
"""

NEW = """\
salesrules: 1
name: new
version: "2"
extends: [old.yaml]
tiers:
  - {name: high, when: "deal_value > 700_000"}
factors:
  - {name: merger, points: -40}
  - {name: budget, remove: true}
  - {name: champion, when: "deal_value > 900_000", points: 5}
"""

DATA = """\
id,Rep,deal_value,stage,merger_pending,budget_confirmed
D1,Ann,800000,presentation,no,yes
D2,Ann,200000,discovery,yes,no
D3,Bob,2000000,presentation,no,no
D4,Bob,100000,discovery,no,no
D5,Cy,600000,discovery,yes,yes
"""
# old: D1 medium 30+20+10=60 A   new: high 50+20=70 A          change +10
#      D2 low 10+10-20=0 C         new: 10+10-40=-20 -> 0 C       change 0
#      D3 high 50+20=70 A          new: 50+20+5=75 A              change +5
#      D4 low 10+10=20 C           new: 20 C                      change 0
#      D5 medium 30+10-20+10=30 B  new: 30+10-40=0 C              change -30


@pytest.fixture
def files(tmp_path):
    (tmp_path / "old.yaml").write_text(OLD)
    (tmp_path / "new.yaml").write_text(NEW)
    (tmp_path / "deals.csv").write_text(DATA)
    return str(tmp_path / "deals.csv"), str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml")


def test_diff_counts_transitions_and_owners(files):
    data, old, new = files
    result = diff(salesrules.load(old), salesrules.load(new), data, top=2)
    assert result["records"] == 5
    assert result["changed"] == {"tier": 1, "stage": 0, "band": 1, "score": 3}
    assert result["records_changed"] == 3
    assert result["band_transitions"] == {"A->A": 2, "B->C": 1, "C->C": 2}
    assert result["top_movers"] == [
        {
            "id": "D5",
            "old": {"score": 30, "band": "B", "tier": "medium", "stage": "discovery"},
            "new": {"score": 0, "band": "C", "tier": "medium", "stage": "discovery"},
            "score_change": -30,
            "added": [],
            "removed": [{"kind": "factor", "name": "budget", "points": 10}],
            "changed": [{"kind": "factor", "name": "merger", "old_points": -20, "new_points": -40, "change": -20}],
        },
        {
            "id": "D1",
            "old": {"score": 60, "band": "A", "tier": "medium", "stage": "presentation"},
            "new": {"score": 70, "band": "A", "tier": "high", "stage": "presentation"},
            "score_change": 10,
            "added": [],
            "removed": [{"kind": "factor", "name": "budget", "points": 10}],
            "changed": [{"kind": "tier", "name": "high", "old_points": 30, "new_points": 50, "change": 20,
                         "old_name": "medium"}],
        },
    ]
    assert result["by"] == {
        "field": "owner",
        "groups": [
            {"value": "Ann", "records": 2, "changed": 1, "mean_score_change": 5.0},
            {"value": "Bob", "records": 2, "changed": 1, "mean_score_change": 2.5},
            {"value": "Cy", "records": 1, "changed": 1, "mean_score_change": -30.0},
        ],
    }


def test_diff_table(files):
    data, old, new = files
    result = CliRunner().invoke(diff_command, [data, "-r", old, "-r", new, "--top", "3"])
    assert result.exit_code == 0, result.output
    hashes = salesrules.load(old).hash, salesrules.load(new).hash
    assert result.output == f"""\
5 records, as of {result.output.split("as of ")[1][:10]}
  old: old 1 ({hashes[0]})
  new: new 2 ({hashes[1]})

Changed: tier 1, stage 0, band 1, score 3 (3 records changed)

Band transitions (rows old, columns new)
             A      C
  A          2      0
  B          0      1
  C          0      2

Top movers
  D5  30 -> 0 (\u221230)  band B -> C
      merger: \u221220 -> \u221240 (\u221220)
    - budget +10
  D1  60 -> 70 (+10)  tier medium -> high
      tier medium -> high: +30 -> +50 (+20)
    - budget +10
  D3  70 -> 75 (+5)
    + champion +5

By owner  records  changed  mean score change
Ann             2        1              +5.00
Bob             2        1              +2.50
Cy              1        1             \u221230.00
"""


def test_diff_json_and_csv(files):
    data, old, new = files
    runner = CliRunner()
    result = runner.invoke(diff_command, [data, "-r", old, "-r", new, "-f", "json", "--as-of", "2026-11-22", "--top", "1"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert list(document)[:5] == ["records", "changed", "band_transitions", "top_movers", "records_changed"]
    assert document["as_of"] == "2026-11-22"
    assert [m["id"] for m in document["top_movers"]] == ["D5"]
    result = runner.invoke(diff_command, [data, "-r", old, "-r", new, "-f", "csv", "--by", "Rep"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows == [
        ["id", "Rep", "old_tier", "new_tier", "old_stage", "new_stage", "old_band", "new_band",
         "old_score", "new_score", "score_change"],
        ["D5", "Cy", "medium", "medium", "discovery", "discovery", "B", "C", "30", "0", "-30"],
        ["D1", "Ann", "medium", "high", "presentation", "presentation", "A", "A", "60", "70", "10"],
        ["D3", "Bob", "high", "high", "presentation", "presentation", "A", "A", "70", "75", "5"],
    ]


def test_diff_output_file(files, tmp_path):
    data, old, new = files
    out = tmp_path / "diff.json"
    result = CliRunner().invoke(diff_command, [data, "-r", old, "-r", new, "-f", "json", "-o", str(out)])
    assert result.exit_code == 0 and result.output == ""
    assert json.loads(out.read_text())["records"] == 5


def test_by_field_and_input_column(files):
    data, old, new = files
    old_ev = evaluate_full(salesrules.load(old), data, internal=True)
    new_ev = evaluate_full(salesrules.load(new), data, internal=True)
    assert field_column(new_ev.results, new_ev.plan, "rep")[1] == "field 'owner'"
    assert field_column(new_ev.results, new_ev.plan, "merger pending")[1] == "field 'merger_pending'"
    assert field_column(new_ev.results, new_ev.plan, "nothing") is None
    frame = compare_frame(old_ev, new_ev, "stage")
    assert frame["by"].to_list() == ["presentation", "discovery", "presentation", "discovery", "discovery"]
    assert frame["score_change"].to_list() == [10, 0, 5, 0, -30]
    assert frame["changed"].to_list() == [True, False, True, False, True]


def test_by_errors_and_defaults(files, tmp_path):
    from salesrules.cli import _Group

    data, old, new = files
    group = _Group("salesrules", commands=[diff_command])
    runner = CliRunner()
    result = runner.invoke(group, ["diff", data, "-r", old, "-r", new, "--by", "ownr"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: --by 'ownr' is neither a field of the ruleset nor an input column (did you mean 'owner'?)"
    ]
    result = runner.invoke(group, ["diff", data, "-r", old])
    assert result.exit_code == 2
    assert "diff needs two rulesets, -r OLD -r NEW; got 1" in result.stderr
    # Without an owner field and without --by there is no "by" section.
    plain = tmp_path / "plain.csv"
    plain.write_text("id,deal_value\nX,10\n")
    result = runner.invoke(group, ["diff", str(plain), "-r", old, "-r", new, "-f", "json"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "no column for field 'stage' (looked for 'stage')" in result.stderr
    # --allow-missing: the stage is unknown, with one warning line.
    result = runner.invoke(group, ["diff", str(plain), "-r", old, "-r", new, "-f", "json", "--allow-missing"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {plain}: no column for field 'stage' (looked for 'stage'); its values are unknown (null)"]
    document = json.loads(result.stdout)
    assert "by" not in document and document["records_changed"] == 0 and document["top_movers"] == []
    assert document["band_transitions"] == {"C->C": 1}


def test_diff_of_the_documented_example():
    result = diff(salesrules.load("builtin:standard"), salesrules.load(ROOT / "docs" / "examples" / "standard-v2.yaml"),
                  str(ROOT / "examples" / "prospects.csv"), as_of="2026-11-22", top=5)
    assert result["records"] == 200
    assert result["changed"]["stage"] == 0
    assert sum(result["band_transitions"].values()) == 200
    for mover in result["top_movers"]:
        parts = sum(c["change"] for c in mover["changed"]) + sum(a["points"] for a in mover["added"])
        parts -= sum(r["points"] for r in mover["removed"])
        assert parts == mover["score_change"]


def test_the_documented_revision_passes_its_tests():
    from salesrules.analysis.testing import run_tests

    ruleset = salesrules.load(ROOT / "docs" / "examples" / "standard-v2.yaml")
    results = run_tests(ruleset)
    assert results and all(r.passed for r in results), results
