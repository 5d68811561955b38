"""``salesrules diff``: what a change to a ruleset does to the same records."""

from __future__ import annotations

import click

from ..errors import UsageError, printable
from .options import (
    allow_missing_option,
    as_of_option,
    encoding_option,
    format_option,
    input_format_option,
    load_ruleset,
    output_option,
)


@click.command("diff")
@click.argument("file")
@click.option("-r", "--ruleset", "rulesets", multiple=True, required=True,
              help="The old ruleset, then the new one: -r OLD -r NEW (files or builtin:NAME).")
@format_option(["table", "json", "csv"], "table",
               "table: a summary; json: the summary as JSON; csv: one line per changed record.")
@as_of_option()
@click.option("--by", "by", default=None, help="Field or input column for the impact per group (default: owner, when there is one).")
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=0), help="How many of the biggest movers to show.")
@output_option("Write to this file instead of standard output.")
@encoding_option()
@input_format_option()
@allow_missing_option()
def diff_command(file, rulesets, fmt, as_of, by, top, output, encoding, input_format, allow_missing):
    """Compare two rulesets on the records in FILE: how many records change tier, stage, band and
    score, the band transitions, the biggest movers with the difference of their receipts, and
    the impact per owner (--by)."""
    from ..analysis.diff import diff_report

    if len(rulesets) != 2:
        raise UsageError(f"diff needs two rulesets, -r OLD -r NEW; got {len(rulesets)}")
    old, new = load_ruleset(rulesets[0]), load_ruleset(rulesets[1])
    text = diff_report(old, new, file, fmt=fmt, as_of=as_of, by=by, top=top, encoding=encoding, input_format=input_format,
                       allow_missing=allow_missing)
    if fmt == "table":
        text = printable(text)
    if output in (None, "-"):
        click.echo(text, nl=False)
    else:
        from ..io.outputs import atomic_write_text

        atomic_write_text(output, text, inputs=[file, *old.files_read(), *new.files_read()])
