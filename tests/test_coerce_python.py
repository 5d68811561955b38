"""coerce_python.read_text_value, the Python reader of a few records' values, agrees with the polars readers.

It must give exactly what coerce_expr gives for every text it reads, and leave the rest
(NOT_READ) to polars. The texts are generated near the shapes it takes, so that both sides
of each of its tests are reached, plus arbitrary text.
"""

import datetime as dt
import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesrules.io import coerce
from salesrules.io.coerce import coerce_expr
from salesrules.io.coerce_python import NOT_READ, read_text_value, read_value, read_values
from salesrules.model.sections import FieldSpec

ENUM_VALUES = {"Financial services": ("Banking", "FinServ"), "Public sector": ("Government", "gov"), "Retail": ()}
FIELDS = {
    "string": FieldSpec(name="x", type="string"),
    "integer": FieldSpec(name="x", type="integer"),
    "number": FieldSpec(name="x", type="number"),
    "money": FieldSpec(name="x", type="money"),
    "money_point": FieldSpec(name="x", type="money", decimal="."),
    "money_comma": FieldSpec(name="x", type="money", decimal=","),
    "boolean": FieldSpec(name="x", type="boolean"),
    "date": FieldSpec(name="x", type="date"),
    "date_format": FieldSpec(name="x", type="date", format="%d/%m/%Y"),
    "enum": FieldSpec(name="x", type="enum", values=ENUM_VALUES),
}


def by_polars(text, field, lookups):
    """What coerce_expr makes of ``text`` alone, as a comparable value."""
    frame = pl.DataFrame({"x": [text]}, schema={"x": pl.String})
    value = frame.select(coerce_expr(pl.col("x"), field, pl.String, lookups=lookups)).item()
    return comparable(value)


def comparable(value):
    """``value`` with the sign of a float zero kept (-0.0 == 0.0 in Python)."""
    if isinstance(value, float):
        return (value, math.copysign(1, value))
    return value


def assert_agrees(text, field):
    got = read_text_value(text, field)
    if got is NOT_READ:
        return
    for lookups in (False, True):
        assert comparable(got) == by_polars(text, field, lookups), (text, field.type, lookups)


digits = st.text("0123456789", min_size=1, max_size=22)
signs = st.sampled_from(["", "-", "+", "$", "$-", "-$", " "])
decimals = st.one_of(st.just(""), st.builds(lambda d: "." + d, digits), st.builds(lambda d: "," + d, digits))
grouped = st.builds(
    lambda head, groups: head + "".join("," + g for g in groups),
    st.text("0123456789", min_size=1, max_size=4),
    st.lists(st.text("0123456789", min_size=2, max_size=4), max_size=5),
)
numbers = st.builds(lambda sign, body, dec, tail: sign + body + dec + tail, signs, st.one_of(digits, grouped), decimals,
                    st.sampled_from(["", "", " ", "e3", "."]))
dates = st.one_of(
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(dt.date.isoformat),
    st.builds(lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}", st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32)),
    st.builds(lambda y, m, d: f"{y}-{m}-{d}", st.integers(0, 99999), st.integers(0, 13), st.integers(0, 32)),
)
words = st.sampled_from(
    [w for w in ["yes", "no", "true", "false", "1", "0", "y", "n", "t", "f", "on", "off", "maybe", "YES", "No", "tRUE", "Off", " yes"]]
)
enum_texts = st.builds(
    lambda word, form, pad: pad + form(word) + pad,
    st.sampled_from(["Financial services", "Financial  services", "banking", "FinServ", "gov", "Retail", "Public\tsector", "Other", "İndia"]),
    st.sampled_from([str, str.lower, str.upper, str.title]),
    st.sampled_from(["", " ", "\u00a0", "\x1f"]),
)
anything = st.text(max_size=12)


@settings(max_examples=300, deadline=None)
@given(st.one_of(numbers, anything), st.sampled_from(["integer", "number", "money", "money_point", "money_comma"]))
def test_numbers_agree(text, kind):
    assert_agrees(text, FIELDS[kind])


@settings(max_examples=200, deadline=None)
@given(st.one_of(dates, anything), st.sampled_from(["date", "date_format"]))
def test_dates_agree(text, kind):
    assert_agrees(text, FIELDS[kind])


@settings(max_examples=150, deadline=None)
@given(st.one_of(words, anything))
def test_booleans_agree(text):
    assert_agrees(text, FIELDS["boolean"])


@settings(max_examples=200, deadline=None)
@given(st.one_of(enum_texts, anything))
def test_enums_agree(text):
    assert_agrees(text, FIELDS["enum"])


@settings(max_examples=150, deadline=None)
@given(st.text(st.sampled_from(list("ab \t\u00a0\u2003\x1c\x1f\u200b\n")), max_size=8))
def test_strings_agree(text):
    assert_agrees(text, FIELDS["string"])


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("", "integer", None),
        (None, "money", None),
        ("10", "integer", 10),
        ("-7", "integer", -7),
        ("873923.92", "money", 873923.92),
        ("$1,250,000.00", "money", 1250000.0),
        ("$-5", "number", -5.0),
        ("2026-11-22", "date", dt.date(2026, 11, 22)),
        ("Yes", "boolean", True),
        ("off", "boolean", False),
        ("banking", "enum", "Financial services"),
        ("  Public   SECTOR ", "enum", "Public sector"),
        ("  Harbor Academy\u00a0", "string", "Harbor Academy"),
        ("\u2003", "string", None),
    ],
)
def test_usual_values_are_read_in_python(text, kind, value):
    """The usual spellings of a CRM export never need polars' readers."""
    got = read_text_value(text, FIELDS[kind])
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("1,200", "money_comma"),  # 1.2 with a decimal comma
        ("1.200,50", "money"),
        ("(1,000)", "money"),
        ("12.0", "integer"),
        ("2026-02-30", "date"),  # polars gives null, and the engine's error names it
        ("22/11/2026", "date_format"),
        ("perhaps", "boolean"),
        ("Other", "enum"),
        ("fin\x1fserv", "enum"),
    ],
)
def test_other_values_are_left_to_polars(text, kind):
    assert read_text_value(text, FIELDS[kind]) is NOT_READ


def test_enum_mapping_is_what_the_readers_use():
    mapping = coerce.enum_mapping(ENUM_VALUES)
    assert read_text_value("FINSERV", FIELDS["enum"], mapping) == "Financial services"
    assert read_text_value("FINSERV", FIELDS["enum"], {"finserv": "elsewhere"}) == "elsewhere"


# --- native values and whole columns ----------------------------------------------------

def by_polars_native(value, field, lookups):
    """What coerce_expr makes of a column of ``value`` alone, typed as polars types it."""
    series = pl.Series("x", [value], strict=False)
    frame = pl.DataFrame([series])
    return frame.select(coerce_expr(pl.col("x"), field, series.dtype, lookups=lookups)).item()


natives = st.one_of(
    st.integers(-(2**64), 2**64),
    st.sampled_from([0, 1, -1, 3, 2**63 - 1, -(2**63), 2**63]),
    st.floats(),
    st.sampled_from([0.0, -0.0, 1.0, 3.0, 2.5, 1e20, 2.0**63, -(2.0**63)]),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)


@settings(max_examples=400, deadline=None)
@given(natives, st.sampled_from(sorted(FIELDS)))
def test_native_values_agree(value, kind):
    got = read_value(value, FIELDS[kind])
    if got is NOT_READ:
        return
    for lookups in (False, True):
        expected = by_polars_native(value, FIELDS[kind], lookups)
        assert comparable(got) == comparable(expected) and type(got) is type(expected), (value, kind, lookups)


@pytest.mark.parametrize(
    ("value", "kind", "read"),
    [
        (True, "money", 1.0),
        (False, "integer", 0),
        (3, "string", "3"),
        (True, "string", "true"),
        (3.0, "integer", 3),
        (1.0, "boolean", True),
        (dt.datetime(2026, 11, 22, 15, 30), "date", dt.date(2026, 11, 22)),
        (dt.date(2026, 11, 22), "string", "2026-11-22"),
        (1, "enum", NOT_READ),  # not a spelling: a bad value, which polars reports
        (2.5, "integer", NOT_READ),
        (float("nan"), "money", NOT_READ),
        (2.5, "string", NOT_READ),  # polars writes a float its own way
        (2**64, "integer", NOT_READ),
        (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), "date", NOT_READ),
    ],
)
def test_native_values_read_in_python(value, kind, read):
    got = read_value(value, FIELDS[kind])
    assert got is read if read is NOT_READ else (got == read and type(got) is type(read))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["2026-11-22", "Yes", "No", "banking", "10", "$5", " x ", ""]),
                          natives), max_size=6),
       st.sampled_from(sorted(FIELDS)))
def test_a_column_reads_as_its_values(values, kind):
    """read_values is read_value of each value (or None when one is not read), remembered or not."""
    field, memo = FIELDS[kind], {}
    one_by_one = [read_value(v, field) for v in values]
    expected = None if any(v is NOT_READ for v in one_by_one) else one_by_one
    for _ in range(2):  # the second time from the memo
        got = read_values(values, field, coerce.enum_mapping(ENUM_VALUES) if kind == "enum" else None, memo)
        assert (got is None and expected is None) or [comparable(v) for v in got] == [comparable(v) for v in expected]
