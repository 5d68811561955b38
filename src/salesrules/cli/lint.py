"""``salesrules lint``: rules that are valid but can never apply, and other likely mistakes."""

from __future__ import annotations

import json

import click

from ..errors import ErrorList, SalesrulesError, printable
from .options import format_option, load_ruleset


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


@click.command("lint", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("rulesets", nargs=-1, required=True)
@click.option("--strict", is_flag=True, help="Exit 1 when there is any warning.")
@format_option(["text", "json"], "text", "Output format.")
def lint_command(rulesets, strict, fmt):
    """Warn about rules in RULESETS that can never apply: unreachable levels and bands,
    conditions that never hold, unused fields, open stages without probability, no catch-all.

    One line per warning (file:line:col: warning: message (code)) and a summary; exits 0 with
    warnings, 1 with --strict and any warning, 1 or 2 when a ruleset cannot be loaded.
    """
    from ..analysis.lint import LintWarning, lint

    found: list[LintWarning] = []
    errors: list[str] = []
    code = 0
    for ref in rulesets:
        try:
            ruleset = load_ruleset(ref)
        except SalesrulesError as exc:
            for error in (exc.errors if isinstance(exc, ErrorList) else [exc]):
                errors.append(str(error))
                click.echo(f"error: {error}", err=True)
            code = max(code, exc.exit_code)
            continue
        for warning in lint(ruleset):
            if warning not in found:  # a parent shared by two rulesets is reported once
                found.append(warning)
    if fmt == "json":
        document = {"warnings": [w.to_dict() for w in found], "errors": errors,
                    "summary": {"warnings": len(found), "errors": len(errors)}}
        click.echo(json.dumps(document, indent=2))
    else:
        for warning in found:
            click.echo(printable(str(warning)))
        summary = _plural(len(found), "warning")
        if errors:
            summary += f", {_plural(len(errors), 'error')}"
        click.echo(summary)
    if not code and strict and found:
        code = 1
    click.get_current_context().exit(code)
