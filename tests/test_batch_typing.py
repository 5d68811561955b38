"""Batches typed by the fast readers first give exactly what the general readers give.

``coerce.fast_reader`` reads the usual spellings of a field and says which values it knew;
``Preparation.apply_batch`` keeps its values when it knew all of a batch's, and reads the
batch's other fields with the general readers. These tests compare both with ``coerce_expr``
and ``Preparation.apply``, values, bad-row flags and error messages alike.
"""

import datetime as dt
import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from salesrules.loader.load import load as load_ruleset
from salesrules.compiler.plan import compile_ruleset
from salesrules.io import coerce
from salesrules.io.preparation import KNOWN, describe_bad_rows
from salesrules.model.sections import FieldSpec

NBSP = "\u00a0"
INDUSTRY = {"software": ("Software", "SaaS"), "financial": ("Financial Services", "Fin  Services")}
FIELDS = {
    "boolean": FieldSpec(name="x", type="boolean"),
    "date": FieldSpec(name="x", type="date"),
    "enum": FieldSpec(name="x", type="enum", values=INDUSTRY),
    "money": FieldSpec(name="x", type="money"),
    "money_point": FieldSpec(name="x", type="money", decimal="."),
    "integer": FieldSpec(name="x", type="integer"),
    "integer_comma": FieldSpec(name="x", type="integer", decimal=","),
}
USUAL = {
    "boolean": ["Yes", "No", "TRUE", "false", "1", "0", "y", "N"],
    "date": ["2026-11-22", "1970-01-01", "2099-12-31", "2001-02-28"],
    "enum": ["Software", "SaaS", "software", "Financial Services", "Fin Services", "FINANCIAL"],
    "money": ["$873,923.92", "$150,000.00", "1200", "$-5", "1,234", "0.50"],
    "integer": ["1", "20", "-3", "007", "9223372036854775807"],
}
ODD = [
    "", " ", NBSP, " Yes", "yes ", "2026-1-5", "2026/11/22", "+2026-11-22", "2026-11-22T10:00", "2100-01-01",
    "1969-12-31", "2026-02-30", " SaaS", "saas", "N/A", "$ 1,000", "(1,000)", "1,2,3", "1.000,50", "1e3", "5.",
    "12.0", "1,200", "$1,200.50", "nan", "inf", "-", "ÿes", "9223372036854775808", "$" + "9" * 400,
]


def comparable(series: pl.Series) -> list:
    """The values of ``series``, telling -0.0 from 0.0."""
    if series.dtype == pl.Float64:
        return [None if v is None else (v, math.copysign(1, v)) for v in series.to_list()]
    return series.to_list()


def check(values: list, field: FieldSpec) -> None:
    """Where the fast reader knows a value, it reads it as coerce_expr does."""
    frame = pl.DataFrame({"x": values}, schema={"x": pl.String})
    value, known = coerce.fast_reader(pl.col("x"), field, pl.String, pl.col("v"))
    read = frame.with_columns(value.alias("v")).with_columns(known.alias("known"))
    general = frame.select(coerce.coerce_expr(pl.col("x"), field, pl.String).alias("g"))["g"]
    got, want = comparable(read["v"]), comparable(general)
    for text, is_known, a, b in zip(values, read["known"].to_list(), got, want):
        if is_known:
            assert a == b, (text, a, b)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_what_the_fast_readers_know_they_read_as_coerce_does(data):
    for name, field in FIELDS.items():
        usual = USUAL[name.split("_")[0]]
        values = data.draw(st.lists(st.sampled_from(usual) | st.sampled_from(ODD) | st.none() | st.text(max_size=5), max_size=20))
        check(values, field)


def test_the_fast_readers_know_the_usual_spellings_only():
    for name, field in FIELDS.items():
        usual = USUAL[name.split("_")[0]]
        frame = pl.DataFrame({"x": [*usual, None, *ODD]}, schema={"x": pl.String})
        value, known = coerce.fast_reader(pl.col("x"), field, pl.String, pl.col("v"))
        flags = frame.with_columns(value.alias("v")).select(known)[:, 0].to_list()
        assert all(flags[: len(usual) + 1]) or name.startswith("integer"), name
        check(frame["x"].to_list(), field)
    assert coerce.fast_reader(pl.col("x"), FieldSpec(name="x", type="string"), pl.String, pl.col("v")) is None
    assert coerce.fast_reader(pl.col("x"), FieldSpec(name="x", type="money", decimal=","), pl.String, pl.col("v")) is None
    assert coerce.fast_reader(pl.col("x"), FieldSpec(name="x", type="date", format="%d.%m.%Y"), pl.String, pl.col("v")) is None
    assert coerce.fast_reader(pl.col("x"), FIELDS["date"], pl.Date, pl.col("v")) is None


RULESET = """
salesrules: 1
name: typing
fields:
  id: {type: string, key: true}
  flag: boolean
  day: date
  sector: {type: enum, values: {software: [Software, SaaS], financial: ["Financial Services"]}}
  amount: money
  count: {type: integer, default: 1}
  needed: {type: integer, required: true}
  other: {type: enum, values: [a, b], unknown: "null"}
factors:
  - {name: f, when: "flag and amount > 10", points: 1}
"""


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    path = tmp_path_factory.mktemp("typing") / "typing.yaml"
    path.write_text(RULESET)
    return compile_ruleset(load_ruleset(str(path)), dt.date(2026, 11, 22))


def records(draw_value) -> dict:
    return {
        "id": draw_value(["A", "B", " C "]),
        "flag": draw_value(USUAL["boolean"]),
        "day": draw_value(USUAL["date"]),
        "sector": draw_value(USUAL["enum"]),
        "amount": draw_value(USUAL["money"]),
        "count": draw_value(USUAL["integer"]),
        "needed": draw_value(USUAL["integer"]),
        "other": draw_value(["a", "b", "c"]),
    }


def batch_of(rows: list[dict]) -> pl.DataFrame:
    columns = ["id", "flag", "day", "sector", "amount", "count", "needed", "other"]
    return pl.DataFrame(rows, schema={c: pl.String for c in columns}).with_row_index("__row", offset=1)


def assert_same_typing(plan, batch: pl.DataFrame) -> None:
    lazy = plan.prepare(batch.lazy(), "<test>")
    fast = plan.prepare_batch(batch, "<test>")
    assert_frame_equal(fast.frame.collect(), lazy.frame.collect(), check_column_order=False)
    got = [e.message for e in describe_bad_rows(fast, plan.fields, "<test>", limit=100)]
    assert got == [e.message for e in describe_bad_rows(lazy, plan.fields, "<test>", limit=100)]
    # In one query: the fields whose values the fast readers did not all know are read again
    # by the general readers, and then the typing is the general one.
    general = lazy.frame.collect()
    query = plan.prepare_query(batch.lazy(), "<test>", set()).frame.collect()
    tests = [c for c in query.columns if c.startswith(KNOWN)]
    left = {c[len(KNOWN):] for c in tests if not query[c].all()}
    if not left:
        assert_frame_equal(query.drop(tests), general, check_column_order=False)
    again = plan.prepare_query(batch.lazy(), "<test>", left).frame.collect()
    assert all(again[c].all() for c in again.columns if c.startswith(KNOWN))
    assert_frame_equal(again.select(general.columns), general)


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_a_typed_batch_equals_the_general_typing(plan, data):
    def usual(choices):
        return data.draw(st.sampled_from(choices) | st.none())

    def any_value(choices):
        return data.draw(st.sampled_from(choices) | st.sampled_from(ODD) | st.none())

    rows = [records(usual) for _ in range(data.draw(st.integers(0, 12)))]
    rows += [records(any_value) for _ in range(data.draw(st.integers(0, 3)))]
    assert_same_typing(plan, batch_of(data.draw(st.permutations(rows))))


def test_a_bad_value_is_named_as_by_the_general_typing(plan):
    good = {"id": "A", "flag": "Yes", "day": "2026-11-22", "sector": "SaaS", "amount": "$1,000.00",
            "count": "2", "needed": "3", "other": "a"}
    batch = batch_of([good, {**good, "id": "B", "day": "2026/11/22"}, {**good, "id": "C", "needed": None}])
    fast = plan.prepare_batch(batch, "<test>")
    assert fast.frame.collect()["__bad"].to_list() == [False, True, True]
    messages = [e.message for e in describe_bad_rows(fast, plan.fields, "<test>", limit=5)]
    assert messages == [
        "row 2, column 'day': cannot read '2026/11/22' as date (YYYY-MM-DD)",
        "row 3, column 'needed': a value is required for field 'needed'",
    ]
    assert_same_typing(plan, batch)
