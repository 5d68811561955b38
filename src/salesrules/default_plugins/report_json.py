"""The built-in ``json`` report format: the report's JSON document (see docs/reports.md)."""

from __future__ import annotations

import json

from salesrules.hookspecs import hookimpl
from salesrules.io.outputs import OutputContext, json_value


def write_json(report, stream, context: OutputContext) -> None:
    """Write the report as one indented JSON document to a text stream."""
    json.dump(json_value(report.to_dict()), stream, indent=2, ensure_ascii=False)
    stream.write("\n")


@hookimpl
def register_report_formats(register):
    """Register ``json`` (``.json``)."""
    register("json", write_json, extension=".json", binary=False)
