"""The value types of the expression language and their polars dtypes."""

from __future__ import annotations

from dataclasses import dataclass

NUMERIC = ("integer", "number", "money")
TEXT = ("string", "enum")


@dataclass(frozen=True)
class Type:
    """A type: ``name`` is a field type or ``null``; enums carry their ordered ``values``."""

    name: str
    values: tuple[str, ...] | None = None

    def __str__(self) -> str:
        return self.name

    @property
    def numeric(self) -> bool:
        """True for integer, number and money."""
        return self.name in NUMERIC

    @property
    def text(self) -> bool:
        """True for string and enum."""
        return self.name in TEXT


STRING, INTEGER, NUMBER, MONEY = Type("string"), Type("integer"), Type("number"), Type("money")
BOOLEAN, DATE, NULL = Type("boolean"), Type("date"), Type("null")


def named(name: str) -> Type:
    """The plain type of a type name."""
    return Type(name)


def accepts(param: str, actual: Type) -> bool:
    """Whether an argument of type ``actual`` fits a parameter declared as ``param``."""
    if actual.name == "null" or param == "any":
        return True
    if param in ("numeric", "number"):
        return actual.numeric
    if param == "integer":
        return actual.name == "integer"
    if param == "money":
        return actual.numeric
    if param in ("text", "string"):
        return actual.text
    return actual.name == param


def unify(a: Type, b: Type) -> Type | None:
    """The common type of two branches or operands, or None when they do not mix."""
    if a.name == "null":
        return b
    if b.name == "null" or a == b:
        return a
    if a.numeric and b.numeric:
        # Money scaled by any number is still money (a deal value weighted by a probability).
        if "money" in (a.name, b.name):
            return MONEY
        return NUMBER if "number" in (a.name, b.name) else a
    if a.text and b.text:
        return STRING
    return None


def polars_dtype(t: Type):
    """The polars dtype that holds values of ``t``."""
    import polars as pl

    return {
        "string": pl.String,
        "enum": pl.String,
        "integer": pl.Int64,
        "number": pl.Float64,
        "money": pl.Float64,
        "boolean": pl.Boolean,
        "date": pl.Date,
        "null": pl.Null,
    }[t.name]
