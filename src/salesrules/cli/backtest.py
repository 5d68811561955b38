"""``salesrules backtest``: does a ruleset's ranking predict which closed deals were won?"""

from __future__ import annotations

import json

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


@click.command("backtest")
@click.argument("file")
@ruleset_option()
@click.option("--outcome", required=True,
              help="The outcome of each deal: a field, an input column, a classification, or an expression "
                   "(a true/false one needs no --won/--lost: true is won, false lost).")
@click.option("--won", multiple=True, help="Outcome value of a won deal (repeatable; case is ignored).")
@click.option("--lost", multiple=True, help="Outcome value of a lost deal (repeatable; case is ignored).")
@click.option("--stage-field", help="Field or input column with the last stage each closed deal reached.")
@format_option(["table", "json"], "table")
@as_of_option()
@encoding_option()
@input_format_option()
@allow_missing_option()
def backtest_command(file, ruleset_ref, outcome, won, lost, stage_field, fmt, as_of, encoding, input_format, allow_missing):
    """Backtest a ruleset on the closed deals in FILE: win rate per band and tier, lift of the top
    band, AUC of the score for won against lost deals, each factor's firing among won and lost,
    lift and own AUC, a warning for any factor or field that alone separates won from lost
    almost perfectly (filled in after the outcome), and (with --stage-field) the stage
    probabilities against the observed win rates."""
    from ..analysis.backtest import backtest, render_table

    ruleset = load_ruleset(ruleset_ref)
    result = backtest(ruleset, file, outcome=outcome, won=won, lost=lost, as_of=as_of, stage_field=stage_field,
                      encoding=encoding, input_format=input_format, allow_missing=allow_missing)
    if fmt == "json":
        from ..io.outputs import json_value

        click.echo(json.dumps(json_value(result), indent=2, ensure_ascii=False))
    else:
        click.echo(printable(render_table(result)), nl=False)
