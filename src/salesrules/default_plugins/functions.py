"""Built-in expression functions, registered like any plugin's."""

from __future__ import annotations

import polars as pl

from salesrules.hookspecs import hookimpl
from salesrules.model.types import INTEGER, NUMBER, Type, unify

MAX_PATTERN = 500


def _as_of(call):
    return pl.lit(call.as_of, pl.Date)


def abs_(call):
    """Absolute value (unknown for the smallest 64-bit integer, which has no 64-bit opposite)."""
    value = call.args[0]
    if call.types[0].name == "integer":
        return pl.when(value != -(2**63)).then(value.abs())
    return value.abs()


def days_since(call):
    """Whole days from a date to the as-of date (negative when the date is later)."""
    return (_as_of(call) - call.args[0]).dt.total_days()


def days_until(call):
    """Whole days from the as-of date to a date (negative when the date has passed)."""
    return (call.args[0] - _as_of(call)).dt.total_days()


def count_true(call):
    """How many of the conditions hold; unknown (null) conditions do not count."""
    return pl.sum_horizontal([a.fill_null(False).cast(pl.Int64) for a in call.args])


def coalesce(call):
    """The first argument that is not null."""
    return pl.coalesce(list(call.args))


def _common(types) -> Type:
    """The common type of the arguments (numbers mix); ValueError when they do not mix."""
    result = types[0]
    for t in types[1:]:
        joined = unify(result, t)
        if joined is None:
            raise ValueError(f"the arguments must all have the same type, not {result} and {t}")
        result = joined
    return NUMBER if result.name == "null" else result


def _text(call, index=0):
    return call.args[index].cast(pl.String)


def _pattern(call, index, what="the text to look for"):
    value = call.literal(index, what)
    if not isinstance(value, str):
        raise ValueError(f"{call.name}(): {what} must be text")
    return value


def contains(call):
    """True when the text contains the literal substring (case-sensitive)."""
    return _text(call).str.contains(_pattern(call, 1), literal=True)


def startswith(call):
    """True when the text starts with the literal prefix."""
    return _text(call).str.starts_with(_pattern(call, 1, "the prefix"))


def endswith(call):
    """True when the text ends with the literal suffix."""
    return _text(call).str.ends_with(_pattern(call, 1, "the suffix"))


def matches(call):
    """True when the text matches the regular expression (linear-time engine, no look-around)."""
    pattern = _pattern(call, 1, "the pattern")
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"matches(): the pattern is longer than {MAX_PATTERN} characters")
    try:
        pl.select(pl.lit("").str.contains(pattern))
    except pl.exceptions.PolarsError as exc:
        # polars reports "regex parse error: ... error: <reason>", or a one-line "regex error: <reason>".
        lines = [line.strip() for line in str(exc).split("\n") if line.strip()]
        reason = next((line for line in lines if line.startswith("error:")), lines[0] if lines else "invalid pattern")
        reason = reason.removeprefix("error: ").removeprefix("regex error: ").rstrip(".")
        raise ValueError(f"matches(): invalid regular expression {pattern!r}: {reason}") from None
    return _text(call).str.contains(pattern)


def round_(call):
    """A number rounded to a whole number, or to ``digits`` decimals; halves round away from zero.

    Halves round as in a spreadsheet (2.5 -> 3, -2.5 -> -3), not to even. A whole number too
    large for an integer is null rather than an error at run time.
    """
    digits = 0
    if len(call.args) > 1:
        digits = call.literal(1, "the number of digits")
        if not isinstance(digits, int) or isinstance(digits, bool) or not 0 <= digits <= 12:
            raise ValueError("round(): digits must be a whole number from 0 to 12")
    if len(call.args) > 2:
        raise ValueError("round() takes 1 or 2 arguments")
    result = call.args[0].cast(pl.Float64).round(digits, mode="half_away_from_zero")
    return result.cast(pl.Int64, strict=False) if len(call.args) == 1 else result


@hookimpl
def register_functions(register):
    """Register the built-in functions."""
    register("days_since", days_since, args=["date"], returns="integer", doc=days_since.__doc__)
    register("days_until", days_until, args=["date"], returns="integer", doc=days_until.__doc__)
    register("count_true", count_true, args=["boolean"], returns="integer", variadic=True, doc=count_true.__doc__)
    register("coalesce", coalesce, args=["any"], returns=_common, variadic=True, doc=coalesce.__doc__)
    register("lower", lambda c: _text(c).str.to_lowercase(), args=["text"], returns="string", doc="Text in lower case.")
    register("upper", lambda c: _text(c).str.to_uppercase(), args=["text"], returns="string", doc="Text in upper case.")
    register("trim", lambda c: _text(c).str.strip_chars(), args=["text"], returns="string", doc="Text without surrounding spaces.")
    register("length", lambda c: _text(c).str.len_chars().cast(pl.Int64), args=["text"], returns="integer", doc="Number of characters.")
    register("contains", contains, args=["text", "text"], returns="boolean", doc=contains.__doc__)
    register("startswith", startswith, args=["text", "text"], returns="boolean", doc=startswith.__doc__)
    register("endswith", endswith, args=["text", "text"], returns="boolean", doc=endswith.__doc__)
    register("matches", matches, args=["text", "text"], returns="boolean", doc=matches.__doc__)
    register("abs", abs_, args=["numeric"], returns=lambda t: t[0] if t[0].name != "null" else NUMBER, doc=abs_.__doc__)
    register("min", lambda c: pl.min_horizontal(list(c.args)), args=["numeric"], returns=_common, variadic=True, doc="The smallest of the numbers (nulls ignored).")
    register("max", lambda c: pl.max_horizontal(list(c.args)), args=["numeric"], returns=_common, variadic=True, doc="The largest of the numbers (nulls ignored).")
    register("round", round_, args=["numeric"], returns=lambda t: INTEGER if len(t) == 1 else NUMBER, variadic=True, doc=round_.__doc__)
    register("year", lambda c: c.args[0].dt.year().cast(pl.Int64), args=["date"], returns="integer", doc="The year of a date.")
    register("month", lambda c: c.args[0].dt.month().cast(pl.Int64), args=["date"], returns="integer", doc="The month of a date (1-12).")
    register("is_blank", lambda c: _text(c).str.strip_chars().str.len_chars().fill_null(0) == 0, args=["text"], returns="boolean", doc="True when text is null or only spaces.")
