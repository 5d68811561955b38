"""``salesrules test``: run the tests of rulesets and of ``*.test.yaml`` files."""

from __future__ import annotations

import click

from ..errors import SalesrulesError, printable
from .options import format_option, output_option


def _emit(text: str, output: str | None, inputs) -> None:
    """Write ``text`` to ``output``, or to standard output when there is none."""
    if output in (None, "-"):
        click.echo(text, nl=False)
        return
    from ..io.outputs import atomic_write_text

    atomic_write_text(output, text, inputs=inputs)


@click.command("test", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, required=True, metavar="RULESET|DIR...")
@format_option(["text", "json", "junit"], "text", "Report format.")
@output_option("Write the report to this file (the text report still goes to the terminal).")
@click.option("--coverage", "with_coverage", is_flag=True,
              help="Report the levels, stages, factors, bands and actions that no test exercised.")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="PERCENT",
              help="Exit 1 when coverage is below PERCENT (implies --coverage).")
@click.option("-k", "name_filter", metavar="TEXT", help="Only run the cases whose name contains TEXT.")
@click.option("-v", "--verbose", is_flag=True, help="One line per case instead of a dot.")
def test_command(paths, fmt, output, with_coverage, fail_under, name_filter, verbose):
    """Run the tests of rulesets and of *.test.yaml files (folders are searched recursively).

    Prints a dot per passing case and F per failure, then each failure field by field and the
    summary; exits 1 when a case fails or a ruleset is invalid, 2 when a path or a test file
    cannot be read.

    Example:

        salesrules test rulesets/ --coverage
    """
    from ..analysis.testing.cases import _is_reference
    from ..analysis.testing.coverage import _percent, coverage, total_percent
    from ..analysis.testing.reports import (
        _error_lines,
        json_report,
        junit_report,
        text_report,
    )
    from ..analysis.testing.runner import run

    try:
        result = run(paths, name_filter)
    except SalesrulesError as exc:
        for line in _error_lines(exc):
            click.echo(f"error: {line}", err=True)
        click.get_current_context().exit(exc.exit_code)
    if not any(results for _, results in result.runs) and not result.errors:
        click.echo("error: no tests found" + (f" matching {name_filter!r}" if name_filter else "")
                   + f" in {', '.join(paths)}", err=True)
        click.get_current_context().exit(2)
    coverages = coverage(result.runs) if with_coverage or fail_under is not None else None
    if fmt != "text" and output in (None, "-"):
        # The report on standard output is for machines; the errors are also said to people.
        for error in result.errors:
            for line in _error_lines(error):
                click.echo(f"error: {line}", err=True)
    text = printable(text_report(result, verbose, coverages))
    inputs = [s.path for s, _ in result.runs if not _is_reference(s.path)]
    inputs += [f for s, _ in result.runs if s.ruleset is not None for f in s.ruleset.files_read()]
    try:
        if fmt == "text":
            _emit(text, output, inputs)
        else:
            report = json_report(result, coverages) if fmt == "json" else junit_report(result)
            _emit(report, output, inputs)
        if output not in (None, "-") and fmt != "text":
            click.echo(text, nl=False)
    except SalesrulesError as exc:
        click.echo(f"error: {exc}", err=True)
        click.get_current_context().exit(exc.exit_code)
    code = 0
    if result.failed:
        code = 1
    if coverages is not None and fail_under is not None and total_percent(coverages) < fail_under:
        click.echo(f"coverage {_percent(total_percent(coverages))} is below --fail-under {fail_under:g}%", err=True)
        code = max(code, 1)
    for error in result.errors:
        code = max(code, error.exit_code)
    click.get_current_context().exit(code)


test_command.__test__ = False  # a click command named test_*: not for pytest to collect
