"""The date readers every entry point shares: what they accept and how they refuse."""

import datetime as dt

import pytest

from salesrules.errors import InputError, Loc, RulesetError, UsageError
from salesrules.model.dates import as_of_date, parse_date, parse_date_at

DAY = dt.date(2026, 11, 22)


@pytest.mark.parametrize("value", [DAY, dt.datetime(2026, 11, 22, 23, 59), "2026-11-22"])
def test_parse_date_takes_dates_datetimes_and_iso_text(value):
    assert parse_date(value) == DAY


@pytest.mark.parametrize("value", ["2026-02-30", "22/11/2026", "", None])
def test_parse_date_says_what_is_not_a_date(value):
    with pytest.raises(ValueError, match=r"^.* is not a date \(YYYY-MM-DD\)$") as info:
        parse_date(value)
    assert str(info.value) == f"{value!r} is not a date (YYYY-MM-DD)"


def test_parse_date_at_raises_the_given_error_at_its_place():
    loc = Loc("r.yaml", 3, 9)
    assert parse_date_at("2026-11-22", loc) == DAY
    with pytest.raises(RulesetError) as info:
        parse_date_at("soon", loc)
    assert str(info.value) == "r.yaml:3:9: 'soon' is not a date (YYYY-MM-DD)"
    with pytest.raises(InputError) as info:
        parse_date_at("soon", loc, InputError, "as_of")
    assert str(info.value) == "r.yaml:3:9: as_of: 'soon' is not a date (YYYY-MM-DD)"


@pytest.mark.parametrize("value", [DAY, dt.datetime(2026, 11, 22, 8), "2026-11-22", " 2026-11-22\n"])
def test_as_of_date_takes_dates_and_trimmed_iso_text(value):
    assert as_of_date(value) == DAY


@pytest.mark.parametrize("value", ["2026-13-01", 20261122, None, 3.5])
def test_as_of_date_refuses_anything_else_as_a_usage_error(value):
    with pytest.raises(UsageError) as info:
        as_of_date(value)
    assert str(info.value) == f"as_of must be a date (YYYY-MM-DD), not {value!r}"


@pytest.mark.parametrize("default", ["2026-01-01", "'2026-01-01'"], ids=["date", "quoted"])
def test_a_date_default_written_as_text_fills_a_date_field(tmp_path, default):
    import polars as pl

    import salesrules

    path = tmp_path / "r.yaml"
    path.write_text(f"""salesrules: 1
name: d
version: "1"
fields:
  id: {{type: string, key: true}}
  seen: {{type: date, default: {default}}}
  kept: {{type: date, default: {default}}}
tiers:
  - {{name: old, when: "days_since(seen) > 30", points: 1}}
  - {{name: recent}}
""")
    ruleset = salesrules.load(path)
    # 'kept' has no column and no rule reads it: its default fills it all the same.
    out = ruleset.evaluate(pl.DataFrame({"id": ["a", "b"], "seen": [None, "2026-11-01"]}), as_of=DAY, with_input=False)
    assert out["tier"].to_list() == ["old", "recent"]
    assert ruleset.evaluate(pl.DataFrame({"id": [], "seen": []}, schema={"id": pl.String, "seen": pl.String})).height == 0
