"""The built-in ``markdown`` output format: a GitHub-flavoured pipe table.

A comment line with the provenance comes first. Lists are joined with ``"; "``, ``|`` is
escaped and line breaks inside a value become ``<br>`` so every record stays one row.
"""

from __future__ import annotations

import polars as pl

from salesrules.hookspecs import hookimpl
from salesrules.io.outputs import OutputContext, provenance_text, text_frame


def write_markdown(frame: pl.DataFrame, stream, context: OutputContext) -> None:
    """Write the provenance comment and the results table to a text stream."""
    stream.write(provenance_comment(context) + "\n\n")
    table = text_frame(frame, "; ").select(pl.all().cast(pl.String))
    stream.write(_row(frame.columns))
    stream.write(_row("---:" if dtype.is_numeric() else "---" for dtype in frame.dtypes))
    for values in table.iter_rows():
        stream.write(_row("" if value is None else value for value in values))


def provenance_comment(context: OutputContext) -> str:
    """``<!-- ruleset NAME VERSION (hash HASH), as of DATE -->``."""
    p = provenance_text(context)
    text = f"ruleset {p['ruleset']} {p['ruleset_version']} (hash {p['ruleset_hash']}), as of {p['as_of']}"
    return f"<!-- {text.replace('--', '- -')} -->"  # "--" would end the comment early


def _row(cells) -> str:
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |\n"


def _cell(text: str) -> str:
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return text.replace("\r\n", "<br>").replace("\n", "<br>").replace("\r", "<br>")


@hookimpl
def register_output_formats(register):
    """Register ``markdown`` (``.md``)."""
    register("markdown", write_markdown, extension=".md", binary=False, lists_as_text="; ")
