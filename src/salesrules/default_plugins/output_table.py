"""The built-in ``table`` output format: a rich table for people at a console.

The table is the ranked view: rows in rank order (closed deals last, by score), and by
default the columns a rep reads first — rank, key, tier, stage, score, band and reasons
(``salesrules evaluate`` computes no others unless asked with ``--with`` or ``--columns``).
Each record is one line: lists are joined with ``"; "`` and a cell too long for its column
ends with an ellipsis. Columns are fitted to the console's width: the key, rank, score and
band keep their full width, text columns share what is left, and the columns that do not fit
at all are left out and named under the table. When the frame holds only the top of the
ranking (``context.total_rows``), a footer says how many records there are in all and how
many are closed. Colours and other control codes are emitted only when
``context.is_terminal`` says the stream is a terminal, and never come from the data: every
cell, header and title is shown with its control characters (escape sequences, C1 controls,
bidirectional overrides) replaced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from salesrules.errors import printable
from salesrules.hookspecs import hookimpl
from salesrules.io.outputs import OutputContext, provenance_text, text_frame

if TYPE_CHECKING:  # rich is imported when a table is drawn, not when the plugin loads
    from rich.table import Table

# The columns shown unless others are asked for, in this order (KEY stands for the key).
KEY = "\0key"
# stage_source is read to mark an inferred stage "(inferred)", not shown as a column.
DEFAULT_COLUMNS = ("rank", KEY, "tier", "stage", "stage_source", "score", "band", "reasons")
# Which columns stay when the console is too narrow for all of them: first ones first.
_PRIORITY = (KEY, "rank", "score", "band", "tier", "stage")
_HIDDEN = {"tier_points", "stage_source", "stage_conflict", "stage_probability"}
# A text column is cut down to no narrower than this; below it, it is left out.
_MIN_TEXT = 12
_OVERHEAD = 3  # a column's padding and its border


def default_columns(available: list[str], key: str) -> list[str]:
    """The columns the table shows unless others are asked for: of rank, the key, tier,
    stage, score, band and reasons, those that ``available`` has."""
    wanted = [key if name == KEY else name for name in DEFAULT_COLUMNS]
    return [name for name in wanted if name in available]


def write_table(frame: pl.DataFrame, stream, context: OutputContext) -> None:
    """Render the results as a rich table to a text stream, then the footer."""
    from rich.console import Console
    from rich.text import Text

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
    view = ranked_view(frame, context)
    table, left_out = fitted_table(view, context, console.width)
    console.print(table)
    for line in footer(view, context, left_out):
        console.print(Text(printable(line)), overflow="fold")


def ranked_view(frame: pl.DataFrame, context: OutputContext) -> pl.DataFrame:
    """The results in rank order, rank and key first; of every result column (a frame with
    ``gaps``), the internal ones and the input columns are left out."""
    if "rank" not in frame.columns or "score" not in frame.columns:
        return frame
    columns = [c for c in frame.columns if c != "stage_source"]
    if "gaps" in columns:
        columns = [c for c in columns[: columns.index("gaps") + 1] if c not in _HIDDEN]
    results = [c for c in columns if c not in ("rank", context.key)]
    sort = ["rank", "score"] + ([context.key] if context.key in frame.columns else [])
    view = frame.sort(sort, descending=[False, True, False][: len(sort)], nulls_last=True, maintain_order=True)
    if "stage_source" in frame.columns and "stage" in frame.columns:
        view = view.with_columns(
            pl.when(pl.col("stage_source") == "inferred")
            .then(pl.col("stage") + pl.lit(" (inferred)"))
            .otherwise(pl.col("stage"))
            .alias("stage")
        )
    first = [c for c in ("rank", context.key) if c in frame.columns]
    return view.select([*first, *results])


def build_table(frame: pl.DataFrame, context: OutputContext, width: int | None = None) -> Table:
    """The rich Table: title ruleset and version, caption hash and as-of date."""
    return fitted_table(frame, context, width or 10_000)[0]


def fitted_table(frame: pl.DataFrame, context: OutputContext, width: int) -> tuple[Table, list[str]]:
    """The rich Table of ``frame`` fitted to ``width`` characters, and the columns left out."""
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    p = provenance_text(context)
    cells = text_frame(frame, "; ").select(pl.all().cast(pl.String))
    rows = [["" if value is None else printable(value).replace("\n", " ") for value in values]
            for values in cells.iter_rows()]
    natural = {
        name: max([cell_len(printable(name))] + [cell_len(row[i]) for row in rows])
        for i, name in enumerate(frame.columns)
    }
    widths = _fit(frame, context, natural, width)
    table = Table(
        title=Text(printable(f"{p['ruleset']} {p['ruleset_version']}".strip())),
        caption=Text(printable(f"hash {p['ruleset_hash']}, as of {p['as_of']}")),
    )
    shown = [i for i, name in enumerate(frame.columns) if name in widths]
    for i in shown:
        name, dtype = frame.columns[i], frame.dtypes[i]
        table.add_column(
            Text(printable(name)), justify="right" if dtype.is_numeric() else "left",
            width=widths[name], no_wrap=True, overflow="ellipsis",
        )
    # Values become Text objects so that "[bold]" in a CRM note is shown, not interpreted.
    for row in rows:
        table.add_row(*(Text(row[i]) for i in shown))
    return table, [name for name in frame.columns if name not in widths]


def _fit(frame: pl.DataFrame, context: OutputContext, natural: dict[str, int], width: int) -> dict[str, int]:
    """The width of each column shown: all at their natural width when they fit; else the
    text columns cut (none below a readable width), and the columns that still do not fit
    left out, the least important first."""
    order = [context.key if n == KEY else n for n in _PRIORITY]

    def minimum(name: str) -> int:
        # The key, rank, score, band, tier and stage are never cut; other text gives way.
        return natural[name] if name in order else min(natural[name], _MIN_TEXT)

    ranked = [n for n in order if n in natural] + [n for n in natural if n not in order]
    room = width - 1  # the table's left border
    kept: list[str] = []
    for name in ranked:
        if sum(minimum(n) + _OVERHEAD for n in kept) + minimum(name) + _OVERHEAD <= room:
            kept.append(name)
    if not kept and ranked:
        kept = ranked[:1]
    widths = {name: minimum(name) for name in kept}
    spare = room - sum(w + _OVERHEAD for w in widths.values())
    # What is left goes to the text columns that were cut, in the order they are shown.
    for name in frame.columns:
        if name in widths and widths[name] < natural[name] and spare > 0:
            extra = min(spare, natural[name] - widths[name])
            widths[name] += extra
            spare -= extra
    return widths


def footer(frame: pl.DataFrame, context: OutputContext, left_out: list[str]) -> list[str]:
    """The lines under the table: how many records are not shown, how many are closed, the
    columns left out for the width, and the notes of the context (how to see the rest)."""
    lines = []
    total, closed = context.total_rows, context.closed_rows
    if total is not None and total > frame.height:
        closed_text = f"; {closed:,} closed deal{'s' if closed != 1 else ''} come after the open ones" if closed else ""
        lines.append(f"{total - frame.height:,} more record{'s' if total - frame.height != 1 else ''} "
                     f"not shown (top {frame.height:,} of {total:,}{closed_text}).")
    if left_out:
        lines.append(f"Left out for the width of the terminal: {', '.join(left_out)}.")
    lines.extend(context.notes)
    return lines


@hookimpl
def register_output_formats(register):
    """Register ``table``; no extension selects it, it is meant for standard output."""
    register("table", write_table, extension="", binary=False, lists_as_text="; ", sort="rank",
             columns=default_columns)
