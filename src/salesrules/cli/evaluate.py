"""``salesrules evaluate``: evaluate a file of prospects with a ruleset and write the results."""

from __future__ import annotations

import os
import sys
import time
from contextlib import nullcontext

import click

from ..errors import Loc, SalesrulesError, UsageError
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
from .view import notes_for, report_written, resolve, view_options


@click.command()
@click.argument("file")
@ruleset_option()
@format_option(help="Output format (default: by -o extension; table on a terminal, else csv).")
@output_option("Output file; '-' is standard output; a database URI (or a .db file) writes a table.")
@database_input_options
@database_output_options("results", "With a database -o: the table to write the results to.")
@as_of_option()
@click.option("--with-input", is_flag=True, help="Carry the input columns through to the output.")
@click.option("--on-error", type=click.Choice(["error", "skip"]), default="error", show_default=True,
              help="A value that cannot be read: stop, or skip the row and write it to the rejects file.")
@click.option("--rejects", help="Where skipped rows go with --on-error skip (default: OUTPUT.rejects.csv or rejects.csv).")
@on_duplicate_option()
@encoding_option()
@input_format_option("Input format when the extension does not tell (csv, json, ndjson, parquet, xlsx...).")
@click.option("--explain", is_flag=True, help="Add an 'explain' column: each record's receipt on one line.")
@click.option("--csv-raw", is_flag=True,
              help="Write text into CSV as it is, even text a spreadsheet would run as a formula "
                   "(by default a leading =, +, -, @, tab or carriage return gets a ' before it).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar on the terminal.")
@click.option("--with-account", is_flag=True,
              help="Add each record's account class (account_abc) and rolled-up score (account_score).")
@view_options
@allow_missing_option()
@click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True,
              help="Where to evaluate: here, or on Spark (Parquet or CSV files and folders; -o names the output folder).")
@click.option("--spark-master", help="The Spark master for --engine spark (default: spark-submit's, else local[*]).")
def evaluate(file, ruleset_ref, fmt, output, table, query, output_table, if_exists, as_of, with_input, on_error, rejects,
             on_duplicate, encoding, input_format, explain, csv_raw, quiet, with_account, sort, columns, with_columns, limit,
             all_rows, allow_missing, engine, spark_master):
    """Evaluate the prospects in FILE: tier, stage, scores, bands, rank, reasons, actions and gaps.

    On a terminal the table shows the top records by rank, as many as fit the screen
    (--limit N, --all), with rank, key, tier, stage, score, band and reasons (--with adds
    columns, --columns chooses them for any format). A progress bar shows on standard error
    when the work takes more than a second (--quiet turns it off). Memory stays bounded for big files: beyond 64 MB the
    results wait in temporary files (SALESRULES_SPILL=auto|always|never).

    FILE may be a database: sqlite:///prospects.db (or a .db file), postgresql://user@host/db,
    or database: for the URI in SALESRULES_DATABASE_URL, with --table or --query. A database
    -o writes the results as a table in one transaction (--output-table, --if-exists).

    --engine spark evaluates Parquet or CSV files and folders on Spark with the same rules and
    results, writing a folder (docs/spark.md).
    """
    from ..io.inputs import STDIN, STDIN_NAME
    from ..io.outputs import (
        OutputContext,
        check_output_path,
        write_output,
    )
    from ..io.output_arguments import ruleset_info, wants_fields
    from ..io.pending import pending
    from ..io.progress import Progress, enabled_for
    from ..compiler.plan import compile_ruleset
    from ..plugins import get_registry, named_format
    from ..runners.local import run

    from ..io.databases import masked, results_table, write_table
    from .database import check_database_output

    if with_account and file == STDIN:
        raise UsageError("--with-account reads FILE twice (the records, then their accounts), so it cannot read standard input")
    # The plan that joins the results' lists as text, as the run will use it, is the one the
    # ruleset's check compiles: a ruleset is compiled once.
    separator = None if engine == "spark" or explain else _text_separator(fmt, output)
    ruleset = load_ruleset(ruleset_ref, as_of, separator)
    if engine == "spark":
        unsupported = {"--with-input": with_input, "--explain": explain, "--with-account": with_account,
                       "--table": table, "--query": query, "--columns": columns}
        _evaluate_on_spark(file, ruleset, fmt, output, as_of, on_error, rejects, on_duplicate, encoding, input_format,
                           csv_raw, spark_master, [name for name, given in unsupported.items() if given], allow_missing)
        return
    database = check_database_output(output, output_table, if_exists, file, table, fmt)
    fmt = _resolved_format(fmt, output, database is not None)
    terminal = _is_terminal(output)
    _check_format(fmt)
    inputs = [file, *ruleset.files_read()]
    # Refuse a bad output path before the evaluation, which may take long, not after it.
    if database is None:
        check_output_path(output, inputs)
    target = None
    if on_error == "skip":
        target = rejects or (f"{os.path.splitext(output)[0]}.rejects.csv"
                             if output not in (None, "-") and database is None else "rejects.csv")
        if output not in (None, "-") and _same_path(target, output):
            raise UsageError("the rejects file would overwrite the output; choose another --rejects path", Loc(target))
        check_output_path(target, inputs)
    writer = named_format(get_registry().output_formats, fmt, "output")
    plan = compile_ruleset(ruleset, as_of, **({"separator": separator} if separator else {}))  # compiled above
    view = resolve(plan, fmt, writer, sort=sort, columns=columns, with_columns=with_columns,
                   limit=limit, all_rows=all_rows, terminal=terminal, explain=explain)
    started = time.monotonic()
    with Progress(enabled=enabled_for(sys.stderr, quiet)) as progress:
        try:
            outcome = run(
                ruleset, file, as_of=as_of, on_error=on_error, on_duplicate=on_duplicate,
                with_input=with_input, encoding=encoding, input_format=input_format, explain=explain,
                table=table, query=query, allow_missing=allow_missing,
                lists_as_text=writer.lists_as_text, progress=progress, sort=view.sort, columns=view.columns,
                with_fields=database is None and wants_fields(writer),
            )
        except SalesrulesError as exc:
            if file == STDIN and exc.loc is not None and exc.loc.file == STDIN:
                exc.loc = Loc(STDIN_NAME, exc.loc.line, exc.loc.col)  # a value on standard input: <stdin>, not "-"
            raise
        with outcome:
            if with_account:
                outcome.results = _with_account(outcome.results, ruleset, file, as_of, on_error, on_duplicate, encoding,
                                                input_format, table=table, query=query, sort=view.sort,
                                                allow_missing=allow_missing)
            context = OutputContext(outcome.plan.provenance, outcome.plan.key, is_terminal=terminal, csv_raw=csv_raw,
                                    total_rows=outcome.rows, closed_rows=outcome.closed,
                                    notes=notes_for(view, outcome.rows),
                                    money_columns=tuple(n for n, f in outcome.plan.fields.items() if f.type == "money"),
                                    ruleset=ruleset_info(outcome.plan))
            results = outcome.results
            if view.limit is not None:
                progress.phase(f"Taking the top {view.limit:,} of {outcome.rows:,} rows", counted=False)
                results = results.head(view.limit).collect()  # only these rows are formatted
            skipped = outcome.rejects.height if outcome.rejects is not None else 0
            # The rejects land with the results: a run that fails while writing replaces neither.
            with pending(target, inputs) if skipped else nullcontext() as staging:
                if skipped:
                    write_output(outcome.rejects, staging, "csv", context)
                if output in (None, "-"):
                    progress.close()  # the results may go to the same terminal
                else:
                    progress.phase(f"Writing {outcome.rows:,} results", counted=False)
                if database is not None:
                    write_table(database, output_table, results_table(results, context), if_exists)
                else:
                    write_output(results, output, fmt, context, inputs)
            if skipped:
                progress.close()
                click.echo(f"skipped {skipped} row(s) that could not be read; see {target}", err=True)
        if output not in (None, "-"):
            progress.close()
            written = outcome.rows if view.limit is None else min(view.limit, outcome.rows)
            place = output if database is None else f"table {output_table!r} of {masked(output)}"
            report_written(written, place, started, quiet)


def _with_account(results, ruleset, file, as_of, on_error, on_duplicate, encoding, input_format, **source):
    """The results with each record's account class and score, from a second pass over the file."""
    import polars as pl

    from ..reports.accounts import account_columns

    extra = account_columns(ruleset, file, as_of=as_of, on_error=on_error, on_duplicate=on_duplicate,
                            encoding=encoding, input_format=input_format, **source)
    return pl.concat([results.collect() if isinstance(results, pl.LazyFrame) else results, extra], how="horizontal")


def _evaluate_on_spark(file, ruleset, fmt, output, as_of, on_error, rejects, on_duplicate, encoding, input_format,
                       csv_raw, master, unsupported, allow_missing=False) -> None:
    """``evaluate --engine spark``: see :func:`salesrules.spark_files.evaluate_files`."""
    from ..spark_files import evaluate_files

    if output in (None, "-"):
        raise UsageError("--engine spark writes a folder: give it with -o")
    if unsupported:
        raise UsageError(f"{', '.join(unsupported)} {'is' if len(unsupported) == 1 else 'are'} not available with --engine spark")
    done = evaluate_files(file, output, ruleset, fmt=fmt, master=master, as_of=as_of, on_error=on_error,
                          on_duplicate=on_duplicate, rejects=rejects, input_format_name=input_format,
                          encoding=encoding, csv_raw=csv_raw, allow_missing=allow_missing)
    if done.skipped:
        click.echo(f"skipped {done.skipped} row(s) that could not be read; see {done.rejects}", err=True)


def _text_separator(fmt: str | None, output: str | None) -> str | None:
    """What the output format joins the results' lists with as text (see
    :func:`salesrules.runners.local.run`), as far as it is known before the ruleset is loaded;
    None when it is not. Whatever is wrong with the format is said later, in its turn."""
    from ..io.databases import is_database
    from ..plugins import get_registry, named_format

    try:
        fmt = _resolved_format(fmt, output, is_database(output))
        return named_format(get_registry().output_formats, fmt, "output").lists_as_text
    except Exception:  # noqa: BLE001 - only a shortcut
        return None


def _is_terminal(output: str | None) -> bool:
    """Whether the results go to a terminal (standard output, which is one)."""
    return output in (None, "-") and sys.stdout.isatty()


def _resolved_format(fmt: str | None, output: str | None, database: bool) -> str:
    """The output format: ``fmt``, else the one of ``output``'s extension, else a table on a
    terminal and CSV elsewhere; a database table takes the lists as text, as in CSV."""
    from ..io.outputs import format_for_path

    if database:
        return "csv"
    return fmt if fmt is not None else format_for_path(output, "table" if _is_terminal(output) else "csv")


def _same_path(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _check_format(fmt: str) -> None:
    from ..plugins import get_registry, named_format

    named_format(get_registry().output_formats, fmt, "output")
