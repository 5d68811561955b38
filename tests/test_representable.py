"""Values the engine cannot represent are refused where they arise, or are unknown (null).

Constants are refused when the ruleset is checked; values computed from records that overflow
are null, so a score is never infinity or NaN and never ranks first because of one; dates stay
within the years 1 to 9999; a ruleset cannot write infinity or NaN.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
import time

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesrules.errors import ExpressionError, RulesetError
from salesrules.language.expressions import Scope, compile_expression
from salesrules.loader.load import load as load_ruleset
from salesrules.model.sections import Expr
from salesrules.model.types import Type
from salesrules.plugins import get_registry

AS_OF = dt.date(2026, 11, 22)


@pytest.fixture
def ruleset(tmp_path):
    def load(body: str):
        path = tmp_path / "r.yaml"
        path.write_text("salesrules: 1\nname: test\nas_of: 2026-11-22\n" + textwrap.dedent(body), encoding="utf-8")
        return load_ruleset(path)
    return load


FIELDS = """
fields:
  id: {type: string, key: true}
  value: {type: money}
  close_date: {type: date}
"""
RECORDS = pl.DataFrame({"id": ["a", "b", "c"], "value": [1e300, 10.0, 5.0],
                        "close_date": [dt.date(2026, 12, 1), dt.date(9999, 12, 30), None]})


def test_points_that_overflow_are_unknown_and_add_nothing(ruleset):
    rs = ruleset(FIELDS + """
factors:
  - {name: huge, when: "value > 0", points: "value * 1e10"}
  - {name: one, when: "value > 0", points: 1}
""")
    out = rs.evaluate(RECORDS)
    scores = dict(zip(out["id"].to_list(), out["score"].to_list()))
    assert scores == {"a": 1.0, "b": 1e11 + 1, "c": 5e10 + 1}
    assert all(math.isfinite(s) for s in scores.values())


def test_a_score_that_sums_beyond_the_largest_number_is_unknown_and_ranks_last(ruleset):
    rs = ruleset(FIELDS + """
factors:
  - {name: big, when: "value > 100", points: 1.5e308}
  - {name: bigger, when: "value > 100", points: 1.5e308}
  - {name: small, when: "value < 100", points: 2.5}
""")
    out = rs.evaluate(RECORDS).sort("id")
    assert out["score"].to_list() == [None, 2.5, 2.5]
    assert out["rank"].to_list() == [3, 1, 2]


def test_dates_beyond_the_year_9999_are_unknown_and_never_wrap(ruleset):
    rs = ruleset(FIELDS + """
factors:
  - {name: later, when: "close_date + 1 > '2026-01-01'", points: 1}
  - {name: far, when: "close_date + 10_000_000 > '2026-01-01'", points: 10}
  - {name: wrapped, when: "close_date + 9_007_199_254_740_992 < '2026-01-01'", points: 100}
  - {name: back, when: "close_date - 9_007_199_254_740_992 < '2026-01-01'", points: 1000}
""")
    out = rs.evaluate(RECORDS).sort("id")
    # b: 9999-12-30 + 1 is the last representable day; 9999-12-31 + anything more is not.
    assert out["score"].to_list() == [1, 1, 0]


SCOPE = Scope({"a": (Type("number"), pl.col("a")), "n": (Type("integer"), pl.col("n")),
               "d": (Type("date"), pl.col("d"))}, get_registry().functions, AS_OF)
FRAME = pl.DataFrame({"a": [0.0, -1.5, 1e308, -1e308, None], "n": [0, -1, 2**62, -(2**63), None],
                      "d": [dt.date(2026, 1, 1), dt.date(1, 1, 1), dt.date(9999, 12, 31), None, dt.date(1970, 1, 1)]})

NUMBERS = st.one_of(st.integers(-(2**53), 2**53).map(str), st.floats(allow_nan=False, allow_infinity=False).map(repr),
                    st.sampled_from(["1e308", "9007199254740992", "10", "0.5", "a", "n", "-a", "-n", "0", "1e-308"]))


@st.composite
def arithmetic(draw, depth=0):
    if depth > 4 or draw(st.booleans()):
        return draw(NUMBERS)
    op = draw(st.sampled_from(["+", "-", "*", "/", "//", "%", "**"]))
    return f"({draw(arithmetic(depth + 1))} {op} {draw(arithmetic(depth + 1))})"


@settings(max_examples=300, deadline=None)
@given(arithmetic())
def test_arithmetic_over_big_constants_never_hangs_and_never_gives_inf_or_nan(text):
    started = time.process_time()
    try:
        compiled = compile_expression(Expr(text), SCOPE)
    except ExpressionError as exc:
        assert "is too large to be represented" in exc.message, exc.message
        return
    values = FRAME.select(compiled.expr.alias("x"))["x"].to_list()
    assert all(v is None or math.isfinite(v) for v in values), (text, values)
    assert time.process_time() - started < 2


@settings(max_examples=200, deadline=None)
@given(st.integers(-(2**53), 2**53), st.sampled_from(["+", "-"]))
def test_date_arithmetic_is_a_date_within_the_years_1_to_9999_or_unknown(days, op):
    compiled = compile_expression(Expr(f"d {op} {days}" if days >= 0 else f"d {op} ({days})"), SCOPE)
    values = FRAME.select(compiled.expr.alias("x"))["x"].to_list()
    for start, value in zip(FRAME["d"].to_list(), values):
        if start is None:
            assert value is None
            continue
        want = start.toordinal() + (days if op == "+" else -days)
        assert value == (dt.date.fromordinal(want) if 1 <= want <= dt.date.max.toordinal() else None)


@pytest.mark.parametrize("where, body, message", [
    ("a probability", "stages:\n  - {name: open, probability: .nan}\n",
     "r.yaml:10:31: .nan is not a number a ruleset can use (write a number, or quote it if it is text)"),
    ("a probability", "stages:\n  - {name: open, probability: .inf}\n",
     "r.yaml:10:31: .inf is beyond ±1.8e308, the largest number, and cannot be represented (quote it if it is text)"),
    ("points", "factors:\n  - {name: f, when: \"value > 1\", points: -.inf}\n",
     "r.yaml:10:42: -.inf is beyond ±1.8e308, the largest number, and cannot be represented (quote it if it is text)"),
    ("points", "factors:\n  - {name: f, when: \"value > 1\", points: .NaN}\n",
     "r.yaml:10:42: .NaN is not a number a ruleset can use (write a number, or quote it if it is text)"),
    ("points as an expression", "factors:\n  - {name: f, when: \"value > 1\", points: \"value * 1e999\"}\n",
     "r.yaml:10:51: the number 1e999 is too large to be represented: it is beyond ±1.8e308, the largest number"),
    ("a name", "factors:\n  - {name: 1e999, when: \"value > 1\", points: 1}\n",
     "r.yaml:10:12: 1e999 is beyond ±1.8e308, the largest number, and cannot be represented (quote it if it is text)"),
])
def test_a_ruleset_cannot_write_infinity_or_nan(ruleset, where, body, message):
    with pytest.raises(RulesetError) as info:
        ruleset(FIELDS + body)
    assert str(info.value).endswith(message), where
