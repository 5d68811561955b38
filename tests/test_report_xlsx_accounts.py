"""The Accounts, Territories and Segments sheets of the xlsx report and their native charts."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_report_xlsx import CHART, Workbook, write

import salesrules
from salesrules.reports import report

DATA = Path(__file__).resolve().parent / "data" / "accounts"


@pytest.fixture(scope="module")
def book() -> Workbook:
    return Workbook(write(report(salesrules.load(DATA / "ruleset.yaml"), DATA / "deals.csv")))


def series(chart, plot: str) -> list[tuple]:
    return [
        (s.find(f"{CHART}tx/{CHART}v").text, s.find(f"{CHART}cat//{CHART}f").text, s.find(f"{CHART}val//{CHART}f").text)
        for s in chart.find(f".//{CHART}{plot}").iter(f"{CHART}ser")
    ]


def test_the_new_sheets_come_before_about(book):
    assert list(book.sheets) == ["Pipeline", "Stages", "Recommendations", "Accounts", "Territories", "Segments", "About"]


def test_accounts_sheet_values_and_formats(book):
    rows = book.rows("Accounts")
    assert rows[0][:8] == ["group", "deals", "open_deals", "open_value", "won_value", "value", "share", "cumulative_share"]
    assert [r[0] for r in rows[1:]] == ["Acme", "Bolt", "Core", "Dyna", "Echo", "Fox"]
    assert [r[8] for r in rows[1:]] == ["A", "A", "B", "B", "C", "C"]
    assert rows[1][5] == 6000
    assert book.style("Accounts", "F2")[0] == "#,##0.00" and book.style("Accounts", "H2")[0] == "0.0%"


def test_the_pareto_chart_has_value_columns_and_the_cumulative_share_on_a_second_axis(book):
    [chart] = book.charts("Accounts")
    assert series(chart, "barChart") == [("Value", "Accounts!$A$2:$A$7", "Accounts!$F$2:$F$7")]
    assert series(chart, "lineChart") == [("Cumulative share", "Accounts!$A$2:$A$7", "Accounts!$H$2:$H$7")]
    assert len(chart.findall(f".//{CHART}valAx")) == 2


def test_the_territory_chart_rises_and_falls_from_the_average(book):
    [chart] = book.charts("Territories")
    assert series(chart, "barChart") == [
        ("Potential", "Territories!$A$2:$A$4", "Territories!$I$2:$I$4"),
        ("Workload", "Territories!$A$2:$A$4", "Territories!$J$2:$J$4"),
    ]
    crosses = [ax.find(f"{CHART}crossesAt") for ax in chart.iter(f"{CHART}catAx")]
    assert [c.get("val") for c in crosses if c is not None] == ["100"]
    rows = book.rows("Territories")
    assert [r[8] for r in rows[1:]] == [187.5, 0, 112.5]


def test_one_cost_chart_per_classification_with_costs(book):
    [chart] = book.charts("Segments")
    # Rows 4 to 6 of the table are the channel's levels; the tier has no cost.
    assert series(chart, "barChart") == [("Cost to serve", "Segments!$B$4:$B$6", "Segments!$H$4:$H$6")]
    rows = book.rows("Segments")
    assert [r[1] for r in rows[1:]] == ["high", "low", "visit", "phone", "email"]
    assert [r[7] for r in rows[4:]] == [4, 0]
