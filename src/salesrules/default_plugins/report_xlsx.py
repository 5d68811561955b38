"""The built-in ``xlsx`` report format: sheets Pipeline, Stages, Recommendations, Accounts,
Territories and Segments (where the report has them) and About.

Each sheet holds one table: a bold header row that stays in view, an autofilter and column
widths fitted to the content. Money shows as ``#,##0.00``, shares as ``0.0%``, multiples as
``3.25×``, counts as integers, groups and stages as text, and a figure that cannot be
computed as an empty cell. The Pipeline sheet ends with the total row in bold, and charts
expected (won plus weighted) against quota per group; the Stages sheet charts the deals in
each open stage as a funnel; Accounts draws the Pareto curve, Territories the indexes around
the average, Segments the cost to serve. The charts are Excel's own, drawn from the cells.

The data comes from other people's CRM exports, so every text is written as a plain string:
never as a formula, a number or a link, whatever it looks like.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from itertools import takewhile
from typing import TYPE_CHECKING, Any

import polars as pl

from salesrules.hookspecs import hookimpl
from salesrules.io.outputs import OutputContext, provenance

if TYPE_CHECKING:  # the reports are imported when a report is written, not when the plugin loads
    from salesrules.reports.model import Report

WORKBOOK_OPTIONS = {
    "in_memory": True,  # otherwise xlsxwriter stages every part in temporary files
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "remove_timezone": True,
}
MONEY_FORMAT = "#,##0.00"
SHARE_FORMAT = "0.0%"
MULTIPLE_FORMAT = '0.00"\u00d7"'
DAYS_FORMAT = "0.0"
INTEGER_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MAX_WIDTH = 80
FILTER_BUTTON = 3  # characters the autofilter's drop-down takes from a header
ABOUT_COLUMNS = ["section", "name", "value"]
LABEL_COLUMNS = {"group", "stage", "segment", "classification"}  # names, whatever their type: a year stays 2017, not 2,017


class Formats:
    """The workbook's cell formats, made once per number format and weight."""

    def __init__(self, workbook):
        self.workbook = workbook
        self.made: dict[tuple[str | None, bool], Any] = {}

    def get(self, num_format: str | None, bold: bool = False):
        """The format showing numbers as ``num_format`` (general when None), bold or not."""
        key = (num_format, bold)
        if key not in self.made:
            properties = {"bold": bold} if bold else {}
            if num_format:
                properties["num_format"] = num_format
            self.made[key] = self.workbook.add_format(properties) if properties else None
        return self.made[key]


def write_xlsx(report: Report, stream, context: OutputContext) -> None:
    """Write the report's workbook to a binary stream."""
    stream.write(workbook_bytes(report, context))


def workbook_bytes(report: Report, context: OutputContext) -> bytes:
    """The xlsx workbook of the report: one sheet per section, then About."""
    buffer = io.BytesIO()
    import xlsxwriter  # here, not when the plugin loads: most runs write no workbook

    with xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS) as workbook:
        formats = Formats(workbook)
        sections = report.sections()
        pipeline, stages = sections["pipeline"], sections["stages"]
        groups = report.pipeline.height
        sheet = write_table(workbook, formats, "Pipeline", pipeline.columns, pipeline.rows(), groups)
        if groups:
            pipeline_chart(workbook, sheet, pipeline, groups)
        sheet = write_table(workbook, formats, "Stages", stages.columns, stages.rows())
        open_stages = open_stage_count(stages)
        if open_stages:
            funnel_chart(workbook, sheet, stages, open_stages)
        recommendations = sections["recommendations"]
        write_table(workbook, formats, "Recommendations", recommendations.columns, recommendations.rows())
        account_sheets(workbook, formats, report)
        write_table(workbook, formats, "About", ABOUT_COLUMNS, about_rows(report, context), typed=False)
    return buffer.getvalue()


def write_table(workbook, formats: Formats, name: str, columns: list[str], rows: list[tuple],
                body: int | None = None, typed: bool = True):
    """Add sheet ``name`` with a table of ``rows`` under a header of ``columns``; return it.

    The first ``body`` rows (every row when None) are the table's body, under its autofilter;
    the rows after them are totals, in bold. Unless ``typed`` is false, the column's name
    decides how its numbers show (see :func:`number_format`) and labels are text.
    """
    sheet = workbook.add_worksheet(name)
    body = len(rows) if body is None else min(body, len(rows))
    header = formats.get(None, bold=True)
    for col, column in enumerate(columns):
        sheet.write_string(0, col, column, header)
    kinds = list(columns) if typed else [""] * len(columns)
    for index, values in enumerate(rows):
        for col, value in enumerate(values):
            write_cell(sheet, formats, index + 1, col, value, kinds[col], index >= body)
    sheet.autofilter(0, 0, body, max(len(columns) - 1, 0))
    sheet.freeze_panes(1, 0)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)  # printed one page wide
    for col, column in enumerate(columns):
        shown = [len(column) + FILTER_BUTTON, *(len(cell_text(values[col], kinds[col])) for values in rows)]
        sheet.set_column(col, col, min(max(shown) + 2, MAX_WIDTH))
    return sheet


def write_cell(sheet, formats: Formats, row: int, col: int, value: Any, column: str, bold: bool) -> None:
    """Write one value with its Excel type; nothing (an empty cell) for a null."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return
    if column in LABEL_COLUMNS or isinstance(value, str):
        sheet.write_string(row, col, cell_text(value, column), formats.get(None, bold))
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, formats.get(None, bold))
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value, formats.get(number_format(value, column), bold))
    elif isinstance(value, dt.datetime):
        sheet.write_datetime(row, col, value, formats.get(DATETIME_FORMAT, bold))
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, col, value, formats.get(DATE_FORMAT, bold))
    else:
        sheet.write_string(row, col, cell_text(value, column), formats.get(None, bold))


def number_format(value: float, column: str) -> str | None:
    """The number format of ``value`` in ``column``: money, share, multiple, days, integer or general."""
    from salesrules.reports.model import MONEY_COLUMNS, MULTIPLE_COLUMNS, SHARE_COLUMNS

    if column in MONEY_COLUMNS:
        return MONEY_FORMAT
    if column in SHARE_COLUMNS:
        return SHARE_FORMAT
    if column in MULTIPLE_COLUMNS:
        return MULTIPLE_FORMAT
    if column in ("avg_days_in_stage", "potential_index", "workload_index", "score", "workload"):
        return DAYS_FORMAT
    return INTEGER_FORMAT if isinstance(value, int) else None


def cell_text(value: Any, column: str) -> str:
    """``value`` as the cell shows it, near enough to fit the column's width."""
    from salesrules.reports.model import MONEY_COLUMNS, MULTIPLE_COLUMNS, SHARE_COLUMNS

    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if column in LABEL_COLUMNS:
        return str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if column in MONEY_COLUMNS:
            return f"{value:,.2f}"
        if column in SHARE_COLUMNS:
            return f"{value:.1%}"
        if column in MULTIPLE_COLUMNS:
            return f"{value:.2f}\u00d7"
        if column in ("avg_days_in_stage", "potential_index", "workload_index", "score", "workload"):
            return f"{value:.1f}"
        return f"{value:,}" if isinstance(value, int) else str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, (list, tuple)):
        return "; ".join("" if item is None else str(item) for item in value)
    return str(value)


def about_rows(report: Report, context: OutputContext) -> list[tuple]:
    """The provenance, then the settings, as rows of section, name and value."""
    rows = [("provenance", key, value) for key, value in provenance(context).items()]
    for key, value in report.settings.items():
        if key == "period" and isinstance(value, (list, tuple)):
            value = " to ".join("…" if day is None else str(day) for day in value)
        rows.append(("settings", key, value))
    return rows


def open_stage_count(stages: pl.DataFrame) -> int:
    """How many stages come first that are open (``closed`` is null)."""
    if not {"stage", "deals", "closed"} <= set(stages.columns):
        return 0
    return sum(1 for _ in takewhile(lambda closed: closed is None, stages["closed"]))


def pipeline_chart(workbook, sheet, frame: pl.DataFrame, groups: int) -> None:
    """Chart, per group, won and weighted value stacked, with the quota as a marker."""
    needed = ("group", "won_value", "weighted_value", "quota")
    if not all(column in frame.columns for column in needed):
        return
    col = {column: frame.columns.index(column) for column in needed}

    def cells(column: str) -> list:
        return [sheet.name, 1, col[column], groups, col[column]]

    width = min(max(720, 72 * groups), 2400)
    # the quota's dash about as wide as a column (the plot's width shared by the groups, less
    # the 60 % gap between columns, in points), up to a size that keeps it a thin line
    dash = int(min(36, max(8, (width - 120) / groups / 1.6 * 0.75)))
    chart = workbook.add_chart({"type": "column", "subtype": "stacked"})
    for column, label, colour in (("won_value", "Won", "#2E7D32"), ("weighted_value", "Weighted open", "#81C784")):
        chart.add_series({
            "name": label, "categories": cells("group"), "values": cells(column),
            "fill": {"color": colour}, "border": {"none": True}, "gap": 60,
        })
    quota = workbook.add_chart({"type": "line"})
    quota.add_series({
        "name": "Quota", "categories": cells("group"), "values": cells("quota"),
        "line": {"none": True},
        "marker": {"type": "dash", "size": dash, "fill": {"color": "#C62828"}, "border": {"color": "#C62828"}},
    })
    chart.combine(quota)
    chart.set_title({"name": "Expected against quota"})
    chart.set_y_axis({"num_format": INTEGER_FORMAT, "major_gridlines": {"visible": True}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": width, "height": 400})
    sheet.insert_chart(frame.height + 2, 0, chart)


def funnel_chart(workbook, sheet, stages: pl.DataFrame, open_stages: int) -> None:
    """Chart the deals in each open stage as horizontal bars, the first stage on top."""
    stage, deals = stages.columns.index("stage"), stages.columns.index("deals")
    chart = workbook.add_chart({"type": "bar"})
    chart.add_series({
        "name": "Open deals",
        "categories": [sheet.name, 1, stage, open_stages, stage],
        "values": [sheet.name, 1, deals, open_stages, deals],
        "fill": {"color": "#1565C0"},
        "gap": 30,
        "data_labels": {"value": True, "num_format": INTEGER_FORMAT},
    })
    chart.set_title({"name": "Open deals by stage"})
    chart.set_y_axis({"reverse": True})
    chart.set_x_axis({"visible": False, "major_gridlines": {"visible": False}})
    chart.set_legend({"none": True})
    chart.set_size({"width": 640, "height": max(240, 48 * open_stages + 96)})
    sheet.insert_chart(stages.height + 2, 0, chart)


def account_sheets(workbook, formats: Formats, report: Report) -> None:
    """The Accounts, Territories and Segments sheets, where the report has them, with their charts:
    the Pareto curve of the accounts, the territories' indexes around the average (100) and the
    cost to serve each segment."""
    if report.accounts is not None:
        frame = report.accounts
        sheet = write_table(workbook, formats, "Accounts", frame.columns, frame.rows())
        if frame.height:
            pareto_chart(workbook, sheet, frame)
    if report.territories is not None:
        frame = report.territories
        sheet = write_table(workbook, formats, "Territories", frame.columns, frame.rows())
        if frame.height:
            territory_chart(workbook, sheet, frame)
    if report.segments is not None:
        frame = report.segments
        sheet = write_table(workbook, formats, "Segments", frame.columns, frame.rows())
        segment_charts(workbook, sheet, frame)


def _range(sheet, frame: pl.DataFrame, column: str, first: int = 0, last: int | None = None) -> list:
    """The cells of ``column`` for the table rows ``first`` to ``last`` (0-based, inclusive)."""
    col = frame.columns.index(column)
    last = frame.height - 1 if last is None else last
    return [sheet.name, first + 1, col, last + 1, col]


def pareto_chart(workbook, sheet, frame: pl.DataFrame) -> None:
    """Each account's value as a column, and the cumulative share as a line on a 0–100% axis."""
    chart = workbook.add_chart({"type": "column"})
    chart.add_series({"name": "Value", "categories": _range(sheet, frame, "group"), "values": _range(sheet, frame, "value"),
                      "fill": {"color": "#6D28D9"}, "border": {"none": True}, "gap": 20})
    line = workbook.add_chart({"type": "line"})
    line.add_series({"name": "Cumulative share", "categories": _range(sheet, frame, "group"),
                     "values": _range(sheet, frame, "cumulative_share"), "y2_axis": True,
                     "line": {"color": "#0F172A", "width": 2}, "marker": {"type": "none"}})
    chart.combine(line)
    line.set_y2_axis({"min": 0, "max": 1, "num_format": "0%"})
    chart.set_title({"name": "Accounts by value (Pareto)"})
    chart.set_y_axis({"num_format": INTEGER_FORMAT, "major_gridlines": {"visible": True}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": min(max(720, 14 * frame.height), 2400), "height": 400})
    sheet.insert_chart(frame.height + 2, 0, chart)


def territory_chart(workbook, sheet, frame: pl.DataFrame) -> None:
    """The potential and workload indexes per territory as columns rising or falling from 100, the average."""
    chart = workbook.add_chart({"type": "column"})
    for column, label, colour in (("potential_index", "Potential", "#B45309"), ("workload_index", "Workload", "#BE185D")):
        chart.add_series({"name": label, "categories": _range(sheet, frame, "group"), "values": _range(sheet, frame, column),
                          "fill": {"color": colour}, "border": {"none": True}, "gap": 80})
    chart.set_title({"name": "Territories against the average (100)"})
    chart.set_y_axis({"crossing": 100, "num_format": "0", "major_gridlines": {"visible": True}})
    chart.set_x_axis({"label_position": "low"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": min(max(640, 96 * frame.height), 2400), "height": 360})
    sheet.insert_chart(frame.height + 2, 0, chart)


def segment_charts(workbook, sheet, frame: pl.DataFrame) -> None:
    """One chart per classification whose levels declare a cost: the cost to serve each segment."""
    names = frame["classification"].to_list()
    row = frame.height + 2
    for name in dict.fromkeys(names):
        rows = [i for i, n in enumerate(names) if n == name]
        if all(frame["cost"][i] is None for i in rows):
            continue
        chart = workbook.add_chart({"type": "column"})
        chart.add_series({"name": "Cost to serve", "categories": _range(sheet, frame, "segment", rows[0], rows[-1]),
                          "values": _range(sheet, frame, "cost", rows[0], rows[-1]), "fill": {"color": "#15803D"},
                          "data_labels": {"value": True, "num_format": MONEY_FORMAT}, "gap": 60})
        chart.set_title({"name": f"Cost to serve by {name}"})
        chart.set_y_axis({"num_format": INTEGER_FORMAT, "major_gridlines": {"visible": True}})
        chart.set_legend({"none": True})
        chart.set_size({"width": 640, "height": 320})
        sheet.insert_chart(row, 0, chart)
        row += 17


@hookimpl
def register_report_formats(register):
    """Register ``xlsx`` (``.xlsx``)."""
    register("xlsx", write_xlsx, extension=".xlsx", binary=True)
