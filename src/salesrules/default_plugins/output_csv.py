"""The built-in ``csv`` output format.

Lists are joined with ``"; "``, actions read ``text (due YYYY-MM-DD)``, other nested
values are JSON text, and the provenance follows as four trailing columns. Text that a
spreadsheet would run as a formula gets a leading ``'`` unless ``context.csv_raw``.
"""

from __future__ import annotations

import polars as pl

from salesrules.hookspecs import hookimpl
from salesrules.io.formulas import formula_safe, neutralised_text
from salesrules.io.outputs import OutputContext, text_frame, with_provenance_columns


def write_csv(frame: pl.DataFrame, stream, context: OutputContext) -> None:
    """Write the results as UTF-8 CSV (no BOM) to a binary stream."""
    csv_table(frame, context).write_csv(stream)


def sink_csv(frame: pl.LazyFrame, stream, context: OutputContext) -> None:
    """Write results that may not fit in memory, batch by batch, exactly as :func:`write_csv` would."""
    csv_table(frame, context).sink_csv(stream)


def csv_table(frame: pl.DataFrame | pl.LazyFrame, context: OutputContext):
    """The cells as they go into the file: text, provenance columns, formulas neutralised."""
    table = text_frame(frame, "; ")
    if context.csv_raw:
        return with_provenance_columns(table, context)
    # The provenance values are neutralised once here rather than in every row.
    return with_provenance_columns(formula_safe(table), context, neutralised_text)


@hookimpl
def register_output_formats(register):
    """Register ``csv`` (``.csv``)."""
    register("csv", write_csv, extension=".csv", binary=True, sink=sink_csv, lists_as_text="; ")
