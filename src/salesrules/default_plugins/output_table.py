"""The built-in ``table`` output format: a rich table for people at a console.

The table is the ranked view: rows in rank order (closed deals last, by score), and the
columns a rep reads — rank, key, tier, stage, score, band, other classifications and
scores, actions, reasons and gaps. Every row is shown; list values go one item per line.
The machine formats (csv, json...) carry every result column. Colours and other control
codes are emitted only when ``context.is_terminal`` says the stream is a terminal, and never
come from the data: every cell, header and title is shown with its control characters
(escape sequences, C1 controls, bidirectional overrides) replaced, line breaks kept.
"""

from __future__ import annotations

import polars as pl
from rich.console import Console
from rich.table import Table
from rich.text import Text

from salesrules.errors import printable
from salesrules.hookspecs import hookimpl
from salesrules.io.outputs import OutputContext, provenance_text, text_frame


def write_table(frame: pl.DataFrame, stream, context: OutputContext) -> None:
    """Render the results as a rich table to a text stream."""
    console = Console(
        file=stream,
        width=context.width,
        force_terminal=context.is_terminal,
        color_system="auto" if context.is_terminal else None,
        no_color=not context.is_terminal,
        highlight=False,
        emoji=False,
        markup=False,
    )
    console.print(build_table(ranked_view(frame, context), context))


_HIDDEN = {"tier_points", "stage_source", "stage_conflict", "stage_probability"}


def ranked_view(frame: pl.DataFrame, context: OutputContext) -> pl.DataFrame:
    """The results in rank order with the columns people read; input columns are left out."""
    if "rank" not in frame.columns or "score" not in frame.columns:
        return frame
    end = frame.columns.index("gaps") + 1 if "gaps" in frame.columns else len(frame.columns)
    results = [c for c in frame.columns[:end] if c not in _HIDDEN and c not in ("rank", context.key)]
    view = frame.sort(["rank", "score", context.key], descending=[False, True, False], nulls_last=True)
    if "stage_source" in frame.columns:
        view = view.with_columns(
            pl.when(pl.col("stage_source") == "inferred")
            .then(pl.col("stage") + pl.lit(" (inferred)"))
            .otherwise(pl.col("stage"))
            .alias("stage")
        )
    return view.select(["rank", context.key, *results])


def build_table(frame: pl.DataFrame, context: OutputContext) -> Table:
    """The rich Table: title ruleset and version, caption hash and as-of date."""
    p = provenance_text(context)
    table = Table(
        title=Text(printable(f"{p['ruleset']} {p['ruleset_version']}".strip())),
        caption=Text(printable(f"hash {p['ruleset_hash']}, as of {p['as_of']}")),
    )
    for name, dtype in frame.schema.items():
        justify = "right" if dtype.is_numeric() else "left"
        table.add_column(Text(printable(name)), justify=justify, no_wrap=name == context.key)
    # Values become Text objects so that "[bold]" in a CRM note is shown, not interpreted.
    for values in text_frame(frame, "\n").select(pl.all().cast(pl.String)).iter_rows():
        table.add_row(*(Text("" if value is None else printable(value)) for value in values))
    return table


@hookimpl
def register_output_formats(register):
    """Register ``table``; no extension selects it, it is meant for standard output."""
    register("table", write_table, extension="", binary=False, lists_as_text="\n")
