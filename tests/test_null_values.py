"""Missing values as CRMs write them: null_values per ruleset and per field, and an enum's
policy for values that are none of its spellings."""

import polars as pl
import pytest

import salesrules
from salesrules.errors import InputError, RulesetError

RULESET = """salesrules: 1
name: nv
version: "1"
null_values: [Select, "N/A", "-", "(none)"]
fields:
  id: {type: string, key: true}
  source: {type: enum, values: [web, referral, other], unknown: other}
  city: {type: string}
  visits: {type: integer, null_values: ["?"]}
  level: {type: enum, values: [low, high], unknown: "null"}
  strict: {type: enum, values: [yes_, no_]}
factors:
  - {name: has_city, when: "city is not None", points: 1}
  - {name: no_visits, when: "visits is None", points: 10}
  - {name: other_source, when: "source == 'other'", points: 100}
  - {name: no_level, when: "level is None", points: 1000}
"""

RECORDS = [
    {"id": "a", "source": "Web", "city": "Select", "visits": "3", "level": "low"},
    {"id": "b", "source": "Fax", "city": " n/a ", "visits": "?", "level": "weird"},
    {"id": "c", "source": "(None)", "city": "Oslo", "visits": "-", "level": "high"},
    {"id": "d", "source": "referral", "city": "-", "visits": "N/A", "level": "Select"},
]


@pytest.fixture
def ruleset(tmp_path):
    path = tmp_path / "nv.yaml"
    path.write_text(RULESET)
    return salesrules.load(str(path))


def test_placeholders_are_missing_and_unknown_enum_values_follow_their_policy(ruleset):
    frame = pl.DataFrame(RECORDS[:2], schema={k: pl.String for k in RECORDS[0]})
    scores = ruleset.evaluate(frame, as_of="2026-11-22")["score"].to_list()
    # a: city placeholder, visits 3, level low -> 0
    # b: city n/a, visits "?" (the field's own placeholder), source Fax -> other, level weird -> null
    assert scores == [0, 10 + 100 + 1000]
    c = {**RECORDS[2], "visits": "4"}  # "(None)" is no source at all, so not 'other'
    assert ruleset.evaluate([c], as_of="2026-11-22")["score"].to_list() == [1]


def test_a_field_s_own_null_values_replace_the_ruleset_s(ruleset):
    with pytest.raises(InputError, match=r"row 3, column 'visits': cannot read '-'"):
        ruleset.evaluate(pl.DataFrame(RECORDS[:3]), as_of="2026-11-22")
    results = ruleset.evaluate(pl.DataFrame(RECORDS), as_of="2026-11-22", on_error="skip")
    assert results["id"].to_list() == ["a", "b"]  # c ('-' visits) and d ('N/A' visits) are rejected


def test_the_one_record_path_reads_the_same(ruleset):
    one = ruleset.evaluate_one(RECORDS[1], as_of="2026-11-22")
    assert one["score"] == 1110
    assert ruleset.evaluate_one({"id": "e", "city": "SELECT", "level": "(none)"}, as_of="2026-11-22")["score"] == 10 + 1000


def test_a_strict_enum_still_refuses_unknown_values(ruleset):
    with pytest.raises(InputError, match=r"column 'strict': cannot read 'maybe' as one of: yes_, no_"):
        ruleset.evaluate([{"id": "a", "strict": "maybe"}], as_of="2026-11-22")
    assert ruleset.evaluate([{"id": "a", "strict": "select"}], as_of="2026-11-22")["score"].to_list() == [1010]


@pytest.mark.parametrize("field, message", [
    ("{type: string, unknown: other}", "field 'f': unknown applies to enum fields only"),
    ("{type: enum, values: [a, b], unknown: c}", "field 'f': unknown must be error, null or one of its values (a, b), not 'c'"),
])
def test_a_bad_unknown_policy_is_located(tmp_path, field, message):
    path = tmp_path / "bad.yaml"
    path.write_text(f"salesrules: 1\nname: bad\nfields:\n  f: {field}\n")
    with pytest.raises(RulesetError) as caught:
        salesrules.load(str(path))
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{path}:4:")
