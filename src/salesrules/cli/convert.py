"""``salesrules convert``: a ruleset of another format (a DMN model) as the equivalent YAML."""

from __future__ import annotations

import click

from .options import output_option


@click.command("convert", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("ruleset")
@output_option("Write the YAML ruleset here instead of standard output.")
def convert_command(ruleset, output):
    """Write RULESET (a DMN model, or any format a plugin reads) as the equivalent YAML ruleset.

    Example:

        salesrules convert model.dmn -o model.yaml
    """
    from ..loader.convert import to_yaml

    text = to_yaml(ruleset)
    if output in (None, "-"):
        click.echo(text, nl=False)
        return
    from ..io.outputs import atomic_write_text

    atomic_write_text(output, text, inputs=[ruleset])
    click.echo(f"wrote {output}", err=True)
