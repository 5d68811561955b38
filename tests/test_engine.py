"""Exact-value tests of the evaluation semantics, each with a small inline ruleset.

Every test writes its ruleset to ``tmp_path``, evaluates a handful of records and checks
the results value by value: scores are sums, clamps and bands, first-match tiers, stages
(recorded, inferred, gaps), closed deals, nulls, action texts and due dates, ranking,
duplicates, bad values, column matching, the accepted kinds of input and the as-of date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import textwrap

import pandas as pd
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from salesrules.errors import InputError, RulesetError, UsageError
from salesrules.loader.load import load as load_ruleset
from salesrules.runners.local import evaluate_full

AS_OF = dt.date(2026, 11, 22)


@pytest.fixture
def ruleset(tmp_path):
    """Load a ruleset from YAML text (the header ``salesrules``/``name``/``as_of`` is added)."""

    def load(body: str, *, as_of: str | None = "2026-11-22", name: str = "r.yaml"):
        header = "salesrules: 1\nname: test\n" + (f"as_of: {as_of}\n" if as_of else "")
        path = tmp_path / name
        path.write_text(header + textwrap.dedent(body), encoding="utf-8")
        return load_ruleset(path)

    return load


def column(frame: pl.DataFrame, name: str) -> list:
    return frame[name].to_list()


# ---------------------------------------------------------------- scores are sums

SUMS = """
fields:
  id: {type: string, key: true}
  value: {type: money}
  a: {type: boolean, default: false}
  b: {type: boolean, default: false}
  n: {type: integer, default: 0}
tiers:
  - {name: high, when: "value >= 1000", points: 50}
  - {name: low, points: 10}
stages:
  - {name: lead, points: 5}
  - {name: demo, points: 20}
factors:
  - {name: fa, when: a, points: 7, reason: "A holds"}
  - {name: fb, when: b, points: -3}
  - {name: per_n, when: "n > 0", points: "2 * n", reason: "{n} of them"}
"""


def test_score_is_tier_plus_stage_plus_each_fired_factor(ruleset):
    rs = ruleset(SUMS)
    out = rs.evaluate([
        {"id": "1", "value": 2000, "stage": "demo", "a": True, "b": True, "n": 4},
        {"id": "2", "value": 10, "stage": "lead"},
        {"id": "3", "value": 10, "b": True},
    ])
    assert column(out, "tier") == ["high", "low", "low"]
    assert column(out, "tier_points") == [50, 10, 10]
    assert column(out, "score") == [50 + 20 + 7 - 3 + 8, 10 + 5, 10 - 3]
    assert column(out, "reasons") == [["A holds", "fb", "4 of them"], [], ["fb"]]
    assert out.schema["score"] == pl.Int64
    # Without a ``scores`` section there is one score, ``priority``, without bands.
    assert column(out, "band") == [None, None, None]


def test_output_columns_and_their_order(ruleset):
    rs = ruleset(SUMS + """
classifications:
  size:
    - {name: big, when: "value >= 100"}
    - {name: small, when: "value < 100"}
""")
    out = rs.evaluate([{"id": "1", "value": 5}])
    assert out.columns == [
        "id", "tier", "tier_points", "size", "stage", "stage_source", "stage_conflict",
        "stage_probability", "score", "band", "rank", "reasons", "actions", "gaps",
    ]
    one = rs.evaluate_one({"id": "1", "value": 5})
    assert list(one) == out.columns


def test_points_routed_to_other_scores_and_ranking_by_a_named_score(ruleset):
    rs = ruleset("""
fields:
  id: {type: string, key: true}
  value: {type: money}
  visits: {type: integer, default: 0}
tiers:
  - {name: high, when: "value >= 1000", points: 40}
  - {name: low, points: 10}
stages:
  - {name: lead, points: 5, score: engagement}
  - {name: demo, points: 15}
factors:
  - {name: visited, when: "visits > 0", points: "visits * 10", score: engagement}
  - {name: big, when: "value > 5000", points: 20}
scores:
  fit:
    bands: [{name: A, min: 50}, {name: B, min: 20}, {name: C}]
  engagement:
    bands: [{name: hot, min: 30}, {name: cold}]
  priority: {by: engagement}
""")
    out = rs.evaluate([
        {"id": "x", "value": 9000, "stage": "lead", "visits": 1},
        {"id": "y", "value": 100, "stage": "demo", "visits": 3},
        {"id": "z", "value": 2000, "stage": "demo"},
    ])
    assert column(out, "fit") == [40 + 20, 10 + 15, 40 + 15]
    assert column(out, "fit_band") == ["A", "B", "A"]
    assert column(out, "engagement") == [5 + 10, 30, 0]
    assert column(out, "engagement_band") == ["cold", "hot", "cold"]
    # score and band are the ranking score's
    assert column(out, "score") == column(out, "engagement")
    assert column(out, "band") == column(out, "engagement_band")
    assert column(out, "rank") == [2, 1, 3]
    assert out.columns[out.columns.index("band") + 1:out.columns.index("rank")] == [
        "fit", "fit_band", "engagement", "engagement_band",
    ]


def test_without_by_the_first_score_ranks_and_takes_unrouted_points(ruleset):
    rs = ruleset("""
fields:
  id: {type: string, key: true}
  v: {type: integer, default: 0}
factors:
  - {name: plain, when: "v > 0", points: v}
  - {name: other, when: "v > 0", points: 1, score: second}
scores:
  first: {}
  second: {}
""")
    out = rs.evaluate([{"id": "a", "v": 3}, {"id": "b", "v": 5}])
    assert column(out, "first") == [3, 5]
    assert column(out, "second") == [1, 1]
    assert column(out, "score") == [3, 5]
    assert column(out, "rank") == [2, 1]


def test_clamps_min_and_max(ruleset):
    rs = ruleset("""
fields:
  id: {type: string, key: true}
  p: {type: integer}
factors:
  - {name: p, points: p}
scores:
  priority:
    min: 0
    max: 100
    bands: [{name: top, min: 100}, {name: mid, min: 1}, {name: zero}]
""")
    out = rs.evaluate([{"id": str(i), "p": p} for i, p in enumerate([-50, 0, 1, 99, 100, 250])])
    assert column(out, "score") == [0, 0, 1, 99, 100, 100]
    assert column(out, "band") == ["zero", "zero", "mid", "mid", "top", "top"]


def test_bands_at_exact_boundaries(ruleset):
    rs = ruleset("""
fields:
  id: {type: string, key: true}
  p: {type: number}
factors:
  - {name: p, points: p}
scores:
  priority:
    bands: [{name: A, min: 70}, {name: B, min: 40}, {name: C}]
""")
    values = [70, 69.99, 69, 40, 39.999, -5, 1e6]
    out = rs.evaluate([{"id": f"{i:02}", "p": p} for i, p in enumerate(values)])
    assert column(out, "score") == values
    assert column(out, "band") == ["A", "B", "B", "B", "C", "C", "A"]


def test_first_band_whose_min_is_reached_wins_and_no_catch_all_means_null(ruleset):
    rs = ruleset("""
fields:
  p: {type: integer}
factors:
  - {name: p, points: p}
scores:
  priority:
    bands: [{name: A, min: 70}, {name: B, min: 40}]
""")
    assert column(rs.evaluate([{"p": 80}, {"p": 45}, {"p": 10}]), "band") == ["A", "B", None]


# ---------------------------------------------------------------- tiers and classifications


def test_tiers_are_first_match_with_a_catch_all_last(ruleset):
    rs = ruleset("""
fields:
  deal_value: {type: money}
tiers:
  - {name: high,   when: "deal_value > 1_000_000", points: 50}
  - {name: medium, when: "deal_value >= 500_000",  points: 30}
  - {name: low, points: 10}
""")
    values = [1_000_000.01, 1_000_000, 500_000, 499_999.99, 0, None, 5e9]
    out = rs.evaluate([{"deal_value": v} for v in values])
    assert column(out, "tier") == ["high", "medium", "medium", "low", "low", "low", "high"]
    assert column(out, "tier_points") == [50, 30, 30, 10, 10, 10, 50]
    assert column(out, "score") == [50, 30, 30, 10, 10, 10, 50]


def test_a_tier_with_no_match_is_unknown_and_worth_nothing(ruleset):
    rs = ruleset("""
fields:
  deal_value: {type: money}
tiers:
  - {name: high, when: "deal_value > 1_000_000", points: 50}
  - {name: low,  when: "deal_value <= 1_000_000", points: 10}
factors:
  - {name: always, points: 1}
""")
    out = rs.evaluate([{"deal_value": None}, {"deal_value": 5}])
    assert column(out, "tier") == ["unknown", "low"]
    assert column(out, "tier_points") == [0, 10]
    assert column(out, "score") == [1, 11]
    assert rs.evaluate_one({})["tier"] == "unknown"
    assert rs.evaluate_one({})["tier_points"] == 0


def test_a_catch_all_before_the_last_tier_is_a_ruleset_error(ruleset):
    rs = ruleset("""
fields:
  v: {type: money}
tiers:
  - {name: high, when: "v > 5", points: 50}
  - {name: low, points: 10}
""")
    # Built directly: the compiler must refuse levels after a catch-all, whatever the loader does.
    tiers = rs.tiers
    swapped = dataclasses.replace(tiers, levels=tiers.levels[::-1])
    broken = dataclasses.replace(rs, classifications=[swapped])
    with pytest.raises(RulesetError, match="only the last level may be a catch-all"):
        broken.compile()


def test_other_classifications_are_first_match_and_can_be_used_by_later_rules(ruleset):
    rs = ruleset("""
fields:
  source: {type: string}
  value: {type: money}
classifications:
  channel:
    - {name: field, when: "value >= 100_000", points: 3}
    - {name: phone, when: "value >= 1_000"}
    - {name: email}
factors:
  - {name: referral, when: "source == 'Referral' and channel != 'email'", points: 5}
""")
    out = rs.evaluate([
        {"source": "Referral", "value": 200_000},
        {"source": "Referral", "value": 5_000},
        {"source": "Referral", "value": 5},
        {"source": None, "value": None},
    ])
    assert column(out, "channel") == ["field", "phone", "email", "email"]
    assert column(out, "score") == [8, 5, 0, 0]
    # Without tiers the tier columns are still there, like the stage columns without stages.
    assert out.columns[:4] == ["row", "tier", "tier_points", "channel"]
    assert column(out, "tier") == ["unknown"] * 4
    assert column(out, "tier_points") == [0] * 4


# ---------------------------------------------------------------- stages

STAGES = """
fields:
  id: {type: string, key: true}
  need: {type: boolean, default: false}
  demo: {type: boolean, default: false}
  budget: {type: boolean, default: false}
  signer: {type: boolean}
stages:
  - {name: lead, probability: 0.05, points: 5, aliases: [New, "Fresh Lead"]}
  - {name: discovery, probability: 0.2, points: 15, aliases: ["Needs Analysis"], entry: {need: need}}
  - {name: presentation, probability: 0.35, points: 20}
  - name: evaluation
    probability: 0.5
    points: 25
    aliases: [Demo, Trial]
    entry: {demo: demo}
  - name: negotiation
    probability: 0.75
    points: 30
    entry: {budget: budget, signer: signer}
  - {name: won, closed: won, probability: 1.0, points: 50, aliases: ["Closed Won"]}
  - {name: lost, closed: lost, probability: 0.0, aliases: ["Closed Lost"]}
"""


def test_recorded_stage_by_name_or_alias_any_case(ruleset):
    rs = ruleset(STAGES)
    spellings = ["lead", "NEW", "fresh   lead", " needs analysis ", "Presentation", "trial", "CLOSED WON", "closed lost"]
    out = rs.evaluate([{"id": str(i), "stage": s, "need": True, "demo": True} for i, s in enumerate(spellings)])
    assert column(out, "stage") == ["lead", "lead", "lead", "discovery", "presentation", "evaluation", "won", "lost"]
    assert set(column(out, "stage_source")) == {"recorded"}
    assert column(out, "stage_probability") == [0.05, 0.05, 0.05, 0.2, 0.35, 0.5, 1.0, 0.0]
    assert column(out, "score") == [5, 5, 5, 15, 20, 25, 50, 0]


def test_unknown_stage_spelling_is_an_input_error_with_a_suggestion(ruleset):
    rs = ruleset(STAGES)
    with pytest.raises(InputError, match=r"row 2, column 'stage': cannot read 'negotiaton'.*did you mean 'negotiation'"):
        rs.evaluate([{"stage": "lead"}, {"stage": "negotiaton"}])


def test_missing_stage_is_inferred_as_the_latest_stage_whose_entry_holds(ruleset):
    rs = ruleset(STAGES)
    out = rs.evaluate([
        {"id": "a", "need": True},
        {"id": "b", "need": True, "demo": True},
        {"id": "c", "need": True, "demo": True, "budget": True, "signer": True},
        {"id": "d", "demo": True, "budget": True, "signer": None},  # signer unknown: negotiation not proven
        {"id": "e", "budget": True, "signer": True},
        {"id": "f"},
    ])
    assert column(out, "stage") == ["discovery", "evaluation", "negotiation", "evaluation", "negotiation", "unknown"]
    assert column(out, "stage_source") == ["inferred"] * 5 + [None]
    assert column(out, "stage_conflict") == [False] * 6
    assert column(out, "gaps") == [[]] * 6
    assert column(out, "stage_probability") == [0.2, 0.5, 0.75, 0.5, 0.75, None]
    assert column(out, "score") == [15, 25, 30, 25, 30, 0]


def test_unmet_entry_of_the_recorded_stage_are_gaps_and_a_conflict(ruleset):
    rs = ruleset(STAGES)
    out = rs.evaluate([
        {"id": "a", "stage": "negotiation"},
        {"id": "b", "stage": "negotiation", "budget": True},
        {"id": "c", "stage": "negotiation", "budget": True, "signer": True},
        {"id": "d", "stage": "Demo"},
        {"id": "e", "stage": "presentation"},  # no entry conditions
        {"id": "f", "stage": "lead", "need": True, "demo": True},  # a recorded stage is not re-inferred
    ])
    assert column(out, "stage") == ["negotiation", "negotiation", "negotiation", "evaluation", "presentation", "lead"]
    assert column(out, "stage_source") == ["recorded"] * 6
    assert column(out, "gaps") == [["budget", "signer"], ["signer"], [], ["demo"], [], []]
    assert column(out, "stage_conflict") == [True, True, False, True, False, False]
    # the recorded stage still scores its points
    assert column(out, "score") == [30, 30, 30, 25, 20, 5]


def test_stage_can_be_used_in_rules_with_its_order(ruleset):
    rs = ruleset(STAGES + """
factors:
  - {name: late, when: "stage >= 'evaluation'", points: 1}
  - {name: early, when: "stage in ('lead', 'discovery')", points: 2}
""")
    out = rs.evaluate([{"stage": "lead"}, {"stage": "evaluation"}, {"stage": "won"}, {}])
    assert column(out, "score") == [5 + 2, 25 + 1, 50 + 1, 0]


def test_closed_deals_are_scored_not_ranked_and_get_only_their_actions(ruleset):
    rs = ruleset(STAGES + """
actions:
  - {name: open_only, text: "open"}
  - {name: on_closed, applies_to: closed, text: "closed"}
  - {name: on_won, applies_to: won, text: "won"}
  - {name: on_lost, applies_to: lost, text: "lost"}
  - {name: on_all, applies_to: all, text: "all"}
""")
    out = rs.evaluate([
        {"id": "w", "stage": "won"},
        {"id": "l", "stage": "lost"},
        {"id": "o", "stage": "lead"},
        {"id": "u"},
    ])
    assert column(out, "score") == [50, 0, 5, 0]
    assert column(out, "rank") == [None, None, 1, 2]
    names = [[a["name"] for a in actions] for actions in column(out, "actions")]
    assert names == [
        ["on_closed", "on_won", "on_all"],
        ["on_closed", "on_lost", "on_all"],
        ["open_only", "on_all"],
        ["open_only", "on_all"],
    ]


def test_without_stages_there_are_no_stage_columns(ruleset):
    rs = ruleset("""
fields:
  v: {type: integer}
factors:
  - {name: v, points: v, reason: "v is {v}"}
""")
    out = rs.evaluate([{"v": 1}])
    assert out.columns == ["row", "tier", "tier_points", "score", "band", "rank", "reasons", "actions", "gaps"]
    row = out.row(0, named=True)
    assert (row["gaps"], row["rank"], row["score"]) == ([], 1, 1)
    from salesrules.analysis.explain import explain, render_text

    text = render_text(explain(rs, [{"v": 1}], "1"))
    assert text.splitlines()[0] == "1: score 1, band unknown (tier unknown)"
    assert "stage" not in text


# ---------------------------------------------------------------- nulls


def test_defaults_fill_nulls_before_any_rule(ruleset):
    rs = ruleset("""
fields:
  makers: {type: integer, default: 3}
  ok: {type: boolean, default: true}
  region: {type: string, default: "EMEA"}
tiers:
  - {name: emea, when: "region == 'EMEA'", points: 1}
  - {name: other, points: 0}
factors:
  - {name: makers, when: "makers > 2", points: "-5 * (makers - 2)"}
  - {name: ok, when: ok, points: 10}
""")
    out = rs.evaluate([{"makers": None, "ok": None, "region": ""}, {"makers": 2, "ok": False, "region": "US"}])
    assert column(out, "tier") == ["emea", "other"]
    assert column(out, "score") == [1 - 5 + 10, 0]
    # a field missing from the input altogether takes its default too
    assert rs.evaluate_one({})["score"] == 1 - 5 + 10


def test_a_null_when_counts_as_false_and_nulls_follow_three_valued_logic(ruleset):
    rs = ruleset("""
fields:
  x: {type: integer}
  flag: {type: boolean}
factors:
  - {name: gt, when: "x > 5", points: 1}
  - {name: not_gt, when: "not (x > 5)", points: 2}
  - {name: or_true, when: "x > 5 or true", points: 4}
  - {name: and_false, when: "not (x > 5 and false)", points: 8}
  - {name: flag, when: flag, points: 16}
  - {name: not_flag, when: "not flag", points: 32}
  - {name: missing, when: "x is None", points: 64}
""")
    out = rs.evaluate([{"x": None, "flag": None}, {"x": 9, "flag": True}, {"x": 1, "flag": False}])
    assert column(out, "score") == [4 + 8 + 64, 1 + 4 + 8 + 16, 2 + 4 + 8 + 32]


def test_points_that_are_null_add_zero(ruleset):
    rs = ruleset("""
fields:
  id: {type: string, key: true}
  n: {type: integer}
  v: {type: number}
tiers:
  - {name: any, points: "n * 2"}
factors:
  - {name: fired, points: "v * 10", reason: "fired"}
""")
    out = rs.evaluate([{"id": "a", "n": None, "v": None}, {"id": "b", "n": 3, "v": 0.5}])
    assert column(out, "tier") == ["any", "any"]
    assert column(out, "tier_points") == [0, 6]
    assert column(out, "score") == [0, 11]
    # the factor fired, so its reason shows, even though its points were unknown
    assert column(out, "reasons") == [["fired"], ["fired"]]


# ---------------------------------------------------------------- actions and texts


def test_action_text_templates_and_due_dates(ruleset):
    rs = ruleset("""
fields:
  id: {type: string, key: true}
  company: {type: string}
  value: {type: money}
  seats: {type: integer}
  ok: {type: boolean}
  next: {type: date}
  stage: {type: string}
stages:
  - {name: lead}
  - {name: won, closed: won}
actions:
  - name: call
    text: "{company}|{value}|{seats}|{ok}|{next}|{stage}|{as_of}"
    due: "as_of + 2"
  - name: prepare
    when: "next is not None"
    text: "Prepare for {next}"
    due: "next - 1"
  - name: undated
    text: "no due date"
""")
    out = rs.evaluate([
        {"id": "1", "company": "Acme", "value": 1_000_000, "seats": 3, "ok": True, "next": "2026-12-01", "stage": "lead"},
        {"id": "2", "company": "Beta", "value": 1234.5, "seats": 0, "ok": False, "next": None},
        {"id": "3", "company": None, "value": 499_999.99, "seats": None, "ok": None},
        {"id": "4", "company": "Gamma", "value": 2.0},
    ])
    actions = column(out, "actions")
    assert actions[0] == [
        {"name": "call", "text": "Acme|1000000|3|yes|2026-12-01|lead|2026-11-22", "due": dt.date(2026, 11, 24)},
        {"name": "prepare", "text": "Prepare for 2026-12-01", "due": dt.date(2026, 11, 30)},
        {"name": "undated", "text": "no due date", "due": None},
    ]
    assert [a["text"] for a in actions[1]] == ["Beta|1234.5|0|no|unknown|unknown|2026-11-22", "no due date"]
    assert [a["text"] for a in actions[2]] == ["unknown|499999.99|unknown|unknown|unknown|unknown|2026-11-22", "no due date"]
    assert actions[3][0]["text"] == "Gamma|2|unknown|unknown|unknown|unknown|2026-11-22"


def test_reason_templates_fill_field_values(ruleset):
    rs = ruleset("""
fields:
  makers: {type: integer}
  until: {type: date}
factors:
  - {name: makers, when: "makers > 1", points: -5, reason: "{makers} decision makers must all consent"}
  - {name: contract, when: "until > as_of", points: -10, reason: "Under contract until {until}"}
""")
    out = rs.evaluate([{"makers": 3, "until": "2027-01-31"}, {"makers": 1, "until": "2026-11-22"}])
    assert column(out, "reasons") == [
        ["3 decision makers must all consent", "Under contract until 2027-01-31"],
        [],
    ]


# ---------------------------------------------------------------- ranking

RANKED = """
fields:
  id: {type: string, key: true}
  p: {type: integer}
  done: {type: boolean, default: false}
stages:
  - {name: open}
  - {name: won, closed: won}
factors:
  - {name: p, points: p}
"""


def test_rank_is_score_descending_then_key_ascending(ruleset):
    rs = ruleset(RANKED)
    records = [
        {"id": "c", "p": 10}, {"id": "a", "p": 10}, {"id": "b", "p": 30},
        {"id": "w", "p": 99, "stage": "won"}, {"id": "B", "p": 10}, {"id": "d", "p": -1},
    ]
    out = rs.evaluate(records)
    assert dict(zip(column(out, "id"), column(out, "rank"))) == {"b": 1, "B": 2, "a": 3, "c": 4, "d": 5, "w": None}
    # the order of the output is the order of the input
    assert column(out, "id") == [r["id"] for r in records]
    assert rs.evaluate_one(records[0])["rank"] is None


def test_without_a_key_the_row_number_is_the_key(ruleset):
    rs = ruleset("""
fields:
  p: {type: integer}
factors:
  - {name: p, points: p}
""")
    out = rs.evaluate([{"p": 1}, {"p": 5}, {"p": 5}, {"p": 7}])
    assert out.columns[0] == "row"
    assert column(out, "row") == [1, 2, 3, 4]
    assert column(out, "rank") == [4, 2, 3, 1]
    assert rs.evaluate_one({"p": 3})["row"] == 1


# ---------------------------------------------------------------- input problems


def test_duplicate_keys_are_an_error_naming_the_rows(ruleset):
    rs = ruleset(RANKED)
    records = [{"id": "a", "p": 1}, {"id": "x", "p": 2}, {"id": "b", "p": 3}, {"id": "x", "p": 4}]
    with pytest.raises(InputError, match=r"duplicate key 'x' in rows 2, 4"):
        rs.evaluate(records)


def test_on_duplicate_first_and_last_keep_one(ruleset):
    rs = ruleset(RANKED)
    records = [{"id": "x", "p": 1}, {"id": None, "p": 2}, {"id": "y", "p": 3}, {"id": "x", "p": 4}, {"id": None, "p": 5}]
    first = rs.evaluate(records, on_duplicate="first")
    assert list(zip(column(first, "id"), column(first, "score"))) == [("x", 1), (None, 2), ("y", 3), (None, 5)]
    last = rs.evaluate(records, on_duplicate="last")
    assert list(zip(column(last, "id"), column(last, "score"))) == [(None, 2), ("y", 3), ("x", 4), (None, 5)]
    assert column(last, "rank") == [4, 3, 2, 1]
    with pytest.raises(UsageError):
        rs.evaluate(records, on_duplicate="keep")


BAD = """
fields:
  id: {type: string, key: true}
  deal_value: {type: money, aliases: [Amount]}
  closes: {type: date}
tiers:
  - {name: high, when: "deal_value > 100", points: 5}
  - {name: low, points: 1}
"""


def test_a_bad_value_is_an_error_naming_row_column_and_value(ruleset):
    rs = ruleset(BAD)
    records = [{"id": "1", "Amount": "$5"}, {"id": "2", "Amount": "1,200"}, {"id": "3", "Amount": "12abc"}]
    with pytest.raises(InputError) as caught:
        rs.evaluate(records)
    assert caught.value.message == "row 3, column 'Amount': cannot read '12abc' as money"
    with pytest.raises(InputError, match=r"row 2, column 'closes': cannot read '2026-02-30' as date"):
        rs.evaluate([{"closes": "2026-02-28"}, {"closes": "2026-02-30"}])


def test_on_error_skip_leaves_bad_rows_out_and_reports_them(ruleset):
    rs = ruleset(BAD)
    records = [
        {"id": "1", "Amount": "$500", "closes": "2026-12-01"},
        {"id": "2", "Amount": "lots", "closes": "2026-12-01"},
        {"id": "3", "Amount": "7", "closes": "soon"},
        {"id": "4", "Amount": None, "closes": None},
    ]
    out = rs.evaluate(records, on_error="skip")
    assert column(out, "id") == ["1", "4"]
    assert column(out, "rank") == [1, 2]
    full = evaluate_full(rs, records, on_error="skip")
    assert_frame_equal(full.results, out)
    assert full.rejects.columns == ["row", "reason", "id", "Amount", "closes"]
    assert full.rejects.rows() == [
        (2, "row 2, column 'Amount': cannot read 'lots' as money", "2", "lots", "2026-12-01"),
        (3, "row 3, column 'closes': cannot read 'soon' as date (YYYY-MM-DD)", "3", "7", "soon"),
    ]
    clean = evaluate_full(rs, records[:1], on_error="skip")
    assert clean.rejects is None


def test_with_input_carries_the_input_columns(ruleset):
    rs = ruleset(BAD)
    frame = pl.DataFrame({"id": ["1", "2"], "Amount": ["$500", "$5"], "Owner": ["Ann", None]})
    out = rs.evaluate(frame, with_input=True)
    plain = rs.evaluate(frame)
    assert out.columns == plain.columns + ["input.id", "Amount", "Owner"]
    assert column(out, "Amount") == ["$500", "$5"]
    assert column(out, "Owner") == ["Ann", None]
    assert column(out, "input.id") == ["1", "2"]
    assert_frame_equal(out.select(plain.columns), plain)


def test_columns_match_by_name_alias_and_ignoring_case_spaces_and_underscores(ruleset):
    rs = ruleset("""
fields:
  id: {type: string, key: true, aliases: ["Opportunity ID"]}
  deal_value: {type: money, aliases: ["Amount"]}
  last_contact: {type: date}
tiers:
  - {name: high, when: "deal_value > 100", points: 5}
factors:
  - {name: recent, when: "days_since(last_contact) <= 7", points: 1}
""")
    expected = rs.evaluate([{"id": "A", "deal_value": 500, "last_contact": "2026-11-20"}])
    spellings = [
        ("id", "deal_value", "last_contact"),
        ("Opportunity ID", "Amount", "last_contact"),
        ("opportunity_id", "AMOUNT", "Last Contact"),
        ("OPPORTUNITY-ID", "Deal Value", "LastContact"),
        (" Id ", "dealvalue", "last.contact"),
    ]
    for key, value, contact in spellings:
        out = rs.evaluate([{key: "A", value: 500, contact: "2026-11-20"}])
        assert_frame_equal(out, expected)
    with pytest.raises(InputError, match=r"columns \['Deal Value', 'deal value'\] all match field 'deal_value'"):
        rs.evaluate(pl.DataFrame({"Deal Value": [1], "deal value": [2]}))


def test_a_missing_required_column_or_value_is_an_input_error(ruleset):
    rs = ruleset("""
fields:
  id: {type: string, key: true}
  owner: {type: string, required: true, aliases: ["Deal Owner"]}
""")
    with pytest.raises(InputError, match=r"missing column for required field 'owner' \(looked for 'owner', 'Deal Owner'\)"):
        rs.evaluate([{"id": "1"}])
    with pytest.raises(InputError, match=r"row 2, column 'Deal Owner': a value is required for field 'owner'"):
        rs.evaluate([{"id": "1", "Deal Owner": "Ann"}, {"id": "2", "Deal Owner": "  "}])
    assert column(rs.evaluate([{"id": "1", "deal owner": "Ann"}]), "id") == ["1"]


def test_every_kind_of_input_gives_identical_results(ruleset, tmp_path):
    rs = ruleset(STAGES + """
factors:
  - {name: need, when: need, points: 3, reason: "need"}
""")
    records = [
        {"id": "a", "stage": "Needs Analysis", "need": "Yes", "demo": "No", "budget": None, "signer": "yes"},
        {"id": "b", "stage": None, "need": "No", "demo": "Yes", "budget": "Yes", "signer": None},
        {"id": "c", "stage": "Closed Won", "need": None, "demo": None, "budget": "No", "signer": "No"},
    ]
    frame = pl.DataFrame(records, schema={k: pl.String for k in records[0]})
    csv_path = tmp_path / "p.csv"
    frame.write_csv(csv_path)
    json_path = tmp_path / "p.json"
    json_path.write_text(json.dumps(records))
    expected = rs.evaluate(records)
    assert column(expected, "stage") == ["discovery", "evaluation", "won"]
    for data in (str(csv_path), csv_path, json_path, frame, frame.lazy(), frame.to_pandas(), pd.DataFrame(records)):
        assert_frame_equal(rs.evaluate(data), expected)
    with pytest.raises(UsageError, match="cannot evaluate"):
        rs.evaluate(42)


def test_evaluate_one_is_one_row_of_evaluate(ruleset):
    rs = ruleset(STAGES + """
factors:
  - {name: need, when: need, points: 3, reason: "need"}
actions:
  - {name: ask, when: "signer is None", text: "Ask who signs", due: "as_of + 3"}
""")
    records = [{"id": "a", "stage": "negotiation", "budget": True}, {"id": "b", "need": True}, {}]
    out = rs.evaluate(records).with_columns(pl.lit(None, pl.Int64).alias("rank"))
    assert [rs.evaluate_one(r) for r in records] == out.to_dicts()
    assert rs.evaluate_one({})["actions"] == [{"name": "ask", "text": "Ask who signs", "due": dt.date(2026, 11, 25)}]


def test_evaluate_one_with_an_unknown_key_suggests_the_field(ruleset):
    rs = ruleset(STAGES)
    with pytest.raises(InputError, match=r"unknown field 'budgte' \(did you mean 'budget'\?\)"):
        rs.evaluate_one({"id": "a", "budgte": True})
    with pytest.raises(UsageError):
        rs.evaluate_one([{"id": "a"}])


# ---------------------------------------------------------------- as-of date

DATED = """
fields:
  last_contact: {type: date}
  budget_from: {type: date}
factors:
  - {name: recent, when: "days_since(last_contact) <= 14", points: 5}
  - {name: lapsing, when: "days_since(last_contact) > 60", points: -10}
  - {name: budget_later, when: "budget_from > as_of", points: "-20 if days_until(budget_from) > 90 else -10"}
actions:
  - {name: call, when: "days_since(last_contact) > 60", text: "Call", due: "as_of + 2"}
"""


def test_as_of_from_the_ruleset_from_the_argument_and_relative_dates(ruleset):
    rs = ruleset(DATED)
    assert rs.as_of == AS_OF
    records = [
        {"last_contact": "2026-11-08", "budget_from": None},  # 14 days before as_of
        {"last_contact": "2026-11-07", "budget_from": "2026-11-22"},  # 15 days; budget from as_of itself
        {"last_contact": "2026-09-23", "budget_from": "2027-02-20"},  # 60 days; budget in 90 days
        {"last_contact": "2026-09-22", "budget_from": "2027-02-21"},  # 61 days; budget in 91 days
        {"last_contact": "2026-12-01", "budget_from": "2026-11-23"},  # a future contact counts as recent
    ]
    out = rs.evaluate(records)
    assert column(out, "score") == [5, 0, -10, -10 - 20, 5 - 10]
    assert [[a["due"] for a in acts] for acts in column(out, "actions")] == [[], [], [], [dt.date(2026, 11, 24)], []]
    # The argument overrides the ruleset's date; ISO text and datetimes are accepted.
    later = rs.evaluate(records, as_of=dt.date(2026, 11, 23))
    # one day later: 15, 16, 61 and 62 days since contact; budgets in 89 and 90 days
    assert column(later, "score") == [0, 0, -10 - 10, -10 - 10, 5]
    assert_frame_equal(rs.evaluate(records, as_of="2026-11-23"), later)
    assert_frame_equal(rs.evaluate(records, as_of=dt.datetime(2026, 11, 23, 18, 30)), later)
    assert column(later, "actions")[2][0]["due"] == dt.date(2026, 11, 25)
    assert rs.evaluate_one(records[3], as_of=dt.date(2026, 11, 23))["score"] == -10 - 10
    with pytest.raises(UsageError, match="as_of must be a date"):
        rs.evaluate(records, as_of="next week")


def test_without_an_as_of_anywhere_it_is_today(ruleset):
    rs = ruleset(DATED, as_of=None)
    today = dt.date.today()
    record = {"last_contact": (today - dt.timedelta(days=14)).isoformat()}
    assert rs.evaluate_one(record)["score"] == 5
    assert rs.evaluate_one(record, as_of=today + dt.timedelta(days=1))["score"] == 0


def test_a_catch_all_band_before_the_last_is_a_ruleset_error(ruleset):
    rs = ruleset("""
fields:
  p: {type: integer}
scores:
  priority:
    bands: [{name: A, min: 70}, {name: C}]
""")
    score = rs.scores["priority"]
    swapped = dataclasses.replace(score, bands=score.bands[::-1])
    broken = dataclasses.replace(rs, scores={"priority": swapped})
    with pytest.raises(RulesetError, match="only the last band may be a catch-all"):
        broken.compile()


def test_records_of_text_and_of_other_values_make_the_same_frames():
    from salesrules.io.sources import records_frame

    text = records_frame([{"a": "1", "b": None}, {"a": None, "c": "x"}])
    assert_frame_equal(text, pl.DataFrame({"a": ["1", None], "b": [None, None], "c": [None, "x"]}, schema=dict.fromkeys("abc", pl.String)))
    mixed = records_frame([{"a": 1, "b": "x"}, {"a": "2", "b": True}, {"a": 2.5}])
    assert mixed.schema == {"a": pl.String, "b": pl.String}  # mixed types are read as text
    assert mixed.to_dict(as_series=False) == {"a": ["1", "2", "2.5"], "b": ["x", "True", None]}
    assert records_frame([{"n": 1}, {"n": 2.5}]).schema == {"n": pl.Float64}


def test_a_record_typed_in_python_and_by_polars_gives_the_same_results(ruleset):
    """evaluate_one reads usual values in Python; unusual spellings of the same values go to polars."""
    rs = ruleset(STAGES + """
factors:
  - {name: need, when: need, points: 3, reason: "need ({stage})"}
""")
    usual = rs.evaluate_one({"id": "a", "stage": "Negotiation", "need": "Yes", "budget": "no"})
    unusual = rs.evaluate_one({"id": " a ", "stage": " NEGOTIATION ", "need": " YES ", "budget": "No "})
    assert usual == unusual
    assert usual["reasons"] == ["need (negotiation)"]


def test_constant_points_are_summed_exactly_and_huge_ones_held_at_the_largest_integer(ruleset):
    """Constant points are summed in Int64 while their magnitudes add up to less than 2**62;
    the parts beyond are summed as computed points are, without wrapping around."""
    top = 2**53  # the largest integer an expression may write
    factors = ["  - {name: small, when: 'true', points: -7}"]
    factors += [f"  - {{name: a{i}, when: a, points: {top}}}" for i in range(600)]
    factors += [f"  - {{name: b{i}, when: b, points: {top}}}" for i in range(500)]
    rs = ruleset("""
fields:
  id: {type: string, key: true}
  a: {type: boolean, default: false}
  b: {type: boolean, default: false}
factors:
""" + "\n".join(factors) + "\n")

    def score(**flags):
        return rs.evaluate_one({"id": "x", **{k: "yes" for k in flags}})["score"]

    assert score() == -7
    assert score(a=1) == 600 * top - 7  # past 2**62: 88 of the parts are summed in Int128
    assert score(b=1) == 500 * top - 7
    assert score(a=1, b=1) == 2**63 - 1  # 1,100 * 2**53 does not fit in Int64
    evaluated = rs.evaluate([{"id": "x", "a": "yes"}, {"id": "y", "a": "yes", "b": "yes"}, {"id": "z"}])
    assert evaluated["score"].to_list() == [600 * top - 7, 2**63 - 1, -7]


def test_huge_points_neither_wrap_a_score_nor_overflow_its_sum(ruleset):
    rs = ruleset("""
fields:
  id: {type: string, key: true}
  n: {type: integer, default: 0}
  m: {type: integer, default: 0}
factors:
  - {name: scaled, when: "true", points: "n * 1000000000000"}
  - {name: first, when: "true", points: "m"}
  - {name: second, when: "true", points: "m"}
""")
    def score(n="0", m="0"):
        return rs.evaluate_one({"id": "a", "n": n, "m": m})["score"]

    assert score(n="7") == 7_000_000_000_000
    assert score(n="-5") == -5_000_000_000_000
    assert score(n="10000000000") == 0  # 10**22 does not fit: the points are unknown, worth 0
    top, bottom = str(2**63 - 1), str(-(2**63))
    assert score(m=top) == 2**63 - 1  # twice the largest integer is held at the largest
    assert score(m=bottom) == -(2**63)
    assert score(n="1", m=top) == 2**63 - 1
