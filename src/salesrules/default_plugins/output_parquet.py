"""The built-in ``parquet`` output format.

Columns keep their native types (lists, structs, dates). The provenance is stored as
file-level key-value metadata under ``salesrules.ruleset``, ``salesrules.ruleset_version``,
``salesrules.ruleset_hash`` and ``salesrules.as_of``; read it with
``polars.read_parquet_metadata``.
"""

from __future__ import annotations

import polars as pl

from salesrules.hookspecs import hookimpl
from salesrules.io.outputs import OutputContext, provenance_text

METADATA_PREFIX = "salesrules."
# Rows per row group: a reader can skip or fetch a group alone, and one group of 100,000
# results takes tens of megabytes in memory.
ROW_GROUP_ROWS = 100_000


def write_parquet(frame: pl.DataFrame, stream, context: OutputContext) -> None:
    """Write the results with the provenance metadata to a binary stream."""
    frame.write_parquet(stream, row_group_size=ROW_GROUP_ROWS, metadata=provenance_metadata(context))


def sink_parquet(frame: pl.LazyFrame, stream, context: OutputContext) -> None:
    """Write results that may not fit in memory, batch by batch, with the provenance metadata."""
    frame.sink_parquet(stream, row_group_size=ROW_GROUP_ROWS, metadata=provenance_metadata(context))


def provenance_metadata(context: OutputContext) -> dict[str, str]:
    """The provenance as parquet key-value metadata."""
    return {METADATA_PREFIX + key: value for key, value in provenance_text(context).items()}


@hookimpl
def register_output_formats(register):
    """Register ``parquet`` (``.parquet``)."""
    register("parquet", write_parquet, extension=".parquet", binary=True, sink=sink_parquet)
