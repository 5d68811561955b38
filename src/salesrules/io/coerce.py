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
import re
from collections.abc import Callable

import polars as pl

from ..model.sections import FieldSpec

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

# R$ must come before \p{Sc} or the "$" alone would be dropped and leave the "R".
_CURRENCY = r"R\$|kr\.?|[A-Z]{3}|\p{Sc}"
_THOUSANDS_EXTRA = r"\s'’"  # always thousands separators, whatever the decimal mark

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


def _whole_to_int(value: pl.Expr) -> pl.Expr:
    """Int64 of a Float64 that is whole and in range, else null (NaN % 1 is NaN)."""
    return pl.when(value % 1 == 0).then(value.cast(pl.Int64, strict=False))


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
_BOOLEAN_SPELLINGS = pl.Enum(_TRUE_SPELLINGS + _spellings(_FALSE))
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
# polars converts the Enum anew for every expression that uses it, at about 0.1 µs per
# category.
_ISO_RANGE = (dt.date(1970, 1, 1), dt.date(2099, 12, 31))


@functools.cache
def _iso_dates() -> pl.Enum:
    """An Enum of the texts ``YYYY-MM-DD`` of the days of ``_ISO_RANGE``, in order."""
    return pl.Enum(pl.date_range(*_ISO_RANGE, eager=True).dt.to_string("%Y-%m-%d"))


def _parse_date(text: pl.Expr, fmt: str | None) -> pl.Expr:
    if fmt:
        return text.str.strip_chars().replace("", None).str.strptime(pl.Date, fmt, strict=False)
    index = _lookup(text, _iso_dates())
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
    if not mapping:
        return _nulls_like(text, pl.String())
    # The fast reader knows each declared text as written and in the usual cases, trimmed or
    # not, with what the general reader makes of it (for some, nothing).
    texts = [*values, *(str(s) for spellings in values.values() for s in spellings)]
    texts += [" ".join(t.split()) for t in texts]
    forms = (str, str.lower, str.upper, str.capitalize, str.title)
    candidates = pl.DataFrame({"text": sorted({form(t) for t in texts for form in forms})}, schema={"text": pl.String})
    known = candidates.with_columns(name=_read_enum(pl.col("text"), mapping)).drop_nulls()
    index = _lookup(text, pl.Enum(known["text"]))
    return _by_lookup(text, index, _nth(index, known["name"].to_list()), lambda t: _read_enum(t, mapping))


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


# --- one value in Python ------------------------------------------------------------------
#
# A few records (``evaluate_one``, ruleset tests) are mostly typed before the query: planning
# the polars readers of a one-row column costs far more than reading its value. The readers
# below take only the usual spellings, and give exactly what the polars readers give for
# them (tests/test_coerce_python.py compares them on generated text); anything else is
# NOT_READ and left to polars.

NOT_READ = object()
_PY_INTEGER = re.compile(r"-?[0-9]{1,18}")
# Plain decimals and US amounts ("$1,250,000.00"), which both read as their digits.
_PY_NUMBER = re.compile(r"\$?-?(?:[0-9]{1,15}|[1-9][0-9]{0,2}(?:,[0-9]{3}){1,4})(?:\.[0-9]{1,15})?")
_PY_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PY_BOOLEANS = {**{w: False for w in _spellings(_FALSE)}, **{w: True for w in _TRUE_SPELLINGS}}
_PY_ODD_SPACE = re.compile("[\x1c-\x1f]")  # whitespace to Python's str.split, not to regex \s


def read_text_value(text: str | None, field: FieldSpec, mapping: dict[str, str] | None = None):
    """The value of ``text`` as the polars reader of ``field`` makes it, or :data:`NOT_READ`.

    ``mapping`` is :func:`enum_mapping` of an enum field's values (computed once by the caller).
    """
    if text is None or text == "":
        return None
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
            return dt.date.fromisoformat(text)
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


# --- numbers ----------------------------------------------------------------------------
#
# ``_read_general`` implements the number rules of the module docstring in full, but takes
# a dozen regex passes per value. Most values are much simpler, so each value goes to the
# first of three readers that takes it:
#
# 1. plain: text polars casts as it is ("12", "-0.5", "1.5e6");
# 2. simple: ASCII digits with "," or "." as the only thousands separator and an optional
#    decimal part, with a currency before and/or after and a sign, parentheses or trailing
#    minus ("$1,250,000.00", "-€1.200,50", "(1,000)", "1.000,00-", "1200 EUR"). One regex
#    picks them out; the value is their digits stripped of the decoration and of the
#    thousands separator, negated when there is a "-" or "(";
# 3. general: everything else, by ``_read_general``.
#
# A column that needs more than the plain reader but holds only US amounts (see
# ``_US_AMOUNT``: "$1,250,000.00", but also "1200.5", "$-5"; and empty text) goes to a fourth
# reader instead, which only drops the "$" and the commas before the cast: one regex test
# and two cheap string functions per value rather than the simple reader's two regex tests
# and its long list of characters to trim.
#
# These readers only take values they read exactly as ``_read_general`` does (see
# ``_simple_pattern`` and ``_US_AMOUNT``), so they are a speed-up that never changes a
# result; tests/test_coerce.py and tests/test_coerce_fast.py compare them with
# ``_read_general`` on generated values.
#
# Two facts about polars shape the code. Eager frames (``DataFrame.select``) get no
# common-subexpression elimination: an expression used twice is computed twice, so each
# costly chain of string functions appears once and only cheap expressions (a cast, a
# regex match) are repeated. And polars evaluates every branch of when/then and coalesce
# on every row, null rows included (at about the cost of a short text), except that it
# skips a branch whose condition is a false scalar, and of when(scalar).then(a).otherwise(b)
# with a and b columns it evaluates only the branch taken. So the simple and the general
# reader each run only if some row needs them: a column of plain numbers never runs either,
# and a column of simple values never runs the general one. A few odd values in a long
# column still cost one pass of the general reader over the whole column.

# Unicode White_Space: what regex \s and str.strip_chars() mean.
_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)
# The currency signs (\p{Sc}) of Unicode 14; signs added since are left to the general reader.
_CURRENCY_SIGNS = "".join(
    map(
        chr,
        [
            *(0x24, 0xA2, 0xA3, 0xA4, 0xA5, 0x58F, 0x60B, 0x7FE, 0x7FF, 0x9F2, 0x9F3, 0x9FB, 0xAF1),
            *(0xBF9, 0xE3F, 0x17DB, *range(0x20A0, 0x20C1), 0xA838, 0xFDFC, 0xFE69, 0xFF04, 0xFFE0),
            *(0xFFE1, 0xFFE5, 0xFFE6, *range(0x11FDD, 0x11FE1), 0x1E2FF, 0x1ECB0),
        ],
    )
)
# One currency token of a simple value: the alternatives of _CURRENCY, with the signs listed.
_SIMPLE_CURRENCY = r"(?:R\$|kr\.?|[A-Z]{3}|[" + "".join(f"\\x{{{ord(c):x}}}" for c in _CURRENCY_SIGNS) + "])"
# Every character that may surround the digits of a simple value (the usual ones first).
_DECORATION = "$+-()ABCDEFGHIJKLMNOPQRSTUVWXYZkr." + _WHITESPACE + _CURRENCY_SIGNS
_NOT_FINITE = [float("inf"), float("-inf"), float("nan")]
# A US amount: an optional "$", then an optional sign, ASCII digits grouped by "," (or not
# grouped) and an optional decimal part. ``_read_general`` reads it with a decimal point (the
# only reading auto mode tries for it) as the cast of its text without the "$" and the
# commas.
_US_AMOUNT = r"^\$?[+-]?(?:[0-9]+|[1-9][0-9]{0,2}(?:,[0-9]{3})+)(?:\.[0-9]+)?$"


def _parse_float(text: pl.Expr, decimal: str | None) -> pl.Expr:
    """Float64 of ``text`` by the number rules; null when malformed or not finite."""
    mode = _decimal_mode(decimal)
    cast = text.cast(pl.Float64, strict=False)
    if mode == ",":
        # With a decimal comma a "." can only group thousands ("1.500" is 1500).
        cast = pl.when(text.str.contains(".", literal=True).not_()).then(cast)
        plain = cast
    else:
        # polars also casts "5." and "5.e3", which the rules reject. (Two tests: a regex
        # with "$" in an alternative is three times slower.)
        rejected = text.str.ends_with(".") | text.str.contains(r"\.[eE]")
        plain = pl.when(rejected.not_()).then(cast)
    # Text polars casts is settled by the cast: the rules read it the same way, or not at
    # all ("5."). NaN and infinities ("nan", "1e400") are dropped at the end, like overflows.
    todo = cast.is_null() & text.is_not_null()
    return _read_number(text, plain, todo, mode, whole=False).replace(_NOT_FINITE, None)


def _parse_integer(text: pl.Expr, decimal: str | None) -> pl.Expr:
    """Int64 of ``text`` by the number rules; null unless whole and within Int64."""
    plain = text.cast(pl.Int64, strict=False)
    todo = plain.is_null() & text.is_not_null()
    return _read_number(text, plain, todo, _decimal_mode(decimal), whole=True)


def _decimal_mode(decimal: str | None) -> str | None:
    """The decimal mark a field fixes, or None for auto mode."""
    return decimal if decimal in (".", ",") else None


def _read_number(text: pl.Expr, plain: pl.Expr, todo: pl.Expr, mode: str | None, whole: bool) -> pl.Expr:
    """The number in ``text``: ``plain`` (the plain reader's), else the other readers' where ``todo``.

    ``todo`` is true where the plain reader cannot read a non-null text. Float64 (maybe not
    finite), or Int64 if ``whole``. Each reader beyond the plain one is computed only if
    some row needs it: polars skips the branch of a when/then whose condition is a false
    scalar (only when that branch is elementwise, which is why these conditions are not
    nested), and evaluates only one branch of a when/then/otherwise on a scalar.
    """
    points = [mode] if mode else [".", ","]
    patterns = [_simple_pattern(point, auto=mode is None) for point in points]
    magnitudes = [
        _simple_magnitude(pl.when(text.str.contains(pattern)).then(text), point, whole)
        for pattern, point in zip(patterns, points)
    ]
    # In a simple value "-" and "(" only ever mean negative.
    simple = pl.coalesce(magnitudes) * pl.when(text.str.contains("[-(]")).then(-1).otherwise(1)
    if whole:
        simple = simple.cast(pl.Int64, strict=False)
    # The general reader gets what is left, except text without an ASCII digit, which is
    # never a number ("N/A", "-").
    unread = pl.when(todo).then(text).str.contains("|".join([*patterns, "^[^0-9]*$"])).not_()
    general = _read_general(pl.when(unread).then(text), mode, whole)
    value = pl.coalesce(plain, pl.when(todo.any()).then(simple), pl.when(unread.any()).then(general))
    if mode == ",":
        return value
    # True when some value is not plain and every value but empty text (null either way) is
    # a US amount; false or null otherwise. It reads no text when the plain reader takes
    # every value, as the streaming engine computes it even then.
    us_only = pl.when(todo.any() & (text != "")).then(text).str.contains(_US_AMOUNT).min()
    value = pl.when(us_only).then(_read_us(text, whole)).otherwise(value)
    if whole:
        # When the plain reader takes every value, an integer is just its cast: cheaper than
        # the tests that skip the other readers, and cheap to repeat. (A float's plain
        # reading has tests of its own, which lazy queries would then run on every value
        # of every column, as it is used twice.)
        return pl.when(todo.any()).then(value).otherwise(plain)
    return value


def _read_us(text: pl.Expr, whole: bool) -> pl.Expr:
    """The value of US amounts (``_US_AMOUNT``): Float64, or if ``whole`` Int64 (null unless whole)."""
    digits = text.str.strip_chars_start("$").str.replace_all(",", "", literal=True)
    if whole:
        # As _read_general does it: "12.000" is 12 (exactly, beyond 2**53 too), "12.5" null.
        return digits.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
    return digits.cast(pl.Float64, strict=False)


def _simple_magnitude(text: pl.Expr, point: str, whole: bool) -> pl.Expr:
    """Absolute value of a simple value (see ``_simple_pattern``) with decimal mark ``point``.

    Its body starts and ends with a digit, so trimming ``_DECORATION`` leaves the body.
    Float64, or for ``whole`` an Int128 (so that 2**63 can still be negated into Int64)
    that is null unless the decimal part is all zeros.
    """
    digits = text.str.strip_chars(_DECORATION).str.replace_all("," if point == "." else ".", "", literal=True)
    if point == ",":
        digits = digits.str.replace(",", ".", literal=True)
    if whole:
        return digits.str.replace(r"\.0+$", "").cast(pl.Int128, strict=False)
    return digits.cast(pl.Float64, strict=False)


def _simple_pattern(point: str, auto: bool) -> str:
    """Regex of the simple values read with decimal mark ``point``.

    A simple value is a body of ASCII digits (``_simple_body``) with a currency before
    and/or after it, and a sign (before or after the leading currency), a trailing minus or
    parentheses. ``_read_general`` reads it the same way:

    * it drops exactly the currency tokens: it drops the matches of ``_CURRENCY`` scanning
      left to right, and none of the other characters here (digits, ``.,``, whitespace,
      ``+-()``) can start one, so the scan meets the tokens where this pattern sees them
      (and takes the "." of "kr." as this pattern does, a body never starting with ".");
    * what is left after trimming is ``body``, ``+body`` or ``-body`` (maybe with
      whitespace after the sign), ``body -`` or ``( body )``, which it reads as plus or
      minus the body (which has no newline to stop its sign rewrites);
    * and it reads the body with decimal mark ``point`` (see ``_simple_body``).
    """
    body = _simple_body(point, auto)
    cur = _SIMPLE_CURRENCY
    shapes = [
        rf"(?:{cur}\s*)?(?:[+-]\s*)?(?:{cur}\s*)?{body}(?:\s*{cur})?",  # -$1,000  $-1,000  1.000 €
        rf"(?:{cur}\s*)?{body}\s*(?:{cur}\s*)?-",  # 1.000,00-
        rf"(?:{cur}\s*)?\(\s*(?:{cur}\s*)?{body}\s*(?:{cur}\s*)?\)(?:\s*{cur})?",  # ($1,000.00)
    ]
    return rf"^\s*(?:{'|'.join(shapes)})\s*$"


def _simple_body(point: str, auto: bool) -> str:
    """Regex of the digits of a simple value read with decimal mark ``point``.

    The body starts and ends with an ASCII digit, only the other one of ``.``/``,`` groups
    thousands, and within that it is what ``_number_pattern(point)`` accepts. In auto mode
    the decimal-comma body leaves out what also reads with a decimal point, as auto mode
    prefers that reading.
    """
    dec = re.escape(point)
    sep = r"\." if point == "," else ","
    grouped = rf"[1-9][0-9]{{0,2}}(?:{sep}[0-9]{{2,3}})*{sep}[0-9]{{3}}"
    if not (auto and point == ","):
        return rf"(?:(?:[0-9]+|{grouped})(?:{dec}[0-9]+)?)"
    # What is malformed with a decimal point: more than one "." group, a "." group with a
    # decimal part, or a single "," that cannot group thousands (after a leading zero or
    # four digits or more, or not followed by exactly three digits).
    shapes = [
        rf"(?:{grouped}|0[0-9]*|[0-9]{{4,}}),[0-9]+",  # 1.234,5  0,500  1234,567
        r"[1-9][0-9]{0,2}(?:\.[0-9]{2,3})+\.[0-9]{3}",  # 1.234.567
        r"[1-9][0-9]{0,2},(?:[0-9]{1,2}|[0-9]{4,})",  # 1,5  1,2000 (1,200 is 1200)
    ]
    return rf"(?:{'|'.join(shapes)})"


def _read_general(text: pl.Expr, mode: str | None, whole: bool) -> pl.Expr:
    """The number in ``text`` by the full rules: Float64 (maybe infinite), or Int64 if ``whole``."""
    signed = _signed(text)
    if mode:
        number = _plain_number(signed, mode)
    else:
        # A value reads both ways only when it has a single kind of separator that can be a
        # thousands group ("1,200", "1.500"); the rules want "1,200" to be 1200 and "1.500"
        # to be 1.5, which are both the decimal-point reading. Any other value is
        # well-formed one way at most, so trying the decimal point first gives every rule.
        number = pl.coalesce(_plain_number(signed, "."), _plain_number(signed, ","))
    if not whole:
        return number.cast(pl.Float64, strict=False)
    # Without an exponent the digits are cast directly, so values beyond 2**53 stay exact
    # ("12.000" is 12, "12.5" fails); with one ("1.2e3") they go through a float.
    digits = number.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
    exponent = number.str.extract("(.*[eE].*)", 1)  # null without an exponent
    return pl.coalesce(digits, _whole_to_int(exponent.cast(pl.Float64, strict=False)))


def _signed(text: pl.Expr) -> pl.Expr:
    """``text`` without currency, trimmed, its sign (trailing minus, parentheses) moved to the front."""
    return (
        text.str.replace_all(_CURRENCY, "")
        .str.strip_chars()
        .str.replace(r"^([^-].*?)\s*-$", "-$1")
        .str.replace(r"^\(\s*(.*?)\s*\)$", "-$1")  # "(-5)" becomes "--5": rejected later
    )


def _number_pattern(decimal: str) -> str:
    """Regex of a valid number (sign, grouped digits, fraction, exponent) for ``decimal``."""
    dec = re.escape(decimal)
    sep = _thousands_class(decimal)
    grouped = rf"[1-9]\d{{0,2}}(?:{sep}\d{{2,3}})*{sep}\d{{3}}"  # 1,234,567 or 12,34,567
    mantissa = rf"(?:(?:{grouped}|\d+)(?:{dec}\d+)?|{dec}\d+)"
    return rf"^([+-]?\s*{mantissa}(?:[eE][+-]?\d+)?)$"


def _thousands_class(decimal: str) -> str:
    other = "," if decimal == "." else r"\."
    return f"[{other}{_THOUSANDS_EXTRA}]"


def _plain_number(signed: pl.Expr, decimal: str) -> pl.Expr:
    """``signed`` as castable number text when it is well-formed with ``decimal``, else null."""
    number = signed.str.extract(_number_pattern(decimal), 1).str.replace_all(_thousands_class(decimal), "")
    return number.str.replace(",", ".", literal=True) if decimal == "," else number
