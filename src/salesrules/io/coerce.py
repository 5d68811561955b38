"""Turn CRM export columns into their declared field types with pure polars expressions.

Every conversion is a polars expression (no per-row Python). A value that cannot be
converted becomes null instead of raising; the engine reports a failure wherever the
source is neither null nor blank but the converted value is null. Text is trimmed first
(all Unicode whitespace, so non-breaking spaces too) and blank text becomes null.

Parsing rules for text:

``string``
    The trimmed text.
``boolean``
    ``yes/no``, ``true/false``, ``1/0``, ``y/n``, ``t/f`` and ``on/off`` in any case;
    any other text is null.
``date``
    With ``format``: ``str.strptime(pl.Date, format, strict=False)``. Without: ISO
    ``YYYY-MM-DD``, or an ISO datetime ``YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±hh[:mm]]`` whose
    date part is kept as written (no time-zone conversion). Impossible dates such as
    ``2026-02-30`` are null.
``enum``
    The canonical name or any of its listed spellings, case-insensitively, after trimming
    and collapsing inner runs of whitespace to one space; the result is the canonical name.
    Unknown text is null.
``money`` / ``number``
    Currency symbols (any Unicode currency sign such as ``$ € £ ¥ ₽ ₹ ₩``, plus ``R$`` and
    ``kr``) and 3-letter uppercase codes (``USD``, ``CHF``...) are dropped wherever they are.
    A negative is written ``-1``, ``1-`` (trailing minus, as SAP exports do) or ``(1)``
    (accounting). Thousands separators are the non-decimal one of ``.``/``,``, spaces
    (including U+00A0 and U+202F) and apostrophes (``'`` and ``’``); when used they must
    group digits as ``1,234,567`` or Indian-style ``12,34,567``. An exponent (``1.5e6``) is
    accepted. ``decimal`` fixes the decimal separator; when it is None (auto), per value:

    * both ``.`` and ``,`` present: the last one is the decimal separator;
    * one kind present more than once: it is the thousands separator;
    * a single ``,`` followed by exactly three digits is a thousands separator
      (``1,200`` is 1200), any other single ``,`` is decimal (``1,5`` is 1.5);
    * a single ``.`` is decimal (``1.500`` is 1.5; set ``decimal: ","`` for European data).

    (These follow from reading the value with a decimal point and, when that is malformed,
    with a decimal comma; so ``0,500`` and ``1234,567``, which are not valid digit groups,
    read as decimals.) Anything else (``12abc``, ``1,2,3.4.5``, ``$``, ``--5``) is null, and
    so are results too large for a float.
``integer``
    Parsed like a number; the value must be whole (``12.0`` and ``1.2e3`` are fine,
    ``12.5`` is null) and fit in Int64.

Non-text sources: integers and floats are cast (a float becomes an integer only when it is
whole; NaN and infinities are null; decimals count as floats), booleans become 1/0 for
numbers and stay booleans, dates and datetimes give their date or ISO text. For the other
target types these sources are rendered as text and parsed as above (a whole float as
``3``, not ``3.0``, so it can match an enum spelling). Other sources that polars can render
as text (categoricals, times) are parsed as text; the rest (lists, structs, binary,
durations) only give nulls.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

import polars as pl

from ..model.sections import FieldSpec
from .coerce_numbers import _US_AMOUNT, _parse_float, _parse_integer, _read_us, _whole_to_int

_DTYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "integer": pl.Int64(),
    "number": pl.Float64(),
    "money": pl.Float64(),
    "boolean": pl.Boolean(),
    "date": pl.Date(),
    "enum": pl.String(),
}

_TRUE = ["yes", "true", "1", "y", "t", "on"]
_FALSE = ["no", "false", "0", "n", "f", "off"]

_ISO_DATE = (
    r"^(\d{4}-\d{2}-\d{2})"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$"
)


def polars_dtype(field: FieldSpec) -> pl.DataType:
    """Return the polars dtype a column of ``field``'s declared type converts to."""
    try:
        return _DTYPES[field.type]
    except KeyError:
        raise ValueError(f"unknown field type {field.type!r} for field {field.name!r}") from None


def read_defaults(fields: list[FieldSpec]) -> list | None:
    """Each field's ``default`` as a value of its column would be read (a date default written
    as text is a date, an enum spelling its canonical name; None where it is no valid value),
    all in one query; None when that query fails, and they are to be read one by one."""
    if not fields:
        return []
    try:
        frame = pl.DataFrame({str(i): [field.default] for i, field in enumerate(fields)})
        return list(frame.select(coerce_expr(pl.col(str(i)), field, frame.schema[str(i)])
                                 for i, field in enumerate(fields)).row(0))
    except Exception:  # noqa: BLE001 - each default is then read on its own, with its own error
        return None


def describe_type(field: FieldSpec) -> str:
    """Describe ``field``'s expected type in a few words, for error messages."""
    if field.type == "boolean":
        return "boolean (yes/no, true/false, 1/0, y/n)"
    if field.type == "date":
        return f"date (format {field.format})" if field.format else "date (YYYY-MM-DD)"
    if field.type == "enum":
        names = ", ".join(field.values or {}) or "(no values declared)"
        return f"one of: {names}"
    if field.type in ("money", "number") and field.decimal:
        mark = "decimal comma" if field.decimal == "," else "decimal point"
        return f"{field.type} ({mark})"
    return field.type


def coerce_expr(expr: pl.Expr, field: FieldSpec, source_dtype: pl.DataType, *, lookups: bool = True) -> pl.Expr:
    """Convert ``expr`` (of ``source_dtype``) to ``polars_dtype(field)``.

    Values that cannot be converted become null; nothing raises at run time. The result
    keeps ``expr``'s output name when it has one. ``lookups=False`` reads text with the
    general readers only: the same values, without the fixed cost of the lookup tables
    (a few milliseconds per query), which only pays on many rows.
    """
    target = polars_dtype(field)
    out = _convert(expr, field, source_dtype, target, lookups)
    try:
        return out.alias(expr.meta.output_name())
    except Exception:  # an expression without a single output name (e.g. a literal)
        return out


def fast_reader(text: pl.Expr, field: FieldSpec, source_dtype: pl.DataType, read: pl.Expr) -> tuple[pl.Expr, pl.Expr] | None:
    """A cheap reader of the usual spellings of text column ``text`` for ``field``: ``(value, known)``.

    Where ``known`` is true, ``value`` is what :func:`coerce_expr` gives; so when it is true on
    every row of a batch, ``value`` types the batch on its own, without the general readers,
    and no value of the batch is bad. ``known`` reads the value from ``read``, the column
    ``value`` is computed into. None when the field has no such reader (or the source is
    not text).
    """
    if source_dtype != pl.String:
        return None
    kind = field.type
    # A usual spelling reads as a value; anything else as null (so known where not null).
    known = text.is_null() | read.is_not_null()
    # (Text has none: telling text that needs no trimming costs as much as trimming it.)
    if kind == "integer":
        return text.cast(pl.Int64, strict=False), known
    if kind in ("number", "money") and field.decimal != ",":
        us = _read_us(text, whole=False)
        # (Digits too many for a float read as null, which is a bad value.)
        return pl.when(us.is_finite()).then(us), known & (text.is_null() | text.str.contains(_US_AMOUNT))
    if kind == "boolean":
        return _lookup(text, _BOOLEAN_SPELLINGS) < len(_TRUE_SPELLINGS), known
    if kind == "date" and not field.format:
        index = _lookup(text, _iso_dates_type())
        return (index.cast(pl.Int32) + (_ISO_RANGE[0] - dt.date(1970, 1, 1)).days).cast(pl.Date), known
    if kind == "enum":
        spellings = _known_spellings(field.values or {})
        if spellings is None:
            return None
        return _nth(_lookup(text, pl.Enum(spellings["text"])), spellings["name"].to_list()), known
    return None


# The most spellings of a field seen in an input's first records that seen_reader compares
# the text with one by one: beyond them a lookup costs less.
SEEN_SPELLINGS = 3


def seen_reader(text: pl.Expr, field: FieldSpec, spellings, read: pl.Expr) -> tuple[pl.Expr, pl.Expr] | None:
    """A reader of boolean field ``field`` that knows only ``spellings``: ``(value, known)`` as
    :func:`fast_reader` gives them, but cheaper when a column holds few spellings.

    ``spellings`` are the texts seen in the first records of an input (``Yes`` and ``No``, say):
    each is compared with the text as written (a comparison costs a fifth of the fast reader's
    lookup), and its value is the fast reader's. None when there are more than
    :data:`SEEN_SPELLINGS` of them or one the fast reader does not know.
    """
    if field.type != "boolean" or not 0 < len(spellings) <= SEEN_SPELLINGS or not set(spellings) <= _BOOLEAN_TEXTS:
        return None
    value = None
    for spelling in spellings:
        truth = pl.lit(spelling in _TRUE_SPELLINGS)
        value = pl.when(text == spelling).then(truth) if value is None else value.when(text == spelling).then(truth)
    return value.otherwise(pl.lit(None, pl.Boolean)), text.is_null() | read.is_not_null()


def _convert(expr: pl.Expr, field: FieldSpec, source: pl.DataType, target: pl.DataType, lookups: bool = True) -> pl.Expr:
    kind = field.type
    if source == pl.String:
        return _from_text(expr, field, lookups)
    if source == pl.Null:
        return expr.cast(target)
    if source == pl.Boolean:
        if kind in ("boolean", "integer", "number", "money"):
            return expr.cast(target)
        return _from_text(expr.cast(pl.String), field)
    if source.is_integer():
        return _from_integer(expr, field, target)
    if source.is_float() or source.is_decimal():
        return _from_float(expr.cast(pl.Float64), field, target)
    if source == pl.Date or source == pl.Datetime:
        return _from_temporal(expr, field, source)
    if source.is_nested() or source in (pl.Binary, pl.Object, pl.Duration):
        return _nulls_like(expr, target)  # polars cannot render these as text
    return _from_text(expr.cast(pl.String, strict=False), field)


def _nulls_like(expr: pl.Expr, target: pl.DataType) -> pl.Expr:
    """All nulls of ``target``, one per row of ``expr`` (a bare literal would be one row)."""
    null = pl.lit(None, dtype=target)
    return pl.when(expr.is_null()).then(null).otherwise(null)


def _from_integer(expr: pl.Expr, field: FieldSpec, target: pl.DataType) -> pl.Expr:
    if field.type in ("integer", "number", "money"):
        return expr.cast(target, strict=False)
    if field.type == "boolean":
        return pl.when(expr == 1).then(True).when(expr == 0).then(False).otherwise(None)
    return _from_text(expr.cast(pl.String), field)


def _from_float(expr: pl.Expr, field: FieldSpec, target: pl.DataType) -> pl.Expr:
    finite = pl.when(expr.is_finite()).then(expr)
    if field.type in ("number", "money"):
        return finite
    if field.type == "integer":
        return _whole_to_int(finite)
    if field.type == "boolean":
        return pl.when(expr == 1).then(True).when(expr == 0).then(False).otherwise(None)
    # Spreadsheets hand integer codes over as floats: show 3.0 as "3" so it can match "3".
    text = pl.coalesce(_whole_to_int(finite).cast(pl.String), finite.cast(pl.String))
    return _from_text(text, field)


def _from_temporal(expr: pl.Expr, field: FieldSpec, source: pl.DataType) -> pl.Expr:
    if field.type == "date":
        return expr.dt.date() if source == pl.Datetime else expr
    text = expr.dt.to_string(_iso_format(source))
    if field.type == "string":
        return text
    return _from_text(text, field)


def _iso_format(source: pl.DataType) -> str:
    if source == pl.Date:
        return "%Y-%m-%d"
    if getattr(source, "time_zone", None):
        return "%Y-%m-%dT%H:%M:%S%.f%:z"
    return "%Y-%m-%dT%H:%M:%S%.f"


# --- text -------------------------------------------------------------------------------
#
# Each text type has a general reader (``_read_boolean``, ``_read_iso_date``, ``_read_enum``)
# that implements the rules of the module docstring, and a fast reader that only looks the
# raw text up among the spellings it knows, as written: the usual boolean words, the ISO
# dates of recent and coming years, an enum's declared spellings. A lookup is a cast to a
# polars Enum whose categories are the spellings (one hash probe per value, much cheaper
# than trimming and lower-casing every value first), and the category's index gives the
# value. Each known spelling's value is what the general reader makes of it, so the fast
# reader never changes a result; tests/test_coerce_fast.py checks it on generated columns.
#
# The general reader gets only the text the lookup does not know, the rest masked to null:
# polars runs the reader only on the chunks of a column that hold such text. So a column of
# usual values costs about two lookups (eager frames compute the lookup again for the
# mask), and a few odd values cost little more. The expressions stay elementwise, which
# lets polars work on the chunks of a column in parallel: a scalar condition such as
# ``.any()`` (as the number readers have) makes it read the whole column in one thread.


def _from_text(expr: pl.Expr, field: FieldSpec, lookups: bool = True) -> pl.Expr:
    kind = field.type
    if not lookups and (kind in ("boolean", "enum") or kind == "date" and not field.format):
        return _read_text(expr, field)
    # The number readers trim only where they need to (blank text reads as null anyway).
    if kind in ("number", "money"):
        return _parse_float(expr, field.decimal)
    if kind == "integer":
        return _parse_integer(expr, field.decimal)
    if kind == "string":
        return expr.str.strip_chars().replace("", None)
    if kind == "boolean":
        return _parse_boolean(expr)
    if kind == "date":
        return _parse_date(expr, field.format)
    if kind == "enum":
        return _parse_enum(expr, field.values or {})
    raise ValueError(f"unknown field type {kind!r} for field {field.name!r}")


def _read_text(text: pl.Expr, field: FieldSpec) -> pl.Expr:
    """A boolean, an ISO date or an enum value by its general reader alone."""
    if field.type == "boolean":
        return _read_boolean(text)
    if field.type == "date":
        return _read_iso_date(text)
    mapping = enum_mapping(field.values or {})
    return _read_enum(text, mapping) if mapping else _nulls_like(text, pl.String())


def _by_lookup(text: pl.Expr, index: pl.Expr, fast: pl.Expr, general: Callable[[pl.Expr], pl.Expr]) -> pl.Expr:
    """``fast`` where ``index`` is not null, else what the reader ``general`` makes of ``text``.

    ``index`` is the lookup of ``text`` (null where the text is not a known spelling) and
    ``fast`` the value it gives (null where ``index`` is null). The general reader gets
    neither null nor empty text, which it would read as null anyway.
    """
    unknown = index.is_null() & (text != "")
    return pl.coalesce(fast, general(pl.when(unknown).then(text)))


def _lookup(text: pl.Expr, keys: pl.Enum) -> pl.Expr:
    """The index of ``text`` among the categories of ``keys``, as UInt32; null where it is none of them."""
    return text.cast(keys, strict=False).to_physical().cast(pl.UInt32)


def _spellings(words: list[str]) -> list[str]:
    """``words`` as written, in upper case and capitalized, without repeats."""
    return list(dict.fromkeys(v for w in words for v in (w, w.upper(), w.capitalize())))


_TRUE_SPELLINGS = _spellings(_TRUE)
_KNOWN_BOOLEANS = _TRUE_SPELLINGS + _spellings(_FALSE)  # the spellings the lookup knows
_BOOLEAN_TEXTS = frozenset(_KNOWN_BOOLEANS)
_BOOLEAN_SPELLINGS = pl.Enum(_KNOWN_BOOLEANS)
_BOOLEAN_WORDS = pl.Enum(_TRUE + _FALSE)


def _parse_boolean(text: pl.Expr) -> pl.Expr:
    # The true spellings are the first categories.
    index = _lookup(text, _BOOLEAN_SPELLINGS)
    return _by_lookup(text, index, index < len(_TRUE_SPELLINGS), _read_boolean)


def _read_boolean(text: pl.Expr) -> pl.Expr:
    """The general boolean reader."""
    return _lookup(text.str.strip_chars().str.to_lowercase(), _BOOLEAN_WORDS) < len(_TRUE)


# The ISO dates the fast date reader knows: the days of 1970-2099, in order. Others are read
# by the general reader; the range only decides the speed, and a longer one costs more:
# polars converts an Enum anew for every expression that uses it, at about 0.1 µs per
# category (5 ms here), unless it is given as a data type expression converted once.
_ISO_RANGE = (dt.date(1970, 1, 1), dt.date(2099, 12, 31))


@functools.cache
def _iso_dates() -> pl.Enum:
    """An Enum of the texts ``YYYY-MM-DD`` of the days of ``_ISO_RANGE``, in order."""
    return pl.Enum(pl.date_range(*_ISO_RANGE, eager=True).dt.to_string("%Y-%m-%d"))


@functools.cache
def _iso_dates_type():
    """:func:`_iso_dates` as a data type expression where polars has them: converted once for
    every date field of every plan."""
    converted = getattr(_iso_dates(), "to_dtype_expr", None)
    return converted() if converted is not None else _iso_dates()


def _parse_date(text: pl.Expr, fmt: str | None) -> pl.Expr:
    if fmt:
        return text.str.strip_chars().replace("", None).str.strptime(pl.Date, fmt, strict=False)
    index = _lookup(text, _iso_dates_type())
    day = (index.cast(pl.Int32) + (_ISO_RANGE[0] - dt.date(1970, 1, 1)).days).cast(pl.Date)
    return _by_lookup(text, index, day, _read_iso_date)


def _read_iso_date(text: pl.Expr) -> pl.Expr:
    """The general reader of dates without a format."""
    day = text.str.strip_chars().str.extract(_ISO_DATE, 1)
    # strptime's cache only pays when parsing is slow, and parsing "%Y-%m-%d" is not.
    return day.str.strptime(pl.Date, "%Y-%m-%d", strict=False, cache=False)


def _enum_key(text: str) -> str:
    return " ".join(text.split()).lower()


def enum_mapping(values: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """The canonical name of each key (``_enum_key``) of the declared names and spellings."""
    mapping: dict[str, str] = {}
    # Canonical names win over spellings; among spellings the first declared wins.
    for name in values:
        mapping.setdefault(_enum_key(name), name)
    for name, spellings in values.items():
        for spelling in spellings:
            mapping.setdefault(_enum_key(str(spelling)), name)
    # Blank text is null, whatever a blank spelling would say.
    mapping.pop("", None)
    return mapping


def _parse_enum(text: pl.Expr, values: dict[str, tuple[str, ...]]) -> pl.Expr:
    mapping = enum_mapping(values)
    known = _known_spellings(values)
    if known is None:
        return _nulls_like(text, pl.String())
    index = _lookup(text, pl.Enum(known["text"]))
    return _by_lookup(text, index, _nth(index, known["name"].to_list()), lambda t: _read_enum(t, mapping))


def _known_spellings(values: dict[str, tuple[str, ...]]) -> pl.DataFrame | None:
    """The texts the fast enum reader knows (``text``) and their canonical names (``name``);
    None when the enum has no names."""
    return _spellings_of(tuple((name, tuple(str(s) for s in spellings)) for name, spellings in values.items()))


@functools.lru_cache(maxsize=256)
def _spellings_of(declared: tuple) -> pl.DataFrame | None:
    # Cached: a field's typing asks twice (its reader and its fast reader), and building the
    # frame runs a query.
    values = dict(declared)
    mapping = enum_mapping(values)
    if not mapping:
        return None
    # The fast reader knows each declared text as written and in the usual cases, trimmed or
    # not, with what the general reader makes of it (for some, nothing).
    texts = [*values, *(str(s) for spellings in values.values() for s in spellings)]
    texts += [" ".join(t.split()) for t in texts]
    forms = (str, str.lower, str.upper, str.capitalize, str.title)
    candidates = pl.DataFrame({"text": sorted({form(t) for t in texts for form in forms})}, schema={"text": pl.String})
    return candidates.with_columns(name=_read_enum(pl.col("text"), mapping)).drop_nulls()


def _read_enum(text: pl.Expr, mapping: dict[str, str]) -> pl.Expr:
    """The general enum reader: ``mapping`` maps the keys (``_enum_key``) to the canonical names."""
    key = text.str.strip_chars().str.replace_all(r"\s+", " ").str.to_lowercase()
    return _nth(_lookup(key, pl.Enum(list(mapping))), list(mapping.values()))


def _nth(index: pl.Expr, names: list[str]) -> pl.Expr:
    """``names[index]``, null where ``index`` is null.

    A replace on small integers: a gather from the list would not be elementwise, and a
    replace of strings is slower in the streaming engine.
    """
    return index.replace_strict(range(len(names)), names, default=None, return_dtype=pl.String)
