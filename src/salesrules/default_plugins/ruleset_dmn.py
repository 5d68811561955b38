"""DMN models as rulesets: ``salesrules.load("model.dmn")`` and ``-r model.dmn``."""

from __future__ import annotations

from salesrules.hookspecs import hookimpl


def read_dmn(path):
    """The ruleset data of a DMN 1.3–1.5 model file (decision tables as ``decisions``)."""
    # The DMN reader and its XML parser are imported when a .dmn file is read, not whenever
    # the plugins load.
    from salesrules.loader.dmn import read_dmn as read

    return read(path)


@hookimpl
def register_ruleset_formats(register):
    """Register the DMN 1.3–1.5 XML reader for ``.dmn`` files."""
    register("dmn", read_dmn, (".dmn",), description="DMN 1.3-1.5 decision models (decision tables)")
