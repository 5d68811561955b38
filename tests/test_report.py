"""The pipeline report: figures worked out by hand on a small file, the same figures computed
independently on generated data, the command line and its formats."""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import salesrules
from salesrules.reports import report
from salesrules.cli import cli

DATA = Path(__file__).parent / "data" / "report"
RULESET = DATA / "pipeline.yaml"
DEALS = DATA / "deals.csv"
QUOTAS = DATA / "quotas.csv"


@pytest.fixture(scope="module")
def ruleset():
    return salesrules.load(RULESET)


@pytest.fixture(scope="module")
def worked(ruleset):
    return report(ruleset, DEALS, quotas=QUOTAS)


def rows(frame: pl.DataFrame) -> dict[str, dict]:
    return {row["group"]: row for row in frame.to_dicts()}


def test_pipeline_per_group_worked_by_hand(worked):
    groups = rows(worked.pipeline)
    assert list(groups) == ["(none)", "ann", "bob", "cid"]
    ann = groups["ann"]
    # 10.01 × 0.5 = 5.005 rounds to 5.01 per deal: 100.00 + 5.01 + 1,600.00.
    assert {k: ann[k] for k in ("open_deals", "open_value", "weighted_value", "won_deals", "won_value", "lost_deals")} == {
        "open_deals": 3, "open_value": 3010.01, "weighted_value": 1705.01, "won_deals": 1, "won_value": 500.0, "lost_deals": 1,
    }
    assert (ann["quota"], ann["gap"], ann["left_to_build"], ann["expected"]) == (2000.0, 1500.0, 0.0, 2205.01)
    assert ann["attainment"] == 0.25
    assert ann["coverage"] == pytest.approx(3010.01 / 1500)
    assert ann["slipped"] == 1  # A2 was to close on 2026-06-01
    bob = groups["bob"]  # a zero quota: no gap, no attainment, no coverage
    assert (bob["open_deals"], bob["open_value"], bob["weighted_value"]) == (2, 3000.0, 2400.0)
    assert (bob["quota"], bob["gap"], bob["left_to_build"], bob["attainment"], bob["coverage"]) == (0.0, 0.0, 0.0, None, None)
    cid = groups["cid"]  # a quota and no deal: everything left to build
    assert (cid["open_deals"], cid["won_value"], cid["gap"], cid["left_to_build"], cid["attainment"], cid["coverage"]) == (
        0, 0.0, 1000.0, 1000.0, 0.0, 0.0)
    nobody = groups["(none)"]  # a deal without an owner is kept, under its own row, without a quota
    assert (nobody["open_deals"], nobody["weighted_value"], nobody["quota"], nobody["gap"], nobody["attainment"]) == (
        1, 125.0, None, None, None)


def test_total_and_forecast_categories(worked):
    total = worked.total.to_dicts()[0]
    assert total["group"] == "total"
    assert (total["open_deals"], total["open_value"], total["weighted_value"]) == (6, 6260.01, 4230.01)
    assert (total["won_deals"], total["won_value"], total["lost_deals"], total["quota"]) == (2, 1200.0, 2, 3000.0)
    assert (total["gap"], total["left_to_build"], total["expected"], total["attainment"]) == (1800.0, 0.0, 5430.01, 0.4)
    # Cumulative: commit = won + commit stages; best case adds best_case stages; pipeline the rest.
    assert (total["forecast_commit"], total["forecast_best_case"], total["forecast_pipeline"]) == (6200.0, 6460.01, 7460.01)
    ann = rows(worked.pipeline)["ann"]
    assert (ann["forecast_commit"], ann["forecast_best_case"], ann["forecast_pipeline"]) == (2500.0, 2510.01, 3510.01)


def test_stages_and_conversion(worked):
    stages = {row["stage"]: row for row in worked.stages.to_dicts()}
    assert list(stages) == ["prospect", "proposal", "negotiation", "won", "lost"]
    assert [stages[s]["deals"] for s in stages] == [2, 2, 2, 2, 2]
    assert [stages[s]["value"] for s in stages] == [1000.0, 260.01, 5000.0, 1200.0, 400.0]
    assert [stages[s]["weighted_value"] for s in stages] == [100.0, 130.01, 4000.0, None, None]
    assert [stages[s]["avg_days_in_stage"] for s in stages] == [10.0, 10.0, 17.0, None, None]
    # Reached: 6 open + 2 won + 1 lost at proposal; B4 (lost, stage unknown) is left out.
    assert [stages[s]["reached"] for s in stages] == [9, 7, 4, None, None]
    assert stages["prospect"]["conversion"] == pytest.approx(7 / 9)
    assert stages["proposal"]["conversion"] == pytest.approx(4 / 7)
    assert stages["negotiation"]["conversion"] == 0.5  # to won
    assert worked.settings["lost_left_out"] == 1


def test_advice_and_the_coverage_it_requires(worked):
    # Four closed deals, two won: the required coverage is 1 ÷ 50 % = 2, from the win rate.
    assert (worked.settings["coverage_multiple"], worked.settings["coverage_source"]) == (2.0, "win rate")
    assert worked.recommendations.to_dicts() == [{
        "group": "cid", "advice": "Build pipeline",
        "because": "open value 0.00 covers the gap of 1,000.00 0.00 times, under the required 2 (win rate)",
    }]


def test_a_period_counts_won_and_lost_deals_closed_in_it(ruleset):
    result = report(ruleset, DEALS, quotas=QUOTAS, period="2026-04-01..2026-06-30")
    bob = rows(result.pipeline)["bob"]
    assert (bob["won_deals"], bob["won_value"], bob["lost_deals"], bob["expected"]) == (0, 0.0, 1, 2400.0)
    assert result.total["won_value"].to_list() == [500.0]
    assert result.settings["period"] == ["2026-04-01", "2026-06-30"]


def test_quotas_from_the_ruleset_and_grouping_by_another_field(ruleset, tmp_path):
    text = RULESET.read_text().replace("reports:\n", "reports:\n  pipeline: {quotas: {ann: 4000}}\n")
    path = tmp_path / "with-quotas.yaml"
    path.write_text(text)
    result = report(salesrules.load(path), DEALS)
    assert rows(result.pipeline)["ann"]["left_to_build"] == 1794.99  # 4,000 − 500 − 1,705.01
    by_stage = report(ruleset, DEALS, by="stage")
    assert rows(by_stage.pipeline)["won"]["won_deals"] == 2


@pytest.mark.parametrize(("options", "message"), [
    ({"by": "ownr"}, "cannot group the pipeline by 'ownr': no such field or result (did you mean 'owner'?)"),
    ({"period": "2026-01-01"}, "--period must be FROM..TO (two ISO dates), not '2026-01-01'"),
    ({"period": "2026-06-30..2026-01-01"}, "--period starts after it ends: 2026-06-30..2026-01-01"),
    ({"period": "2026-01-01..soon"}, "--period: 'soon' is not a date (YYYY-MM-DD)"),
])
def test_bad_report_options_are_usage_errors(ruleset, options, message):
    with pytest.raises(salesrules.UsageError) as info:
        report(ruleset, DEALS, **options)
    assert str(info.value) == message


def test_a_bad_quota_is_located(ruleset, tmp_path):
    bad = tmp_path / "q.csv"
    bad.write_text("owner,quota\nann,lots\n")
    with pytest.raises(salesrules.InputError) as info:
        report(ruleset, DEALS, quotas=bad)
    assert str(info.value) == f"{bad}: row 2, column 'quota': cannot read 'lots' as an amount"


def test_a_value_field_that_is_no_number_says_what_to_declare(tmp_path):
    path = tmp_path / "novalue.yaml"
    path.write_text("salesrules: 1\nname: x\nfields: {id: {type: string, key: true}, deal_value: string}\n")
    with pytest.raises(salesrules.UsageError, match="declare deal_value or name one with reports.pipeline.value"):
        report(salesrules.load(path), [{"id": "1"}])


def test_without_a_money_field_the_report_counts_deals(tmp_path):
    path = tmp_path / "novalue.yaml"
    path.write_text("salesrules: 1\nname: x\nfields: {id: {type: string, key: true}}\n")
    result = report(salesrules.load(path), [{"id": "1"}, {"id": "2"}]).to_dict()
    assert result["settings"]["value"] is None
    total = result["pipeline"]["total"]
    assert (total["open_deals"], total["open_value"], total["won_deals"]) == (2, 0.0, 0)


def test_without_deal_value_the_first_money_field_values_deals(tmp_path):
    path = tmp_path / "amount.yaml"
    path.write_text("salesrules: 1\nname: x\nfields: {id: {type: string, key: true}, n: integer, amount: money}\n")
    result = report(salesrules.load(path), [{"id": "1", "amount": "$1,500"}, {"id": "2", "amount": 250}]).to_dict()
    assert result["settings"]["value"] == "amount"
    assert result["pipeline"]["total"]["open_value"] == 1750.0


# ---------------------------------------------------------------- an independent computation

OWNERS = ["ann", "bob", "cid", None]
STAGES = {"prospect": 0.1, "proposal": 0.5, "negotiation": 0.8, "won": None, "lost": None}
AS_OF = dt.date(2026, 6, 30)

deal = st.fixed_dictionaries({
    "owner": st.sampled_from(OWNERS),
    "cents": st.one_of(st.none(), st.integers(min_value=0, max_value=10**9)),
    "stage": st.sampled_from(list(STAGES)),
    "close": st.one_of(st.none(), st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31))),
})


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def expected_pipeline(deals: list[dict], quotas: dict[str, float]) -> dict[str, dict]:
    """The pipeline computed record by record with decimal arithmetic."""
    out: dict[str, dict] = {}
    for name in {d["owner"] or "(none)" for d in deals} | set(quotas):
        mine = [d for d in deals if (d["owner"] or "(none)") == name]
        value = [Decimal(d["cents"] or 0) / 100 for d in mine]
        open_ = [(d, v) for d, v in zip(mine, value) if d["stage"] not in ("won", "lost")]
        won = [v for d, v in zip(mine, value) if d["stage"] == "won"]
        weighted = sum((_cents(v * Decimal(str(STAGES[d["stage"]]))) for d, v in open_), Decimal(0))
        won_value = sum(won, Decimal(0))
        quota = quotas.get(name)
        row = {
            "open_deals": len(open_), "open_value": float(sum((v for _, v in open_), Decimal(0))),
            "weighted_value": float(weighted), "won_deals": len(won), "won_value": float(won_value),
            "lost_deals": sum(d["stage"] == "lost" for d in mine),
            "slipped": sum(1 for d, _ in open_ if d["close"] is not None and d["close"] < AS_OF),
            "quota": quota,
        }
        if quota is None:
            row.update(gap=None, left_to_build=None)
        else:
            row.update(gap=float(max(Decimal(str(quota)) - won_value, Decimal(0))),
                       left_to_build=float(max(Decimal(str(quota)) - won_value - weighted, Decimal(0))))
        row["expected"] = float(won_value + weighted)
        out[name] = row
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deals=st.lists(deal, max_size=40), quotas=st.dictionaries(st.sampled_from(["ann", "bob", "dan"]),
                                                                  st.integers(min_value=0, max_value=10**7).map(float)))
def test_the_pipeline_agrees_with_an_independent_computation(ruleset, deals, quotas, tmp_path_factory):
    records = [
        {"id": f"D{i}", "owner": d["owner"], "stage": d["stage"],
         "deal_value": None if d["cents"] is None else f"{d['cents'] // 100}.{d['cents'] % 100:02d}",
         "close_date": d["close"].isoformat() if d["close"] else None}
        for i, d in enumerate(deals)
    ]
    path = tmp_path_factory.mktemp("quotas") / "quotas.csv"
    path.write_text("owner,quota\n" + "".join(f"{k},{v}\n" for k, v in quotas.items()))
    result = report(ruleset, records, quotas=path if quotas else None)
    got = rows(result.pipeline)
    want = expected_pipeline(deals, quotas)
    assert set(got) == set(want)
    for name, row in want.items():
        assert {k: got[name][k] for k in row} == row, name
    totals = result.total.to_dicts()[0]
    assert totals["open_deals"] == sum(r["open_deals"] for r in want.values())
    assert totals["weighted_value"] == float(sum(Decimal(str(r["weighted_value"])) for r in want.values()))


# ---------------------------------------------------------------- the command line and formats


def invoke(*args):
    return CliRunner().invoke(cli, ["report", str(DEALS), "-r", str(RULESET), *args])


def test_json_document_has_the_contract_keys():
    result = invoke("--quotas", str(QUOTAS), "-f", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert {"ruleset", "as_of", "pipeline", "stages", "recommendations"} <= set(document)
    keys = {"group", "open_deals", "open_value", "weighted_value", "won_deals", "won_value", "lost_deals", "quota",
            "gap", "left_to_build", "expected", "attainment", "coverage"}
    assert document["pipeline"]["by"] == "owner"
    assert all(keys <= set(group) for group in document["pipeline"]["groups"])
    assert keys <= set(document["pipeline"]["total"])
    assert {"stage", "deals", "value", "weighted_value", "conversion"} <= set(document["stages"][0])
    assert document["recommendations"] == [{"group": "cid", "advice": "Build pipeline", "because": document["recommendations"][0]["because"]}]
    assert (document["ruleset"], document["as_of"]) == ("pipeline-test", "2026-06-30")


def test_markdown_escapes_data_and_shows_figures(tmp_path):
    hostile = tmp_path / "deals.csv"
    hostile.write_text(DEALS.read_text().replace(",ann,", ",<img src=x onerror=alert(1)>,", 1))
    result = CliRunner().invoke(cli, ["report", str(hostile), "-r", str(RULESET), "-f", "markdown"])
    assert result.exit_code == 0, result.output
    assert "&lt;img src=x onerror=alert(1)&gt;" in result.output
    assert "<img" not in result.output
    assert "| bob | 2 | 3,000.00 | 2,400.00 |" in result.output
    assert "## Stages" in result.output and "| prospect | 2 | 1,000.00 | 100.00 | 10.0 | 9 | 77.8% |" in result.output


def test_table_fits_80_columns_and_strips_control_characters(tmp_path):
    hostile = tmp_path / "deals.csv"
    hostile.write_text(DEALS.read_text().replace(",bob,", ",bob\x1b[2J,"))
    result = CliRunner().invoke(cli, ["report", str(hostile), "-r", str(RULESET), "--quotas", str(QUOTAS), "-f", "table"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    assert "Pipeline report: pipeline-test 1, as of 2026-06-30" in result.output
    assert "cid: Build pipeline" in result.output


def test_the_report_file_is_written_atomically_and_never_over_an_input(tmp_path):
    out = tmp_path / "report.json"
    assert invoke("-o", str(out)).exit_code == 0
    assert json.loads(out.read_text())["pipeline"]["total"]["open_deals"] == 6
    refused = invoke("-o", str(DEALS))
    assert refused.exit_code == 2 and "error:" in refused.output
    assert DEALS.read_text().startswith("id,owner,deal_value")


@pytest.mark.parametrize("name", ["report.txt", "report"])
def test_an_unknown_report_extension_is_a_usage_error(tmp_path, name):
    result = invoke("-o", str(tmp_path / name))
    assert result.exit_code == 2
    assert "report file extension" in result.output and "or pass --format" in result.output


def test_unknown_report_format():
    result = invoke("-f", "pdf")
    assert result.exit_code == 2
    assert "unknown report format 'pdf'" in result.output


def test_ruleset_report_method_returns_the_sections(ruleset):
    result = ruleset.report(DEALS, quotas=QUOTAS)
    assert set(result.sections()) == {"pipeline", "stages", "recommendations", "segments"}
    assert result.sections()["pipeline"]["group"].to_list()[-1] == "total"


# ---------------------------------------------------------------- the Maven CRM data

MAVEN = Path(__file__).parent / "data" / "maven"


@pytest.mark.parametrize(("by", "quotas", "groups"), [
    ("owner", "quotas-agents.csv", 35),
    ("territory", "quotas-offices.csv", 3),
])
def test_maven_pipeline_per_agent_and_per_office_agrees_with_the_raw_data(by, quotas, groups):
    result = report(salesrules.load(MAVEN / "company.yaml"), MAVEN / "sales_pipeline.csv", by=by,
                    quotas=MAVEN / quotas, period="2017-01-01..2017-12-31")
    # The same figures straight from the CSV files: won deals closed in 2017, by agent or office.
    raw = pl.read_csv(MAVEN / "sales_pipeline.csv", try_parse_dates=True).join(
        pl.read_csv(MAVEN / "sales_teams.csv"), on="sales_agent", how="left")
    key = "sales_agent" if by == "owner" else "regional_office"
    won = raw.filter((pl.col("deal_stage") == "Won") & pl.col("close_date").dt.year().eq(2017))
    expected = dict(won.group_by(key).agg(pl.col("close_value").sum()).iter_rows())
    lost = dict(raw.filter(pl.col("deal_stage") == "Lost").group_by(key).len().iter_rows())
    figures = rows(result.pipeline)
    assert len(figures) == groups
    quota_table = dict(pl.read_csv(MAVEN / quotas).iter_rows())
    for name, row in figures.items():
        assert row["won_value"] == expected.get(name, 0), name
        assert row["lost_deals"] == lost.get(name, 0), name
        assert row["quota"] == quota_table[name]
        assert row["attainment"] == pytest.approx(row["won_value"] / row["quota"])
    assert result.total["open_deals"].item() == raw.filter(pl.col("deal_stage").is_in(["Prospecting", "Engaging"])).height


def test_a_ruleset_without_a_money_field_reports_deal_counts_in_every_section(tmp_path):
    import salesrules

    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(
        "salesrules: 1\nname: counts\nfields:\n  id: {type: string, key: true}\n  company: string\n  size: integer\n"
        "tiers:\n  - {name: big, when: 'size >= 10', points: 5}\n  - {name: small, points: 1}\n"
    )
    data = tmp_path / "d.csv"
    data.write_text("id,company,size\n1,Acme,20\n2,Acme,3\n3,Beta,1\n")
    report = salesrules.load(ruleset).report(str(data))
    assert report.segments.select("segment", "deals").rows() == [("big", 1), ("small", 2)]
    assert report.segments["value"].to_list() == [0.0, 0.0]
    assert sorted(report.accounts.select("group", "deals").rows()) == [("Acme", 2), ("Beta", 1)]
