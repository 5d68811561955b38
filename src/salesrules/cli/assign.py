"""``salesrules assign``: route open prospects to reps within their capacity, explained record by record."""

from __future__ import annotations

import sys

import click

from .options import (
    allow_missing_option,
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
@click.option("--reps", required=True, help="A file of reps: columns rep, capacity, and optionally team and territory.")
@format_option(help="Output format of the records (default: by -o extension; table on a terminal, else csv).")
@output_option("Output file of every record with its new owner and the reason; '-' is standard output.")
@click.option("--loads", help="Also write each rep's load before and after to this file (format by its extension).")
@click.option("--reassign", is_flag=True, help="Reassign every open record, not only those without an owner.")
@click.option("--strategy", type=click.Choice(["least_loaded", "round_robin"]),
              help="Which eligible rep wins (default: assignment.strategy, else least_loaded).")
@click.option("--capacity", "measure", type=click.Choice(["deals", "workload"]),
              help="What capacity counts: open deals or workload (default: assignment.capacity, else deals).")
@as_of_option()
@on_duplicate_option()
@encoding_option()
@input_format_option("Input format when the extension does not tell (csv, json, ndjson, parquet, xlsx...).")
@allow_missing_option()
def assign(file, ruleset_ref, reps, fmt, output, loads, reassign, strategy, measure, as_of, on_duplicate, encoding,
           input_format, allow_missing):
    """Assign the open prospects in FILE to the reps in REPS: those without an owner (or all with
    --reassign), best rank first, each to an eligible rep (territory and the ruleset's assignment
    rules) with room in its capacity, the least loaded one. Writes every record with its new
    owner and the reason; each rep's load and the records left unassigned go to standard error
    (with -f json, one document holds them all)."""
    from ..io.outputs import (
        OutputContext,
        check_output_path,
        format_for_path,
        write_output,
    )
    from ..io.output_arguments import ruleset_info
    from ..reports.assignment import assign as run_assign

    ruleset = load_ruleset(ruleset_ref, as_of)
    terminal = output in (None, "-") and sys.stdout.isatty()
    fmt = fmt or format_for_path(output, "table" if terminal else "csv")
    from .evaluate import _check_format

    _check_format(fmt)
    inputs = [file, *ruleset.files_read(), reps]
    check_output_path(output, inputs)
    if loads:
        check_output_path(loads, inputs + ([output] if output not in (None, "-") else []))
    result = run_assign(ruleset, file, reps, as_of=as_of, reassign=reassign, strategy=strategy, capacity=measure,
                        on_duplicate=on_duplicate, encoding=encoding, input_format=input_format,
                        allow_missing=allow_missing)
    context = OutputContext(result.provenance, ruleset.key or "row", is_terminal=terminal,
                            ruleset=ruleset_info(ruleset.compile(as_of)))
    if loads:
        write_output(result.reps, loads, format_for_path(loads, "csv"), context, inputs)
    if fmt == "json":
        _write_json(result, output, inputs)
    else:
        write_output(result.records, output, fmt, context, inputs)
    for rep in result.reps.iter_rows(named=True):
        click.echo(f"{rep['rep']}: {rep['load_before']:g} -> {rep['load_after']:g} of {rep['capacity']:g} "
                   f"({rep['assigned']} assigned)", err=True)
    if result.unassigned.height:
        click.echo(f"{result.unassigned.height} open record(s) left unassigned; the reason is in each record", err=True)


def _write_json(result, output, inputs) -> None:
    """The whole assignment as one JSON document: settings, the reps' loads, the unassigned records, every record."""
    import json

    from ..io.outputs import atomic_write_text, json_value

    text = json.dumps(json_value(result.to_dict()), indent=2, ensure_ascii=False) + "\n"
    if output in (None, "-"):
        click.echo(text, nl=False)
    else:
        atomic_write_text(output, text, inputs)
