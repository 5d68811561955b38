"""The polars readers of numbers in text, by the number rules of :mod:`salesrules.io.coerce`.

``_read_general`` implements those rules in full, but takes a dozen regex passes per value.
Most values are much simpler, so each value goes to the first of three readers that takes it:

1. plain: text polars casts as it is ("12", "-0.5", "1.5e6");
2. simple: ASCII digits with "," or "." as the only thousands separator and an optional
   decimal part, with a currency before and/or after and a sign, parentheses or trailing
   minus ("$1,250,000.00", "-€1.200,50", "(1,000)", "1.000,00-", "1200 EUR"). One regex
   picks them out; the value is their digits stripped of the decoration and of the
   thousands separator, negated when there is a "-" or "(";
3. general: everything else, by ``_read_general``.
"""

from __future__ import annotations

import re

import polars as pl

# R$ must come before \p{Sc} or the "$" alone would be dropped and leave the "R".
_CURRENCY = r"R\$|kr\.?|[A-Z]{3}|\p{Sc}"
_THOUSANDS_EXTRA = r"\s'’"  # always thousands separators, whatever the decimal mark

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


def _whole_to_int(value: pl.Expr) -> pl.Expr:
    """Int64 of a Float64 that is whole and in range, else null (NaN % 1 is NaN)."""
    return pl.when(value % 1 == 0).then(value.cast(pl.Int64, strict=False))
