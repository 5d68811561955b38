"""The ``salesrules`` command line: a thin click layer over the Python API.

Errors are one line on stderr and an exit code: 0 success, 1 rule failures (tests
failed, validation errors), 2 usage or input errors. ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from . import __version__
from .errors import SalesrulesError, UsageError


class _Group(click.Group):
    """A group that turns salesrules errors into one line on stderr and an exit code."""

    def invoke(self, ctx):
        debug = "--debug" in sys.argv[1:]
        try:
            return super().invoke(ctx)
        except SalesrulesError as exc:
            if debug:
                raise
            for line in str(exc).splitlines() or [type(exc).__name__]:
                click.echo(f"error: {line}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("error: interrupted; no output was written", err=True)
            ctx.exit(130)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            ctx.exit(0)
        except Exception as exc:  # an unexpected failure is still one line, unless --debug
            if debug:
                raise
            click.echo(f"error: internal error: {type(exc).__name__}: {exc} (run with --debug for details)", err=True)
            ctx.exit(2)


def _as_of(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _plugins_dir(ctx, param, value):
    if value:
        from .plugins import load_plugins

        load_plugins(value)
    return value


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="salesrules")
@click.option("--plugins-dir", type=click.Path(), expose_value=False, is_eager=True, callback=_plugins_dir,
              help="Load every *.py file in this folder as a plugin.")
@click.option("--debug", is_flag=True, expose_value=False, help="Show tracebacks on errors.")
def cli():
    """Evaluate sales methodologies written as YAML rulesets over CRM exports.

    Example:

        salesrules evaluate examples/prospects.csv -r builtin:standard --as-of 2026-11-22
    """


def _load(ref: str):
    from .rulesets import load

    return load(ref)


@cli.command()
@click.argument("file")
@click.option("-r", "--ruleset", "ruleset_ref", required=True, help="Ruleset file, or builtin:NAME.")
@click.option("-f", "--format", "fmt", help="Output format (default: by -o extension; table on a terminal, else csv).")
@click.option("-o", "--output", help="Output file; '-' is standard output.")
@click.option("--as-of", callback=_as_of, help="Evaluate as of this date (YYYY-MM-DD).")
@click.option("--with-input", is_flag=True, help="Carry the input columns through to the output.")
@click.option("--on-error", type=click.Choice(["error", "skip"]), default="error", show_default=True,
              help="A value that cannot be read: stop, or skip the row and write it to the rejects file.")
@click.option("--rejects", help="Where skipped rows go with --on-error skip (default: OUTPUT.rejects.csv or rejects.csv).")
@click.option("--on-duplicate", type=click.Choice(["error", "first", "last"]), default="error", show_default=True,
              help="Two records with the same key: stop, or keep the first or last.")
@click.option("--encoding", help="Text encoding of a CSV input, e.g. latin-1 (default utf-8).")
@click.option("--input-format", help="Input format when the extension does not tell (csv, json, ndjson, parquet, xlsx...).")
def evaluate(file, ruleset_ref, fmt, output, as_of, with_input, on_error, rejects, on_duplicate, encoding, input_format):
    """Evaluate the prospects in FILE: tier, stage, scores, bands, rank, reasons, actions and gaps."""
    from .engine import evaluate_full
    from .outputs import OutputContext, format_for_path, write_output

    ruleset = _load(ruleset_ref)
    terminal = output in (None, "-") and sys.stdout.isatty()
    if fmt is None:
        fmt = format_for_path(output, "table" if terminal else "csv")
    _check_format(fmt)
    result = evaluate_full(
        ruleset, file, as_of=as_of, on_error=on_error, on_duplicate=on_duplicate,
        with_input=with_input, encoding=encoding, input_format=input_format,
    )
    context = OutputContext(result.plan.provenance, result.plan.key, is_terminal=terminal)
    inputs = [file] + [ruleset.path]
    if result.rejects is not None and result.rejects.height:
        target = rejects or (f"{output.rsplit('.', 1)[0]}.rejects.csv" if output not in (None, "-") else "rejects.csv")
        write_output(result.rejects, target, "csv", context, inputs)
        click.echo(f"skipped {result.rejects.height} row(s) that could not be read; see {target}", err=True)
    write_output(result.results, output, fmt, context, inputs)


def _check_format(fmt: str) -> None:
    from .plugins import get_registry

    formats = get_registry().output_formats
    if fmt not in formats:
        from .errors import did_you_mean

        raise UsageError(f"unknown output format {fmt!r}{did_you_mean(fmt, formats)}; known: {', '.join(sorted(formats))}")


@cli.command()
@click.argument("rulesets", nargs=-1, required=True)
def validate(rulesets):
    """Check RULESETS (files or builtin:NAME): schema, extends, names and expression types."""
    from .errors import ErrorList, InputError

    failed = False
    worst = 0
    for ref in rulesets:
        try:
            ruleset = _load(ref)
        except ErrorList as exc:
            for error in exc.errors:
                click.echo(f"error: {error}", err=True)
            failed, worst = True, max(worst, exc.exit_code)
        except SalesrulesError as exc:
            click.echo(f"error: {exc}", err=True)
            failed, worst = True, max(worst, 2 if isinstance(exc, InputError) else exc.exit_code)
        else:
            click.echo(f"{ref}: valid ({ruleset.name} {ruleset.version}, hash {ruleset.hash})")
    if failed:
        sys.exit(worst or 1)


@cli.command()
def schema():
    """Print the JSON Schema of the ruleset format."""
    from .rulesets import _schema_text

    click.echo(_schema_text(), nl=False)


@cli.command()
@click.argument("file")
@click.option("-o", "--output", help="Write the ruleset here instead of standard output.")
@click.option("--name", help="Name of the new ruleset (default: from the file name).")
@click.option("--encoding", help="Text encoding of a CSV input (default utf-8).")
def init(file, output, name, encoding):
    """Write a starter ruleset for FILE, with field types inferred from its data."""
    from .init import starter_ruleset
    from .inputs import ReadOptions, read_table

    frame = read_table(file, ReadOptions(encoding=encoding or "utf-8"))
    text = starter_ruleset(frame, name or _stem(file), file)
    if output in (None, "-"):
        click.echo(text, nl=False)
        return
    from .outputs import atomic_write_text

    atomic_write_text(output, text, inputs=[file])
    click.echo(f"wrote {output}", err=True)


def _stem(path: str) -> str:
    import re
    from pathlib import Path

    return re.sub(r"[^a-z0-9]+", "-", Path(path).stem.lower()).strip("-") or "ruleset"


@cli.command()
@click.option("--all", "show_all", is_flag=True, help="Include the built-in default plugins.")
@click.option("--hook", help="Only plugins that implement this hook.")
def plugins(show_all, hook):
    """List the installed plugins as JSON: name, version and hooks."""
    from .plugins import plugin_list

    click.echo(json.dumps(plugin_list(show_all, hook), indent=2))


@cli.command("new-plugin")
@click.argument("name")
@click.option("--dir", "directory", default=".", type=click.Path(file_okay=False), help="Where to create the package.")
def new_plugin(name, directory):
    """Create salesrules-NAME, a working plugin package with a function, a signal, a ruleset and tests."""
    from pathlib import Path

    from .plugin_template import new_plugin as create

    root = create(name, Path(directory))
    click.echo(f"created {root}; next: pip install -e {root} && pytest {root}")


def main():
    """Entry point for ``python -m salesrules``."""
    cli()


def _register_commands():
    from .plugins import load_plugins, pm

    load_plugins()
    pm.hook.register_commands(cli=cli)


if "--version" not in sys.argv[1:2]:
    _register_commands()
