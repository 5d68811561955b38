"""The ``html`` report format: what the page says, that it is safe and self-contained, that its
charts draw the figures to scale, and, in headless Chromium, that a browser shows all of it on
a desktop and on a phone.

Set ``SALESRULES_WRITE_SCREENSHOT=1`` to save the desktop screenshot as docs/images/report.png.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from report_samples import sample_report

from salesrules.default_plugins import report_html
from salesrules.default_plugins.report_html import compact, render_html, write_html
from salesrules.io.outputs import OutputContext
from salesrules.reports.model import Report

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary (Debian package chromium) to render the page; CI installs it"
)
SCRIPT, ONLOAD = "<script>alert(1)</script>", '" onload="x'


def hostile_report() -> Report:
    """The sample with hostile text wherever a CRM export or a ruleset puts text."""
    report = sample_report()
    names = {"Anna Snelling": SCRIPT, "Cassey Cress": ONLOAD, "Darcel Schlecht": "{0} & <b>co</b>\x00\u202e\x85"}
    rename = pl.col("group").replace(names)
    report.pipeline = report.pipeline.with_columns(rename)
    report.recommendations = report.recommendations.with_columns(rename, advice=pl.lit("<i>Act</i>"),
                                                                 because=pl.lit('<a href="#x" onclick="x">x</a>'))
    report.stages = report.stages.with_columns(pl.col("stage").replace({"prospect": "<img src=x onerror=alert(1)>"}))
    report.settings = {**report.settings, "by": "<svg onload=x>", "value": "</style><script>"}
    report.provenance = {**report.provenance, "ruleset": "<script>r</script>", "as_of": '"><script>'}
    return report


def page(report: Report | None = None) -> str:
    """The page ``write_html`` writes for ``report`` (the sample by default)."""
    report = report or sample_report()
    stream = io.StringIO()
    write_html(report, stream, OutputContext(provenance=report.provenance, key="deal_id"))
    return stream.getvalue()


class Parsed(HTMLParser):
    """The tags, attributes, text and table rows of a page, as a browser's parser reads them."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags, self.attributes, self.text, self.tables = [], [], [], []
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += attrs
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def svgs(text: str) -> list[ET.Element]:
    """Every inline SVG of the page, parsed as XML."""
    return [ET.fromstring(svg) for svg in re.findall(r"<svg\b.*?</svg>", text, re.DOTALL)]


def rects(svg: ET.Element, css: str) -> list[dict[str, float]]:
    """The position and size of each ``<rect>`` of class ``css``."""
    keys = ("x", "y", "width", "height")
    return [{k: float(r.get(k)) for k in keys} for r in svg.iter("rect") if r.get("class") == css]


# --- The page -----------------------------------------------------------------------------------


def test_the_plugin_registers_html_as_a_text_format():
    calls = []
    report_html.register_report_formats(register=lambda *args, **kwargs: calls.append((args, kwargs)))
    assert calls == [(("html", write_html), {"extension": ".html", "binary": False})]


def test_the_page_is_one_html5_document_for_screens_phones_and_paper():
    text = page()
    assert text.startswith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n')
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert "<title>Pipeline report \u2013 maven 1</title>" in text
    assert text.endswith("</main>\n</body>\n</html>\n")
    assert "@media (max-width:640px)" in text and ".scroll{overflow-x:auto" in text
    assert "@media print{@page{size:landscape" in text and "break-inside:avoid" in text


def test_the_title_names_the_ruleset_its_version_and_the_as_of_date():
    text = page()
    assert "<h1>Pipeline report</h1>" in text
    assert ('<p class="subtitle">Ruleset <strong>maven</strong>, version 1 \u00b7 as of '
            '<time datetime="2017-12-31">31 December 2017</time></p>') in text
    assert "Ruleset maven 1 \u00b7 hash 0123456789ab \u00b7 as of 2017-12-31 \u00b7 made with salesrules" in text


def test_the_settings_say_how_the_figures_were_made():
    text = page()
    for term, value in [("Grouped by", "sales_agent"), ("Value field", "close_value"), ("Period", "All dates"),
                        ("Coverage multiple", "3\u00d7 (default)"), ("Lost deals left out of conversion", "59")]:
        assert f"<dt>{term}</dt><dd>{value}</dd>" in text
    report = sample_report()
    report.settings.update(period=["2017-01-01", "2017-12-31"], coverage_multiple=2.5, coverage_source="win rate")
    text = page(report)
    assert "<dt>Period</dt><dd>2017-01-01 \u2013 2017-12-31 (by close_date)</dd>" in text
    assert "<dt>Coverage multiple</dt><dd>2.5\u00d7 (from the win rate)</dd>" in text


def test_the_headline_figures_come_from_the_total():
    cards = re.findall(r'<span class="label">(.*?)</span><span class="value">(.*?)</span>', page())
    assert cards == [("Won", "1.74M"), ("Open pipeline", "338.5k"), ("Expected", "1.83M"), ("Attainment", "109.0%")]
    assert '<span class="note">19 deals, 83.3k weighted</span>' in page() and "of 1.6M quota" in page()


def test_the_pipeline_table_shows_groups_then_the_total_with_formatted_figures():
    pipeline = Parsed(page()).tables[0]
    assert pipeline[0] == ["Sales agent", "Open", "Won", "Lost", "Quota", "Outlook", "Slipped"]
    assert pipeline[1] == ["Deals", "Value", "Weighted", "Deals", "Value", "Deals", "Quota", "Gap", "Left to build",
                           "Expected", "Attainment", "Coverage"]
    assert pipeline[2:] == [
        ["Anna Snelling", "12", "240,500.00", "61,237.50", "30", "410,000.00", "20", "600,000.00", "190,000.00",
         "128,762.50", "471,237.50", "68.3%", "1.27\u00d7", "2"],
        ["Cassey Cress", "7", "98,000.00", "22,100.25", "12", "180,000.00", "9", "\u2013", "\u2013", "\u2013",
         "202,100.25", "\u2013", "\u2013", "0"],
        ["Darcel Schlecht", "0", "0.00", "0.00", "41", "1,153,214.00", "30", "1,000,000.00", "0.00", "0.00",
         "1,153,214.00", "115.3%", "\u2013", "0"],
        ["Total", "19", "338,500.00", "83,337.75", "83", "1,743,214.00", "59", "1,600,000.00", "0.00", "0.00",
         "1,826,551.75", "109.0%", "\u2013", "2"],
    ]


def test_tables_have_scoped_headers_and_the_total_row_stands_out():
    text = page()
    assert text.count('<th scope="row">') == 4 + 6
    assert text.count('<th scope="colgroup" colspan="3">Open</th>') == 1
    assert '<th scope="col" rowspan="2" class="text">Sales agent</th>' in text
    assert '<tr class="total"><th scope="row">Total</th><td class="num">19</td>' in text
    assert '<td class="num none">\u2013</td>' in text


def test_forecast_columns_get_their_own_heading():
    report = sample_report()
    forecast = {"forecast_commit": 1_000.0, "forecast_best_case": 2_500.5, "forecast_pipeline": None}
    report.pipeline = report.pipeline.with_columns(pl.lit(v, pl.Float64).alias(k) for k, v in forecast.items())
    report.total = report.total.with_columns(pl.lit(v, pl.Float64).alias(k) for k, v in forecast.items())
    table = Parsed(page(report)).tables[0]
    assert table[0][-1] == "Forecast" and table[1][-3:] == ["Commit", "Best case", "Pipeline"]
    assert table[-1][-3:] == ["1,000.00", "2,500.50", "\u2013"]


def test_the_stages_table_shows_open_then_closed_stages():
    assert Parsed(page()).tables[1] == [
        ["Stage", "Deals", "Value", "Weighted", "Avg. days in stage", "Reached", "Conversion", "Closed"],
        ["prospect", "5", "50,000.00", "2,500.00", "12.4", "161", "96.9%", "\u2013"],
        ["discovery", "6", "120,000.00", "12,000.00", "20.0", "156", "96.2%", "\u2013"],
        ["presentation", "4", "80,500.00", "20,125.00", "\u2013", "150", "97.3%", "\u2013"],
        ["negotiation", "4", "88,000.00", "48,712.75", "33.5", "146", "56.8%", "\u2013"],
        ["won", "83", "1,743,214.00", "\u2013", "\u2013", "\u2013", "\u2013", "won"],
        ["lost", "59", "900,000.00", "\u2013", "\u2013", "\u2013", "\u2013", "lost"],
    ]


def test_each_recommendation_gives_the_advice_in_bold_then_the_figures_behind_it():
    text = page()
    assert ('<li class="card"><span class="who">Anna Snelling</span><p><strong>Build pipeline</strong> '
            '<span class="because">\u2013 coverage 1.27x is under the required 3x (default)</span></p></li>') in text
    assert ('<span class="who">Overall</span><p><strong>Prospect more</strong> '
            '<span class="because">\u2013 8 deals near close against 11 early ones</span>') in text


@pytest.mark.parametrize("value, text", [
    (471_237.5, "471.2k"), (600_000.0, "600k"), (1_153_214.0, "1.15M"), (1_600_000.0, "1.6M"), (950.0, "950"),
    (0.0, "0"), (None, "\u2013"), (2.5e9, "2.5B"),
])
def test_chart_figures_are_short(value, text):
    assert compact(value) == text


# --- Safety ---------------------------------------------------------------------------------------


def test_hostile_text_appears_as_text_and_never_as_markup():
    text = page(hostile_report())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&quot; onload=&quot;x" in text
    assert "{0} &amp; &lt;b&gt;co&lt;/b&gt;" in text and not {"\x00", "\u202e", "\x85"} & set(text)
    assert "&lt;img src=x onerror=alert(1)&gt;" in text and "&lt;/style&gt;&lt;script&gt;" in text
    assert not re.search(r"\b(?:src|href|xlink:href|srcset|action)\s*=", page())
    for raw in ("<script", ONLOAD, "<img", "<b>", "<i>", "<a ", "</style><", "<svg onload", 'onclick="'):
        assert raw not in text
    parsed = Parsed(text)
    assert not {"script", "img", "a", "b", "i", "iframe", "object"} & set(parsed.tags)
    assert not [name for name, _ in parsed.attributes if name.startswith("on") or name in ("src", "href")]
    assert SCRIPT in "".join(parsed.text) and ONLOAD in "".join(parsed.text)


def test_the_page_loads_nothing_and_runs_nothing():
    for text in (page(), page(hostile_report())):
        assert "<script" not in text.lower() and "javascript:" not in text.lower()
        assert "http://" not in text and "https://" not in text
        assert not [name for name, _ in Parsed(text).attributes if name in ("src", "href", "xlink:href", "srcset")]
        assert "url(" not in text and "@import" not in text and "<link" not in text
        assert "default-src 'none'" in text


def test_the_charts_are_valid_svg_even_with_hostile_names():
    for text in (page(), page(hostile_report())):
        charts = svgs(text)
        assert len(charts) == 2
        for svg in charts:
            assert svg.get("role") == "img" and svg.get("aria-label") and svg.get("viewBox").startswith("0 0 440 ")
            assert svg[0].tag == "title" and svg[0].text == svg.get("aria-label")
    assert text.count("<figure") == 2 and text.count("<figcaption>") == 2
    assert svgs(page(hostile_report()))[0].find("g/title").text.startswith(SCRIPT + ": won 410,000.00")


# --- The charts -----------------------------------------------------------------------------------


def test_the_expected_chart_stacks_won_and_weighted_value_per_group_to_scale():
    report = sample_report()
    chart = svgs(page(report))[0]
    won, weighted = rects(chart, "bar-won"), rects(chart, "bar-weighted")
    groups = report.pipeline.to_dicts()
    assert len(won) == len(weighted) == len(groups) == 3
    scale = won[2]["width"] / groups[2]["won_value"]
    for group, bar, stacked in zip(groups, won, weighted):
        assert bar["width"] == pytest.approx(group["won_value"] * scale, abs=0.01)
        assert stacked["width"] == pytest.approx(group["weighted_value"] * scale, abs=0.01)
        assert stacked["x"] == pytest.approx(bar["x"] + bar["width"], abs=0.01) and stacked["y"] == bar["y"]
    assert [bar["y"] for bar in won] == sorted(bar["y"] for bar in won)
    quotas = [float(line.get("x1")) for line in chart.iter("line") if line.get("class") == "quota"]
    assert quotas == pytest.approx([won[0]["x"] + 600_000 * scale, won[0]["x"] + 1_000_000 * scale], abs=0.01)
    labels = ["".join(t.itertext()) for t in chart.iter("text")]
    assert "Anna Snelling" in labels and "471.2k expected of 600k" in labels and "202.1k expected" in labels
    assert {"Won", "Weighted open", "Quota"} <= set(labels)
    assert [t for t in labels if t in ("0", "250k", "500k", "750k", "1M", "1.25M", "1.5M")] == [
        "0", "250k", "500k", "750k", "1M", "1.25M"]


def test_the_funnel_draws_one_centred_bar_per_open_stage_to_scale_with_conversions_between():
    report = sample_report()
    chart = svgs(page(report))[1]
    bars = rects(chart, "bar-stage")
    values = [50_000.0, 120_000.0, 80_500.0, 88_000.0]
    assert len(bars) == 4
    for bar, value in zip(bars, values):
        assert bar["width"] == pytest.approx(200 * value / 120_000, abs=0.01)
        assert bar["x"] + bar["width"] / 2 == pytest.approx(220, abs=0.01)
    steps = ["".join(t.itertext()) for t in chart.iter("text") if t.get("class") == "step"]
    assert steps == ["\u25bc 96.9% to discovery", "\u25bc 96.2% to presentation", "\u25bc 97.3% to negotiation",
                     "\u25bc 56.8% to won"]


def test_an_empty_report_still_makes_a_page():
    report = sample_report()
    report.pipeline, report.total = report.pipeline.clear(), report.total.clear()
    report.stages, report.recommendations = report.stages.clear(), report.recommendations.clear()
    text = render_html(report)
    assert "No groups." in text and "No open stages." in text and "Nothing stands out." in text
    assert "<svg" not in text and 'class="kpis"' not in text


# --- In a browser ---------------------------------------------------------------------------------

WON, WEIGHTED, STAGE = (bytes.fromhex(c[1:]) for c in (report_html.WON_COLOUR, report_html.WEIGHTED_COLOUR,
                                                          report_html.STAGE_COLOUR))


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run headless Chromium with its own profile, no network and no background work."""
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", "--force-color-profile=srgb", "--force-device-scale-factor=1",
               f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", *args]
    environment = {**os.environ, "HOME": str(tmp_path)}
    result = subprocess.run(command, check=False, capture_output=True, timeout=60, env=environment)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    return result


def screenshot(tmp_path: Path, html_file: Path, width: int, height: int) -> tuple[Path, list[bytes]]:
    """The PNG Chromium makes of the page at that window size, and its rows of RGB pixels."""
    png = tmp_path / f"page-{width}.png"
    chromium(tmp_path, f"--window-size={width},{height}", f"--screenshot={png}", html_file.as_uri())
    rows = read_png(png.read_bytes())
    assert len(rows) == height and len(rows[0]) == width * 3
    return png, rows


def read_png(data: bytes) -> list[bytes]:
    """The rows of an 8-bit, non-interlaced RGB or RGBA PNG, as RGB bytes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = {}, 8
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunks.setdefault(kind, []).append(data[position + 8:position + 8 + length])
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"][0])
    assert depth == 8 and colour in (2, 6) and interlace == 0
    channels = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(b"".join(chunks[b"IDAT"])), width * channels
    rows, previous = [], bytes(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        previous = _unfilter(kind, line, previous, channels)
        rows.append(previous if channels == 3 else bytes(b for i, b in enumerate(previous) if i % 4 != 3))
    return rows


def write_png(path: Path, rows: list[bytes]) -> None:
    """Write rows of RGB pixels as a PNG file."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", len(rows[0]) // 3, len(rows), 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + row for row in rows), 9)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


def _unfilter(kind: int, line: bytes, up: bytes, bpp: int) -> bytes:
    if kind == 0 or (kind == 2 and not any(line)):
        return line if kind == 0 else up
    if kind == 2:
        return bytes((a + b) & 255 for a, b in zip(line, up))
    out = bytearray(line)
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        above, corner = up[i], up[i - bpp] if i >= bpp else 0
        if kind == 1:
            out[i] = (out[i] + left) & 255
        elif kind == 3:
            out[i] = (out[i] + (left + above) // 2) & 255
        else:
            p = left + above - corner
            pa, pb, pc = abs(p - left), abs(p - above), abs(p - corner)
            out[i] = (out[i] + (left if pa <= pb and pa <= pc else above if pb <= pc else corner)) & 255
    return bytes(out)


def bands(rows: list[bytes], colour: bytes) -> list[dict[str, int]]:
    """The horizontal bands of pixels of exactly ``colour``: top, bottom, left, right, pixels."""
    found, current = [], None
    for y, row in enumerate(rows):
        xs, i = [], row.find(colour)
        while i >= 0:
            if i % 3 == 0:
                xs.append(i // 3)
            i = row.find(colour, i + 1)
        if xs and current:
            current.update(bottom=y, left=min(current["left"], xs[0]), right=max(current["right"], xs[-1]),
                           pixels=current["pixels"] + len(xs))
        elif xs:
            current = {"top": y, "bottom": y, "left": xs[0], "right": xs[-1], "pixels": len(xs)}
            found.append(current)
        else:
            current = None
    return found


def bars(rows: list[bytes], colour: bytes) -> list[dict[str, int]]:
    """The bands of ``colour`` as tall as the tallest: the chart's bars, not its legend."""
    found = bands(rows, colour)
    tallest = max((b["bottom"] - b["top"] for b in found), default=0)
    return [b for b in found if b["bottom"] - b["top"] >= tallest - 2]


def assert_to_scale(drawn: list[dict[str, int]], widths: list[float], height: float) -> None:
    """The bars are as wide and tall as the chart draws them (in SVG units) on one pixel scale,
    within 2 px, and filled with their colour (a quota mark may cross one)."""
    measured = [b["right"] - b["left"] + 1 for b in drawn]
    pixels_per_unit = max(measured) / max(widths)
    assert measured == pytest.approx([w * pixels_per_unit for w in widths], abs=2)
    for bar, width in zip(drawn, widths):
        assert bar["bottom"] - bar["top"] + 1 == pytest.approx(height * pixels_per_unit, abs=2)
        assert bar["pixels"] >= 0.85 * (width * pixels_per_unit - 6) * (height * pixels_per_unit - 2)


def assert_charts_drawn(rows: list[bytes], report: Report) -> list[dict[str, int]]:
    """Chart 1 (plot 424 units wide for 0 to 1.25M, bars 20 high) and the funnel (200 units for the
    largest stage, bars 30 high) are on the screenshot as the data says."""
    groups = report.pipeline.to_dicts()
    won = bars(rows, WON)
    assert len(won) == len(groups), won
    assert_to_scale(won, [g["won_value"] * 424 / 1_250_000 for g in groups], 20)
    assert len({b["left"] for b in won}) == 1 and [b["top"] for b in won] == sorted(b["top"] for b in won)
    weighted = bars(rows, WEIGHTED)
    assert len(weighted) == sum(g["weighted_value"] > 0 for g in groups)
    for bar, group in zip(weighted, [g for g in groups if g["weighted_value"] > 0]):
        owner = won[groups.index(group)]
        assert abs(bar["left"] - owner["right"]) <= 2 and abs(bar["top"] - owner["top"]) <= 1
    funnel = bars(rows, STAGE)
    assert len(funnel) == 4
    assert_to_scale(funnel, [value * 200 / 120_000 for value in (50_000.0, 120_000.0, 80_500.0, 88_000.0)], 30)
    centres = [(b["left"] + b["right"]) / 2 for b in funnel]
    assert max(centres) - min(centres) <= 1.5
    return won


@pytest.fixture(scope="module")
def html_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(page(), "utf-8")
    return path


@needs_chromium
def test_a_desktop_browser_shows_the_charts_to_scale(html_file, tmp_path):
    _, rows = screenshot(tmp_path, html_file, 1280, 2000)
    won = assert_charts_drawn(rows, sample_report())
    assert max(b["right"] for b in won) < 640, "the two charts stand side by side"


@needs_chromium
def test_a_phone_browser_shows_the_charts_to_scale_within_the_screen(html_file, tmp_path):
    _, rows = screenshot(tmp_path, html_file, 390, 2400)
    won = assert_charts_drawn(rows, sample_report())
    assert min(b["left"] for b in won) >= 8 and max(b["right"] for b in won) <= 390 - 8
    assert max(b["right"] - b["left"] for b in won) > 200, "the chart fills the phone's width"


@needs_chromium
def test_the_browser_reads_the_figures_and_hostile_names_as_text(tmp_path):
    path = tmp_path / "hostile.html"
    path.write_text(page(hostile_report()), "utf-8")
    dom = chromium(tmp_path, "--dump-dom", path.as_uri()).stdout.decode("utf-8")
    parsed = Parsed(dom)
    assert not {"script", "img", "a", "b", "i"} & set(parsed.tags)
    assert not [name for name, _ in parsed.attributes if name.startswith("on")]
    text = "".join(parsed.text)
    for expected in (SCRIPT, ONLOAD, "{0} & <b>co</b>", "<img src=x onerror=alert(1)>", "1,153,214.00",
                     "240,500.00", "68.3%", "\u25bc 56.8% to won", "Pipeline report"):
        assert expected in text
    rows = {row[0]: row for row in parsed.tables[0] if row}
    assert rows[SCRIPT][1:3] == ["12", "240,500.00"] and rows[ONLOAD][7] == "\u2013"
    assert len(parsed.tables) == 2 and parsed.tags.count("svg") == 2 and parsed.tags.count("rect") > 10


@needs_chromium
def test_the_maven_report_per_office_in_a_desktop_browser(tmp_path):
    """The Maven CRM data per regional office, as docs/reports.md shows it: the bars of both charts
    are drawn to the scale of the data. With SALESRULES_WRITE_SCREENSHOT=1 the screenshot, without
    the empty page below the content, becomes docs/images/report.png."""
    import salesrules
    from salesrules.reports import report

    maven = ROOT / "tests" / "data" / "maven"
    result = report(salesrules.load(maven / "company.yaml"), maven / "sales_pipeline.csv", by="territory",
                    quotas=maven / "quotas-offices.csv", period="2017-01-01..2017-12-31")
    # The pipeline's page alone; tests/test_report_html_accounts.py draws the other sections.
    result = dataclasses.replace(result, accounts=None, territories=None, segments=None)
    text = page(result)
    (tmp_path / "maven.html").write_text(text, "utf-8")
    _, rows = screenshot(tmp_path, tmp_path / "maven.html", 1280, 2600)
    expected, funnel = svgs(text)
    drawn = rects(expected, "bar-won")
    won = [g["won_value"] for g in result.pipeline.to_dicts()]
    assert [r["width"] for r in drawn] == pytest.approx([w * drawn[0]["width"] / won[0] for w in won], abs=0.01)
    assert len(bars(rows, WON)) == len(won) == 3
    assert_to_scale(bars(rows, WON), [r["width"] for r in drawn], 20)
    assert_to_scale(bars(rows, STAGE), [r["width"] for r in rects(funnel, "bar-stage") if r["width"] > 0], 30)
    background = bytes.fromhex("f1f5f9") * 1280
    end = max(y for y, row in enumerate(rows) if row != background)
    assert end < len(rows) - 40, "the whole page is on the screenshot"
    if os.environ.get("SALESRULES_WRITE_SCREENSHOT") == "1":
        target = ROOT / "docs" / "images" / "report.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        write_png(target, rows[: end + 40])
        assert read_png(target.read_bytes()) == rows[: end + 40]
