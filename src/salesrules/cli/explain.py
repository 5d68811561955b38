"""``salesrules explain``: the score receipt of one record."""

from __future__ import annotations

import click

from ..errors import printable
from .options import (
    allow_missing_option,
    as_of_option,
    encoding_option,
    format_option,
    input_format_option,
    load_ruleset,
    ruleset_option,
)


@click.command("explain")
@click.argument("file")
@ruleset_option()
@click.option("--id", "record_id", required=True, help="The key of the record to explain (the row number without a key field).")
@format_option(["text", "json"], "text")
@as_of_option()
@encoding_option()
@input_format_option()
@allow_missing_option()
def explain_command(file, ruleset_ref, record_id, fmt, as_of, encoding, input_format, allow_missing):
    """The score receipt of one record: every tier, stage, factor and clamp with its points,
    reason and the values it read (they add up to the score), the factors that did not fire
    and why, the bands, gaps and actions."""
    from ..analysis.explain import explain, render_text, to_json

    ruleset = load_ruleset(ruleset_ref)
    receipt = explain(ruleset, file, record_id, as_of=as_of, encoding=encoding, input_format=input_format,
                      allow_missing=allow_missing)
    click.echo(to_json(receipt) if fmt == "json" else printable(render_text(receipt)), nl=False)
