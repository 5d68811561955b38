"""Exact-value tests of the format's capabilities beyond tiers, stages, factors and scores.

Grades (two bands combined), evidence levels, stage maximum days, recency decay, lookups
(typed left joins with other files), money in several currencies, and combining the
shipped packs with ``extends``. Each test writes a small ruleset to ``tmp_path`` and checks
results value by value.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import polars as pl
import pytest

import salesrules
from salesrules.errors import ErrorList, ExpressionError, InputError, RulesetError
from salesrules.loader.load import load as load_ruleset
from salesrules.runners.local import evaluate_full

AS_OF = dt.date(2026, 11, 22)


@pytest.fixture
def ruleset(tmp_path):
    """Load a ruleset from YAML text (the header ``salesrules``/``name``/``as_of`` is added)."""

    def load(body: str, *, name: str = "r.yaml", folder: Path | None = None):
        path = (folder or tmp_path) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("salesrules: 1\nname: test\nas_of: 2026-11-22\n" + textwrap.dedent(body), encoding="utf-8")
        return load_ruleset(path)

    return load


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def column(frame: pl.DataFrame, name: str) -> list:
    return frame[name].to_list()


def days_ago(n: int) -> str:
    return (AS_OF - dt.timedelta(days=n)).isoformat()


# ---------------------------------------------------------------- grades

GRADES = """
fields:
  id: {type: string, key: true}
  fit_points: {type: integer, default: 0}
  visits: {type: integer, default: 0}
factors:
  - {name: fit, when: "fit_points > 0", points: fit_points}
  - {name: engaged, when: "visits > 0", points: "visits * 10", score: engagement}
scores:
  fit:
    bands: [{name: A, min: 50}, {name: B, min: 20}, {name: C}]
  engagement:
    bands: [{name: "1", min: 30}, {name: "2", min: 10}, {name: "3"}]
grades:
  grade: {rows: fit, columns: engagement}
"""


def test_a_grade_is_the_row_band_followed_by_the_column_band(ruleset):
    rs = ruleset(GRADES)
    out = rs.evaluate([
        {"id": "a", "fit_points": 60, "visits": 3},
        {"id": "b", "fit_points": 60, "visits": 0},
        {"id": "c", "fit_points": 20, "visits": 1},
        {"id": "d", "fit_points": 0, "visits": 9},
        {"id": "e", "fit_points": 49, "visits": 2},
    ])
    assert column(out, "fit_band") == ["A", "A", "B", "C", "B"]
    assert column(out, "engagement_band") == ["1", "3", "2", "1", "2"]
    assert column(out, "grade") == ["A1", "A3", "B2", "C1", "B2"]


def test_grades_combine_bands_not_numbers(ruleset):
    rs = ruleset(GRADES)
    # The same total (60) gives different grades: the bands are combined, not the sums.
    out = rs.evaluate([{"id": "a", "fit_points": 50, "visits": 1}, {"id": "b", "fit_points": 30, "visits": 3}])
    assert [f + e for f, e in zip(column(out, "fit"), column(out, "engagement"))] == [60, 60]
    assert column(out, "grade") == ["A2", "B1"]


def test_grades_come_after_the_bands_in_the_results(ruleset):
    rs = ruleset(GRADES)
    out = rs.evaluate([{"id": "a"}])
    assert out.columns == [  # no stage columns: the ruleset has no stages
        "id", "tier", "tier_points",
        "score", "band", "fit", "fit_band", "engagement", "engagement_band", "grade",
        "rank", "reasons", "actions", "gaps",
    ]
    assert list(rs.evaluate_one({"id": "a"})) == out.columns


def test_a_grade_is_null_when_a_band_is(ruleset):
    rs = ruleset(GRADES.replace('{name: "3"}', '{name: "3", min: 0}').replace('when: "visits > 0"', 'when: "visits != 0"'))
    out = rs.evaluate([{"id": "a", "fit_points": 60, "visits": -1}])
    assert column(out, "engagement_band") == [None]
    assert column(out, "grade") == [None]


def test_several_grades_and_grades_in_actions(ruleset):
    rs = ruleset(GRADES + """
  reverse: {rows: engagement, columns: fit}
actions:
  - {name: call_now, when: "grade in ('A1', 'A2', 'B1')", text: "Call: grade {grade}, {reverse}"}
  - {name: nurture, when: "grade >= 'C1'", text: "Nurture"}
""")
    out = rs.evaluate([
        {"id": "a", "fit_points": 60, "visits": 3},
        {"id": "b", "fit_points": 0, "visits": 0},
        {"id": "c", "fit_points": 30, "visits": 2},
    ])
    assert column(out, "reverse") == ["1A", "3C", "2B"]
    assert [[a["text"] for a in acts] for acts in column(out, "actions")] == [["Call: grade A1, 1A"], ["Nurture"], []]


def test_a_grade_literal_that_cannot_occur_is_an_error(ruleset):
    with pytest.raises(ExpressionError, match="Z9"):
        ruleset(GRADES + "actions:\n  - {name: x, when: \"grade == 'Z9'\", text: x}\n")


@pytest.mark.parametrize("grades, message", [
    ("{rows: fit, columns: engagment}", "grade 'grade': unknown score 'engagment' (did you mean 'engagement'?)"),
    ("{rows: fit, columns: plain}", "grade 'grade': score 'plain' has no bands to combine"),
    ("{rows: fit}", "grade 'grade' needs columns"),
])
def test_grade_errors(ruleset, grades, message):
    body = GRADES.replace("grade: {rows: fit, columns: engagement}", f"grade: {grades}")
    body = body.replace("scores:\n", "scores:\n  plain: {}\n")
    with pytest.raises(RulesetError) as info:
        ruleset(body)
    assert message in str(info.value)


def test_a_grade_named_like_a_score_is_an_error(ruleset):
    with pytest.raises(RulesetError, match="grade 'fit' has the name of another result"):
        ruleset(GRADES.replace("grade: {rows", "fit: {rows"))


def test_a_child_changes_one_axis_of_an_inherited_grade(ruleset, tmp_path):
    write(tmp_path / "parent.yaml", "salesrules: 1\nname: parent\n" + textwrap.dedent(GRADES) + "  other: {rows: fit, columns: fit}\n")
    rs = ruleset("extends: [parent.yaml]\ngrades:\n  grade: {columns: fit}\n  other: {remove: true}\n")
    assert [(g.name, g.rows, g.columns) for g in rs.grades] == [("grade", "fit", "fit")]
    assert rs.evaluate_one({"id": "a", "fit_points": 30})["grade"] == "BB"


# ---------------------------------------------------------------- evidence levels


def test_evidence_levels_are_integers_counted_with_count_true(ruleset):
    rs = ruleset("""
fields:
  metrics: {type: integer, default: 0}
  champion: {type: integer, default: 0}
  economic_buyer: {type: integer, default: 0}
factors:
  - name: evidence
    points: "metrics + champion + economic_buyer"
  - name: confirmed
    when: "count_true(metrics == 2, champion == 2, economic_buyer == 2) >= 2"
    points: 5
stages:
  - {name: discovery, entry: {pain: "count_true(metrics >= 1, champion >= 1) >= 1"}}
  - {name: negotiation, entry: {champion: "champion >= 2", economic_buyer: "economic_buyer >= 1"}}
""")
    out = rs.evaluate([
        {"metrics": 2, "champion": 2, "economic_buyer": 1},
        {"metrics": 1},
        {"stage": "negotiation", "champion": 1},
        {"metrics": None, "champion": 2, "economic_buyer": 2},
    ])
    assert column(out, "score") == [5 + 5, 1, 1 + 5 * 0, 4 + 5]
    assert column(out, "stage") == ["negotiation", "discovery", "negotiation", "negotiation"]
    assert column(out, "gaps") == [[], [], ["champion", "economic_buyer"], []]


# ---------------------------------------------------------------- stage maximum days

TIMED = """
fields:
  id: {type: string, key: true}
  entered: date
  demo: {type: boolean, default: false}
stage_entered: entered
stages:
  - {name: lead, max_days: 10}
  - {name: demo, max_days: 30, entry: {demo: demo}}
  - {name: won, closed: won}
factors:
  - {name: stalled, when: stage_overdue, points: "-1 * (days_in_stage - 30)"}
actions:
  - {name: unstick, when: stage_overdue, text: "{days_in_stage} days in {stage}"}
"""


def test_a_deal_over_its_stage_max_days_gets_a_gap_and_stage_overdue(ruleset):
    rs = ruleset(TIMED)
    out = evaluate_full(rs, [
        {"id": "1", "stage": "demo", "demo": True, "entered": days_ago(30)},
        {"id": "2", "stage": "demo", "demo": True, "entered": days_ago(31)},
        {"id": "3", "stage": "demo", "demo": False, "entered": days_ago(40)},
        {"id": "4", "stage": "lead", "entered": days_ago(11)},
        {"id": "5", "demo": True, "entered": days_ago(35)},
        {"id": "6", "stage": "demo", "demo": True},
        {"id": "7", "stage": "won", "entered": days_ago(400)},
        {"id": "8", "stage": "lead", "entered": days_ago(-5)},
    ], internal=True).results
    assert column(out, "days_in_stage") == [30, 31, 40, 11, 35, None, 400, -5]
    assert column(out, "stage_overdue") == [False, True, True, True, True, False, False, False]
    assert column(out, "gaps") == [
        [],
        ["demo: over 30 days in stage"],
        ["demo", "demo: over 30 days in stage"],
        ["lead: over 10 days in stage"],
        ["demo: over 30 days in stage"],  # the inferred stage has a maximum too
        [],
        [],
        [],
    ]
    # stage_conflict stays about entry evidence: only the deal without a demo conflicts.
    assert column(out, "stage_conflict") == [False, False, True, False, False, False, False, False]
    assert column(out, "score") == [0, -1, -10, 19, -5, 0, 0, 0]
    assert [[a["text"] for a in acts] for acts in column(out, "actions")] == [
        [], ["31 days in demo"], ["40 days in demo"], ["11 days in lead"], ["35 days in demo"], [], [], [],
    ]


def test_the_field_named_stage_entered_is_the_default(ruleset):
    rs = ruleset("""
fields:
  stage_entered: {type: date, aliases: ["Stage Entry Date"]}
stages:
  - {name: lead, max_days: 5}
""")
    out = rs.evaluate([{"stage": "lead", "Stage Entry Date": days_ago(6)}])
    assert column(out, "gaps") == [["lead: over 5 days in stage"]]


def test_days_in_stage_without_max_days(ruleset):
    rs = ruleset("""
fields:
  stage_entered: date
stages:
  - {name: lead}
factors:
  - {name: old, when: "days_in_stage > 3 or days_in_stage is None", points: 1}
""")
    out = rs.evaluate([{"stage": "lead", "stage_entered": days_ago(4)}, {"stage": "lead"}, {"stage_entered": days_ago(1)}])
    assert column(out, "score") == [1, 1, 0]
    assert column(out, "gaps") == [[], [], []]


def test_a_field_called_stage_entered_that_is_not_a_date_is_just_a_field(ruleset):
    rs = ruleset("fields:\n  stage_entered: string\nstages:\n  - {name: lead}\n")
    assert rs.evaluate_one({"stage": "lead", "stage_entered": "last week"})["gaps"] == []


@pytest.mark.parametrize("body, message", [
    ("fields:\n  x: date\nstages:\n  - {name: lead, max_days: 5}\n",
     "stage 'lead' has max_days, but no field records when a deal entered its stage"),
    ("fields:\n  x: string\nstage_entered: x\nstages:\n  - {name: lead, max_days: 5}\n",
     "stage_entered: field 'x' must be a date, not string"),
    ("fields:\n  entered: date\nstage_entered: enterd\nstages:\n  - {name: lead, max_days: 5}\n",
     "stage_entered: 'enterd' is not a field (did you mean 'entered'?)"),
    ("fields:\n  stage_entered: date\nstages:\n  - {name: won, closed: won, max_days: 5}\n",
     "stage 'won' is closed; max_days applies to open stages only"),
    ("fields:\n  x: date\nstages:\n  - {name: lead}\nfactors:\n  - {name: f, when: 'days_in_stage > 3'}\n",
     "needs a date field recording when a deal entered its stage"),
    ("fields:\n  stage_overdue: boolean\nstages:\n  - {name: lead}\n",
     "field 'stage_overdue' has the name of a result"),
    ("stages:\n  - {name: lead, max_days: -1}\n", "-1 is less than the minimum of 0"),
])
def test_stage_timing_errors(ruleset, body, message):
    with pytest.raises((RulesetError, ErrorList)) as info:
        ruleset(body)
    assert message in str(info.value)


def test_a_child_sets_max_days_on_an_inherited_stage(ruleset, tmp_path):
    write(tmp_path / "parent.yaml", "salesrules: 1\nname: p\n" + textwrap.dedent(TIMED))
    rs = ruleset("extends: [parent.yaml]\nstages:\n  - {name: demo, max_days: 60}\n")
    assert [(s.name, s.max_days) for s in rs.stages] == [("lead", 10), ("demo", 60), ("won", None)]
    assert rs.evaluate_one({"stage": "demo", "demo": True, "entered": days_ago(45)})["gaps"] == []


# ---------------------------------------------------------------- recency decay

DECAY = """
fields:
  id: {type: string, key: true}
  visits: {type: integer, default: 0}
  last_visit: date
  opened: date
factors:
  - name: visited
    when: "visits > 0"
    points: 10
    decay: {since: last_visit, half_life: 30}
  - name: opened_email
    when: "opened is not None"
    points: 20
    decay:
      since: opened
      steps: [{after: 30, points: -10}, {after: 60, points: -20}]
"""


def test_half_life_decay_keeps_the_points_and_adds_the_decay_as_its_own_part(ruleset):
    rs = ruleset(DECAY)
    out = evaluate_full(rs, [
        {"id": "a", "visits": 1, "last_visit": days_ago(0)},
        {"id": "b", "visits": 1, "last_visit": days_ago(30)},
        {"id": "c", "visits": 1, "last_visit": days_ago(60)},
        {"id": "d", "visits": 1, "last_visit": days_ago(-10)},  # a date after as-of has not decayed
        {"id": "e", "visits": 1},  # an unknown date leaves the points as they are
        {"id": "f", "visits": 0, "last_visit": days_ago(30)},  # the factor does not hold: nothing
    ], internal=True).results
    assert column(out, "__points:visited") == [10, 10, 10, 10, 10, 0]
    assert column(out, "__decay:visited") == [0.0, -5.0, -7.5, 0.0, 0.0, 0.0]
    assert column(out, "score") == [10.0, 5.0, 2.5, 10.0, 10.0, 0.0]
    parts = out.select(pl.sum_horizontal(pl.col("__points:visited"), pl.col("__decay:visited"), pl.col("__points:opened_email"), pl.col("__decay:opened_email"), pl.col("tier_points")))
    assert parts.to_series().to_list() == column(out, "score")


def test_step_decay_adds_the_points_of_the_last_step_passed(ruleset):
    rs = ruleset(DECAY)
    out = evaluate_full(rs, [
        {"id": str(n), "opened": days_ago(n)} for n in (0, 30, 31, 60, 61, 365)
    ], internal=True).results
    assert column(out, "__points:opened_email") == [20] * 6
    assert column(out, "__decay:opened_email") == [0, 0, -10, -10, -20, -20]
    assert column(out, "score") == [20, 20, 10, 10, 0, 0]
    # Whole-number steps on whole-number points keep the score whole.
    assert out.schema["__decay:opened_email"] == pl.Int64


def test_decay_since_is_a_date_expression(ruleset):
    rs = ruleset(DECAY.replace("since: last_visit", "since: 'coalesce(last_visit, opened)'"))
    out = evaluate_full(rs, [{"id": "a", "visits": 2, "opened": days_ago(30)}], internal=True).results
    assert column(out, "__decay:visited") == [-5.0]


@pytest.mark.parametrize("decay, message", [
    ("{since: visits, half_life: 30}", "date"),
    ("{since: last_visit, half_life: 0}", "0 is less than or equal to the minimum of 0"),
    ("{since: last_visit, half_life: 30, steps: [{after: 1, points: -1}]}", "decay needs either half_life or steps, not both"),
    ("{since: last_visit}", "decay needs either half_life or steps, not both"),
    ("{since: last_visit, steps: [{after: 1}]}", "'points' is required"),
    ("{since: last_visit, steps: [{after: 60, points: -1}, {after: 30, points: -2}]}",
     "decay steps must be ordered by 'after'"),
])
def test_decay_errors(ruleset, decay, message):
    body = f"fields:\n  visits: integer\n  last_visit: date\nfactors:\n  - {{name: v, points: 5, decay: {decay}}}\n"
    with pytest.raises((RulesetError, ErrorList)) as info:
        ruleset(body)
    assert message in str(info.value)


# ---------------------------------------------------------------- lookups

ACCOUNTS = """
account,sector,employees,founded
Acme, software ,2822,1996-03-01
Betatech,medical,,1986-01-01
 Cancity ,retail,495,
"""

LOOKUPS = """
fields:
  id: {type: string, key: true}
  company: {type: string, aliases: ["Account Name"]}
  product: string
  deal_value: money
lookups:
  accounts:
    file: data/accounts.csv
    key: account
    on: company
    fields:
      account_sector: {aliases: [sector]}
      account_employees: {type: integer, aliases: [Employees]}
      account_founded: {type: date, aliases: [founded]}
  products:
    file: data/products.csv
    key: product
    on: product
    values: {"GTX Pro": [GTXPro, "GTX-Pro"]}
    fields:
      deal_value: {aliases: [sales_price]}
tiers:
  - {name: big, when: "account_employees >= 1000", points: 10}
  - {name: small, when: "account_employees < 1000", points: 1}
factors:
  - {name: software, when: "account_sector == 'software'", points: 5}
  - {name: value, when: "deal_value > 1000", points: 3}
actions:
  - {name: note, text: "{account_sector} since {account_founded}"}
"""


@pytest.fixture
def lookup_files(tmp_path):
    write(tmp_path / "data" / "accounts.csv", ACCOUNTS)
    write(tmp_path / "data" / "products.csv", "product,sales_price\nGTX Pro,4821\nMG Special,55\n")
    return tmp_path


def test_lookups_join_typed_fields_by_trimmed_key(ruleset, lookup_files):
    rs = ruleset(LOOKUPS)
    out = evaluate_full(rs, [
        {"id": "1", "Account Name": "Acme", "product": "GTXPro", "deal_value": None},
        {"id": "2", "Account Name": "  Cancity", "product": "MG Special", "deal_value": 900},
        {"id": "3", "Account Name": "acme", "product": "GTX Pro"},  # keys match exactly: case counts
        {"id": "4", "Account Name": "Betatech", "product": " GTX-Pro "},
        {"id": "5", "Account Name": None, "product": "Nothing"},
    ], internal=True).results
    assert column(out, "account_sector") == ["software", "retail", None, "medical", None]
    assert column(out, "account_employees") == [2822, 495, None, None, None]
    assert column(out, "account_founded") == [dt.date(1996, 3, 1), None, None, dt.date(1986, 1, 1), None]
    # The looked-up price fills the deal value where the record has none of its own.
    assert column(out, "deal_value") == [4821.0, 900.0, 4821.0, 4821.0, None]
    assert column(out, "tier") == ["big", "small", None, None, None]
    assert column(out, "score") == [10 + 5 + 3, 1, 3, 3, 0]
    assert [a[0]["text"] for a in column(out, "actions")] == [
        "software since 1996-03-01", "retail since unknown", "unknown since unknown",
        "medical since 1986-01-01", "unknown since unknown",
    ]


def test_lookups_keep_the_rows_in_order_and_leave_the_input_columns_alone(ruleset, lookup_files):
    rs = ruleset(LOOKUPS)
    records = [{"id": str(i), "Account Name": name, "product": "MG Special"} for i, name in enumerate(["Cancity", "Acme", "x", "Acme"] * 50)]
    out = rs.evaluate(records, with_input=True)
    assert column(out, "id") == [str(i) for i in range(200)]
    assert column(out, "tier")[:4] == ["small", "big", "unknown", "big"]
    # Only the input's own columns are carried through, not the looked-up ones.
    assert out.columns[-3:] == ["input.id", "Account Name", "product"]
    assert not [c for c in out.columns if "lookup" in c or c in ("sector", "sales_price", "account_sector")]


def test_lookup_files_are_relative_to_the_ruleset_that_names_them(tmp_path, monkeypatch):
    write(tmp_path / "rules" / "base" / "data" / "accounts.csv", ACCOUNTS)
    write(tmp_path / "rules" / "base" / "data" / "products.csv", "product,sales_price\n")
    write(tmp_path / "rules" / "base" / "base.yaml", "salesrules: 1\nname: base\n" + textwrap.dedent(LOOKUPS))
    child = write(tmp_path / "rules" / "child.yaml", "salesrules: 1\nname: child\nextends: [base/base.yaml]\n")
    monkeypatch.chdir(tmp_path)
    rs = load_ruleset(child)
    assert rs.evaluate_one({"company": "Acme", "product": "x"}, as_of=AS_OF)["tier"] == "big"


def test_a_child_replaces_the_file_of_an_inherited_lookup(tmp_path, lookup_files):
    write(tmp_path / "base.yaml", "salesrules: 1\nname: base\n" + textwrap.dedent(LOOKUPS))
    write(tmp_path / "other" / "accounts.csv", "account,sector,employees,founded\nAcme,hardware,5,\n")
    child = write(tmp_path / "other" / "child.yaml", """
        salesrules: 1
        name: child
        extends: [../base.yaml]
        lookups:
          accounts:
            file: accounts.csv
            fields:
              account_revenue: {type: money, aliases: [revenue]}
    """)
    rs = load_ruleset(child)
    assert list(rs.lookups[0].fields) == ["account_sector", "account_employees", "account_founded", "account_revenue"]
    with pytest.raises(InputError, match="lookup 'accounts': no column for field 'account_revenue'"):
        rs.evaluate([{"company": "Acme"}])


def test_a_bad_value_in_a_lookup_file_names_the_file_row_column_and_value(ruleset, lookup_files):
    write(lookup_files / "data" / "accounts.csv", "account,sector,employees,founded\nAcme,x,12,\nBeta,y,many,\n")
    rs = ruleset(LOOKUPS)
    with pytest.raises(InputError) as info:
        rs.evaluate([{"company": "Acme"}])
    assert str(info.value) == f"{lookup_files / 'data' / 'accounts.csv'}: row 2, column 'employees': cannot read 'many' as integer"


def test_duplicate_keys_in_a_lookup_file_are_an_error_naming_the_rows(ruleset, lookup_files):
    write(lookup_files / "data" / "accounts.csv", "account,sector,employees,founded\nAcme,x,1,\nBeta,y,2,\n Acme ,z,3,\n")
    rs = ruleset(LOOKUPS)
    with pytest.raises(InputError) as info:
        rs.evaluate([{"company": "Beta"}])
    assert str(info.value) == f"{lookup_files / 'data' / 'accounts.csv'}: lookup 'accounts': duplicate key 'Acme' in rows 1, 3"


@pytest.mark.parametrize("files, message", [
    ({"accounts.csv": None}, "lookup 'accounts': file not found"),
    ({"accounts.csv": "name,sector,employees,founded\nAcme,x,1,\n"}, "lookup 'accounts': no key column 'account'"),
    ({"accounts.csv": "account,employees,founded\nAcme,1,\n"},
     "lookup 'accounts': no column for field 'account_sector' (looked for 'account_sector', 'sector')"),
])
def test_lookup_file_errors(ruleset, lookup_files, files, message):
    for name, text in files.items():
        target = lookup_files / "data" / name
        if text is None:
            target.unlink()
        else:
            write(target, text)
    rs = ruleset(LOOKUPS)
    with pytest.raises(InputError) as info:
        rs.evaluate([{"company": "Acme"}])
    assert message in str(info.value)


def test_one_record_reads_a_lookup_only_with_a_value_to_join_on(ruleset, tmp_path):
    # No lookup files exist: a record without a join value (a ruleset test) gives the
    # looked-up fields itself; one with a join value needs the file.
    rs = ruleset(LOOKUPS)
    result = rs.evaluate_one({"account_sector": "software", "account_employees": 5000, "deal_value": 10})
    assert (result["tier"], result["score"]) == ("big", 15)
    with pytest.raises(InputError, match="lookup 'accounts': file not found"):
        rs.evaluate_one({"company": "Acme"})


def test_a_looked_up_value_fills_only_where_the_input_has_none(ruleset, lookup_files):
    rs = ruleset(LOOKUPS)
    out = evaluate_full(rs, [
        {"company": "Acme", "account_sector": "hardware"},
        {"company": "Acme", "account_sector": ""},
    ], internal=True).results
    assert column(out, "account_sector") == ["hardware", "software"]


@pytest.mark.parametrize("change, message", [
    (("on: company", "on: compny"), "lookup 'accounts': on 'compny' is not a field (did you mean 'company'?)"),
    (("deal_value: {aliases: [sales_price]}", "deal_value: {type: integer, aliases: [sales_price]}"),
     "lookup 'products': field 'deal_value' is integer here but money in fields"),
    (("deal_value: {aliases: [sales_price]}", "account_sector: {aliases: [sales_price]}"),
     "field 'account_sector' is looked up by both 'accounts' and 'products'"),
    (("account_sector: {aliases: [sector]}", "tier: {aliases: [sector]}"), "field 'tier' has the name of a result"),
    (("    key: product\n", ""), "lookup 'products' needs 'key'"),
])
def test_lookup_definition_errors(ruleset, change, message):
    with pytest.raises(RulesetError) as info:
        ruleset(LOOKUPS.replace(*change))
    assert message in str(info.value)


# ---------------------------------------------------------------- currencies

CURRENCIES = """
fields:
  id: {type: string, key: true}
  amount: {type: money, currency_field: currency}
  currency: {type: string, aliases: [Currency]}
  fee: {type: money, currency: EUR}
  list_price: {type: money, currency: GBP, currency_field: currency}
currencies:
  base: USD
  rates: {EUR: 1.08, GBP: 1.27}
tiers:
  - {name: high, when: "amount >= 1_000", points: 10}
  - {name: low}
"""


def test_money_is_converted_to_the_base_currency_before_the_rules(ruleset):
    rs = ruleset(CURRENCIES)
    out = evaluate_full(rs, [
        {"id": "1", "amount": "1,000", "Currency": "USD", "fee": 100, "list_price": 10},
        {"id": "2", "amount": "€950.00", "Currency": " eur ", "fee": None, "list_price": 10},
        {"id": "3", "amount": 900, "Currency": "GBP", "fee": 0.01, "list_price": 10},
        {"id": "4", "amount": 999.5, "Currency": None, "fee": 1, "list_price": 10},
    ], internal=True).results
    assert column(out, "amount") == [1000.0, 1026.0, 1143.0, 999.5]
    assert column(out, "fee") == [108.0, None, 0.01, 1.08]
    # Without a code of its own a record's value is in the field's fixed currency, else the base.
    assert column(out, "list_price") == [10.0, 10.8, 12.7, 12.7]
    assert column(out, "tier") == ["high", "high", "high", "low"]


def test_an_unknown_currency_code_is_an_error_naming_row_and_value(ruleset):
    rs = ruleset(CURRENCIES)
    records = [{"id": "1", "amount": 5, "Currency": "USD"}, {"id": "2", "amount": 5, "Currency": "JPY"}]
    with pytest.raises(InputError) as info:
        rs.evaluate(records)
    assert str(info.value) == "<records>: row 2, column 'Currency': unknown currency 'JPY' (known: USD, EUR, GBP)"
    skipped = evaluate_full(rs, records, on_error="skip")
    assert column(skipped.results, "id") == ["1"]
    assert column(skipped.rejects, "reason") == ["row 2, column 'Currency': unknown currency 'JPY' (known: USD, EUR, GBP)"]


def test_a_child_adds_a_rate_and_keeps_the_inherited_ones(ruleset, tmp_path):
    write(tmp_path / "parent.yaml", "salesrules: 1\nname: p\n" + textwrap.dedent(CURRENCIES))
    rs = ruleset("extends: [parent.yaml]\ncurrencies:\n  rates: {CHF: 1.1}\n")
    assert (rs.currencies.base, rs.currencies.rates) == ("USD", {"EUR": 1.08, "GBP": 1.27, "CHF": 1.1})
    assert rs.evaluate_one({"amount": 1000, "currency": "CHF"})["tier"] == "high"


@pytest.mark.parametrize("body, message", [
    ("fields:\n  a: {type: money, currency_field: c}\n  c: string\n",
     "field 'a': currency_field needs a currencies section"),
    ("fields:\n  a: {type: money, currency: JPY}\ncurrencies: {base: USD, rates: {EUR: 1.1}}\n",
     "field 'a': currency 'JPY' has no rate in currencies (known: USD, EUR)"),
    ("fields:\n  a: {type: money, currency_field: cur}\n  c: string\ncurrencies: {base: USD}\n",
     "field 'a': currency_field 'cur' is not a field"),
    ("fields:\n  a: {type: money, currency_field: c}\n  c: integer\ncurrencies: {base: USD}\n",
     "field 'a': currency_field 'c' must be a string field, not integer"),
    ("fields:\n  a: {type: number, currency_field: c}\n  c: string\ncurrencies: {base: USD}\n",
     "field 'a': only a money field has a currency"),
    ("currencies: {base: USD, rates: {EUR: 0}}\n", "0 is less than or equal to the minimum of 0"),
    ("currencies: {base: usd}\n", "'usd' does not match"),
])
def test_currency_errors(ruleset, body, message):
    with pytest.raises((RulesetError, ErrorList)) as info:
        ruleset(body)
    assert message in str(info.value)


def test_without_currencies_a_fixed_currency_is_documentation(ruleset):
    rs = ruleset("fields:\n  a: {type: money, currency: EUR}\n")
    assert evaluate_full(rs, [{"a": 100}], internal=True).results["a"].to_list() == [100.0]


# ---------------------------------------------------------------- combining packs


def test_standard_and_meddpicc_combine(ruleset):
    rs = ruleset("extends: [builtin:standard, builtin:meddpicc]\n")
    assert list(rs.scores) == ["priority", "meddpicc"] and rs.ranking_score == "priority"
    assert [s.name for s in rs.stages] == [
        "suspect", "lead", "prospect", "discovery", "presentation", "evaluation", "negotiation", "won", "lost",
    ]
    negotiation = next(s for s in rs.stages if s.name == "negotiation")
    assert list(negotiation.entry)[:3] == ["budget_confirmed", "decision_maker_confirmed", "pain_confirmed"]
    result = rs.evaluate_one({
        "Amount": "$600,000", "Stage": "Negotiation/Review", "Budget Confirmed": "yes", "Decision Maker Confirmed": "yes",
        "Metrics": 2, "Economic Buyer": 2, "Decision Criteria": 2, "Decision Process": 2, "Paper Process": 1,
        "Identify Pain": 2, "Champion": 2, "Competition": 1, "Next Step Date": "2026-11-30",
    })
    assert (result["tier"], result["stage"], result["stage_conflict"], result["gaps"]) == ("medium", "negotiation", False, [])
    assert (result["score"], result["band"]) == (30 + 30 + 10 + 10, "A")
    assert (result["meddpicc"], result["meddpicc_band"]) == (14, "commit_ready")


def test_every_shipped_pack_combines(ruleset):
    rs = ruleset("extends: [builtin:standard, builtin:meddpicc, builtin:followup]\n")
    assert {"contact_by_cadence", "find_economic_buyer", "set_next_step"} <= {a.name for a in rs.actions}
    result = rs.evaluate_one({"deal_value": 10, "stage": "evaluation", "stage_entered": days_ago(46), "next_step_date": days_ago(-3)})
    assert [a["name"] for a in result["actions"]] == [
        "confirm_decision_maker", "find_economic_buyer", "test_champion", "qualify_out", "move_stalled_deal",
    ]
    assert result["gaps"][-1] == "evaluation: over 45 days in stage"


def test_the_shipped_packs_have_tests_for_every_rule():
    for name in ("meddpicc", "followup"):
        rs = salesrules.load(f"builtin:{name}")
        assert len(rs.tests) >= 5
    meddpicc = salesrules.load("builtin:meddpicc")
    assert len(meddpicc.fields) == 8 and all(f.type == "integer" and f.default == 0 for f in meddpicc.fields.values())
    assert [(b.name, b.min) for b in meddpicc.scores["meddpicc"].bands] == [
        ("commit_ready", 14), ("strong", 12), ("needs_work", 8), ("weak", 4), ("deprioritise", None),
    ]
