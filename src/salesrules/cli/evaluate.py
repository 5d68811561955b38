"""``salesrules evaluate``: evaluate a file of prospects with a ruleset and write the results."""

from __future__ import annotations

import os
import sys

import click

from ..errors import Loc, SalesrulesError, UsageError, did_you_mean
from .options import (
    as_of_option,
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
@format_option(help="Output format (default: by -o extension; table on a terminal, else csv).")
@output_option("Output file; '-' is standard output.")
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
@click.option("--engine", type=click.Choice(["local", "spark"]), default="local", show_default=True,
              help="Where to evaluate: here, or on Spark (Parquet or CSV files and folders; -o names the output folder).")
@click.option("--spark-master", help="The Spark master for --engine spark (default: spark-submit's, else local[*]).")
def evaluate(file, ruleset_ref, fmt, output, as_of, with_input, on_error, rejects, on_duplicate, encoding, input_format, explain,
             csv_raw, quiet, engine, spark_master):
    """Evaluate the prospects in FILE: tier, stage, scores, bands, rank, reasons, actions and gaps.

    On a terminal a progress bar shows on standard error when the work takes more than a
    second (--quiet turns it off). Memory stays bounded for big files: beyond 64 MB the
    results wait in temporary files (SALESRULES_SPILL=auto|always|never).
    """
    from ..io.inputs import STDIN, STDIN_NAME
    from ..io.outputs import (
        OutputContext,
        check_output_path,
        format_for_path,
        write_output,
    )
    from ..io.progress import Progress, enabled_for
    from ..plugins import get_registry
    from ..runners.local import run

    ruleset = load_ruleset(ruleset_ref, as_of)
    if engine == "spark":
        _evaluate_on_spark(file, ruleset, fmt, output, as_of, on_error, rejects, on_duplicate, encoding, input_format,
                           csv_raw, spark_master, with_input or explain)
        return
    terminal = output in (None, "-") and sys.stdout.isatty()
    if fmt is None:
        fmt = format_for_path(output, "table" if terminal else "csv")
    _check_format(fmt)
    inputs = [file] + [ruleset.path]
    # Refuse a bad output path before the evaluation, which may take long, not after it.
    check_output_path(output, inputs)
    target = None
    if on_error == "skip":
        target = rejects or (f"{os.path.splitext(output)[0]}.rejects.csv" if output not in (None, "-") else "rejects.csv")
        if output not in (None, "-") and _same_path(target, output):
            raise UsageError("the rejects file would overwrite the output; choose another --rejects path", Loc(target))
        check_output_path(target, inputs)
    writer = get_registry().output_formats[fmt]
    with Progress(enabled=enabled_for(sys.stderr, quiet)) as progress:
        try:
            outcome = run(
                ruleset, file, as_of=as_of, on_error=on_error, on_duplicate=on_duplicate,
                with_input=with_input, encoding=encoding, input_format=input_format, explain=explain,
                lists_as_text=writer.lists_as_text, progress=progress,
            )
        except SalesrulesError as exc:
            if file == STDIN and exc.loc is not None and exc.loc.file == STDIN:
                exc.loc = Loc(STDIN_NAME, exc.loc.line, exc.loc.col)  # a value on standard input: <stdin>, not "-"
            raise
        with outcome:
            context = OutputContext(outcome.plan.provenance, outcome.plan.key, is_terminal=terminal, csv_raw=csv_raw)
            if outcome.rejects is not None and outcome.rejects.height:
                write_output(outcome.rejects, target, "csv", context, inputs)
                progress.close()
                click.echo(f"skipped {outcome.rejects.height} row(s) that could not be read; see {target}", err=True)
            if output in (None, "-"):
                progress.close()  # the results may go to the same terminal
            else:
                progress.phase(f"Writing {outcome.rows:,} results", counted=False)
            write_output(outcome.results, output, fmt, context, inputs)


def _evaluate_on_spark(file, ruleset, fmt, output, as_of, on_error, rejects, on_duplicate, encoding, input_format,
                       csv_raw, master, unsupported) -> None:
    """``evaluate --engine spark``: see :func:`salesrules.spark_files.evaluate_files`."""
    from ..spark_files import evaluate_files

    if output in (None, "-"):
        raise UsageError("--engine spark writes a folder: give it with -o")
    if unsupported:
        raise UsageError("--with-input and --explain are not available with --engine spark")
    done = evaluate_files(file, output, ruleset, fmt=fmt, master=master, as_of=as_of, on_error=on_error,
                          on_duplicate=on_duplicate, rejects=rejects, input_format_name=input_format,
                          encoding=encoding, csv_raw=csv_raw)
    if done.skipped:
        click.echo(f"skipped {done.skipped} row(s) that could not be read; see {done.rejects}", err=True)


def _same_path(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _check_format(fmt: str) -> None:
    from ..plugins import get_registry

    formats = get_registry().output_formats
    if fmt not in formats:
        raise UsageError(f"unknown output format {fmt!r}{did_you_mean(fmt, formats)}; known: {', '.join(sorted(formats))}")
