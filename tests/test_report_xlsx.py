"""The ``xlsx`` report format, read back from the workbook's XML (and by LibreOffice when present)."""

from __future__ import annotations

import csv
import io
import posixpath
import shutil
import subprocess
import zipfile
from xml.etree import ElementTree

import polars as pl
import pytest
from report_samples import sample_report

from salesrules.default_plugins import report_xlsx
from salesrules.io.outputs import OutputContext
from salesrules.reports.model import Report

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
CHART = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
BUILTIN_FORMATS = {0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%"}
HOSTILE = [
    '=HYPERLINK("http://evil","x")',
    "=cmd|' /C calc'!A0",
    "http://example.com",
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "00123",
    "1e5",
    "mailto:a@example.com",
]


def hostile_report() -> Report:
    report = sample_report()
    groups = len(HOSTILE)
    pipeline = pl.concat([report.pipeline] * 3).head(groups).with_columns(group=pl.Series(HOSTILE))
    recommendations = pl.DataFrame({"group": HOSTILE, "advice": HOSTILE, "because": HOSTILE})
    settings = {**report.settings, "by": HOSTILE[0], "value": HOSTILE[1]}
    return Report(pipeline, report.total, report.stages, recommendations, settings, report.provenance)


def write(report: Report) -> bytes:
    stream = io.BytesIO()
    report_xlsx.write_xlsx(report, stream, OutputContext(provenance=report.provenance, key="id"))
    return stream.getvalue()


class Workbook:
    """An xlsx file read from its XML parts."""

    def __init__(self, data: bytes):
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        rels = self.rels("xl/workbook.xml")
        self.sheets = {
            sheet.get("name"): rels[sheet.get(REL_ID)] for sheet in self.xml("xl/workbook.xml").iter(f"{MAIN}sheet")
        }
        strings = self.xml("xl/sharedStrings.xml") if "xl/sharedStrings.xml" in self.zip.namelist() else []
        self.strings = ["".join(t.text or "" for t in si.iter(f"{MAIN}t")) for si in strings]
        styles = self.xml("xl/styles.xml")
        custom = {int(f.get("numFmtId")): f.get("formatCode") for f in styles.iter(f"{MAIN}numFmt")}
        fonts = [font.find(f"{MAIN}b") is not None for font in styles.find(f"{MAIN}fonts")]
        self.styles = [
            ({**BUILTIN_FORMATS, **custom}[int(xf.get("numFmtId", 0))], fonts[int(xf.get("fontId", 0))])
            for xf in styles.find(f"{MAIN}cellXfs")
        ]

    def xml(self, path: str) -> ElementTree.Element:
        return ElementTree.fromstring(self.zip.read(path))

    def rels(self, path: str) -> dict[str, str]:
        """The relationships of the part at ``path``: id to the target's path in the zip."""
        folder, name = posixpath.split(path)
        rels = posixpath.join(folder, "_rels", name + ".rels")
        if rels not in self.zip.namelist():
            return {}
        return {
            rel.get("Id"): posixpath.normpath(posixpath.join(folder, rel.get("Target")))
            for rel in self.xml(rels).iter(f"{RELS}Relationship")
        }

    def sheet(self, name: str) -> ElementTree.Element:
        return self.xml(self.sheets[name])

    def cells(self, name: str) -> dict[str, ElementTree.Element]:
        return {cell.get("r"): cell for cell in self.sheet(name).iter(f"{MAIN}c")}

    def value(self, cell: ElementTree.Element | None):
        if cell is None:
            return None
        kind, v = cell.get("t"), cell.find(f"{MAIN}v")
        if kind == "s":
            return self.strings[int(v.text)]
        if kind == "inlineStr":
            return "".join(t.text or "" for t in cell.iter(f"{MAIN}t"))
        if v is None:
            return None
        if kind in ("str", "b", "e"):
            return v.text
        return int(v.text) if v.text.lstrip("-").isdigit() else float(v.text)

    def rows(self, name: str) -> list[list]:
        """The sheet's values, row by row over its dimension; None for an empty cell."""
        cells = self.cells(name)
        last = self.sheet(name).find(f"{MAIN}dimension").get("ref").split(":")[-1]
        width, height = ord(last[0]) - ord("A") + 1, int(last[1:])
        return [
            [self.value(cells.get(f"{chr(ord('A') + col)}{row}")) for col in range(width)]
            for row in range(1, height + 1)
        ]

    def style(self, name: str, ref: str) -> tuple[str, bool]:
        """The number format of a cell and whether it is bold."""
        return self.styles[int(self.cells(name)[ref].get("s", 0))]

    def charts(self, name: str) -> list[ElementTree.Element]:
        found = []
        for drawing in self.rels(self.sheets[name]).values():
            found += [self.xml(chart) for chart in self.rels(drawing).values() if "/charts/" in chart]
        return found


@pytest.fixture(scope="module")
def book() -> Workbook:
    return Workbook(write(sample_report()))


def test_registers_the_xlsx_report_format():
    registered = []
    report_xlsx.register_report_formats(register=lambda *args, **kwargs: registered.append((args, kwargs)))
    assert registered == [(("xlsx", report_xlsx.write_xlsx), {"extension": ".xlsx", "binary": True})]


def test_one_sheet_per_section_then_about(book):
    assert list(book.sheets) == ["Pipeline", "Stages", "Recommendations", "About"]


def test_pipeline_values_with_the_total_row_and_empty_cells_for_nulls(book):
    report = sample_report()
    rows = book.rows("Pipeline")
    assert rows[0] == report.pipeline.columns
    assert rows[1:] == [list(row) for row in report.sections()["pipeline"].rows()]
    assert rows[2] == ["Cassey Cress", 7, 98000, 22100.25, 12, 180000, 9, None, None, None, 202100.25, None, None, 0]
    assert rows[4] == ["total", 19, 338500, 83337.75, 83, 1743214, 59, 1600000, 0, 0, 1826551.75, 1.0895, None, 2]
    cells = book.cells("Pipeline")
    assert {"H3", "I3", "J3", "L3", "M3", "M4", "M5"}.isdisjoint(cells)


def test_other_sections_values(book):
    report = sample_report()
    assert book.rows("Stages") == [report.stages.columns, *map(list, report.stages.rows())]
    assert book.rows("Recommendations") == [report.recommendations.columns, *map(list, report.recommendations.rows())]
    assert book.rows("About") == [
        ["section", "name", "value"],
        ["provenance", "ruleset", "maven"],
        ["provenance", "ruleset_version", "1"],
        ["provenance", "ruleset_hash", "0123456789ab"],
        ["provenance", "as_of", "2017-12-31"],
        ["settings", "by", "sales_agent"],
        ["settings", "value", "close_value"],
        ["settings", "period", None],
        ["settings", "close_date", "close_date"],
        ["settings", "coverage_multiple", 3],
        ["settings", "coverage_source", "default"],
        ["settings", "lost_left_out", 59],
    ]


def test_a_period_reads_from_to():
    report = sample_report()
    report.settings["period"] = ["2017-01-01", "2017-12-31"]
    assert ["settings", "period", "2017-01-01 to 2017-12-31"] in Workbook(write(report)).rows("About")


def test_money_share_multiple_and_integer_formats(book):
    money, share, integer = ("#,##0.00", False), ("0.0%", False), ("#,##0", False)
    for ref in ("C2", "D2", "F4", "H2", "I2", "J2", "K3"):
        assert book.style("Pipeline", ref) == money, ref
    for ref in ("L2", "L4"):
        assert book.style("Pipeline", ref) == share, ref
    assert book.style("Pipeline", "M2") == ('0.00"\u00d7"', False)
    for ref in ("B2", "E3", "G4", "N2"):
        assert book.style("Pipeline", ref) == integer, ref
    assert book.style("Stages", "C2") == money and book.style("Stages", "D5") == money
    assert book.style("Stages", "G2") == share
    assert book.style("Stages", "B7") == integer and book.style("Stages", "F2") == integer
    assert book.style("Stages", "E2") == ("0.0", False)
    # About holds settings, not money, whatever its column is named
    assert book.style("About", "C10") == ("General", False)
    assert book.style("About", "C12") == integer


def test_headers_and_the_total_row_are_bold(book):
    assert all(book.style(sheet, "A1")[1] for sheet in book.sheets)
    assert book.style("Pipeline", "A5") == ("General", True)
    assert book.style("Pipeline", "F5") == ("#,##0.00", True)
    assert book.style("Pipeline", "L5") == ("0.0%", True)
    assert book.style("Pipeline", "B5") == ("#,##0", True)
    assert not book.style("Pipeline", "A4")[1] and not book.style("Pipeline", "F4")[1]


@pytest.mark.parametrize("sheet, autofilter", [
    ("Pipeline", "A1:N4"),  # the groups; the total row stays below the filter
    ("Stages", "A1:H7"),
    ("Recommendations", "A1:C3"),
    ("About", "A1:C12"),
])
def test_frozen_header_and_autofilter(book, sheet, autofilter):
    root = book.sheet(sheet)
    pane = root.find(f"{MAIN}sheetViews/{MAIN}sheetView/{MAIN}pane")
    assert (pane.get("state"), pane.get("ySplit"), pane.get("xSplit"), pane.get("topLeftCell")) == (
        "frozen", "1", None, "A2")
    assert root.find(f"{MAIN}autoFilter").get("ref") == autofilter


def test_column_widths_fit_the_content(book):
    def widths(sheet):
        found = {}
        for col in book.sheet(sheet).iter(f"{MAIN}col"):
            for index in range(int(col.get("min")), int(col.get("max")) + 1):
                found[chr(ord("A") + index - 1)] = float(col.get("width"))
        return found

    pipeline = widths("Pipeline")
    assert set(pipeline) == set("ABCDEFGHIJKLMN")
    assert pipeline["A"] >= len("Darcel Schlecht") + 1
    assert pipeline["K"] >= len("1,826,551.75") + 1
    assert pipeline["D"] >= len("weighted_value") + 3
    assert pipeline["M"] >= len("coverage") + 3 and pipeline["N"] < pipeline["K"]
    because = widths("Recommendations")["C"]
    assert len("coverage 1.27x is under the required 3x (default)") < because <= 81


def test_pipeline_chart_stacks_won_and_weighted_against_quota(book):
    [chart] = book.charts("Pipeline")
    columns = chart.find(f".//{CHART}barChart")
    assert columns.find(f"{CHART}barDir").get("val") == "col"
    assert columns.find(f"{CHART}grouping").get("val") == "stacked"

    def series(plot):
        return [
            (s.find(f"{CHART}tx/{CHART}v").text, s.find(f"{CHART}cat//{CHART}f").text, s.find(f"{CHART}val//{CHART}f").text)
            for s in plot.iter(f"{CHART}ser")
        ]

    assert series(columns) == [
        ("Won", "Pipeline!$A$2:$A$4", "Pipeline!$F$2:$F$4"),
        ("Weighted open", "Pipeline!$A$2:$A$4", "Pipeline!$D$2:$D$4"),
    ]
    assert series(chart.find(f".//{CHART}lineChart")) == [("Quota", "Pipeline!$A$2:$A$4", "Pipeline!$H$2:$H$4")]
    assert chart.find(f".//{CHART}lineChart/{CHART}ser/{CHART}spPr/*/{{*}}noFill") is not None  # markers, no line


def test_stages_chart_is_a_funnel_of_the_open_stages(book):
    [chart] = book.charts("Stages")
    bars = chart.find(f".//{CHART}barChart")
    assert bars.find(f"{CHART}barDir").get("val") == "bar"
    [series] = bars.iter(f"{CHART}ser")
    assert series.find(f"{CHART}cat//{CHART}f").text == "Stages!$A$2:$A$5"
    assert series.find(f"{CHART}val//{CHART}f").text == "Stages!$B$2:$B$5"
    cached = [pt.find(f"{CHART}v").text for pt in series.find(f"{CHART}cat").iter(f"{CHART}pt")]
    assert cached == ["prospect", "discovery", "presentation", "negotiation"]
    assert chart.find(f".//{CHART}catAx/{CHART}scaling/{CHART}orientation").get("val") == "maxMin"  # first on top


def test_charts_are_native_and_only_where_they_belong(book):
    names = book.zip.namelist()
    assert sorted(n for n in names if n.startswith("xl/charts/")) == ["xl/charts/chart1.xml", "xl/charts/chart2.xml"]
    assert not [n for n in names if n.startswith("xl/media/")]
    assert book.charts("Recommendations") == [] and book.charts("About") == []


def test_no_groups_and_no_open_stages_give_no_charts():
    report = sample_report()
    report.pipeline = report.pipeline.clear()
    report.stages = report.stages.filter(pl.col("closed").is_not_null())
    book = Workbook(write(report))
    assert book.charts("Pipeline") == [] and book.charts("Stages") == []
    assert book.rows("Pipeline")[1][0] == "total" and book.style("Pipeline", "A2")[1]
    assert book.sheet("Pipeline").find(f"{MAIN}autoFilter").get("ref") == "A1:N1"


def test_not_a_number_is_an_empty_cell():
    report = sample_report()
    report.pipeline = report.pipeline.with_columns(coverage=pl.Series([float("nan"), float("inf"), None]))
    cells = Workbook(write(report)).cells("Pipeline")
    assert {"M2", "M3", "M4"}.isdisjoint(cells)


def test_groups_and_stages_are_text_whatever_their_type():
    report = sample_report()
    report.pipeline = report.pipeline.with_columns(group=pl.Series([2016, 2017, 2018]))
    report.total = report.total.with_columns(group=pl.lit(None, pl.Int64))
    report.stages = report.stages.with_columns(stage=pl.Series([1, 2, 3, 4, 5, 6]))
    book = Workbook(write(report))
    cells = book.cells("Pipeline")
    assert [book.value(cells[ref]) for ref in ("A2", "A3", "A4")] == ["2016", "2017", "2018"]
    assert cells["A2"].get("t") == "s" and "A5" not in cells
    assert book.value(book.cells("Stages")["A2"]) == "1"


def test_hostile_text_stays_plain_text():
    data = write(hostile_report())
    book = Workbook(data)
    for sheet, column in (("Pipeline", "A"), ("Recommendations", "A"), ("Recommendations", "B"), ("Recommendations", "C")):
        cells = book.cells(sheet)
        for row, text in enumerate(HOSTILE, start=2):
            cell = cells[f"{column}{row}"]
            assert cell.get("t") in ("s", "inlineStr"), (sheet, text)
            assert book.value(cell) == text
    about = book.cells("About")
    assert [book.value(about["C6"]), book.value(about["C7"])] == HOSTILE[:2]
    assert about["C6"].get("t") == "s" and about["C7"].get("t") == "s"
    for path in book.sheets.values():
        root = book.xml(path)
        assert root.find(f".//{MAIN}f") is None, path
        assert root.find(f"{MAIN}hyperlinks") is None, path
    for name in book.zip.namelist():
        if name.endswith(".rels"):
            assert b"/hyperlink" not in book.zip.read(name), name
            assert b'TargetMode="External"' not in book.zip.read(name), name


def _office() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


@pytest.mark.skipif(_office() is None, reason="LibreOffice (libreoffice or soffice) is not installed")
def test_libreoffice_reads_the_pipeline_sheet(tmp_path):
    path = tmp_path / "report.xlsx"
    path.write_bytes(write(sample_report()))
    # the first sheet as UTF-8 CSV, cells as shown: the number formats are read too
    target = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true"
    subprocess.run(
        [_office(), f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
         "--convert-to", target, "--outdir", str(tmp_path / "out"), str(path)],
        check=True, capture_output=True, timeout=180,
    )
    with open(tmp_path / "out" / "report.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        sample_report().pipeline.columns,
        ["Anna Snelling", "12", "240,500.00", "61,237.50", "30", "410,000.00", "20", "600,000.00", "190,000.00",
         "128,762.50", "471,237.50", "68.3%", "1.27\u00d7", "2"],
        ["Cassey Cress", "7", "98,000.00", "22,100.25", "12", "180,000.00", "9", "", "", "", "202,100.25", "", "", "0"],
        ["Darcel Schlecht", "0", "0.00", "0.00", "41", "1,153,214.00", "30", "1,000,000.00", "0.00", "0.00",
         "1,153,214.00", "115.3%", "", "0"],
        ["total", "19", "338,500.00", "83,337.75", "83", "1,743,214.00", "59", "1,600,000.00", "0.00", "0.00",
         "1,826,551.75", "108.9%", "", "2"],
    ]
