"""``salesrules init``: the starter validates, keeps outcomes out of the rules, orders stages
by the sales vocabularies, draws tiers from quantiles and scales bands to reachable points."""

import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import salesrules
from salesrules.cli import cli
from salesrules.scaffold.ruleset import starter_ruleset
from salesrules.scaffold.vocabulary import closed_kind, stage_place

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def starter(tmp_path, frame: pl.DataFrame, output="starter.yaml"):
    """The starter for ``frame`` written to tmp_path/output, loaded (so validated), and its text."""
    path = tmp_path / output
    path.write_text(starter_ruleset(frame.lazy(), "starter", "deals.csv", str(path)))
    return salesrules.load(str(path)), path.read_text()


def test_a_trailing_empty_column_is_left_out(cli_runner, tmp_path):
    data = tmp_path / "leads.csv"
    data.write_text("Lead ID,Source,\nL1,Web,\nL2,Referral,\n")
    target = tmp_path / "leads.yaml"
    result = cli_runner.invoke(cli, ["init", str(data), "-o", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text()
    assert "f_" not in text and "  # 1 column(s) without a header left out" in text
    assert cli_runner.invoke(cli, ["validate", str(target)]).exit_code == 0


def test_outcome_columns_stay_out_of_the_tiers_and_become_the_backtest(tmp_path):
    frame = pl.DataFrame({
        "Deal ID": [f"D{i}" for i in range(10)],
        "Amount": [str(1000 * (i + 1)) for i in range(10)],
        "Close Value": [str(900 * (i + 1)) if i % 2 else None for i in range(10)],
        "Deal Stage": ["Prospecting", "Won", "Qualification", "Lost", "Proposal", "Won", "Negotiation", "Lost",
                       "Prospecting", "Won"],
    })
    ruleset, text = starter(tmp_path, frame)
    assert "  close_value: {type: money, aliases: [\"Close Value\"]}  # an outcome" in text
    assert [level.when.text for level in ruleset.tiers.levels[:-1]] == ["amount >= 8000", "amount >= 6000"]
    assert f"#   salesrules backtest deals.csv -r {tmp_path / 'starter.yaml'} --outcome 'Deal Stage' --won Won --lost Lost" in text


def test_a_converted_flag_is_the_backtest_outcome(tmp_path):
    frame = pl.DataFrame({"Lead": [f"L{i}" for i in range(6)], "Converted": ["0", "1", "0", "0", "1", "0"],
                          "Visits": ["1", "2", "3", "4", "5", "6"]})
    ruleset, text = starter(tmp_path, frame)
    assert "--outcome Converted --won 1 --lost 0" in text
    assert "converted" not in " ".join(level.when.text for level in ruleset.tiers.levels if level.when)


def test_stages_follow_the_sales_vocabulary_and_unknown_ones_are_listed(tmp_path):
    values = ["Closed Won", "Negotiation/Review", "Prospecting", "Closed Lost", "Qualification", "Pondering",
              "Proposal/Price Quote", "Needs Analysis", "Prospecting", "Prospecting"]
    frame = pl.DataFrame({"Opportunity ID": [f"O{i}" for i in range(10)], "Stage": values})
    ruleset, text = starter(tmp_path, frame)
    assert [s.name for s in ruleset.stages] == [
        "prospecting", "qualification", "needs_analysis", "proposal_price_quote", "negotiation_review", "pondering",
        "closed_won", "closed_lost",
    ]
    assert [s.points.text for s in ruleset.stages[:6]] == ["0", "5", "10", "15", "20", "25"]
    assert [s.closed for s in ruleset.stages[6:]] == ["won", "lost"]
    assert "# Not recognised, placed after the known ones: Pondering. Move them where they belong." in text


def test_form_placeholders_become_null_values(tmp_path):
    frame = pl.DataFrame({"id": ["a", "b", "c", "d"], "Specialization": ["Select", "Finance", "select", None],
                          "Stage": ["Lead", "-", "Won", "Lost"], "Country": ["N/A", "India", "India", "(none)"]})
    ruleset, text = starter(tmp_path, frame)
    assert 'null_values: ["Select", "N/A", "-", "(none)"]' in text
    assert [s.name for s in ruleset.stages] == ["lead", "won", "lost"]
    one = ruleset.evaluate_one({"id": "x", "Specialization": "SELECT", "Country": "(none)"}, as_of="2026-11-22")
    assert one["score"] == 0


def test_stage_vocabulary():
    assert stage_place("Prospecting") < stage_place("Engaging") < stage_place("Proposal Made") < stage_place("Negotiation")
    assert stage_place("appointmentscheduled") < stage_place("qualifiedtobuy") < stage_place("contractsent")
    assert stage_place("Pondering") is None
    assert (closed_kind("Closed Won"), closed_kind("closedlost"), closed_kind("Lost"), closed_kind("Open")) == (
        "won", "lost", "lost", None)


def test_tiers_are_strictly_decreasing_and_none_from_zeros(tmp_path):
    zeros = pl.DataFrame({"id": [f"A{i}" for i in range(8)], "deal_value": ["0"] * 7 + ["5"]})
    ruleset, text = starter(tmp_path, zeros)
    assert ruleset.tiers is None
    assert "tiers:" not in text
    # Most deals alike: the 80th and 50th percentiles are one threshold, so one tier above low.
    alike = pl.DataFrame({"id": [f"A{i}" for i in range(24)], "deal_value": ["100"] * 20 + ["200", "300", "400", "500"]})
    ruleset, text = starter(tmp_path, alike)
    assert [(level.name, level.when.text if level.when else None) for level in ruleset.tiers.levels] == [
        ("high", "deal_value >= 100"), ("low", None)]


def test_bands_are_scaled_to_the_points_a_record_can_reach(tmp_path):
    frame = pl.DataFrame({
        "id": [f"A{i}" for i in range(10)],
        "amount": [str(100 * i) for i in range(1, 11)],
        "stage": ["lead", "demo", "negotiation", "won", "lost", "lead", "demo", "lead", "lead", "lost"],
    })
    ruleset, text = starter(tmp_path, frame)
    top = 30 + 10  # the high tier and the third open stage
    assert "# The most a record can score here is 40; the bands are set from it." in text
    bands = ruleset.scores["priority"].bands
    assert [(b.name, b.min) for b in bands] == [("A", 28), ("B", 16), ("C", None)]
    assert bands[0].min <= top
    best = ruleset.evaluate_one({"id": "x", "amount": 5000, "stage": "negotiation"}, as_of="2026-11-22")
    assert (best["score"], best["band"]) == (40, "A")


def test_the_header_names_the_file_written_and_the_next_commands(cli_runner, tmp_path):
    target = tmp_path / "mine.yaml"
    result = cli_runner.invoke(cli, ["init", "examples/prospects.csv", "-o", str(target)])
    assert result.exit_code == 0
    head = target.read_text().splitlines()[:7]
    assert head[0] == f"# A starter ruleset for examples/prospects.csv, written to {target}."
    assert head[3:6] == [
        f"#   salesrules validate {target}",
        f"#   salesrules evaluate examples/prospects.csv -r {target}",
        f"#   salesrules report examples/prospects.csv -r {target}",
    ]
    assert head[6] == f"#   salesrules backtest examples/prospects.csv -r {target} --outcome Stage --won 'Closed Won' --lost 'Closed Lost'"
    printed = cli_runner.invoke(cli, ["init", "examples/prospects.csv"]).output
    assert printed.startswith("# A starter ruleset for examples/prospects.csv, written to prospects.yaml (save it there).")


HEADERS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
CELLS = st.one_of(st.none(), st.sampled_from(["", "1", "0", "2.5", "$1,000", "2026-11-22", "Yes", "No", "Won", "Lost",
                                               "Prospecting", "OPP-1", "-", "N/A"]), st.text(max_size=6))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(headers=st.lists(HEADERS, min_size=1, max_size=6, unique=True), rows=st.integers(1, 6), data=st.data())
def test_the_starter_always_validates(tmp_path, headers, rows, data):
    frame = pl.DataFrame({h: data.draw(st.lists(CELLS, min_size=rows, max_size=rows)) for h in headers},
                         schema={h: pl.String for h in headers})
    path = tmp_path / "any.yaml"
    path.write_text(starter_ruleset(frame.lazy(), "any", "any.csv", str(path)), encoding="utf-8")
    salesrules.load(str(path))  # raises when the starter does not validate


@pytest.mark.skipif(not SHARED.is_dir(), reason="the public data sets are not beside the project")
@pytest.mark.parametrize("relative, outcome", [
    ("maven_crm_sales_opportunities/sales_pipeline.csv", ["--outcome", "deal_stage", "--won", "Won", "--lost", "Lost"]),
    ("olist_marketing_funnel/olist_marketing_qualified_leads_dataset.csv", None),
    ("x_education_leads/Leads.csv", ["--outcome", "Converted", "--won", "1", "--lost", "0"]),
])
def test_public_data_goes_from_init_to_table_report_and_backtest(cli_runner, tmp_path, relative, outcome):
    data = str(SHARED / relative)
    target = str(tmp_path / "starter.yaml")
    assert cli_runner.invoke(cli, ["init", data, "-o", target]).exit_code == 0
    text = Path(target).read_text()
    if outcome is not None:
        assert " ".join(outcome) in text
    table = cli_runner.invoke(cli, ["evaluate", data, "-r", target, "-f", "table", "--limit", "5"])
    assert table.exit_code == 0, table.output
    assert re.search(r"more records? not shown \(top 5 of [\d,]+", table.output)
    report = cli_runner.invoke(cli, ["report", data, "-r", target, "-f", "json"])
    assert report.exit_code == 0, report.output
    if outcome is not None:
        backtest = cli_runner.invoke(cli, ["backtest", data, "-r", target, *outcome])
        assert backtest.exit_code == 0, backtest.output
        assert "Ranking quality: AUC" in backtest.output
