"""The accounts, territories and segments of the HTML report: the tables, the Pareto curve, the
territories against the average and the cost to serve, checked in the SVG and, drawn to scale,
in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_report_html import (
    Parsed,
    bars,
    chromium,
    needs_chromium,
    page,
    rects,
    screenshot,
    svgs,
)

import salesrules
from salesrules.default_plugins import report_html_accounts as charts
from salesrules.reports import report

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "accounts"
MAVEN = ROOT / "tests" / "data" / "maven"
POTENTIAL, WORKLOAD, COST = (bytes.fromhex(c[1:]) for c in (charts.POTENTIAL_COLOUR, charts.WORKLOAD_COLOUR, charts.COST_COLOUR))


@pytest.fixture(scope="module")
def small():
    return report(salesrules.load(DATA / "ruleset.yaml"), DATA / "deals.csv")


def test_the_page_has_the_three_sections_with_their_tables_and_charts(small):
    text = page(small)
    parsed = Parsed(text)
    words = "".join(parsed.text)
    for heading in ("Accounts", "Territories", "Segments"):
        assert f"<h2>{heading}</h2>" in text
    assert "33% of accounts (2 of 6) bring 81% of value; 4 existing customers, 2 new accounts." in words
    assert "Cost to serve by channel: 204" in words
    titles = [svg.find("{http://www.w3.org/2000/svg}title").text if svg.find("{http://www.w3.org/2000/svg}title") is not None
              else svg.find("title").text for svg in svgs(text)]
    assert titles[2:] == ["Pareto curve of the accounts", "Territories against the average", "Cost to serve by channel"]


def test_the_pareto_curve_draws_each_accounts_cumulative_share_in_its_class_colour(small):
    pareto = svgs(page(small))[2]
    cumulative = [6000, 8500, 9500, 10000, 10500, 10520]
    heights = [r["height"] for css in ("bar-A", "bar-B", "bar-C") for r in rects(pareto, css)]
    assert heights == pytest.approx([s / 10520 * 200 for s in cumulative], abs=0.01)
    assert [len(rects(pareto, f"bar-{c}")) for c in "ABC"] == [2, 2, 2]


def test_the_territory_chart_draws_both_indexes_to_scale_with_the_average(small):
    chart = svgs(page(small))[3]
    potential = [r["width"] for r in rects(chart, "bar-potential")]
    workload = [r["width"] for r in rects(chart, "bar-workload")]
    # East, North, West: 187.5, 0, 112.5 for both indexes.
    scale = potential[0] / 187.5
    assert potential == pytest.approx([187.5 * scale, 0, 112.5 * scale], abs=0.01)
    assert workload == pytest.approx(potential, abs=0.01)
    band = rects(chart, "band")[0]
    assert band["width"] == pytest.approx(30 * scale, abs=0.01)  # 85 to 115


def test_the_cost_chart_draws_each_segments_cost_to_scale(small):
    chart = svgs(page(small))[4]
    widths = [r["width"] for r in rects(chart, "bar-cost")]
    assert widths == pytest.approx([200 * widths[0] / 200, 4 * widths[0] / 200, 0.0], abs=0.01)


def test_hostile_account_names_are_text(tmp_path):
    deals = tmp_path / "d.csv"
    deals.write_text('id,company,territory,deal_value,stage\nH1,"<script>alert(1)</script>",<b>T</b>,10,prospect\n')
    text = page(report(salesrules.load(DATA / "ruleset.yaml"), deals))
    assert "<script>alert" not in text and "<b>T" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


@needs_chromium
def test_the_maven_accounts_and_offices_in_a_desktop_browser(tmp_path):
    """The Maven worked example: the office bars and the channel costs are drawn to the scale of
    the data on a real screen."""
    result = report(salesrules.load(MAVEN / "accounts.yaml"), MAVEN / "sales_pipeline.csv", by="territory")
    text = page(result)
    (tmp_path / "maven.html").write_text(text, "utf-8")
    _, rows = screenshot(tmp_path, tmp_path / "maven.html", 1280, 6000)
    offices = result.territories.to_dicts()
    drawn = bars(rows, POTENTIAL)
    assert len(drawn) == len(offices) == 3
    measured = [b["right"] - b["left"] + 1 for b in drawn]
    indexes = [o["potential_index"] for o in offices]
    assert measured == pytest.approx([i * measured[0] / indexes[0] for i in indexes], abs=2)
    work = [b["right"] - b["left"] + 1 for b in bars(rows, WORKLOAD)]
    assert work == pytest.approx([o["workload_index"] * measured[0] / indexes[0] for o in offices], abs=2)
    costs = [b["right"] - b["left"] + 1 for b in bars(rows, COST)]
    channel = [s["cost"] for s in result.segments.to_dicts() if s["classification"] == "channel"]
    assert len(costs) == 3 and costs == pytest.approx([c * costs[1] / channel[1] for c in channel], abs=2)
    dom = chromium(tmp_path, "--dump-dom", (tmp_path / "maven.html").as_uri()).stdout.decode("utf-8")
    assert "69% of accounts (59 of 85) bring 81% of value" in dom
