"""DMN models as rulesets: ``salesrules.load("model.dmn")`` and ``-r model.dmn``."""

from __future__ import annotations

from salesrules.hookspecs import hookimpl
from salesrules.loader.dmn import read_dmn


@hookimpl
def register_ruleset_formats(register):
    """Register the DMN 1.3–1.5 XML reader for ``.dmn`` files."""
    register("dmn", read_dmn, (".dmn",), description="DMN 1.3-1.5 decision models (decision tables)")
