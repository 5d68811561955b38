"""``salesrules validate`` and ``salesrules schema``: checking rulesets and the format they follow."""

from __future__ import annotations

import sys

import click

from ..errors import InputError, SalesrulesError, printable
from .group import _error_lines


@click.command()
@click.argument("rulesets", nargs=-1, required=True)
def validate(rulesets):
    """Check RULESETS (files or builtin:NAME): schema, extends, names and expression types.

    Every error of a ruleset is listed, one line each, not only the first.
    """
    from ..loader.load import load

    failed = False
    worst = 0
    for ref in rulesets:
        try:
            ruleset = load(ref, every_error=True)
        except SalesrulesError as exc:
            if "--debug" in sys.argv[1:]:
                raise
            for line in _error_lines(exc):
                click.echo(line, err=True)
            failed, worst = True, max(worst, 2 if isinstance(exc, InputError) else exc.exit_code)
        else:
            click.echo(printable(f"{ref}: valid ({ruleset.name} {ruleset.version}, hash {ruleset.hash})"))
    if failed:
        sys.exit(worst or 1)


@click.command()
def schema():
    """Print the JSON Schema of the ruleset format."""
    from ..loader.schema import schema_text

    click.echo(schema_text(), nl=False)
