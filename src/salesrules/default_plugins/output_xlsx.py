"""The built-in ``xlsx`` output format: worksheets ``results`` and ``provenance``.

Lists are joined with ``"; "`` and actions read ``text (due YYYY-MM-DD)`` as in CSV;
numbers, booleans and dates keep their Excel types.
"""

from __future__ import annotations

import io
import threading

import polars as pl
import xlsxwriter

from salesrules.hookspecs import hookimpl
from salesrules.io.outputs import OutputContext, provenance_text, text_frame


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
    # in_memory: xlsxwriter otherwise stages every part in temporary files.
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as workbook:
        text_frame(frame, "; ").write_excel(workbook, worksheet="results", autofit=True)
        provenance_sheet(context).write_excel(workbook, worksheet="provenance", autofit=True)
    return buffer.getvalue()


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
    register("xlsx", write_xlsx, extension=".xlsx", binary=True, lists_as_text="; ")
