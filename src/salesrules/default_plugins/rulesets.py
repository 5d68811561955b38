"""The rulesets shipped with salesrules, registered like any plugin's."""

from __future__ import annotations

from importlib.resources import files

from salesrules.hookspecs import hookimpl


@hookimpl
def register_rulesets(register):
    """Register every YAML file in the package's rulesets folder as ``builtin:NAME``."""
    folder = files("salesrules").joinpath("rulesets")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml") and not entry.name.endswith(".test.yaml"):
            register(entry.name.removesuffix(".yaml"), str(entry))
