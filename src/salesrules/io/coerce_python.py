"""Reading one text value in Python, as the polars readers of :mod:`salesrules.io.coerce` would.

A few records (``evaluate_one``, ruleset tests) are mostly typed before the query: planning
the polars readers of a one-row column costs far more than reading its value. The reader
here takes only the usual spellings, and gives exactly what the polars readers give for
them (tests/test_coerce_python.py compares them on generated text); anything else is
:data:`NOT_READ` and left to polars.
"""

from __future__ import annotations

import re

from ..model.dates import parse_date
from ..model.sections import FieldSpec
from .coerce import _FALSE, _TRUE_SPELLINGS, _enum_key, _spellings, enum_mapping
from .coerce_numbers import _WHITESPACE

NOT_READ = object()
_PY_INTEGER = re.compile(r"-?[0-9]{1,18}")
# Plain decimals and US amounts ("$1,250,000.00"), which both read as their digits.
_PY_NUMBER = re.compile(r"\$?-?(?:[0-9]{1,15}|[1-9][0-9]{0,2}(?:,[0-9]{3}){1,4})(?:\.[0-9]{1,15})?")
_PY_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PY_BOOLEANS = {**{w: False for w in _spellings(_FALSE)}, **{w: True for w in _TRUE_SPELLINGS}}
_PY_ODD_SPACE = re.compile("[\x1c-\x1f]")  # whitespace to Python's str.split, not to regex \s


def read_text_value(text: str | None, field: FieldSpec, mapping: dict[str, str] | None = None):
    """The value of ``text`` as the polars reader of ``field`` makes it, or :data:`NOT_READ`.

    ``mapping`` is :func:`salesrules.io.coerce.enum_mapping` of an enum field's values (computed once by the caller).
    """
    if text is None or text == "":
        return None
    if field.null_values:
        return NOT_READ  # the polars reader makes its placeholders null
    kind = field.type
    if kind == "string":
        value = text.strip(_WHITESPACE)
        return value or None
    if kind == "boolean":
        return _PY_BOOLEANS.get(text, NOT_READ)
    if kind == "date":
        if field.format or not _PY_DATE.fullmatch(text):
            return NOT_READ
        try:
            return parse_date(text)
        except ValueError:
            return NOT_READ
    if kind == "integer":
        return int(text) if _PY_INTEGER.fullmatch(text) else NOT_READ
    if kind in ("number", "money"):
        if field.decimal == "," or not _PY_NUMBER.fullmatch(text):
            return NOT_READ
        return float(text.replace("$", "").replace(",", ""))
    if kind == "enum":
        if not text.isascii() or _PY_ODD_SPACE.search(text):
            return NOT_READ
        mapping = enum_mapping(field.values or {}) if mapping is None else mapping
        return mapping.get(_enum_key(text), NOT_READ)
    return NOT_READ
