"""Text that a spreadsheet would run as a formula, neutralised for CSV output.

A spreadsheet opening a CSV file reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula, and some strip a leading tab or carriage return first; a prospect file could carry
``=HYPERLINK(...)`` or a DDE payload such as ``=cmd|' /C calc'!A0`` into the key, an input
column or a reason. As OWASP recommends, such text gets a leading single quote, which
spreadsheets show as text. Numbers are not text and stay as they are, and so does text that is a
plain number (``-3``, ``+1.5``, ``-2e3``): a spreadsheet reads it as that number, never as a formula.
"""

from __future__ import annotations

import re

import polars as pl

# What a formula may start with, by the OWASP list.
FORMULA_STARTS = "=+-@\t\r"
QUOTE = "'"

_RISKY = r"^[=+\-@\t\r]"
_PLAIN_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_TEXT_TYPES = (pl.String, pl.Categorical, pl.Enum)


def neutralised(value: pl.Expr) -> pl.Expr:
    """A String expression with every text a spreadsheet would run as a formula quoted."""
    # Only the texts that start like a formula are tested further and copied with a quote:
    # the others (nearly all) cost one anchored test, and are passed on as they are.
    starts = pl.when(value.str.contains(_RISKY)).then(value)
    quoted = pl.lit(QUOTE) + pl.when(starts.str.contains(_PLAIN_NUMBER).not_()).then(starts)
    return pl.coalesce(quoted, value)


def neutralised_text(text: str) -> str:
    """One text as :func:`neutralised` gives it (for column names)."""
    if text[:1] and text[0] in FORMULA_STARTS and not re.fullmatch(_PLAIN_NUMBER, text):
        return QUOTE + text
    return text


def formula_safe(frame: pl.DataFrame | pl.LazyFrame):
    """``frame`` with every text column and column name neutralised; other columns as they are.

    Categorical and enum columns become String. A LazyFrame stays lazy, so a streaming sink
    still streams.
    """
    schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    texts = [name for name, dtype in schema.items() if isinstance(dtype, _TEXT_TYPES)]
    if texts:
        frame = frame.with_columns(neutralised(pl.col(name).cast(pl.String)).alias(name) for name in texts)
    taken = set(schema.names())
    renamed = {}
    for name in schema.names():
        safe = neutralised_text(name)
        while safe != name and safe in taken:  # another column already has that name
            safe = QUOTE + safe
        if safe != name:
            renamed[name] = safe
            taken.add(safe)
    return frame.rename(renamed) if renamed else frame
