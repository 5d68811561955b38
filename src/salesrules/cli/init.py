"""``salesrules init``: a starter ruleset for a data file."""

from __future__ import annotations

import re
from pathlib import Path

import click

from .options import encoding_option, output_option


@click.command()
@click.argument("file")
@output_option("Write the ruleset here instead of standard output.")
@click.option("--name", help="Name of the new ruleset (default: from the file name).")
@encoding_option("Text encoding of a CSV input (default utf-8).")
def init(file, output, name, encoding):
    """Write a starter ruleset for FILE, with field types inferred from its data."""
    from ..io.inputs import ReadOptions, read_table
    from ..scaffold.ruleset import starter_ruleset

    frame = read_table(file, ReadOptions(encoding=encoding or "utf-8"))
    text = starter_ruleset(frame, name or _stem(file), file, None if output in (None, "-") else output)
    if output in (None, "-"):
        click.echo(text, nl=False)
        return
    from ..io.outputs import atomic_write_text

    atomic_write_text(output, text, inputs=[file])
    click.echo(f"wrote {output}", err=True)


def _stem(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", Path(path).stem.lower()).strip("-") or "ruleset"
