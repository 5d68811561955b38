"""Arithmetic that stays representable: whole numbers within 64 bits, finite floats, dates
within the years 1 to 9999. What cannot be represented is unknown (null) at run time, and a
constant that cannot be is refused when the expression is compiled.
"""

from __future__ import annotations

import ast
import datetime as dt
import math

import polars as pl

from ..model.types import Type

# The largest number a float holds; a constant beyond it is refused, a computed one is unknown.
MAX_FLOAT = 1.7976931348623157e308
INT64_MAX = 2**63 - 1
# Dates are days since 1970-01-01, kept within the years 1 to 9999 that every output can write.
FIRST_DAY = (dt.date(1, 1, 1) - dt.date(1970, 1, 1)).days
LAST_DAY = (dt.date(9999, 12, 31) - dt.date(1970, 1, 1)).days


TOO_LARGE = "it is beyond ±1.8e308, the largest number"
SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**"}


def integer_op(a: pl.Expr, b: pl.Expr, op: ast.operator) -> pl.Expr:
    """``a op b`` (+, -, * or //) on Int64 values, null where the result does not fit Int64.

    Computed in Int128, where no result of two Int64 values overflows, so that a result
    beyond Int64 is unknown, as dividing by zero is, instead of wrapping around.
    """
    a, b = a.cast(pl.Int128), b.cast(pl.Int128)
    if isinstance(op, ast.Add):
        wide = a + b
    elif isinstance(op, ast.Sub):
        wide = a - b
    elif isinstance(op, ast.Mult):
        wide = a * b
    else:
        wide = pl.when(b != 0).then(a // b)
    return wide.cast(pl.Int64, strict=False)


def finite(expr: pl.Expr) -> pl.Expr:
    """Infinity and NaN (an overflow, a negative number to a fractional power) are unknown: null.

    A number beyond the largest float is no number: as null it adds no points and ranks last,
    where infinity or NaN would rank first.
    """
    return pl.when(expr.is_finite()).then(expr)


def shift_date(date: pl.Expr, days: pl.Expr, op: ast.operator) -> pl.Expr:
    """``date + days`` or ``date - days``; null where the result is outside the years 1 to 9999.

    Computed on whole days, so no number of days can wrap around the way a duration in
    microseconds would.
    """
    shifted = integer_op(date.cast(pl.Int32).cast(pl.Int64), days.cast(pl.Int64), op)
    return pl.when(shifted.is_between(FIRST_DAY, LAST_DAY)).then(shifted).cast(pl.Int32).cast(pl.Date)


def fold(op: ast.operator, a, b):
    """The value of ``a op b`` for two numeric constants; None when it is unknown (division by zero).

    Raises OverflowError when the result cannot be represented: a float beyond
    :data:`MAX_FLOAT` (or NaN from one), or a whole number beyond 64 bits. Powers are computed
    in floating point, so no exponent takes unbounded time or memory.
    """
    if isinstance(op, ast.Pow):
        try:
            value = math.pow(float(a), float(b))
        except ValueError:  # a negative number to a fractional power: unknown, as at run time
            return None
        except ZeroDivisionError:
            return None
        except OverflowError:
            value = math.inf
    elif isinstance(op, (ast.Div, ast.FloorDiv, ast.Mod)) and b == 0:
        return None
    elif isinstance(op, ast.Div):
        value = a / b
    else:
        value = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
                 ast.FloorDiv: lambda: a // b, ast.Mod: lambda: a % b}[type(op)]()
    if isinstance(value, int) and not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise OverflowError("it is beyond the 64-bit whole numbers, ±9,223,372,036,854,775,807")
    if isinstance(value, float) and not math.isfinite(value):
        raise OverflowError(TOO_LARGE)
    return value


def arithmetic_hint(op: ast.operator, lt: Type, rt: Type) -> str:
    """Why the operands do not go together, when one of them is a date or text."""
    names = {lt.name, rt.name}
    if "date" in names and isinstance(op, (ast.Add, ast.Sub)):
        return "; a date takes whole days: date + n, date - n, date - date"
    if names & {"string", "enum"} and isinstance(op, ast.Add):
        return "; + joins text only with text"
    if names & {"string", "enum", "date", "boolean"}:
        return f"; {SYMBOLS[type(op)]} needs numbers"
    return ""
