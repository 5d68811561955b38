"""The fast readers of salesrules.coerce give exactly what its general readers give.

Text of the boolean, date and enum types is first looked up as written among the spellings
coerce knows, and only the rest goes to the general reader; a column of US amounts is read
without the other number readers, and a column with any other value goes to them. These
tests compare coerce_expr with the general readers (``coerce._read_*``) and with the rules
written out plainly (``rules_*`` below), on whole columns: mostly usual values, plus a few
odd ones or none, so that every path is taken. Every engine runs them, as eager frames,
lazy queries and the streaming engine each evaluate the expressions in their own way.
"""

import datetime as dt
import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesrules.io import coerce, coerce_numbers
from salesrules.io.coerce import coerce_expr
from salesrules.model.sections import FieldSpec

NBSP = "\u00a0"
NNBSP = "\u202f"
ENGINES = ["eager", "in-memory", "streaming"]


def spec(type_, **kw):
    return FieldSpec(name="x", type=type_, **kw)


def select(values, expr, engine="eager"):
    """``expr`` (on column "x") over ``values`` as a Series named "x"."""
    frame = pl.DataFrame({"x": values}, schema={"x": pl.String})
    if engine == "eager":
        return frame.select(expr.alias("x"))["x"]
    return frame.lazy().select(expr.alias("x")).collect(engine=engine)["x"]


def comparable(series):
    """The values of ``series`` as a list that tells -0.0 from 0.0 and shows dates as day numbers."""
    if series.dtype == pl.Date:
        return series.cast(pl.Int32).to_list()  # year 0 has no Python date
    if series.dtype == pl.Float64:
        return [None if v is None else (v, math.copysign(1, v)) for v in series.to_list()]
    return series.to_list()


def assert_agree(values, field, *references):
    """coerce_expr, in every engine, gives what each of ``references`` (expressions on "x") gives."""
    wants = [comparable(select(values, ref)) for ref in references]
    for engine in ENGINES:
        got = comparable(select(values, coerce_expr(pl.col("x"), field, pl.String), engine))
        assert got == wants[0], (engine, [(v, g, w) for v, g, w in zip(values, got, wants[0]) if g != w][:10])
    for want in wants[1:]:
        assert want == wants[0], [(v, a, b) for v, a, b in zip(values, wants[0], want) if a != b][:10]


def columns(usual, odd):
    """Columns of usual values, nulls and empty text, with up to three odd values or none."""
    common = st.lists(usual | st.none() | st.just(""), max_size=30)
    return st.tuples(common, st.lists(odd, max_size=3)).flatmap(lambda t: st.permutations(t[0] + t[1]))


PADDING = st.sampled_from(["", "", "", " ", "  ", "\t", "\n", NBSP, NNBSP, "\u3000"])
BLANKS = st.sampled_from([" ", "  ", NBSP, "\t\n", "\u3000"])


def padded(text):
    return st.tuples(PADDING, text, PADDING).map("".join)


def any_case(word):
    """``word`` with each letter in upper or lower case."""
    flips = st.lists(st.booleans(), min_size=len(word), max_size=len(word))
    return flips.map(lambda f: "".join(c.upper() if up else c.lower() for c, up in zip(word, f)))


# --- the rules written out plainly ------------------------------------------------------


def trimmed(x):
    text = x.str.strip_chars()
    return pl.when(text != "").then(text)


def rules_boolean(x):
    lower = trimmed(x).str.to_lowercase()
    return pl.when(lower.is_in(coerce._TRUE)).then(True).when(lower.is_in(coerce._FALSE)).then(False)


def rules_date(x):
    return trimmed(x).str.extract(coerce._ISO_DATE, 1).str.strptime(pl.Date, "%Y-%m-%d", strict=False)


def rules_enum(x, values):
    mapping = {}
    for name in values:
        mapping.setdefault(" ".join(name.split()).lower(), name)
    for name, spellings in values.items():
        for spelling in spellings:
            mapping.setdefault(" ".join(spelling.split()).lower(), name)
    key = trimmed(x).str.replace_all(r"\s+", " ").str.to_lowercase()
    return key.replace_strict(mapping, default=None, return_dtype=pl.String)


# --- string -----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(columns(st.text(max_size=8), padded(st.text(max_size=4)) | BLANKS))
def test_string_is_the_trimmed_text(values):
    assert_agree(values, spec("string"), trimmed(pl.col("x")))


# --- boolean ----------------------------------------------------------------------------

BOOLEAN_WORDS = [*coerce._TRUE, *coerce._FALSE]
KNOWN_BOOLEANS = coerce._BOOLEAN_SPELLINGS.categories.to_list()
ODD_BOOLEANS = ["yess", "ye", "truee", "tru", "0.0", "01", "-1", "2", "１", "０", "ＹＥＳ", "İ", "Y E S", "on\x00"]


def test_every_known_boolean_spelling_reads_as_the_rules_say():
    assert len(KNOWN_BOOLEANS) == len(set(KNOWN_BOOLEANS))
    assert_agree(KNOWN_BOOLEANS, spec("boolean"), coerce._read_boolean(pl.col("x")), rules_boolean(pl.col("x")))
    assert select(KNOWN_BOOLEANS, coerce._read_boolean(pl.col("x"))).null_count() == 0


@settings(max_examples=150, deadline=None)
@given(
    columns(
        st.sampled_from(KNOWN_BOOLEANS),
        padded(st.sampled_from(BOOLEAN_WORDS).flatmap(any_case)) | st.sampled_from(ODD_BOOLEANS) | BLANKS,
    )
)
def test_boolean_fast_reader_agrees(values):
    assert_agree(values, spec("boolean"), coerce._read_boolean(pl.col("x")), rules_boolean(pl.col("x")))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=6) | st.none(), max_size=20))
def test_boolean_of_any_text(values):
    assert_agree(values, spec("boolean"), coerce._read_boolean(pl.col("x")), rules_boolean(pl.col("x")))


@pytest.mark.parametrize("engine", ENGINES)
def test_boolean_columns(engine):
    field = spec("boolean")
    usual = ["Yes", "No", None, "", "TRUE", "f", "1", "0", "On", "OFF"]
    assert select(usual, coerce_expr(pl.col("x"), field, pl.String), engine).to_list() == [
        True, False, None, None, True, False, True, False, True, False,
    ]
    odd = [" Yes", "yEs", f"no{NBSP}", "  ", "maybe", None]
    assert select(odd, coerce_expr(pl.col("x"), field, pl.String), engine).to_list() == [
        True, True, False, None, None, None,
    ]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(KNOWN_BOOLEANS), min_size=1, max_size=coerce.SEEN_SPELLINGS, unique=True).flatmap(
        lambda seen: st.tuples(st.just(tuple(seen)), columns(
            st.sampled_from(seen),
            st.sampled_from(KNOWN_BOOLEANS) | st.sampled_from(ODD_BOOLEANS) | padded(st.sampled_from(seen)) | BLANKS,
        ))
    )
)
def test_a_reader_of_the_spellings_seen_agrees_where_it_knows_the_text(case):
    """The reader of a few spellings gives the general reader's value where it says it knows the
    text, and it knows exactly those spellings (and null)."""
    seen, values = case
    field = spec("boolean")
    value, known = coerce.seen_reader(pl.col("x"), field, seen, pl.col("v"))
    frame = pl.DataFrame({"x": values}, schema={"x": pl.String})
    for engine in ENGINES:
        lazy = frame.lazy().with_columns(value.alias("v")).with_columns(known.alias("known"))
        read = lazy.collect() if engine == "eager" else lazy.collect(engine=engine)
        assert read["known"].to_list() == [v is None or v in seen for v in values]
        general = select(values, coerce._read_boolean(pl.col("x")))
        assert read["v"].zip_with(read["known"], general).to_list() == general.to_list()
        assert read.filter(~pl.col("known"))["v"].null_count() == read.filter(~pl.col("known")).height


def test_a_reader_of_spellings_seen_is_only_for_a_few_known_boolean_spellings():
    field = spec("boolean")
    assert coerce.seen_reader(pl.col("x"), field, ("Yes", "No"), pl.col("v")) is not None
    assert coerce.seen_reader(pl.col("x"), field, ("Yes", "No", "yes", "no"), pl.col("v")) is None  # too many
    assert coerce.seen_reader(pl.col("x"), field, ("Yes", " No"), pl.col("v")) is None  # not a known spelling
    assert coerce.seen_reader(pl.col("x"), field, (), pl.col("v")) is None
    assert coerce.seen_reader(pl.col("x"), spec("string"), ("Yes",), pl.col("v")) is None


# --- date -------------------------------------------------------------------------------

FIRST, LAST = coerce._ISO_RANGE
KNOWN_DATES = st.dates(FIRST, LAST).map(dt.date.isoformat)
ANY_DATE = st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31))
UNICODE_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


@st.composite
def odd_dates(draw):
    """Dates outside the known ones, impossible dates, datetimes and near misses."""
    day = draw(ANY_DATE)
    y, m, d = day.year, day.month, day.day
    text = draw(
        st.sampled_from(
            [
                day.isoformat(),
                f"{y:04d}-{draw(st.integers(0, 13)):02d}-{draw(st.integers(0, 32)):02d}",  # maybe impossible
                f"{y}-{m}-{d}",  # no zero padding
                f"{y:04d}-{m}-{d:02d}",
                f"+{day.isoformat()}",
                f"-{day.isoformat()}",
                f"{y:05d}-{m:02d}-{d:02d}",
                f"{y % 1000:03d}-{m:02d}-{d:02d}",
                f"{y:04d}{m:02d}{d:02d}",
                f"{y:04d}/{m:02d}/{d:02d}",
                f"{d:02d}/{m:02d}/{y:04d}",
                f"{y:04d}- {m}-{d:02d}",
                f"{y:04d}-{m:02d}- {d}",
                f" {y % 1000:03d}-{m:02d}-{d:02d}",
                f"{day.isoformat()}x",
                f"{day.isoformat()}T",
                f"{day.isoformat()}T10:30",
                f"{day.isoformat()} 10:30:15",
                f"{day.isoformat()}T23:30:15.123Z",
                f"{day.isoformat()}T23:30:15+05:30",
                f"{day.isoformat()}T25",
                day.isoformat().translate(UNICODE_DIGITS),
                day.isoformat().translate(FULLWIDTH_DIGITS),
                day.isoformat()[:-1] + "５",
                "0000-01-01",
                "0000-12-31",
            ]
        )
    )
    return draw(padded(st.just(text)))


@settings(max_examples=200, deadline=None)
@given(columns(KNOWN_DATES, odd_dates() | BLANKS))
def test_date_fast_reader_agrees(values):
    assert_agree(values, spec("date"), coerce._read_iso_date(pl.col("x")), rules_date(pl.col("x")))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet="0123456789-+: T.Z/x" + NBSP, max_size=14) | st.none(), max_size=20))
def test_date_of_any_text(values):
    assert_agree(values, spec("date"), coerce._read_iso_date(pl.col("x")), rules_date(pl.col("x")))


def test_every_known_date_reads_as_the_rules_say():
    values = coerce._iso_dates().categories.to_list()
    want = comparable(select(values, rules_date(pl.col("x"))))
    assert comparable(pl.date_range(FIRST, LAST, eager=True)) == want
    assert_agree(values, spec("date"), rules_date(pl.col("x")), coerce._read_iso_date(pl.col("x")))


@pytest.mark.parametrize("engine", ENGINES)
def test_dates_in_and_out_of_the_known_range(engine):
    known = ["1970-01-01", "2099-12-31", "2026-11-22", "9999-12-31", "0001-01-01", "1900-01-01", None, ""]
    odd = ["1969-12-31", "2100-01-01", " 2026-11-22", "2026-02-30", "2026-1-5"]
    dates = [
        dt.date(1970, 1, 1), dt.date(2099, 12, 31), dt.date(2026, 11, 22), dt.date(9999, 12, 31),
        dt.date(1, 1, 1), dt.date(1900, 1, 1), None, None,
    ]
    expr = coerce_expr(pl.col("x"), spec("date"), pl.String)
    assert select(known, expr, engine).to_list() == dates
    assert select(known + odd, expr, engine).to_list() == dates + [
        dt.date(1969, 12, 31), dt.date(2100, 1, 1), dt.date(2026, 11, 22), None, None,
    ]


# --- enum -------------------------------------------------------------------------------

ENUM_TEXT = st.text(alphabet="abAB ÉéßİıΣς&-1" + NBSP + "\t", max_size=6)


@st.composite
def enums(draw):
    """Declared values, and texts that mostly are declared spellings in the usual cases."""
    names = draw(st.lists(ENUM_TEXT.filter(str.strip), min_size=1, max_size=4, unique=True))
    values = {name: tuple(draw(st.lists(ENUM_TEXT, max_size=3))) for name in names}
    declared = [*values, *(s for spellings in values.values() for s in spellings)]
    forms = st.sampled_from([str, str.lower, str.upper, str.title, str.capitalize, lambda t: " ".join(t.split())])
    usual = st.tuples(forms, st.sampled_from(declared)).map(lambda t: t[0](t[1]))
    odd = padded(st.sampled_from(declared).flatmap(any_case)) | ENUM_TEXT | BLANKS
    return values, draw(columns(usual, odd))


@settings(max_examples=200, deadline=None)
@given(enums())
def test_enum_fast_reader_agrees(case):
    values, texts = case
    general = coerce._read_enum(pl.col("x"), coerce.enum_mapping(values))
    assert_agree(texts, spec("enum", values=values), general, rules_enum(pl.col("x"), values))


INDUSTRY = {
    "software": ("Software & IT", "SaaS"),
    "manufacturing": ("Mfg", "Industrial"),
    "financial services": ("Fin  Services",),
    "none": ("",),
}


@pytest.mark.parametrize("engine", ENGINES)
def test_enum_columns(engine):
    expr = coerce_expr(pl.col("x"), spec("enum", values=INDUSTRY), pl.String)
    usual = ["Software", "SAAS", "saas", "Mfg", "MFG", "Fin Services", "Fin  Services", "", None]
    assert select(usual, expr, engine).to_list() == [
        "software", "software", "software", "manufacturing", "manufacturing",
        "financial services", "financial services", None, None,
    ]
    odd = [" software", f"software{NBSP}&{NBSP}it", "FIN\tSERVICES", "retail", "  "]
    assert select(odd, expr, engine).to_list() == ["software", "software", "financial services", None, None]


def test_enum_whose_keys_the_reader_never_meets():
    # Python's str.split() splits on U+001C, which polars' \s does not match.
    field = spec("enum", values={"a\x1cb": ()})
    assert_agree(["a b", "a\x1cb", "A\x1cB", None], field, rules_enum(pl.col("x"), field.values))


# --- money, number and integer ----------------------------------------------------------

# money and number are read alike
NUMBER_FIELDS = [spec(t, decimal=d) for t in ("money", "integer") for d in (None, ".", ",")]


def general_number(field):
    mode = field.decimal if field.decimal in (".", ",") else None
    if field.type == "integer":
        return coerce_numbers._read_general(pl.col("x"), mode, whole=True)
    value = coerce_numbers._read_general(pl.col("x"), mode, whole=False)
    return pl.when(value.is_finite()).then(value)


def group(digits, sep=","):
    head = len(digits) % 3 or 3
    return sep.join([digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)])


@st.composite
def us_amounts(draw):
    """What ``_US_AMOUNT`` describes: "$1,250,000.00", "1200", "$-5.5"; and empty text."""
    digits = str(draw(st.integers(0, 10**22)))
    body = group(digits) if draw(st.booleans()) else draw(st.sampled_from(["", "0", "00"])) + digits
    if draw(st.booleans()):
        body += "." + draw(st.sampled_from(["0", "00", "000", "5", "50", "25", "99", "0001"]))
    text = draw(st.sampled_from(["", "$"])) + draw(st.sampled_from(["", "", "-", "+"])) + body
    return draw(st.sampled_from([text] * 6 + [""]))


def near_misses(digits):
    """Near misses of US amounts with ``digits``, other ways of writing amounts and other text."""
    grouped = group(digits)
    return [
        f"-${grouped}", f"$ {grouped}", f"{grouped}$", f"${grouped}.", f"${grouped}.5.5", f"$${grouped}",
        f"({grouped})", f"{grouped}-", f"USD {grouped}", f"{grouped} €", f"${group(digits, '.')},50",
        f"${digits[:1]},{digits[1:]}", f"$0,{digits[-3:].zfill(3)}", f"0{grouped}", f"{grouped},5", f"$.{digits}",
        f"{digits}e3", f"{digits}.e3", f"{digits}.", f"${digits}E2", f"{NBSP}${grouped}", f"${grouped}{NBSP}",
        f"${grouped}\n", f"${group(digits, ' ')}", f"${group(digits, NBSP)}", f"${group(digits, chr(39))}",
        "$" + grouped.translate(FULLWIDTH_DIGITS), grouped.translate(UNICODE_DIGITS), "$1,23", "$1,2345",
        "1,234,5", "12,34,567", "00,123", "$01,234.5", "nan", "inf", "-inf", "1e400", ".5", "-.5", "+.5", "$",
        "-", "--5", "+-5", "$+-5", "N/A", "$" + "9" * 400, "9" * 30, "9223372036854775808",
        "$9,223,372,036,854,775,807", "-0", "$-0.00", " ", "  ", NBSP,
    ]


def odd_amounts():
    return st.integers(0, 10**9).map(str).flatmap(lambda digits: st.sampled_from(near_misses(digits)))


US_COLUMN = ["$873,923.92", "$150,000.00", "1,234", "$-1,000", "1200", "$0.50", "", None]


@pytest.mark.parametrize("digits", ["0", "1234567"])
def test_a_near_miss_in_a_column_of_us_amounts(digits):
    for odd in near_misses(digits):
        for field in NUMBER_FIELDS:
            assert_agree([*US_COLUMN, odd], field, general_number(field))


@settings(max_examples=100, deadline=None)
@given(columns(us_amounts(), odd_amounts()))
def test_us_amount_reader_agrees(values):
    for field in NUMBER_FIELDS:
        assert_agree(values, field, general_number(field))


@settings(max_examples=60, deadline=None)
@given(st.lists(us_amounts() | st.none(), min_size=1, max_size=30))
def test_columns_of_us_amounts_only(values):
    for field in NUMBER_FIELDS:
        assert_agree(values, field, general_number(field))


@settings(max_examples=60, deadline=None)
@given(columns(st.integers(-(10**20), 10**20).map(str) | st.floats(allow_nan=False).map(repr), odd_amounts()))
def test_plain_numbers_with_a_few_others(values):
    for field in NUMBER_FIELDS:
        assert_agree(values, field, general_number(field))


@pytest.mark.parametrize("engine", ENGINES)
def test_us_amount_columns(engine):
    values = ["$873,923.92", "$150,000.00", "$0.50", "1,234", "$-1,000", "1200", "", None]
    money = coerce_expr(pl.col("x"), spec("money"), pl.String)
    assert select(values, money, engine).to_list() == [873923.92, 150000.0, 0.5, 1234.0, -1000.0, 1200.0, None, None]
    assert select([*values, "  "], money, engine).to_list() == [873923.92, 150000.0, 0.5, 1234.0, -1000.0, 1200.0] + [
        None
    ] * 3
    integers = ["$1,200", "$1,200.00", "$1,200.50", "$9,223,372,036,854,775,807", "9,223,372,036,854,775,808", None]
    integer = coerce_expr(pl.col("x"), spec("integer"), pl.String)
    assert select(integers, integer, engine).to_list() == [1200, 1200, None, 2**63 - 1, None, None]
    assert select(["$1,000", "$" + "9" * 400], money, engine).to_list() == [1000.0, None]
    # With a decimal comma, "$1,234" is 1.234 and "$1,234.00" is malformed.
    euro = coerce_expr(pl.col("x"), spec("money", decimal=","), pl.String)
    assert select(["$1,234", "$1,234.00"], euro, engine).to_list() == [1.234, None]


@pytest.mark.parametrize("engine", ENGINES)
def test_us_amounts_next_to_other_numbers(engine):
    money = coerce_expr(pl.col("x"), spec("money"), pl.String)
    values = ["$1,000", "12", "5.", "1e3", "-$1,000", "(1,000)", "1.234,50 €", None]
    assert select(values, money, engine).to_list() == [1000.0, 12.0, None, 1000.0, -1000.0, -1000.0, 1234.5, None]
    assert select(["$1,000", "5."], money, engine).to_list() == [1000.0, None]


# --- any engine, any shape --------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "field, known, odd",
    [
        (spec("boolean"), ("Yes", True), (" yes", True)),
        (spec("date"), ("2026-01-02", dt.date(2026, 1, 2)), (" 2026-01-02", dt.date(2026, 1, 2))),
        (spec("enum", values=INDUSTRY), ("SaaS", "software"), (" saas ", "software")),
        (spec("money"), ("$1,200.50", 1200.5), ("USD 1,200.50", 1200.5)),
        (spec("integer"), ("$1,200", 1200), ("1.200,00 €", 1200)),
        (spec("string"), ("Acme", "Acme"), (" Acme ", "Acme")),
    ],
    ids=lambda v: v.type if isinstance(v, FieldSpec) else None,
)
def test_literal_text_broadcasts(engine, field, known, odd):
    frame = pl.DataFrame({"y": [1, 2, 3]})
    for text, value in (known, odd, (None, None)):
        expr = coerce_expr(pl.lit(text, dtype=pl.String), field, pl.String).alias("v")
        out = frame.select(expr, "y") if engine == "eager" else frame.lazy().select(expr, "y").collect(engine=engine)
        assert out["v"].to_list() == [value] * 3


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("field", [spec("boolean"), spec("date"), spec("enum", values=INDUSTRY), *NUMBER_FIELDS])
def test_empty_and_all_null_columns(engine, field):
    for values in ([], [None, None], ["", None]):
        assert select(values, coerce_expr(pl.col("x"), field, pl.String), engine).to_list() == [None] * len(values)
