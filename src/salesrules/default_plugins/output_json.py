"""The built-in ``json`` and ``ndjson`` output formats.

``json`` writes one document, ``{"provenance": {...}, "records": [...]}``; ``ndjson``
writes one record per line, each carrying the four provenance keys. Dates are ISO
text, lists are arrays, actions are objects, NaN and missing values are ``null``.
"""

from __future__ import annotations

import json

import polars as pl

from salesrules.hookspecs import hookimpl
from salesrules.io.outputs import OutputContext, json_value, provenance


def write_json(frame: pl.DataFrame, stream, context: OutputContext) -> None:
    """Write the provenance and all records as one indented JSON document to a text stream."""
    document = {
        "provenance": provenance(context),
        "records": [json_value(row) for row in frame.iter_rows(named=True)],
    }
    json.dump(document, stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def write_ndjson(frame: pl.DataFrame, stream, context: OutputContext) -> None:
    """Write one JSON object per record and line, provenance keys last, to a text stream."""
    stamp = provenance(context)
    for row in frame.iter_rows(named=True):
        record = json_value(row)
        record.update(stamp)
        stream.write(json.dumps(record, ensure_ascii=False))
        stream.write("\n")


@hookimpl
def register_output_formats(register):
    """Register ``json`` (``.json``) and ``ndjson`` (``.ndjson``; ``.jsonl`` selects it too)."""
    register("json", write_json, extension=".json", binary=False)
    register("ndjson", write_ndjson, extension=".ndjson", binary=False)
