"""``salesrules plugins`` and ``salesrules new-plugin``: the installed plugins, and a new one."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import click


@click.command()
@click.option("--all", "show_all", is_flag=True,
              help="Include the built-in default plugins, and what each provides: functions, signals, "
                   "rulesets and formats, with their docs.")
@click.option("--hook", help="Only plugins that implement this hook.")
def plugins(show_all, hook):
    """List the installed plugins as JSON: name, version and hooks; with --all, the built-in ones
    too and what every plugin provides.

    A name two plugins provide (a function, a signal, a ruleset, a format) is listed under
    ``clashes`` of each, with the qualified name that picks it, and warned about on standard error.
    """
    from ..errors import PluginError
    from ..plugin_names import clashes_by_plugin
    from ..plugins import get_registry, plugin_list, provided

    listed = plugin_list(show_all, hook)
    try:
        registry = get_registry()
    except PluginError as exc:  # a plugin that fails to register is still listed
        click.echo(f"warning: {exc}", err=True)
        registry = None
    if registry is not None:
        kinds = [getattr(registry, f.name) for f in fields(registry)]
        found = clashes_by_plugin(kinds)
        listed = [{**p, "clashes": found[p["name"]]} if p["name"] in found else p for p in listed]
        for names in kinds:
            for name in names.clashes:
                click.echo(f"warning: {names.kind} {names.clash(name)}", err=True)
    if show_all:
        offered = provided(registry)
        listed = [{**p, "provides": offered.get(p["name"], {})} for p in listed]
    click.echo(json.dumps(listed, indent=2))


@click.command("new-plugin")
@click.argument("name")
@click.option("--dir", "directory", default=".", type=click.Path(file_okay=False), help="Where to create the package.")
def new_plugin(name, directory):
    """Create salesrules-NAME, a working plugin package with a function, a signal, a ruleset, an output format and tests."""
    from ..scaffold.plugin import new_plugin as create

    root = create(name, Path(directory))
    click.echo(f"created {root}; next: pip install -e {root} && pytest {root}")
