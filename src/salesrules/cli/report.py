"""``salesrules report``: the pipeline per group, the stages and their conversion, and advice."""

from __future__ import annotations

import sys

import click

from ..errors import UsageError
from .options import (
    allow_missing_option,
    as_of_option,
    database_input_options,
    database_output_options,
    encoding_option,
    format_option,
    input_format_option,
    load_ruleset,
    on_duplicate_option,
    output_option,
    ruleset_option,
)


@click.command()
@click.argument("file")
@ruleset_option()
@format_option(help="Report format (default: by -o extension; table on a terminal, else json).")
@output_option("Report file; '-' is standard output; a database URI (or a .db file) writes one table per section.")
@database_input_options
@database_output_options("report", "With a database -o: the tables' prefix (report_pipeline, report_stages...).")
@as_of_option()
@click.option("--by", help="The field to group the pipeline by (default: reports.pipeline.by, else owner).")
@click.option("--quotas", help="A file of quotas: a column named after the group field (or 'group') and 'quota'.")
@click.option("--period", help="FROM..TO (ISO dates, both included): count won and lost deals closed in it.")
@on_duplicate_option()
@encoding_option()
@input_format_option("Input format when the extension does not tell (csv, json, ndjson, parquet, xlsx...).")
@allow_missing_option()
def report(file, ruleset_ref, fmt, output, table, query, output_table, if_exists, as_of, by, quotas, period, on_duplicate,
           encoding, input_format, allow_missing):
    """Report on the pipeline in FILE: per group (owner by default) what is sold, expected from
    open deals weighted by stage probability, and left to build to reach the quota; deals,
    value and conversion per stage; and what to do next, with the figures behind it.

    FILE may be a database with --table or --query, as for evaluate; a database -o writes
    each section as a table named PREFIX_SECTION (--output-table, --if-exists), all in one
    transaction."""
    from ..reports import report as build_report
    from ..io.outputs import OutputContext, check_output_path, write_document
    from ..plugins import get_registry, named_format

    from ..io.databases import report_tables, write_tables
    from .database import check_database_output

    ruleset = load_ruleset(ruleset_ref, as_of)
    formats = get_registry().report_formats
    terminal = output in (None, "-") and sys.stdout.isatty()
    database = check_database_output(output, f"{output_table}_pipeline", if_exists, file, table, fmt)
    if database is None:
        fmt = fmt or _format_for(output, formats, "table" if terminal else "json")
        named_format(formats, fmt, "report")
    inputs = [file, *ruleset.files_read()] + ([quotas] if quotas else [])
    if database is None:
        check_output_path(output, inputs)
    result = build_report(ruleset, file, as_of=as_of, by=by, quotas=quotas, period=period,
                          on_duplicate=on_duplicate, encoding=encoding, input_format=input_format,
                          table=table, query=query, allow_missing=allow_missing)
    context = OutputContext(result.provenance, ruleset.key or "row", is_terminal=terminal)
    if database is not None:
        write_tables(database, report_tables(result, output_table, context), if_exists)
    else:
        write_document(result, output, formats[fmt], context, inputs)


def _format_for(path: str | None, formats: dict, default: str) -> str:
    """The report format for ``path`` by its extension; ``default`` for standard output."""
    import os

    from ..errors import Loc

    if path in (None, "-"):
        return default
    extension = os.path.splitext(path)[1].lower()
    from ..plugins import by_extension as extensions

    by_extension = extensions(formats)
    if extension not in by_extension:
        known = ", ".join(sorted(by_extension))
        raise UsageError(f"unknown report file extension {extension!r}; known: {known}; or pass --format", Loc(path))
    return by_extension[extension]
