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

import re

import polars as pl

from .model import FieldSpec

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


def coerce_expr(expr: pl.Expr, field: FieldSpec, source_dtype: pl.DataType) -> pl.Expr:
    """Convert ``expr`` (of ``source_dtype``) to ``polars_dtype(field)``.

    Values that cannot be converted become null; nothing raises at run time. The result
    keeps ``expr``'s output name when it has one.
    """
    target = polars_dtype(field)
    out = _convert(expr, field, source_dtype, target)
    try:
        return out.alias(expr.meta.output_name())
    except Exception:  # an expression without a single output name (e.g. a literal)
        return out


def _convert(expr: pl.Expr, field: FieldSpec, source: pl.DataType, target: pl.DataType) -> pl.Expr:
    kind = field.type
    if source == pl.String:
        return _from_text(expr, field)
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


def _from_text(expr: pl.Expr, field: FieldSpec) -> pl.Expr:
    text = _clean(expr)
    kind = field.type
    if kind == "string":
        return text
    if kind == "boolean":
        return _parse_boolean(text)
    if kind == "date":
        return _parse_date(text, field.format)
    if kind == "enum":
        return _parse_enum(text, field.values or {})
    if kind in ("number", "money"):
        return _parse_float(text, field.decimal)
    if kind == "integer":
        return _parse_integer(text, field.decimal)
    raise ValueError(f"unknown field type {kind!r} for field {field.name!r}")


def _clean(text: pl.Expr) -> pl.Expr:
    """Trimmed text (Unicode whitespace, so NBSP too), blank -> null."""
    trimmed = text.str.strip_chars()
    return pl.when(trimmed != "").then(trimmed)


def _parse_boolean(text: pl.Expr) -> pl.Expr:
    lower = text.str.to_lowercase()
    return pl.when(lower.is_in(_TRUE)).then(True).when(lower.is_in(_FALSE)).then(False).otherwise(None)


def _parse_date(text: pl.Expr, fmt: str | None) -> pl.Expr:
    if fmt:
        return text.str.strptime(pl.Date, fmt, strict=False)
    day = text.str.extract(_ISO_DATE, 1)
    return day.str.strptime(pl.Date, "%Y-%m-%d", strict=False)


def _enum_key(text: str) -> str:
    return " ".join(text.split()).lower()


def _parse_enum(text: pl.Expr, values: dict[str, tuple[str, ...]]) -> pl.Expr:
    mapping: dict[str, str] = {}
    # Canonical names win over spellings; among spellings the first declared wins.
    for name in values:
        mapping.setdefault(_enum_key(name), name)
    for name, spellings in values.items():
        for spelling in spellings:
            mapping.setdefault(_enum_key(str(spelling)), name)
    if not mapping:
        return _nulls_like(text, pl.String())
    key = text.str.replace_all(r"\s+", " ").str.to_lowercase()
    return key.replace_strict(mapping, default=None, return_dtype=pl.String)


# --- numbers ----------------------------------------------------------------------------


def _parse_float(text: pl.Expr, decimal: str | None) -> pl.Expr:
    value = _number_text(text, decimal).cast(pl.Float64, strict=False)
    return pl.when(value.is_finite()).then(value)


def _parse_integer(text: pl.Expr, decimal: str | None) -> pl.Expr:
    number = _number_text(text, decimal)
    # Plain digits are cast directly so values beyond 2**53 stay exact; only exponents
    # ("1.2e3") go through a float.
    digits = number.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
    scientific = _whole_to_int(number.cast(pl.Float64, strict=False))
    return pl.when(number.str.contains("e", literal=True)).then(scientific).otherwise(digits)


def _number_text(text: pl.Expr, decimal: str | None) -> pl.Expr:
    """The number in ``text`` as plain ``-1234.5e6`` text that polars can cast, else null."""
    signed = _signed(text)
    if decimal in (".", ","):
        return _plain_number(signed, decimal)
    # Auto mode. A value reads both ways only when it has a single kind of separator that
    # can be a thousands group ("1,200", "1.500"); the rules want "1,200" to be 1200 and
    # "1.500" to be 1.5, which are both the decimal-point reading. Any other value is
    # well-formed one way at most, so trying the decimal point first gives every rule.
    return pl.coalesce(_plain_number(signed, "."), _plain_number(signed, ","))


def _signed(text: pl.Expr) -> pl.Expr:
    """``text`` without currency, its sign (trailing minus, parentheses) moved to the front."""
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
    return (
        signed.str.extract(_number_pattern(decimal), 1)
        .str.replace_all(_thousands_class(decimal), "")
        .str.replace(decimal, ".", literal=True)
        .str.to_lowercase()  # "1E3" -> "1e3", which _parse_integer looks for
    )
