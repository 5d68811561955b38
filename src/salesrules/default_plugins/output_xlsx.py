"""The built-in ``xlsx`` output format: worksheets ``results`` and ``provenance``.

The results sheet is ready to work with: rows in rank order (``salesrules evaluate`` ranks
them for xlsx unless ``--sort input``; closed deals come last), a filter on every column,
the header row frozen, each column as wide as its content (up to a limit, longer text
wraps), probabilities as percentages and money (``context.money_columns``) with two
decimals and thousands separators. Lists are joined with ``"; "`` and actions read ``text (due YYYY-MM-DD)`` as in CSV;
numbers, booleans and dates keep their Excel types. Text is always written as text: a
value such as ``=HYPERLINK(...)`` or ``http://...`` from a prospect file or a ruleset
never becomes a formula or a link.
"""

from __future__ import annotations

import io
import threading

import polars as pl

from salesrules.hookspecs import hookimpl
from salesrules.io.outputs import OutputContext, provenance_text, text_frame

# in_memory: xlsxwriter otherwise stages every part in temporary files. The strings_to_*
# options are off because xlsxwriter would otherwise turn text that looks like a formula,
# a URL or a number into one: the values come from other people's files.
WORKBOOK_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def write_xlsx(frame: pl.DataFrame, stream, context: OutputContext) -> None:
    """Write the workbook to a binary stream."""
    # The workbook is built in memory and written in one piece: when the stream fails (a full
    # disk), xlsxwriter's zip file would otherwise be left half-closed and complain at exit.
    # It is built on a thread of its own: Ctrl-C interrupts only the main thread, which then
    # stops waiting, instead of breaking into xlsxwriter, whose half-written zip file would
    # complain when collected.
    built: dict = {}

    def build() -> None:
        try:
            built["workbook"] = workbook_bytes(frame, context)
        except BaseException as exc:  # handed to the main thread
            built["error"] = exc

    worker = threading.Thread(target=build, name="salesrules-xlsx", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.05)
    if "error" in built:
        raise built["error"]
    stream.write(built["workbook"])


def workbook_bytes(frame: pl.DataFrame, context: OutputContext) -> bytes:
    """The xlsx workbook of the results and their provenance."""
    buffer = io.BytesIO()
    results = text_frame(frame, "; ")
    import xlsxwriter  # here, not when the plugin loads: most runs write no workbook

    with xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS) as workbook:
        results.write_excel(
            workbook, worksheet="results", autofilter=True, freeze_panes=(1, 0),
            column_widths=column_widths(results), column_formats=column_formats(results, context),
            include_header=True,
        )
        provenance_sheet(context).write_excel(workbook, worksheet="provenance", autofit=True)
    return buffer.getvalue()


MAX_WIDTH = 60  # characters; longer text is cut off at the column's edge until widened
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0%"


def column_widths(frame: pl.DataFrame) -> dict[str, int]:
    """Each column's width in pixels: its longest value or header (of the first 1,000 rows),
    at most :data:`MAX_WIDTH` characters."""
    head = frame.head(1000)
    widths = {}
    for name in frame.columns:
        values = head.get_column(name)
        if values.dtype == pl.Boolean:
            longest = 5
        else:
            longest = values.cast(pl.String).str.len_chars().max() or 0
        characters = min(MAX_WIDTH, max(len(name) + 3, int(longest)))  # + 3: the filter's button
        widths[name] = characters * 7 + 10
    return widths


def column_formats(frame: pl.DataFrame, context: OutputContext) -> dict[str, str]:
    """Number formats: probabilities as percentages, money columns with two decimals."""
    formats = {}
    for name, dtype in frame.schema.items():
        if not dtype.is_numeric():
            continue
        if name == "stage_probability" or name.endswith("_probability"):
            formats[name] = PERCENT_FORMAT
        elif name in context.money_columns:
            formats[name] = MONEY_FORMAT
    return formats


def provenance_sheet(context: OutputContext) -> pl.DataFrame:
    """The provenance as rows of ``key`` and ``value``."""
    entries = provenance_text(context)
    return pl.DataFrame(
        {"key": list(entries), "value": list(entries.values())},
        schema={"key": pl.String, "value": pl.String},
    )


@hookimpl
def register_output_formats(register):
    """Register ``xlsx`` (``.xlsx``)."""
    register("xlsx", write_xlsx, extension=".xlsx", binary=True, lists_as_text="; ", sort="rank")
