"""Reading values in Python, as the polars readers of :mod:`salesrules.io.coerce` would.

A few records (``evaluate_one``, ruleset tests) and micro-batches (``evaluate_many``) are
mostly typed before the query: planning the polars readers of a one-row column costs far
more than reading its value, and for a thousand records reading them in Python (most texts
once: they repeat) still costs less than the readers' share of the query. The readers here
take only the usual spellings and native values, and give exactly what the polars readers
give for them (tests/test_coerce_python.py compares them on generated values); anything else
is :data:`NOT_READ` and left to polars.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import replace

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


# --- native values and whole columns ----------------------------------------------------
#
# A record from JSON or Python code holds native values too. Each is read as the polars
# reader of a column of its own type reads it (see the "Non-text sources" of
# :mod:`salesrules.io.coerce`), so a column whose values have different types gives every
# record what it would get on its own.

_INT64 = (-(2**63), 2**63)
_NATIVE = (bool, int, float, dt.date)  # dt.datetime is a dt.date


def read_value(value, field: FieldSpec, mapping: dict[str, str] | None = None):
    """The value of ``value`` (text, None, or a bool, int, float, date or naive datetime) as
    the polars reader of ``field`` makes it from a column of its type, or :data:`NOT_READ`."""
    if value is None or type(value) is str:
        return read_text_value(value, field, mapping)
    if not isinstance(value, _NATIVE):
        return NOT_READ
    kind = field.type
    if isinstance(value, dt.date):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return NOT_READ
        day = value.date() if isinstance(value, dt.datetime) else value
        if kind == "date":
            return day
        if isinstance(value, dt.datetime) or not 1000 <= day.year <= 9999:
            return NOT_READ  # polars renders a datetime with its fraction of a second
        return _from_text(day.isoformat(), field, mapping)
    if type(value) is bool:
        if kind == "boolean":
            return value
        if kind in ("integer", "number", "money"):
            return _TYPED[kind](value)
        return _from_text("true" if value else "false", field, mapping)
    if type(value) is int:
        if not _INT64[0] <= value < _INT64[1]:
            return NOT_READ
        if kind in ("integer", "number", "money"):
            return _TYPED[kind](value)
        if kind == "boolean":
            return {1: True, 0: False}.get(value, NOT_READ)
        return _from_text(str(value), field, mapping)
    if type(value) is not float or not math.isfinite(value):
        return NOT_READ  # a float subclass, or NaN and infinities: null, a bad value
    if kind in ("number", "money"):
        return value
    if kind == "integer":
        return int(value) if value.is_integer() and _INT64[0] <= value < _INT64[1] else NOT_READ
    if kind == "boolean":
        return {1.0: True, 0.0: False}.get(value, NOT_READ)
    return NOT_READ  # polars renders a float as text its own way


_TYPED = {"integer": int, "number": float, "money": float}
# The native type whose values a field takes as they are.
_OWN_TYPE = {"integer": int, "number": float, "money": float, "boolean": bool, "date": dt.date, "string": str}


def _from_text(text: str, field: FieldSpec, mapping: dict[str, str] | None) -> object:
    """A native value rendered as text, read as text (never a null placeholder: the
    placeholders of ``null_values`` apply to text columns only)."""
    if field.null_values:
        field = replace(field, null_values=())
    return read_text_value(text, field, mapping)


def read_values(values: list, field: FieldSpec, mapping: dict[str, str] | None, memo: dict,
                kinds: set | None = None) -> list | None:
    """The values of a column as :func:`read_value` reads them, or None when one of them is not read.

    ``memo`` keeps the values of texts already read for ``field`` (dates, booleans, enum
    spellings and counts repeat from record to record); the caller keeps it per field, and
    it stops growing at :data:`MEMO_SIZE` texts.
    """
    kind = field.type
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if len(kinds) == 1 and _OWN_TYPE.get(kind) in kinds and kind != "string":  # native values of the field's type
        own = kinds.pop()
        if own is int:
            fits = all(v is None or _INT64[0] <= v < _INT64[1] for v in values)
        else:
            fits = own is not float or all(v is None or math.isfinite(v) for v in values)
        return values if fits else None
    if kinds == {str} and not field.null_values:
        if kind == "string":
            return [None if v is None else (v.strip(_WHITESPACE) or None) for v in values]
        if kind in _MEMOIZED:
            return _remembered(values, field, mapping, memo)
        elif kind in ("number", "money") and field.decimal != ",":
            number = _PY_NUMBER.fullmatch
            read = [None if v is None or v == "" else float(v.replace("$", "").replace(",", "")) if number(v) else NOT_READ for v in values]
            return None if NOT_READ in read else read
    kept = kind in _MEMOIZED
    if kept:
        memo.setdefault(None, None)
    out = []
    for value in values:
        read = read_value(value, field, mapping)
        if read is NOT_READ:
            return None
        if kept and type(value) is str and len(memo) < MEMO_SIZE:
            memo[value] = read
        out.append(read)
    return out


def _remembered(texts: list, field: FieldSpec, mapping: dict[str, str] | None, memo: dict) -> list | None:
    """:func:`read_values` of texts (or None) by ``memo``, the texts it lacks read and added."""
    memo.setdefault(None, None)
    try:  # every text read before: one lookup each
        return list(map(memo.__getitem__, texts))
    except KeyError:
        pass
    get = memo.get
    out = [get(text, _MISSING) for text in texts]
    for place, value in enumerate(out):
        if value is _MISSING:
            text = texts[place]
            value = read_text_value(text, field, mapping)
            if value is NOT_READ:
                return None
            if len(memo) < MEMO_SIZE:
                memo[text] = value
            out[place] = value
    return out


_MISSING = object()
# The types whose texts repeat: a date, a flag, an enum's spellings, a count.
_MEMOIZED = ("date", "boolean", "enum", "integer")
MEMO_SIZE = 65_536
