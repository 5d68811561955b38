"""The options several commands share, and loading the ruleset a command names.

Each ``*_option`` function returns a click decorator; where commands word an option's help
differently, they pass their own text.
"""

from __future__ import annotations

import datetime as dt

import click

from ..model.dates import parse_date

ENCODING_HELP = "Text encoding of a CSV input, e.g. latin-1 (default utf-8)."
INPUT_FORMAT_HELP = "Input format when the extension does not tell (csv, json, parquet...)."


def parse_as_of(ctx, param, value):
    """Click callback: an ISO date, or a usage error."""
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def as_of_option():
    """``--as-of DATE``: the date to evaluate as of, a :class:`datetime.date` or None."""
    return click.option("--as-of", callback=parse_as_of, help="Evaluate as of this date (YYYY-MM-DD).")


def ruleset_option():
    """``-r/--ruleset``: the one ruleset a command uses, passed as ``ruleset_ref``."""
    return click.option("-r", "--ruleset", "ruleset_ref", required=True, help="Ruleset file, or builtin:NAME.")


def encoding_option(help: str = ENCODING_HELP):
    """``--encoding``: the text encoding of a CSV input."""
    return click.option("--encoding", help=help)


def input_format_option(help: str = INPUT_FORMAT_HELP):
    """``--input-format``: the input format when the file's extension does not tell."""
    return click.option("--input-format", help=help)


def format_option(choices: list[str] | None = None, default: str | None = None, help: str | None = None):
    """``-f/--format``, passed as ``fmt``: one of ``choices`` (shown with its default), or any name."""
    if choices is None:
        return click.option("-f", "--format", "fmt", help=help)
    return click.option("-f", "--format", "fmt", type=click.Choice(choices), default=default, show_default=True,
                        help=help)


def on_duplicate_option():
    """``--on-duplicate``: what to do with two records of the same key."""
    return click.option("--on-duplicate", type=click.Choice(["error", "first", "last"]), default="error", show_default=True,
                        help="Two records with the same key: stop, or keep the first or last.")


def allow_missing_option():
    """``--allow-missing``: a field the rules read may lack its column (its values are then null)."""
    return click.option("--allow-missing", is_flag=True,
                        help="A field the rules read may have no column in FILE: its values are unknown (null), "
                             "with a warning per field (by default it is an error).")


def output_option(help: str):
    """``-o/--output``: where the command writes; ``-`` or nothing is standard output."""
    return click.option("-o", "--output", help=help)


def database_input_options(fn):
    """``--table`` and ``--query``: what to read when FILE is a database URI."""
    fn = click.option("--query", help="With a database FILE: the SQL query whose rows to read.")(fn)
    return click.option("--table", help="With a database FILE (sqlite:///x.db, postgresql://...): the table to read.")(fn)


def database_output_options(default_table: str, table_help: str):
    """``--output-table`` and ``--if-exists``: where results go when ``-o`` is a database."""

    def decorate(fn):
        fn = click.option("--if-exists", type=click.Choice(["fail", "replace", "append"]), default="fail",
                          show_default=True,
                          help="With a database -o: when the table exists, stop, replace it or append to it.")(fn)
        return click.option("--output-table", default=default_table, show_default=True, help=table_help)(fn)

    return decorate


def load_ruleset(ref: str, as_of: dt.date | None = None, separator: str | None = None):
    """Load the ruleset ``ref`` names (a path or ``builtin:NAME``), checked as
    :func:`salesrules.loader.load.load` checks it; with ``separator``, by compiling the plan
    that joins the results' lists by it (see :func:`salesrules.compiler.plan.compile_ruleset`)."""
    from ..loader.load import load

    if separator is None:
        return load(ref, as_of)
    from ..compiler.plan import compile_ruleset
    from ..loader.load import load_unchecked

    ruleset = load_unchecked(ref)
    compile_ruleset(ruleset, as_of, separator=separator)
    return ruleset
