"""FEEL's simple unary tests, the cells of a decision table, and FEEL's simple literals.

A unary test is read into a small tree (:func:`parse_tests`) and compiled against one input
column (:func:`compile_tests`) into a polars boolean expression, so a decision table is
columnar like every other rule. The grammar is DMN 1.5's simple unary tests:

- ``-``: any value, null too;
- a comma-separated list of positive tests, one of which must hold: ``null``; a literal
  (equality); a comparison ``< <= > >= = !=`` with an endpoint; an interval ``[1..10)``,
  ``]0..5]``, ``(a..b)``;
- ``not(...)`` around such a list.

Endpoints are literals (numbers, ``"text"``, ``true``/``false``, ``date("2027-01-01")`` or
``@"2027-01-01"``) or the name of a field. Equality follows FEEL: ``null = 5`` is false and
``null = null`` true; an ordering comparison with null is null, which matches no rule.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any

import polars as pl

from ..errors import RulesetError
from ..model.types import BOOLEAN, DATE, NULL, NUMBER, STRING, Type

MAX_TEST_LENGTH = 4000
_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)")
_NAME_PATTERN = r"[A-Za-z_\u00c0-\uffff][A-Za-z0-9_\u00c0-\uffff .'/-]*?(?=\s*(?:,|\)|\]|\[|\.\.|$))"


@functools.cache
def _name() -> re.Pattern:
    """The pattern of a name in a unary test, compiled when first needed: its wide character
    ranges take longer to compile than everything else a command does at start-up."""
    return re.compile(_NAME_PATTERN)
_COMPARISONS = ("<=", ">=", "!=", "<", ">", "=")


@dataclass(frozen=True)
class Literal:
    """A literal value and its type (``NULL`` for ``null``)."""

    value: Any
    type: Type


@dataclass(frozen=True)
class Name:
    """A field named as an endpoint."""

    text: str


@dataclass(frozen=True)
class Compare:
    """``op`` (``<``, ``<=``, ``>``, ``>=``, ``=``, ``!=``) against an endpoint."""

    op: str
    value: Literal | Name


@dataclass(frozen=True)
class Interval:
    """An interval between two endpoints, each end open or closed."""

    low: Literal | Name
    high: Literal | Name
    low_closed: bool
    high_closed: bool


@dataclass(frozen=True)
class Tests:
    """A unary test cell: any value (``-``), or positive tests, negated by ``not(...)``."""

    positives: tuple = ()
    negated: bool = False
    any: bool = False

    @property
    def text(self) -> str:
        """The cell written back in FEEL."""
        if self.any:
            return "-"
        inner = ", ".join(show(p) for p in self.positives)
        return f"not({inner})" if self.negated else inner


class UnaryTestError(ValueError):
    """A cell that is no simple unary test; ``col`` is the 1-based column in the cell."""

    def __init__(self, message: str, col: int):
        super().__init__(message)
        self.col = col


def parse_tests(text: str) -> Tests:
    """Read one input cell; raises :class:`UnaryTestError` with the column of the problem."""
    if len(text) > MAX_TEST_LENGTH:
        raise UnaryTestError(f"a cell is limited to {MAX_TEST_LENGTH} characters", 1)
    reader = _Reader(text)
    reader.skip()
    if reader.rest().strip() == "-":
        return Tests(any=True)
    if reader.rest().startswith("not") and reader.text[reader.pos + 3 :].lstrip().startswith("("):
        reader.pos += 3
        reader.skip()
        reader.expect("(")
        positives = reader.positives()
        reader.expect(")")
        reader.end()
        return Tests(tuple(positives), negated=True)
    positives = reader.positives()
    reader.end()
    return Tests(tuple(positives))


def parse_literal(text: str) -> Literal | None:
    """A FEEL simple literal (number, string, boolean, null, date), or None if ``text`` is none."""
    reader = _Reader(text)
    reader.skip()
    try:
        value = reader.literal()
        reader.end()
    except UnaryTestError:
        return None
    return value


class _Reader:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def rest(self) -> str:
        return self.text[self.pos :]

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def fail(self, message: str):
        raise UnaryTestError(message, self.pos + 1)

    def expect(self, token: str) -> None:
        self.skip()
        if not self.rest().startswith(token):
            self.fail(f"expected {token!r}")
        self.pos += len(token)
        self.skip()

    def end(self) -> None:
        self.skip()
        if self.pos < len(self.text):
            self.fail(f"unexpected {self.text[self.pos:self.pos + 10]!r}")

    def positives(self) -> list:
        items = [self.positive()]
        self.skip()
        while self.rest().startswith(","):
            self.pos += 1
            self.skip()
            items.append(self.positive())
            self.skip()
        return items

    def positive(self):
        self.skip()
        rest = self.rest()
        if not rest:
            self.fail("a test is missing")
        if rest[0] in "[(]":
            return self.interval()
        for op in _COMPARISONS:
            if rest.startswith(op):
                self.pos += len(op)
                self.skip()
                return Compare(op, self.endpoint())
        value = self.endpoint()
        if isinstance(value, Literal) and value.type == NULL:
            return value
        return Compare("=", value)

    def interval(self):
        opening = self.text[self.pos]
        self.pos += 1
        self.skip()
        low = self.endpoint()
        self.expect("..")
        high = self.endpoint()
        self.skip()
        if not self.rest() or self.text[self.pos] not in "])[":
            self.fail("an interval ends with ']', ')' or '['")
        closing = self.text[self.pos]
        self.pos += 1
        return Interval(low, high, opening == "[", closing == "]")

    def endpoint(self):
        self.skip()
        rest = self.rest()
        literal = self.literal(optional=True)
        if literal is not None:
            return literal
        match = _name().match(rest)
        if match is None or not match.group(0).strip():
            self.fail("expected a value: a number, \"text\", true, false, null, date(\"YYYY-MM-DD\") or a name")
        self.pos += len(match.group(0))
        return Name(match.group(0).strip())

    def literal(self, optional: bool = False):
        rest = self.rest()
        if rest.startswith('"'):
            return Literal(self.string(), STRING)
        if rest.startswith('@"'):
            self.pos += 1
            return Literal(self.date_text(self.string()), DATE)
        match = _NUMBER.match(rest)
        if match and not re.match(r"[A-Za-z_]", rest[match.end() : match.end() + 1]):
            self.pos += match.end()
            return Literal(float(match.group(0)), NUMBER)
        word = re.match(r"(true|false|null)(?![A-Za-z0-9_])", rest)
        if word:
            self.pos += word.end()
            return {"true": Literal(True, BOOLEAN), "false": Literal(False, BOOLEAN), "null": Literal(None, NULL)}[word.group(1)]
        call = re.match(r"date\s*\(\s*", rest)
        if call:
            self.pos += call.end()
            if not self.rest().startswith('"'):
                self.fail('date() takes a date in quotes, such as date("2027-01-01")')
            value = self.date_text(self.string())
            self.expect(")")
            return Literal(value, DATE)
        if optional:
            return None
        self.fail("expected a literal")

    def string(self) -> str:
        start = self.pos
        self.pos += 1
        out = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == '"':
                self.pos += 1
                return "".join(out)
            if ch == "\\" and self.pos + 1 < len(self.text):
                nxt = self.text[self.pos + 1]
                if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", self.text[self.pos + 2 : self.pos + 6]):
                    out.append(chr(int(self.text[self.pos + 2 : self.pos + 6], 16)))
                    self.pos += 6
                    continue
                out.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
                self.pos += 2
                continue
            out.append(ch)
            self.pos += 1
        self.pos = start
        self.fail("text without its closing quote")

    def date_text(self, text: str) -> dt.date:
        try:
            return dt.date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else _bad_date()
        except ValueError:
            self.fail(f"{text!r} is not a date (YYYY-MM-DD)")


def _bad_date():
    raise ValueError


def show(node) -> str:
    """A test or endpoint written back in FEEL."""
    if isinstance(node, Name):
        return node.text
    if isinstance(node, Literal):
        return feel_literal(node.value)
    if isinstance(node, Compare):
        return show(node.value) if node.op == "=" else f"{node.op} {show(node.value)}"
    if isinstance(node, Interval):
        return f"{'[' if node.low_closed else '('}{show(node.low)}..{show(node.high)}{']' if node.high_closed else ')'}"
    raise TypeError(node)


def feel_literal(value) -> str:
    """A Python value written as a FEEL literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))
    if isinstance(value, dt.date):
        return f'date("{value.isoformat()}")'
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def kind(t: Type) -> str:
    """What kind of value a type holds, for comparing a cell with an input."""
    if t.numeric:
        return "number"
    if t.name in ("string", "enum"):
        return "string"
    return t.name


def literal_expr(literal: Literal, t: Type | None = None) -> pl.Expr:
    """A literal as a polars expression, typed like ``t`` where given."""
    if literal.type == NULL:
        return pl.lit(None)
    if literal.type == NUMBER:
        value = literal.value
        if t is not None and t.name == "integer" and float(value).is_integer():
            return pl.lit(int(value), pl.Int64)
        return pl.lit(value, pl.Float64)
    if literal.type == DATE:
        return pl.lit(literal.value, pl.Date)
    if literal.type == BOOLEAN:
        return pl.lit(literal.value, pl.Boolean)
    return pl.lit(literal.value, pl.String)


def compile_tests(tests: Tests, value: pl.Expr, t: Type, resolve, where: str, loc) -> pl.Expr:
    """``tests`` as a boolean polars expression over ``value`` (of type ``t``); null where FEEL
    gives null, which matches no rule. ``resolve(name)`` gives a named endpoint's (type,
    expression) or None; ``where`` names the cell in errors, which point at ``loc``."""
    if tests.any:
        return pl.lit(True)
    if t.name == "enum":
        value = value.cast(pl.String)
    parts = [_positive(p, value, t, resolve, where, loc) for p in tests.positives]
    held = parts[0]
    for part in parts[1:]:
        held = held | part
    return ~held if tests.negated else held


def _endpoint(node, t: Type, resolve, where: str, loc) -> pl.Expr:
    if isinstance(node, Name):
        found = resolve(node.text)
        if found is None:
            raise RulesetError(f"{where}: unknown name {node.text!r} in a test", loc)
        etype, expr = found
        if kind(etype) != kind(t) and etype.name != "null":
            raise RulesetError(f"{where}: {node.text!r} is {etype.name}, the input is {t.name}", loc)
        return expr.cast(pl.String) if etype.name == "enum" else expr
    if node.type != NULL and t.name != "null" and kind(node.type) != kind(t):
        raise RulesetError(f"{where}: {show(node)} is {kind(node.type)}, the input is {kind(t)}", loc)
    return literal_expr(node, t)


def _positive(node, value: pl.Expr, t: Type, resolve, where: str, loc) -> pl.Expr:
    if isinstance(node, Literal):  # only null stands alone
        return value.is_null()
    if isinstance(node, Compare):
        other = _endpoint(node.value, t, resolve, where, loc)
        if node.op in ("<", "<=", ">", ">=") and kind(t) == "boolean":
            raise RulesetError(f"{where}: {node.op} does not compare {t.name} values", loc)
        if node.op == "=":
            return value.eq_missing(other)
        if node.op == "!=":
            return value.ne_missing(other)
        return {"<": value < other, "<=": value <= other, ">": value > other, ">=": value >= other}[node.op]
    if kind(t) == "boolean":
        raise RulesetError(f"{where}: an interval does not hold {t.name} values", loc)
    low = _endpoint(node.low, t, resolve, where, loc)
    high = _endpoint(node.high, t, resolve, where, loc)
    above = value >= low if node.low_closed else value > low
    below = value <= high if node.high_closed else value < high
    return above & below
