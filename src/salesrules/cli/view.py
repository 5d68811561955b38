"""What ``evaluate`` shows: the order of the records, the columns, how many rows a table
shows, and the line on standard error after a file is written.

The options are declared here (:func:`view_options`) and resolved into one :class:`View`, so
the evaluate command only passes them through.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass

import click

from ..errors import UsageError

# Lines of a terminal the table's frame takes besides its rows: the title, the header and
# its rules, the bottom rule, the caption, the footer and the next prompt.
TABLE_CHROME = 12
MIN_TABLE_ROWS = 5


def _names(ctx, param, value):
    """Click callback: a comma-separated list of column names, or None."""
    if value is None:
        return None
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    if not names:
        raise click.BadParameter("name at least one column")
    return names


def view_options(fn):
    """``--sort``, ``--columns``, ``--with``, ``--limit`` and ``--all``."""
    options = [
        click.option("--sort", type=click.Choice(["rank", "input"]),
                     help="Order of the records: rank (open deals by rank, then the closed ones by score) "
                          "or input (as read). Default: rank for table, xlsx and markdown; input for the others."),
        click.option("--columns", "columns", callback=_names, metavar="LIST",
                     help="Comma-separated result columns to write, in this order (others are not computed)."),
        click.option("--with", "with_columns", callback=_names, metavar="LIST",
                     help="Comma-separated columns to show in the table besides rank, key, tier, stage, "
                          "score, band and reasons."),
        click.option("--limit", type=click.IntRange(min=1), metavar="N",
                     help="Write only the first N records (default for a table on a terminal: as many as fit)."),
        click.option("--all", "all_rows", is_flag=True, help="Show every record in the table."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@dataclass(frozen=True)
class View:
    """The resolved view options of one evaluation."""

    sort: str
    columns: tuple[str, ...] | None
    limit: int | None
    notes: tuple[str, ...] = ()


def resolve(plan, fmt: str, writer, *, sort, columns, with_columns, limit, all_rows, terminal, explain) -> View:
    """The view for format ``fmt`` (its registered ``writer``) and the options as given.

    A format with default columns (the table) gets them plus ``--with``; ``--columns``
    replaces them. A table on a terminal shows as many rows as fit unless ``--limit`` or
    ``--all`` says otherwise.
    """
    if columns is not None and with_columns is not None:
        raise UsageError("--with adds to the table's columns; with --columns, list every column there")
    if limit is not None and all_rows:
        raise UsageError("--limit and --all contradict each other; pass one")
    notes: list[str] = []
    chosen = columns
    if chosen is None and writer.columns is not None:
        available = list(plan.output) + (["explain"] if explain else [])
        chosen = tuple(writer.columns(available, plan.key)) + (("explain",) if explain else ())
        chosen = tuple(dict.fromkeys(chosen + (with_columns or ())))
        more = [name for name in available if name not in chosen]
        if more:
            notes.append(f"More columns: --with {','.join(more)}")
    elif with_columns is not None:
        raise UsageError(f"--with adds columns to the table; for {fmt} use --columns")
    if limit is None and not all_rows and writer.name == "table" and terminal:
        limit = max(MIN_TABLE_ROWS, shutil.get_terminal_size().lines - TABLE_CHROME)
    return View(sort or writer.sort, chosen, limit, tuple(notes))


def notes_for(view: View, rows: int) -> tuple[str, ...]:
    """The notes under a table of ``rows`` records: how to see the rows and columns not shown."""
    if view.limit is not None and rows > view.limit:
        return ("--limit N or --all shows more rows; -o FILE.xlsx (or .csv) writes them all.", *view.notes)
    return view.notes


def stderr_is_terminal() -> bool:
    """Whether standard error is a terminal (a person is watching)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def report_written(rows: int, output: str, started: float, quiet: bool) -> None:
    """After writing ``output`` on a terminal: one line with the rows, the place and the time."""
    if quiet or not stderr_is_terminal():
        return
    seconds = time.monotonic() - started
    click.echo(f"wrote {rows:,} row{'s' if rows != 1 else ''} to {output} in {seconds:.1f} s", err=True)
