import datetime as dt
import itertools
import math
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesrules.io import coerce_numbers
from salesrules.io.coerce import coerce_expr, describe_type, polars_dtype
from salesrules.model.sections import FieldSpec

NBSP = "\u00a0"
NNBSP = "\u202f"


def spec(type_, **kw):
    return FieldSpec(name="x", type=type_, **kw)


def run(values, field, dtype=pl.String):
    """Coerce a one-column frame and return (result dtype, values)."""
    df = pl.DataFrame({"x": values}, schema={"x": dtype})
    out = df.select(coerce_expr(pl.col("x"), field, dtype))
    assert out.columns == ["x"]
    return out["x"].dtype, out["x"].to_list()


def convert(values, field, dtype=pl.String):
    got_dtype, got = run(values, field, dtype)
    assert got_dtype == polars_dtype(field)
    return got


def one(value, field, dtype=pl.String):
    return convert([value], field, dtype)[0]


# --- polars_dtype / describe_type -------------------------------------------------------


@pytest.mark.parametrize(
    "type_, dtype",
    [
        ("string", pl.String),
        ("integer", pl.Int64),
        ("number", pl.Float64),
        ("money", pl.Float64),
        ("boolean", pl.Boolean),
        ("date", pl.Date),
        ("enum", pl.String),
    ],
)
def test_polars_dtype(type_, dtype):
    assert polars_dtype(spec(type_)) == dtype


def test_polars_dtype_unknown_type():
    with pytest.raises(ValueError, match="unknown field type"):
        polars_dtype(spec("colour"))


@pytest.mark.parametrize(
    "field, text",
    [
        (spec("money"), "money"),
        (spec("integer"), "integer"),
        (spec("number"), "number"),
        (spec("string"), "string"),
        (spec("number", decimal=","), "number (decimal comma)"),
        (spec("boolean"), "boolean (yes/no, true/false, 1/0, y/n)"),
        (spec("date"), "date (YYYY-MM-DD)"),
        (spec("date", format="%d/%m/%Y"), "date (format %d/%m/%Y)"),
        (
            spec("enum", values={"software": ("saas",), "manufacturing": ()}),
            "one of: software, manufacturing",
        ),
    ],
)
def test_describe_type(field, text):
    assert describe_type(field) == text


# --- string -----------------------------------------------------------------------------


def test_string_is_trimmed_and_blank_is_null():
    values = ["  Acme ", f"{NBSP}Acme{NNBSP}", "\tA  B\n", "", "   ", f"{NBSP}{NNBSP}", None]
    assert convert(values, spec("string")) == ["Acme", "Acme", "A  B", None, None, None, None]


def test_result_keeps_the_output_name():
    df = pl.DataFrame({"x": ["1"]})
    out = df.select(coerce_expr(pl.col("x").alias("amount"), spec("integer"), pl.String))
    assert out.columns == ["amount"]


# --- boolean ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["yes", "YES", "Yes", "true", "TRUE", "True", "1", "y", "Y", "t", "T", "on", "ON", " On "]
)
def test_boolean_true(text):
    assert one(text, spec("boolean")) is True


@pytest.mark.parametrize(
    "text", ["no", "NO", "No", "false", "FALSE", "False", "0", "n", "N", "f", "F", "off", "OFF", f"{NBSP}off"]
)
def test_boolean_false(text):
    assert one(text, spec("boolean")) is False


@pytest.mark.parametrize("text", ["maybe", "2", "yess", "-1", "1.0", "", "  ", None])
def test_boolean_other_text_is_null(text):
    assert one(text, spec("boolean")) is None


# --- date -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-01-02", dt.date(2026, 1, 2)),
        (" 2026-01-02 ", dt.date(2026, 1, 2)),
        ("2026-01-02T10:30", dt.date(2026, 1, 2)),
        ("2026-01-02T10:30:15", dt.date(2026, 1, 2)),
        ("2026-01-02T10:30:15.123", dt.date(2026, 1, 2)),
        ("2026-01-02T23:30:15Z", dt.date(2026, 1, 2)),
        ("2026-01-02T23:30:15+05:30", dt.date(2026, 1, 2)),
        ("2026-01-02T23:30:15-0800", dt.date(2026, 1, 2)),
        ("2026-01-02 10:30:15", dt.date(2026, 1, 2)),
        ("2024-02-29", dt.date(2024, 2, 29)),
        ("1970-01-01", dt.date(1970, 1, 1)),
        ("1969-12-31", dt.date(1969, 12, 31)),
        ("2099-12-31", dt.date(2099, 12, 31)),
        ("2100-01-01", dt.date(2100, 1, 1)),
        ("9999-12-31", dt.date(9999, 12, 31)),
        ("0001-01-01", dt.date(1, 1, 1)),
        (" 1900-01-01", dt.date(1900, 1, 1)),
    ],
)
def test_iso_dates(text, expected):
    assert one(text, spec("date")) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-30",
        "2025-02-29",
        "2026-13-01",
        "2026-1-2",
        "+2026-01-02",
        "20260102",
        "2026- 1-02",
        " 026-01-02",
        "٢٠٢٦-٠١-٠٢",
        "２０２６-01-02",
        "02/01/2026",
        "2026-01-02x",
        "2026-01-02T",
        "2026-01-02T25",
        "yesterday",
        "",
        " ",
        None,
    ],
)
def test_invalid_iso_dates_are_null(text):
    assert one(text, spec("date")) is None


def test_dates_with_format():
    field = spec("date", format="%d/%m/%Y")
    values = ["02/01/2026", " 31/12/2025 ", "30/02/2026", "2026-01-02", "13/13/2026", "", None]
    assert convert(values, field) == [
        dt.date(2026, 1, 2),
        dt.date(2025, 12, 31),
        None,
        None,
        None,
        None,
        None,
    ]


def test_dates_with_format_including_a_time():
    field = spec("date", format="%m/%d/%Y %H:%M")
    assert convert(["01/02/2026 23:59", "01/02/2026"], field) == [dt.date(2026, 1, 2), None]


# --- enum -------------------------------------------------------------------------------

INDUSTRY = spec(
    "enum",
    values={
        "software": ("SaaS", "Software & IT", " tech "),
        "manufacturing": ("mfg", "Industrial"),
        "retail": (),
    },
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("software", "software"),
        ("SOFTWARE", "software"),
        ("  Software ", "software"),
        ("saas", "software"),
        ("SAAS", "software"),
        ("software & it", "software"),
        ("Software  &\u00a0IT", "software"),
        ("Tech", "software"),
        ("MFG", "manufacturing"),
        ("industrial", "manufacturing"),
        ("Retail", "retail"),
        ("retailer", None),
        ("soft", None),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_enum(text, expected):
    assert one(text, INDUSTRY) == expected


def test_enum_with_canonical_names_only():
    field = spec("enum", values={"low": (), "high": ()})
    assert convert(["LOW", "High", "medium"], field) == ["low", "high", None]


def test_enum_canonical_name_wins_over_another_values_spelling():
    field = spec("enum", values={"a": ("b",), "b": ()})
    assert convert(["b", "A"], field) == ["b", "a"]


def test_enum_blank_spelling_matches_nothing():
    field = spec("enum", values={"none": ("", "  "), "some": ()})
    assert convert(["", "  ", "none", "Some", None], field) == [None, None, "none", "some", None]


def test_enum_column_of_declared_spellings_as_written():
    values = ["software", "SaaS", "Software & IT", "MFG", "Industrial", "Retail", "tech", "", None]
    assert convert(values, INDUSTRY) == [
        "software", "software", "software", "manufacturing", "manufacturing", "retail", "software", None, None,
    ]


def test_enum_without_values_gives_nulls():
    assert convert(["x", None], spec("enum")) == [None, None]


# --- money and number -------------------------------------------------------------------


MONEY_EXAMPLES = [
    ("$1,200,000.00", 1200000.0),
    ("€1.200.000,00", 1200000.0),
    ("1 200 000,00 ₽", 1200000.0),
    (f"1{NBSP}200{NBSP}000,00 ₽", 1200000.0),
    (f"1{NNBSP}200{NNBSP}000,00", 1200000.0),
    ("¥1,200,000", 1200000.0),
    ("CHF 1'200'000.50", 1200000.5),
    ("CHF 1’200’000.50", 1200000.5),
    ("USD 1,200", 1200.0),
    ("USD1,200", 1200.0),
    ("1200 EUR", 1200.0),
    ("R$ 1.234,56", 1234.56),
    ("₹12,34,567.50", 1234567.5),
    ("₩1,000", 1000.0),
    ("kr 1.234,50", 1234.5),
    ("1.234,50 kr.", 1234.5),
    ("£-1,000.00", -1000.0),
    ("-$1,000", -1000.0),
    ("$-1,000", -1000.0),
    ("- $ 1,000", -1000.0),
    ("+$1,000", 1000.0),
    ("(1,000.00)", -1000.0),
    ("($1,000.00)", -1000.0),
    ("$(1,000.00)", -1000.0),
    ("( 1,000.00 )", -1000.0),
    ("1.000,00-", -1000.0),
    ("1.5e6", 1500000.0),
    ("1.5E6", 1500000.0),
    ("-2e-3", -0.002),
    ("12", 12.0),
    ("0", 0.0),
    ("-0.5", -0.5),
    (".5", 0.5),
    ("  $ 12.50  ", 12.5),
    (f"{NBSP}12{NBSP}", 12.0),
]


@pytest.mark.parametrize("text, expected", MONEY_EXAMPLES)
def test_money_examples(text, expected):
    assert one(text, spec("money")) == expected
    assert one(text, spec("number")) == expected


AUTO_EXAMPLES = [
    ("1,200", 1200.0),  # single comma + three digits: thousands
    ("1,200,000", 1200000.0),
    ("1,5", 1.5),  # single comma otherwise: decimal
    ("1,50", 1.5),
    ("1,2000", 1.2),
    ("0,500", 0.5),  # "0,500" cannot be grouped digits, so it is a decimal
    ("1234,567", 1234.567),
    ("1.500", 1.5),  # single point: always decimal in auto mode
    ("1.200.000", 1200000.0),  # repeated point: thousands
    ("1.200.000,5", 1200000.5),  # both: the last one is decimal
    ("1,200,000.5", 1200000.5),
    ("1.234,56", 1234.56),
    ("1,234.56", 1234.56),
    ("12,34,567.89", 1234567.89),
    ("1 234,5", 1234.5),
    ("1 234.5", 1234.5),
]


@pytest.mark.parametrize("text, expected", AUTO_EXAMPLES)
def test_auto_decimal(text, expected):
    assert one(text, spec("number")) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1,200", 1200.0),
        ("1,200.5", 1200.5),
        ("1.500", 1.5),
        ("1,5", None),  # with a decimal point, "1,5" is badly grouped
        ("1.200.000", None),
        ("1.234,56", None),
        ("1 234.56", 1234.56),
        ("1'234.56", 1234.56),
        ("1.5e6", 1500000.0),
    ],
)
def test_decimal_point(text, expected):
    assert one(text, spec("money", decimal=".")) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1.200", 1200.0),
        ("1.500", 1500.0),
        ("1,5", 1.5),
        ("1,200", 1.2),
        ("1.200.000,00", 1200000.0),
        ("€1.200.000,00", 1200000.0),
        ("1 234,56", 1234.56),
        ("1,234.56", None),
        ("1.5e6", None),
        ("1,5e6", 1500000.0),
        ("(1.000,00)", -1000.0),
    ],
)
def test_decimal_comma(text, expected):
    assert one(text, spec("money", decimal=",")) == expected


@pytest.mark.parametrize(
    "text",
    [
        "12abc",
        "abc",
        "1,2,3.4.5",
        "$",
        "USD",
        "--5",
        "+-5",
        "5--",
        "(-5)",
        "(5",
        "5)",
        "1..5",
        "1,,000",
        "1,00,0",
        "1 2",
        "1  200",
        "1.2.3",
        "e5",
        "1e",
        "5.",
        ".",
        "-",
        "()",
        "1e400",
        "nan",
        "inf",
        "",
        "   ",
        None,
    ],
)
def test_malformed_numbers_are_null(text):
    assert one(text, spec("money")) is None
    assert one(text, spec("number")) is None
    assert one(text, spec("integer")) is None


# --- integer ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("12", 12),
        ("-12", -12),
        ("+12", 12),
        ("12.0", 12),
        ("12.000", 12),
        ("1,200", 1200),
        ("1.200.000", 1200000),
        ("$1,200,000.00", 1200000),
        ("(1,000)", -1000),
        ("1.5e6", 1500000),
        ("1E3", 1000),
        ("9223372036854775807", 9223372036854775807),
        ("-9223372036854775808", -9223372036854775808),
        ("9007199254740993", 9007199254740993),  # beyond float precision, still exact
        ("12.5", None),
        ("1.500", None),  # auto mode: 1.5
        ("1,5", None),
        ("1.5e-1", None),
        ("9223372036854775808", None),
        ("1e19", None),
    ],
)
def test_integer(text, expected):
    assert one(text, spec("integer")) == expected


def test_integer_with_decimal_comma():
    field = spec("integer", decimal=",")
    assert convert(["1.500", "1.200.000,00", "12,5", "12,0"], field) == [1500, 1200000, None, 12]


# --- other source dtypes ----------------------------------------------------------------


def test_from_int64():
    values = [1, 0, -5, None]
    assert convert(values, spec("integer"), pl.Int64) == [1, 0, -5, None]
    assert convert(values, spec("number"), pl.Int64) == [1.0, 0.0, -5.0, None]
    assert convert(values, spec("money"), pl.Int64) == [1.0, 0.0, -5.0, None]
    assert convert(values, spec("boolean"), pl.Int64) == [True, False, None, None]
    assert convert(values, spec("string"), pl.Int64) == ["1", "0", "-5", None]
    enum = spec("enum", values={"one": ("1",), "zero": ("0",)})
    assert convert(values, enum, pl.Int64) == ["one", "zero", None, None]
    assert convert([20260102, None], spec("date", format="%Y%m%d"), pl.Int64) == [dt.date(2026, 1, 2), None]


@pytest.mark.parametrize("dtype", [pl.Int8, pl.Int16, pl.Int32, pl.UInt8, pl.UInt32])
def test_from_small_integer_dtypes(dtype):
    assert convert([1, None], spec("integer"), dtype) == [1, None]
    assert convert([1, None], spec("money"), dtype) == [1.0, None]


def test_from_uint64_out_of_range_is_null():
    assert convert([2**64 - 1, 3], spec("integer"), pl.UInt64) == [None, 3]


def test_from_float64():
    values = [1.0, 2.5, -3.0, 0.0, float("nan"), float("inf"), 1e19, None]
    assert convert(values, spec("integer"), pl.Float64) == [1, None, -3, 0, None, None, None, None]
    assert convert(values, spec("number"), pl.Float64) == [1.0, 2.5, -3.0, 0.0, None, None, 1e19, None]
    assert convert(values, spec("boolean"), pl.Float64) == [True, None, None, False, None, None, None, None]
    assert convert([3.0, 2.5, 1e19, None], spec("string"), pl.Float64) == ["3", "2.5", "1e+19", None]
    enum = spec("enum", values={"gold": ("1",), "silver": ("2",)})
    assert convert([1.0, 2.0, 1.5], enum, pl.Float64) == ["gold", "silver", None]


def test_from_float32():
    assert convert([1.5, 2.0, None], spec("integer"), pl.Float32) == [None, 2, None]
    assert convert([1.5, None], spec("money"), pl.Float32) == [1.5, None]


def test_from_decimal():
    assert convert([Decimal("12.50"), None], spec("money"), pl.Decimal(10, 2)) == [12.5, None]
    assert convert([Decimal("12.00"), Decimal("1.50")], spec("integer"), pl.Decimal(10, 2)) == [12, None]


def test_from_boolean():
    values = [True, False, None]
    assert convert(values, spec("boolean"), pl.Boolean) == [True, False, None]
    assert convert(values, spec("integer"), pl.Boolean) == [1, 0, None]
    assert convert(values, spec("number"), pl.Boolean) == [1.0, 0.0, None]
    assert convert(values, spec("string"), pl.Boolean) == ["true", "false", None]
    assert convert(values, spec("date"), pl.Boolean) == [None, None, None]
    enum = spec("enum", values={"yes": ("true",), "no": ("false",)})
    assert convert(values, enum, pl.Boolean) == ["yes", "no", None]


def test_from_date():
    values = [dt.date(2026, 1, 2), None]
    assert convert(values, spec("date"), pl.Date) == values
    assert convert(values, spec("date", format="%d/%m/%Y"), pl.Date) == values
    assert convert(values, spec("string"), pl.Date) == ["2026-01-02", None]
    assert convert(values, spec("integer"), pl.Date) == [None, None]


def test_from_datetime():
    values = [dt.datetime(2026, 1, 2, 23, 59, 30), dt.datetime(2026, 1, 3), None]
    assert convert(values, spec("date"), pl.Datetime("us")) == [dt.date(2026, 1, 2), dt.date(2026, 1, 3), None]
    assert convert(values, spec("string"), pl.Datetime("us")) == [
        "2026-01-02T23:59:30",
        "2026-01-03T00:00:00",
        None,
    ]
    assert convert(values, spec("boolean"), pl.Datetime("ms")) == [None, None, None]


def test_from_datetime_with_time_zone():
    df = pl.DataFrame({"x": [dt.datetime(2026, 1, 2, 23, 0)]}).with_columns(
        pl.col("x").dt.replace_time_zone("Europe/Paris")
    )
    dtype = df.schema["x"]
    out = df.select(
        coerce_expr(pl.col("x"), spec("date"), dtype).alias("d"),
        coerce_expr(pl.col("x"), spec("string"), dtype).alias("s"),
    )
    assert out.row(0) == (dt.date(2026, 1, 2), "2026-01-02T23:00:00+01:00")


@pytest.mark.parametrize("type_", ["string", "integer", "number", "money", "boolean", "date", "enum"])
def test_from_null(type_):
    field = spec(type_, values={"a": ()} if type_ == "enum" else None)
    assert convert([None, None], field, pl.Null) == [None, None]


def test_from_categorical_is_parsed_as_text():
    assert convert([" 1,200 ", None], spec("integer"), pl.Categorical) == [1200, None]
    assert convert(["yes", "x"], spec("boolean"), pl.Enum(["yes", "x"])) == [True, None]


def test_from_time_is_text():
    assert convert([dt.time(10, 30)], spec("string"), pl.Time) == ["10:30:00"]


def test_unrenderable_sources_give_nulls():
    assert convert([[1], None], spec("integer"), pl.List(pl.Int64)) == [None, None]
    assert convert([b"1", None], spec("string"), pl.Binary) == [None, None]


def test_never_raises_on_mixed_garbage():
    garbage = ["", " ", "\x00", "💰", "1" * 400, "(" * 50, "$" * 20, "e" * 30, "-" * 10, "1,2,3,4"]
    for type_ in ("integer", "number", "money", "boolean", "date", "string"):
        got = convert(garbage, spec(type_))
        assert len(got) == len(garbage)


# --- properties -------------------------------------------------------------------------

cents = st.integers(min_value=-(10**13), max_value=10**13)
integers = st.integers(min_value=-(10**15), max_value=10**15)


def group(digits: str, sep: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return sep.join(parts)


def amount_text(amount: Decimal, thousands: str, decimal: str) -> tuple[str, str]:
    """Sign and the grouped digits with two decimals."""
    whole, frac = f"{abs(amount):.2f}".split(".")
    return ("-" if amount < 0 else ""), group(whole, thousands) + decimal + frac


@settings(max_examples=60, deadline=None)
@given(st.lists(cents, min_size=1, max_size=30))
def test_us_european_and_spaced_amounts_agree(raw):
    amounts = [Decimal(c).scaleb(-2) for c in raw]
    us, eu, spaced, swiss = [], [], [], []
    for a in amounts:
        sign, text = amount_text(a, ",", ".")
        us.append(f"{sign}${text}")
        sign, text = amount_text(a, ".", ",")
        eu.append(f"{sign}{text} €")
        sign, text = amount_text(a, " ", ",")
        spaced.append(f"{sign}{text.replace(' ', NBSP)}")
        sign, text = amount_text(a, "'", ".")
        swiss.append(f"CHF {sign}{text}")
    expected = [float(a) for a in amounts]
    for values, field in [
        (us, spec("money")),
        (us, spec("money", decimal=".")),
        (eu, spec("money", decimal=",")),
        (spaced, spec("money")),
        (spaced, spec("money", decimal=",")),
        (swiss, spec("money")),
    ]:
        got = convert(values, field)
        assert [round(g, 2) for g in got] == pytest.approx(expected, abs=1e-6), values


@settings(max_examples=60, deadline=None)
@given(st.lists(cents, min_size=1, max_size=30))
def test_accounting_negatives(raw):
    amounts = [Decimal(abs(c)).scaleb(-2) for c in raw]
    values = [f"({amount_text(a, ',', '.')[1]})" for a in amounts]
    got = convert(values, spec("money"))
    assert [round(g, 2) for g in got] == pytest.approx([-float(a) for a in amounts], abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.lists(integers, min_size=1, max_size=30), st.sampled_from([",", ".", " ", NBSP, NNBSP, "'"]))
def test_grouped_integers_parse_back_exactly(values, sep):
    decimal = "," if sep == "." else "."
    texts = [("-" if v < 0 else "") + group(str(abs(v)), sep) for v in values]
    assert convert(texts, spec("integer", decimal=decimal)) == values
    # Auto mode agrees except for a lone "." group, which it reads as a decimal point.
    if sep != "." or all(abs(v) >= 10**6 or abs(v) < 1000 for v in values):
        assert convert(texts, spec("integer")) == values


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1, max_size=30))
def test_repr_of_floats_round_trips(values):
    texts = [repr(v) for v in values]
    assert convert(texts, spec("number", decimal=".")) == values


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=30))
def test_arbitrary_text_never_raises(texts):
    for type_ in ("integer", "money", "boolean", "date"):
        assert len(convert(texts, spec(type_))) == len(texts)



# --- the fast number readers agree with the general reader ------------------------------
#
# coerce reads most number text with cheaper readers (a plain cast, then "simple" values
# such as "$1,250,000.00") and leaves the rest to coerce_numbers._read_general, which implements the
# rules in full. These tests check that the cheap readers never change a result.


def reference(values, field):
    """What coerce_numbers._read_general alone makes of ``values`` (text) for ``field``."""
    mode = field.decimal if field.decimal in (".", ",") else None
    if field.type == "integer":
        expr = coerce_numbers._read_general(pl.col("x"), mode, whole=True)
    else:
        value = coerce_numbers._read_general(pl.col("x"), mode, whole=False)
        expr = pl.when(value.is_finite()).then(value)
    return pl.DataFrame({"x": values}, schema={"x": pl.String}).select(expr)["x"].to_list()


def same(a, b):
    """Equal values, telling -0.0 from 0.0."""
    if a is None or b is None or isinstance(a, int):
        return a == b
    return a == b and math.copysign(1, a) == math.copysign(1, b)


def assert_agree(values, field):
    got = convert(values, field)
    want = reference(values, field)
    bad = [(v, g, w) for v, g, w in zip(values, got, want) if not same(g, w)]
    assert not bad, bad[:10]


NUMBER_FIELDS = [spec(t, decimal=d) for t in ("money", "integer") for d in (None, ".", ",")]


@pytest.mark.parametrize("field", NUMBER_FIELDS, ids=lambda f: f"{f.type}-{f.decimal}")
def test_fast_readers_agree_on_all_short_digit_strings(field):
    # Every string of up to 6 characters over digits, "," and "." (the separator rules),
    # bare and decorated.
    bodies = ["".join(p) for n in range(1, 7) for p in itertools.product("015,.", repeat=n)]
    decorated = ["$" + b for b in bodies[::5]] + [f"({b})" for b in bodies[::7]] + [b + "-" for b in bodies[::11]]
    assert_agree(bodies + decorated, field)


EDGE_VALUES = [
    # signs and zeros
    "-0", "(0)", "-$0", "0-", "+0", "-0.0", "$ -0,00", "- 5", "+ 5", "5 +", "+5-", "-5-", "(5)-", "(-5)", "(5-)",
    "-$-5", "$-$5", "1.000,00 €-", "1.000,00 € -", "1,000-€", "($1,000.00) USD", "$(1,000)",
    # what polars casts but the rules reject, and what overflows
    "nan", "NaN", "inf", "-inf", "Infinity", "1e400", "$" + "9" * 400, "9" * 400, "1" + "0" * 308,
    "$1" + ",000" * 103, "5.", "5.e3", ".5", "-.5", "$.5", "kr.5", "kr .5", "USD.5", "1E5", "$1E5", "1,5e6",
    "1.5e6 EUR",
    # integer limits and precision
    "9223372036854775807", "-9223372036854775808", "9223372036854775808", "(9,223,372,036,854,775,808)",
    "9,223,372,036,854,775,808-", "$9,007,199,254,740,993.00", "1.0000000000000000001", "$1.0000000000000000001",
    # decimal mark in auto mode
    "1,200", "1.200", "1.200.000", "1.200,5", "0,500", "1234,567", "1,2000", "12,34,567.89", "1.23.456,7",
    "€1.200.000,00",
    # currency tokens next to each other, newlines, other spaces and digits
    "USDEUR 5", "USD EUR 5", "RUSD5", "R$R$5", "kr.USD5", "ABCD 5", "5 ABCD", "$\n1,000", "1,000\n-", "(\n5\n)",
    "1\n200", "1\n200-", "(1\n200)", "\u00a0$1,000\u202f", "$\u20091,000", "\u20c1 1,000", "٣", "$٣", "１２",
    "1 000", "1'000", "1’000.5 CHF",
    # not numbers
    "N/A", "-", "$", "()", "", " ", None,
]


@pytest.mark.parametrize("field", NUMBER_FIELDS, ids=lambda f: f"{f.type}-{f.decimal}")
def test_fast_readers_agree_on_edge_values(field):
    assert_agree(EDGE_VALUES, field)


def test_negative_zero_and_int64_extremes():
    assert math.copysign(1, one("-$0", spec("money"))) == -1
    assert math.copysign(1, one("(0)", spec("number"))) == -1
    assert one("(9,223,372,036,854,775,808)", spec("integer")) == -(2**63)
    assert one("9,223,372,036,854,775,808", spec("integer")) is None
    assert one("$9,007,199,254,740,993.00", spec("integer")) == 2**53 + 1
    assert one("$" + "9" * 400, spec("money")) is None
    assert one("1.0000000000000000001", spec("integer")) is None


GROUP_SEPARATORS = [",", ".", " ", "'", "’", NBSP, NNBSP, "\n", ""]
CURRENCIES = ["", "", "$", "€", "£", "¥", "R$", "kr", "kr.", "USD", "EUR", "\u20c1", "US", "e"]
SPACES = ["", "", " ", NBSP, "\t", "\n"]
FRACTIONS = ["0", "00", "000", "5", "50", "500", "25", "0001"]
TOKENS = [
    *"0123456789,.'’-+()$€eE ", NBSP, NNBSP, "\n", "R$", "kr", "kr.", "USD", "EUR", "ABCD", "nan", "inf", "٣",
    "000", ",000", ".000", "1e5", "--", "١",
]


@st.composite
def amounts_as_text(draw):
    """Amounts written in the ways CRM exports write them, and some near misses."""
    digits = str(draw(st.integers(min_value=0, max_value=10**20)))
    if draw(st.integers(0, 9)) == 0:
        digits = "0" + digits
    sep = draw(st.sampled_from(GROUP_SEPARATORS))
    body = group(digits, sep) if sep else digits
    if draw(st.booleans()):
        body += draw(st.sampled_from([".", ","])) + draw(st.sampled_from(FRACTIONS))
    if draw(st.integers(0, 9)) == 0:
        body += draw(st.sampled_from(["e5", "E-3", "e+2", "e400", "e"]))
    before, after = draw(st.sampled_from(CURRENCIES)), draw(st.sampled_from(CURRENCIES))
    sp = [draw(st.sampled_from(SPACES)) for _ in range(4)]
    sign = draw(st.sampled_from(["-", "+", "--", ""]))
    shape = draw(st.sampled_from(["plain", "sign first", "sign after currency", "trailing minus", "parentheses"]))
    if shape == "plain":
        text = f"{before}{sp[0]}{body}{sp[1]}{after}"
    elif shape == "sign first":
        text = f"{sign}{sp[0]}{before}{sp[1]}{body}{sp[2]}{after}"
    elif shape == "sign after currency":
        text = f"{before}{sp[0]}{sign}{sp[1]}{body}{sp[2]}{after}"
    elif shape == "trailing minus":
        text = f"{before}{sp[0]}{body}{sp[1]}{after}{sp[2]}{sign or '-'}"
    else:
        text = f"{before}{sp[0]}({sp[1]}{sign}{body}{sp[2]}{after}{sp[3]})"
        text += draw(st.sampled_from(["", "-", "$", " EUR"]))
    return draw(st.sampled_from(["", " ", NBSP])) + text + draw(st.sampled_from(["", " ", "\n"]))


token_soup = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=7).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(amounts_as_text() | token_soup | st.none(), min_size=1, max_size=40))
def test_fast_readers_agree_on_generated_amounts(values):
    for field in NUMBER_FIELDS:
        assert_agree(values, field)


def test_mixed_column_uses_every_reader():
    values = ["12", "1.5e6", "$1,250,000.00", "1.234,50 €", "(1,000)", "1'000.5 CHF", "N/A", "", None, "12abc"]
    assert convert(values, spec("money")) == [12.0, 1.5e6, 1250000.0, 1234.5, -1000.0, 1000.5, None, None, None, None]
    assert convert(values, spec("integer")) == [12, 1500000, 1250000, None, -1000, None, None, None, None, None]
    assert_agree(values, spec("money"))
    assert_agree(values, spec("integer"))


def test_literal_text_broadcasts():
    df = pl.DataFrame({"y": [1, 2, 3]})
    for field, value in [(spec("money"), 1200.0), (spec("integer"), 1200), (spec("number", decimal=","), 1.2)]:
        out = df.select(coerce_expr(pl.lit(" 1,200 "), field, pl.String).alias("v"), pl.col("y"))
        assert out["v"].to_list() == [value] * 3


def test_character_sets_match_polars_regex_classes():
    # The simple reader trims these characters off the values its regex accepts, and the
    # regex writes them as \s and as a class of currency signs.
    texts = pl.Series([chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000])  # all White_Space is in the BMP
    assert set(texts.filter(texts.str.contains(r"^\s$")).to_list()) == set(coerce_numbers._WHITESPACE)
    assert pl.Series(list(coerce_numbers._CURRENCY_SIGNS)).str.contains(r"^\p{Sc}$").all()
