"""``salesrules assign``: routing worked out by hand on tests/data/accounts, capacity never
exceeded on generated data, the reasons, and bad reps files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import salesrules
from salesrules.cli import cli
from salesrules.reports.assignment import Rep, assign

DATA = Path(__file__).parent / "data" / "accounts"
RULESET = DATA / "ruleset.yaml"
DEALS = DATA / "deals.csv"
REPS = DATA / "reps.csv"


@pytest.fixture(scope="module")
def ruleset():
    return salesrules.load(RULESET)


def owners(result) -> dict[str, str | None]:
    return dict(zip(result.records["id"], result.records["new_owner"]))


# Open records by rank: D3 (80), D5 (60), D10 (40), then D2, D7, D8 at 20 by key.
# Loads before: ann 1 (D2), bob 1 (D3), cat 1 (D5), dan 0. The enterprise team (ann, dan)
# only takes high-tier records; D10, D7 and D8 are low.

def test_unowned_open_records_go_to_the_eligible_rep_until_capacity_is_exactly_reached(ruleset):
    result = assign(ruleset, DEALS, str(REPS))
    got = owners(result)
    assert (got["D10"], got["D7"], got["D8"]) == ("bob", "cat", None)
    assert [got[k] for k in ("D1", "D2", "D3", "D4", "D5", "D6", "D9")] == ["ann", "ann", "bob", "bob", "cat", "cat", "dan"]
    reps = {r["rep"]: (r["load_before"], r["assigned"], r["load_after"], r["capacity"]) for r in result.reps.to_dicts()}
    assert reps == {"ann": (1.0, 0, 1.0, 3.0), "bob": (1.0, 1, 2.0, 2.0), "cat": (1.0, 1, 2.0, 2.0), "dan": (0.0, 0, 0.0, 1.0)}
    reasons = dict(zip(result.records["id"], result.records["reason"]))
    assert reasons["D10"] == "rank 3: least loaded of 1 eligible rep in territory East; bob had 1 of 2"
    assert reasons["D8"] == "unassigned: every eligible rep is at capacity (cat 2/2)"
    assert reasons["D1"] == "closed" and reasons["D2"] == "already owned"
    assert result.unassigned.to_dicts() == [{"id": "D8", "rank": 6, "reason": reasons["D8"]}]


def test_no_eligible_rep_is_explained(ruleset):
    only_enterprise = [Rep("ann", "enterprise", "East", 10), Rep("dan", "enterprise", "West", 10)]
    result = assign(ruleset, DEALS, only_enterprise)
    reasons = dict(zip(result.records["id"], result.records["reason"]))
    assert reasons["D10"] == "unassigned: the assignment rules exclude every rep in territory East"
    south = [Rep("sue", None, "South", 10)]
    reasons = dict(zip(*assign(ruleset, DEALS, south).records.select("id", "reason")))
    assert reasons["D7"] == "unassigned: no rep covers territory West"


def test_reassign_spreads_every_open_record_least_loaded_first(ruleset):
    reps = [Rep("ann", None, None, 10), Rep("bob", None, None, 10)]
    result = assign(ruleset, DEALS, reps, reassign=True)
    got = owners(result)
    # Ranks D3, D5, D10, D2, D7, D8; ties go to the rep earlier in the file.
    assert [got[k] for k in ("D3", "D5", "D10", "D2", "D7", "D8")] == ["ann", "bob", "ann", "bob", "ann", "bob"]
    loads = {r["rep"]: (r["load_before"], r["load_after"]) for r in result.reps.to_dicts()}
    assert loads == {"ann": (1.0, 3.0), "bob": (1.0, 3.0)}  # before: D2 and D3


def test_round_robin_and_least_loaded_differ_when_loads_differ(ruleset):
    reps = [Rep("ann", None, None, 10), Rep("bob", None, None, 10), Rep("cat", None, None, 10)]
    rr = owners(assign(ruleset, DEALS, reps, strategy="round_robin"))
    assert (rr["D10"], rr["D7"], rr["D8"]) == ("ann", "bob", "cat")
    # Least loaded: ann, bob and cat start at 1, 1, 1 (D2, D3, D5).
    least = owners(assign(ruleset, DEALS, reps))
    assert (least["D10"], least["D7"], least["D8"]) == ("ann", "bob", "cat")
    reps.append(Rep("dan", None, None, 10))
    least = owners(assign(ruleset, DEALS, reps))
    assert least["D10"] == "dan"  # dan starts empty


def test_workload_capacity_counts_each_records_workload(ruleset):
    # Workload is visits × 2: 2 per record here; bob starts at 6 (D3, 3 visits).
    reps = [Rep("bob", None, "East", 8), Rep("cat", None, "West", 4)]
    result = assign(ruleset, DEALS, reps, capacity="workload")
    got = owners(result)
    assert (got["D10"], got["D7"], got["D8"]) == ("bob", "cat", None)
    loads = {r["rep"]: (r["load_before"], r["load_after"]) for r in result.reps.to_dicts()}
    assert loads == {"bob": (6.0, 8.0), "cat": (2.0, 4.0)}


def test_assignment_is_deterministic(ruleset):
    first, second = assign(ruleset, DEALS, str(REPS)), assign(ruleset, DEALS, str(REPS))
    assert first.records.equals(second.records) and first.reps.equals(second.reps)


record = st.tuples(
    st.sampled_from(["East", "West", "North"]),
    st.integers(min_value=0, max_value=3000),
    st.sampled_from(["prospect", "proposal", "won"]),
    st.sampled_from(["", "", "ann", "zed"]),
    st.integers(min_value=0, max_value=3),
)
rep = st.tuples(st.sampled_from([None, "East", "West"]), st.sampled_from([None, "enterprise"]), st.integers(0, 4))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(record, min_size=1, max_size=30), roster=st.lists(rep, min_size=1, max_size=5),
       measure=st.sampled_from(["deals", "workload"]), strategy=st.sampled_from(["least_loaded", "round_robin"]),
       reassign=st.booleans())
def test_capacity_is_never_exceeded_and_every_assignment_is_eligible(ruleset, tmp_path, records, roster, measure,
                                                                     strategy, reassign):
    path = tmp_path / "gen.csv"
    lines = ["id,company,owner,territory,deal_value,stage,visits"]
    lines += [f"G{i:03d},C{i % 4},{o},{t},{v},{s},{w}" for i, (t, v, s, o, w) in enumerate(records)]
    path.write_text("\n".join(lines) + "\n")
    reps = [Rep(f"r{j}", team, territory, cap) for j, (territory, team, cap) in enumerate(roster)]
    result = assign(ruleset, path, reps, capacity=measure, strategy=strategy, reassign=reassign)
    by_rep = {r.name: r for r in reps}
    added: dict[str, float] = {}
    for (territory, value, stage, owner, visits), row in zip(records, result.records.to_dicts()):
        new = row["new_owner"]
        if not row["changed"] or new is None:
            continue
        assert stage != "won" and (reassign or not owner)
        chosen = by_rep[new]
        assert chosen.territory in (None, territory)
        assert chosen.team != "enterprise" or value >= 1000  # the enterprise rule
        assert row["reason"].startswith(f"rank {row['rank']}: ")
        added[new] = added.get(new, 0) + (1 if measure == "deals" else 2 * visits)
    for r in result.reps.to_dicts():
        start = 0 if reassign else r["load_before"]
        assert r["load_after"] == start + added.get(r["rep"], 0)
        assert r["assigned"] == 0 or r["load_after"] <= r["capacity"]
    for row in result.records.to_dicts():
        if row["rank"] is not None and row["new_owner"] is None:
            assert row["reason"].startswith("unassigned: ")


# ---------------------------------------------------------------- the command line

def test_cli_writes_records_and_loads(tmp_path):
    out, loads = tmp_path / "out.json", tmp_path / "loads.csv"
    result = CliRunner().invoke(cli, ["assign", str(DEALS), "-r", str(RULESET), "--reps", str(REPS), "-o", str(out),
                                      "--loads", str(loads)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert {r["id"]: r["new_owner"] for r in doc["records"]}["D10"] == "bob"
    assert doc["settings"] == {"strategy": "least_loaded", "capacity": "deals", "reassign": False, "territory": "territory"}
    assert doc["reps"][1] == {"rep": "bob", "team": None, "territory": "East", "capacity": 2.0, "load_before": 1.0,
                              "assigned": 1, "load_after": 2.0}
    assert doc["unassigned"] == [{"id": "D8", "rank": 6, "reason": "unassigned: every eligible rep is at capacity (cat 2/2)"}]
    assert doc["provenance"]["ruleset"] == "accounts-test"
    assert loads.read_text().splitlines()[0].startswith("rep,team,territory,capacity,load_before,assigned,load_after")
    assert "bob: 1 -> 2 of 2 (1 assigned)" in result.output
    assert "1 open record(s) left unassigned" in result.output


@pytest.mark.parametrize(("text", "message"), [
    ("rep,capacity\nann,lots\n", "row 2, column 'capacity': cannot read 'lots' as a number"),
    ("rep,capacity\nann,-1\n", "row 2, column 'capacity': a capacity is a number of 0 or more"),
    ("rep,capacity\nann,1\nann,2\n", "row 3: rep 'ann' is listed twice"),
    ("name_of_rep,capacity\nann,1\n", "a reps file needs the columns 'rep' and 'capacity'"),
])
def test_bad_reps_files_are_one_line_naming_the_file(tmp_path, text, message):
    reps = tmp_path / "reps.csv"
    reps.write_text(text)
    result = CliRunner().invoke(cli, ["assign", str(DEALS), "-r", str(RULESET), "--reps", str(reps)])
    assert result.exit_code == 2
    assert message in result.output and str(reps) in result.output
    assert "Traceback" not in result.output


def test_an_assignment_rule_naming_rep_and_team_is_a_ruleset_error(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(RULESET.read_text().replace("{team: enterprise, when:", "{team: enterprise, rep: ann, when:"))
    with pytest.raises(salesrules.RulesetError, match="names a rep or a team, not both"):
        salesrules.load(path)


def test_the_accounts_benchmark_runs_and_prints_its_figures(tmp_path, capsys):
    import importlib.util
    import sys

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "accounts.py"
    spec = importlib.util.spec_from_file_location("salesrules_benchmark_accounts", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    assert module.main(["--rows", "2000", "--workdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "assign rows/s" in out and "2,000" in out
