"""The ``salesrules`` command line: a thin click layer over the Python API.

Errors are one line on stderr and an exit code: 0 success, 1 rule failures (tests
failed, validation errors), 2 usage or input errors, 130 interrupted (SIGINT, Ctrl-C),
143 terminated (SIGTERM). Click's own usage errors (a missing option, a bad option
value) are one ``error:`` line too. ``--debug`` shows tracebacks.

Each command is a module of this package; :mod:`.group` turns errors and signals into exit
codes and :mod:`.options` holds the options several commands share.
"""

from __future__ import annotations

import os
import sys
import warnings

# polars warns about a bad POLARS_MAX_THREADS when it is imported; the command line says it on
# one error line instead (see group.check_environment), so the warning is not shown twice.
warnings.filterwarnings("ignore", message=r"illegal value .* 'POLARS_MAX_THREADS'")

import click

from .. import __version__
from ..errors import PluginError, SalesrulesError
from .group import EXIT_INTERRUPTED, LazyCommands, _Group

# polars reads CSV in chunks whose size it takes from this variable, once per process; its
# default holds several hundred megabytes in flight, smaller chunks read as fast.
os.environ.setdefault("POLARS_CSV_CHUNK_SIZE", str(4 << 20))


def _plugins_dir(ctx, param, value):
    if value:
        from ..plugins import load_plugins

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


# Each command by name: the module of this package that defines it and the command's name there.
# A run imports only the module of its command (see group.LazyCommands).
COMMANDS = {
    "evaluate": ("evaluate", "evaluate"), "validate": ("validate", "validate"), "schema": ("validate", "schema"),
    "init": ("init", "init"), "plugins": ("plugins", "plugins"), "new-plugin": ("plugins", "new_plugin"),
    "test": ("test", "test_command"), "lint": ("lint", "lint_command"), "explain": ("explain", "explain_command"),
    "diff": ("diff", "diff_command"), "backtest": ("backtest", "backtest_command"), "report": ("report", "report"),
    "assign": ("assign", "assign"), "convert": ("convert", "convert_command"),
}
cli.commands = LazyCommands(COMMANDS)


def main():
    """Run the command line (``python -m salesrules`` and the ``salesrules`` command run it
    through :func:`salesrules.__main__.main`, which also keeps the garbage collector out of start-up)."""
    cli()


def _register_plugin_commands():
    """Load the installed plugins and let them add their commands.

    A plugin that fails while loading is reported as one error line when a command runs.
    """
    from ..plugins import load_plugins, pm

    try:
        load_plugins()
        pm.hook.register_commands(cli=cli)
    except SalesrulesError as exc:
        cli.startup_error = exc
    except Exception as exc:  # an installed plugin is broken: report it, not a traceback
        cli.startup_error = PluginError(f"a plugin failed to load: {type(exc).__name__}: {' '.join(str(exc).split())}")


if "--version" not in sys.argv[1:2]:
    try:
        _register_plugin_commands()
    except KeyboardInterrupt:  # Ctrl-C while starting up
        click.echo("error: interrupted; no output was written", err=True)
        sys.exit(EXIT_INTERRUPTED)
