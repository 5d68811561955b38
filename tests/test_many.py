"""Ruleset.evaluate_many: each record's result is exactly what evaluate_one gives it, and an
error names the record by its index."""

import datetime as dt
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import salesrules
from salesrules.errors import InputError, UsageError

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 11, 22)

# A keyless ruleset with a lookup, currency codes, null placeholders, a date format and a
# decimal comma: every way a value reaches the plan besides the usual spellings.
SIDE_RULESET = """\
salesrules: 1
name: side
null_values: ["N/A", "-"]
fields:
  company: string
  amount: {type: money, currency_field: currency}
  currency: string
  signed: {type: date, format: "%d/%m/%Y"}
  seats: {type: number, decimal: ","}
  segment: {type: enum, values: {smb: [Small], enterprise: [Large, Ent]}, unknown: smb}
  active: {type: boolean, default: false}
currencies:
  base: USD
  rates: {EUR: 1.08}
lookups:
  accounts:
    file: accounts.csv
    key: account
    on: company
    fields:
      employees: {type: integer}
tiers:
  - {name: big, when: "amount >= 1000", points: 20}
  - {name: small, points: 5}
factors:
  - {name: staffed, when: "employees is not None and employees > 100", points: 7}
  - {name: live, when: "active", points: 3, reason: "active since {signed}"}
  - {name: wide, when: "seats is not None and seats > 2.5", points: 1}
"""


@pytest.fixture(scope="module")
def bench():
    return salesrules.load(ROOT / "benchmarks" / "ruleset.yaml")


@pytest.fixture(scope="module")
def side(tmp_path_factory):
    folder = tmp_path_factory.mktemp("side")
    (folder / "accounts.csv").write_text("account,employees\nAcme,500\nTiny,3\n")
    path = folder / "side.yaml"
    path.write_text(SIDE_RULESET)
    return salesrules.load(path)


def one_by_one(ruleset, records):
    """[evaluate_one(r) for r in records], or the first error with the index of its record."""
    results = []
    for index, record in enumerate(records):
        try:
            results.append(ruleset.evaluate_one(record, as_of=AS_OF))
        except InputError as error:
            message = str(error)
            if message.startswith("<record>: row 1, "):
                return ("error", message.replace("<record>: row 1", f"<records>: records[{index}]", 1))
            return ("error", message.replace("<record>: ", f"<records>: records[{index}]: ", 1))
    return results


def many(ruleset, records):
    try:
        return ruleset.evaluate_many(records, as_of=AS_OF)
    except InputError as error:
        return ("error", str(error))


def same(a, b) -> bool:
    """Equal, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or math.isnan(a) and math.isnan(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b and type(a) is type(b)


def test_text_and_native_records_exactly(bench):
    records = [
        {"Opportunity ID": "OPP-1", "Amount": "$2,600,000.00", "Stage": "Negotiation", "Need Identified": "Yes"},
        {"id": "OPP-2", "deal_value": 1_200_000, "stage": "Presentation", "last_contact": dt.date(2026, 11, 1),
         "budget_confirmed": True, "decision_makers": 3},
        {},
    ]
    results = bench.evaluate_many(records, as_of=AS_OF)
    assert [(r["id"], r["tier"], r["stage"], r["score"], r["band"], r["rank"]) for r in results] == [
        ("OPP-1", "strategic", "negotiation", 95, "A", None),
        ("OPP-2", "high", "presentation", 70, "A", None),
        (None, "low", "unknown", 10, "C", None),
    ]
    assert results[0]["gaps"] == ["budget_confirmed", "decision_maker_confirmed"]
    assert results[0]["actions"][0] == {"name": "confirm_decision_maker", "text": "Confirm who signs for unknown",
                                        "due": dt.date(2026, 11, 24)}
    assert results[2]["actions"] == [] and results[2]["reasons"] == []
    assert results == [bench.evaluate_one(r, as_of=AS_OF) for r in records]


def test_results_are_the_same_on_the_next_call(bench):
    records = [{"Amount": "$300,000", "Close Date": "2026-12-01", "Demo Requested": "Yes"}] * 3
    first = bench.evaluate_many(records, as_of=AS_OF)
    assert bench.evaluate_many(records, as_of=AS_OF) == first
    assert first[0] is not first[1] and first[0]["actions"] is not first[1]["actions"]
    assert [r["score"] for r in first] == [first[0]["score"]] * 3


def test_a_bad_value_names_the_record_and_the_column(bench):
    records = [{"Amount": "$1"}, {"Amount": "$2"}, {"Amount": "abc"}, {"Amount": "1 dollar"}]
    with pytest.raises(InputError) as caught:
        bench.evaluate_many(records, as_of=AS_OF)
    assert str(caught.value) == "<records>: records[2], column 'Amount': cannot read 'abc' as money"


def test_the_first_bad_record_is_named_whatever_its_values_types(bench):
    records = [{"Industry": "SaaS"}, {"Industry": 2.5}, {"Industry": "Nope"}]
    with pytest.raises(InputError) as caught:
        bench.evaluate_many(records, as_of=AS_OF)
    assert str(caught.value) == (
        "<records>: records[1], column 'Industry': cannot read '2.5' as one of: software, manufacturing, "
        "healthcare, financial, retail, education, government, logistics"
    )


def test_an_unknown_field_names_the_first_record_with_it(bench):
    with pytest.raises(InputError) as caught:
        bench.evaluate_many([{"Amount": "1"}, {"Owner": "Maria"}, {"Owner": "Ann"}], as_of=AS_OF)
    assert str(caught.value) == "<records>: records[1]: unknown field 'Owner'"


def test_records_must_be_dicts_in_a_list(bench):
    with pytest.raises(UsageError, match=r"^records\[1\] is a list, not a dict$"):
        bench.evaluate_many([{}, [1]], as_of=AS_OF)
    with pytest.raises(UsageError, match="takes a list of dicts, not dict"):
        bench.evaluate_many({"Amount": "1"}, as_of=AS_OF)
    assert bench.evaluate_many([], as_of=AS_OF) == []
    assert bench.evaluate_many(iter([{}]), as_of=AS_OF) == [bench.evaluate_one({}, as_of=AS_OF)]


def test_keyless_records_are_each_row_one_and_lookups_join_per_record(side):
    records = [
        {"company": "Acme", "amount": "€1.000,00", "currency": "EUR", "active": "yes", "signed": "03/02/2026"},
        {"company": "Tiny", "amount": 2000, "seats": "2,75"},
        {"company": "Nobody", "amount": "N/A", "segment": "Large"},
        {"amount": 5, "segment": "huge", "currency": None},
    ]
    results = side.evaluate_many(records, as_of=AS_OF)
    assert [(r["row"], r["tier"], r["score"], r["reasons"]) for r in results] == [
        (1, "big", 30, ["staffed", "active since 2026-02-03"]),  # €1,000 is $1,080; Acme has 500 employees
        (1, "big", 21, ["wide"]),
        (1, "small", 5, []),
        (1, "small", 5, []),
    ]
    assert results == [side.evaluate_one(r, as_of=AS_OF) for r in records]


def test_an_unknown_currency_is_named_with_its_code(side):
    with pytest.raises(InputError) as caught:
        side.evaluate_many([{"amount": 1, "currency": "EUR"}, {"amount": 1, "currency": "JPY"}], as_of=AS_OF)
    assert str(caught.value) == "<records>: records[1], column 'currency': unknown currency 'JPY' (known: USD, EUR)"


def test_structures_are_flattened_as_evaluate_one_does(bench):
    records = [{"deal": {"value": "$3,000,000"}}, {"deal.value": 10}]  # both name deal_value
    results = bench.evaluate_many(records, as_of=AS_OF)
    assert [(r["tier"], r["score"]) for r in results] == [("strategic", 60), ("low", 10)]
    assert results == [bench.evaluate_one(r, as_of=AS_OF) for r in records]


def test_records_may_name_a_field_differently(bench):
    records = [{"Amount": "$300,000"}, {"deal_value": 3_000_000}, {"Amount": 5}]
    results = bench.evaluate_many(records, as_of=AS_OF)
    assert [r["tier"] for r in results] == ["medium", "strategic", "low"]


# --- evaluate_many(records) == [evaluate_one(r) for r in records] -------------------------

TEXTS = ["$873,923.92", "1,250,000", "12", "0", "-3", "2026-10-22", "2026-02-30", "22/11/2026", "Yes", "No",
         "TRUE", " yes ", "y", "Software", "SaaS", " health  care ", "Referral", "Trade Show", "Presentation",
         "Needs Analysis", "negotiation", "1.234,56", "N/A", "", "  ", "abc", "3.0", "1e3", "(100)"]
VALUES = st.one_of(
    st.none(),
    st.sampled_from(TEXTS),
    st.text(max_size=5),
    st.integers(-(10**7), 10**7),
    st.integers(2**62, 2**65),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 1.0, -0.0, 3.0, 2.5, 1e20]),
    st.booleans(),
    st.dates(dt.date(1990, 1, 1), dt.date(2035, 12, 31)),
    st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2030, 1, 1)),
)
BENCH_KEYS = ["Opportunity ID", "Account Name", "Amount", "Stage", "Industry", "Lead Source", "Last Contact",
              "close_date", "Stage Entered", "Decision Makers", "contacts", "Demo Requested", "need_identified"]
SIDE_KEYS = ["company", "amount", "currency", "signed", "seats", "segment", "active", "employees"]


def records_of(keys, values=VALUES):
    return st.lists(st.dictionaries(st.sampled_from(keys), values, max_size=6), max_size=8)


# Mostly values that read: the batch then succeeds and the results are compared.
USUAL = st.one_of(st.none(), st.sampled_from(TEXTS[:20]), st.integers(0, 10**6), st.booleans(),
                  st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records_of(BENCH_KEYS))
def test_many_is_each_one_on_any_values(bench, records):
    assert same(many(bench, records), one_by_one(bench, records))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records_of(BENCH_KEYS, USUAL))
def test_many_is_each_one_on_usual_values(bench, records):
    assert same(many(bench, records), one_by_one(bench, records))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records_of(SIDE_KEYS, st.one_of(VALUES, st.sampled_from(["Acme", "Tiny", "EUR", "USD", "03/02/2026", "2,5",
                                                                  "Small", "Ent", "odd", "-"]))))
def test_many_is_each_one_with_lookups_currencies_and_placeholders(side, records):
    assert same(many(side, records), one_by_one(side, records))


def test_the_benchmark_records_as_text_and_as_native_values(bench):
    """benchmarks/services.py times evaluate_many on generated records in both forms: each gives
    what evaluate_one gives, and the two forms of a record give the same results."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("salesrules_benchmark_services", ROOT / "benchmarks" / "services.py")
    services = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(services)
    text, native = services.records(40)
    assert text[0]["Amount"] == "$873,923.92" and native[0]["Amount"] == 873923.92
    assert native[0]["Created Date"] == dt.date(2025, 12, 5) and native[0]["Need Identified"] is True
    from_text = bench.evaluate_many(text, as_of=AS_OF)
    assert from_text == bench.evaluate_many(native, as_of=AS_OF)
    assert from_text == [bench.evaluate_one(r, as_of=AS_OF) for r in text]
    first = from_text[0]
    assert (first["id"], first["tier"], first["stage"], first["score"], first["band"]) == (
        "OPP-00000001", "medium", "presentation", 45, "B"
    )
    assert first["gaps"] == ["presentation: over 30 days in stage"]
    assert first["actions"][1] == {"name": "unstick", "text": "Move Harbor Academy forward: 263 days in presentation, worth 873923.92",
                                   "due": dt.date(2026, 11, 25)}
