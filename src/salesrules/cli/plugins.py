"""``salesrules plugins`` and ``salesrules new-plugin``: the installed plugins, and a new one."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command()
@click.option("--all", "show_all", is_flag=True,
              help="Include the built-in default plugins, and what each provides: functions, signals, "
                   "rulesets and formats, with their docs.")
@click.option("--hook", help="Only plugins that implement this hook.")
def plugins(show_all, hook):
    """List the installed plugins as JSON: name, version and hooks; with --all, the built-in ones
    too and what every plugin provides."""
    from ..plugins import plugin_list, provided

    listed = plugin_list(show_all, hook)
    if show_all:
        offered = provided()
        listed = [{**p, "provides": offered.get(p["name"], {})} for p in listed]
    click.echo(json.dumps(listed, indent=2))


@click.command("new-plugin")
@click.argument("name")
@click.option("--dir", "directory", default=".", type=click.Path(file_okay=False), help="Where to create the package.")
def new_plugin(name, directory):
    """Create salesrules-NAME, a working plugin package with a function, a signal, a ruleset and tests."""
    from ..scaffold.plugin import new_plugin as create

    root = create(name, Path(directory))
    click.echo(f"created {root}; next: pip install -e {root} && pytest {root}")
