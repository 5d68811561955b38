"""The built-in ``markdown`` output format: a GitHub-flavoured pipe table.

A comment line with the provenance comes first. Lists are joined with ``"; "`` and line
breaks inside a value become ``<br>`` so every record stays one row. Values come from other
people's files, so each is escaped to render as the literal text it is in any markdown
renderer: ``&``, ``<`` and ``>`` become entities (no HTML, no autolinks), the characters of
inline syntax (backticks, ``*``, ``_``, ``[``, ``]``, ``|``, ``~``, ``$``) get a backslash (no
links, images, code or emphasis), and so does syntax that starts a block (``#``, ``-``, ``1.``...)
at the start of a value. Control characters are replaced, as on a terminal.
"""

from __future__ import annotations

import re

import polars as pl

from salesrules.errors import printable
from salesrules.hookspecs import hookimpl
from salesrules.io.outputs import OutputContext, provenance_text, text_frame

# An underscore between two letters or digits (snake_case) never starts or ends emphasis.
_INLINE = re.compile(r"[\\`*\[\]|~$]|(?<![^\W_])_|_(?![^\W_])")
_BLOCK_START = re.compile(r"^( *)(?:([#+=:-])|(\d+)([.)]))")  # a heading, a list item, a setext line
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def write_markdown(frame: pl.DataFrame, stream, context: OutputContext) -> None:
    """Write the provenance comment and the results table to a text stream."""
    stream.write(provenance_comment(context) + "\n\n")
    table = text_frame(frame, "; ").select(pl.all().cast(pl.String))
    numeric = [dtype.is_numeric() for dtype in frame.dtypes]
    stream.write(_row(frame.columns, [False] * len(numeric)))
    stream.write("| " + " | ".join("---:" if n else "---" for n in numeric) + " |\n")
    for values in table.iter_rows():
        stream.write(_row(("" if value is None else value for value in values), numeric))


def provenance_comment(context: OutputContext) -> str:
    """``<!-- ruleset NAME VERSION (hash HASH), as of DATE -->``."""
    p = provenance_text(context)
    text = f"ruleset {p['ruleset']} {p['ruleset_version']} (hash {p['ruleset_hash']}), as of {p['as_of']}"
    text = " ".join(printable(text).split())  # one line
    return f"<!-- {re.sub('-(?=-)', '- ', text)} -->"  # "--" would end the comment early


def _row(cells, numeric) -> str:
    return "| " + " | ".join(_cell(cell, plain) for cell, plain in zip(cells, numeric)) + " |\n"


def markdown_text(text: str) -> str:
    """``text`` escaped to render as itself in a markdown table cell, line breaks as ``<br>``."""
    text = _INLINE.sub(r"\\\g<0>", printable(text))
    text = _BLOCK_START.sub(lambda m: m[1] + ("\\" + m[2] if m[2] else m[3] + "\\" + m[4]), text)
    return text.translate(_ENTITIES).replace("\n", "<br>")


def _cell(text: str, number: bool) -> str:
    # A number's text (digits, sign, point, exponent, inf, NaN) has no markdown in it.
    return text if number else markdown_text(text)


@hookimpl
def register_output_formats(register):
    """Register ``markdown`` (``.md``)."""
    register("markdown", write_markdown, extension=".md", binary=False, lists_as_text="; ", sort="rank")
