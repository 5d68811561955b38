"""The shipped methodology rulesets (lead status, BANT, CHAMP, ANUM, GPCTBA/C&I, SPIN, Challenger,
channel): each loads, passes its own tests, exercises every rule in those tests, evaluates the
example export, and computes what its methodology says at the boundaries."""

import datetime as dt
import itertools
import json
import re
from pathlib import Path

import pytest

import salesrules
from salesrules.analysis.testing import run_tests
from salesrules.cli import cli

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "prospects.csv"
AS_OF = dt.date(2026, 11, 22)
METHODOLOGIES = ["lead-status", "bant", "bant-strict", "champ", "anum", "gpctba-ci", "spin", "challenger", "channel"]
# Those whose shared fields and stages are defined exactly as in builtin:standard.
COMBINABLE = ["bant", "bant-strict", "champ", "anum", "gpctba-ci", "spin", "challenger", "channel"]

_loaded: dict = {}


def load(name):
    if name not in _loaded:
        _loaded[name] = salesrules.load(ROOT / "rulesets" / f"{name}.yaml")
    return _loaded[name]


def one(name, record, as_of=AS_OF):
    return load(name).evaluate_one(record, as_of=as_of)


def action_names(result):
    return sorted(a["name"] for a in result["actions"])


# ---------------------------------------------------------------- every methodology


@pytest.mark.parametrize("name", METHODOLOGIES)
def test_loads_and_is_registered_as_a_builtin(name):
    ruleset = load(name)
    assert ruleset.name == name
    assert salesrules.load(f"builtin:{name}").hash == ruleset.hash


@pytest.mark.parametrize("name", METHODOLOGIES)
def test_own_tests_pass(name):
    ruleset = load(name)
    assert len(ruleset.tests) >= 5
    failures = [(r.name, r.mismatches, r.error) for r in run_tests(ruleset) if not r.passed]
    assert not failures


def _reason_pattern(template: str) -> re.Pattern:
    """A regular expression matching a reason template once its {field} placeholders are filled."""
    parts = re.split(r"\{[A-Za-z_][A-Za-z0-9_]*\}", template)
    return re.compile(".*".join(re.escape(p) for p in parts), re.S)


@pytest.mark.parametrize("name", METHODOLOGIES)
def test_tests_exercise_every_rule(name):
    """Every classification level, factor, band and action fires in at least one of the ruleset's tests."""
    ruleset = load(name)
    results = [ruleset.evaluate_one(case.record, as_of=case.as_of) for case in ruleset.tests]
    missing = []
    for classification in ruleset.classifications:
        seen = {r[classification.name] for r in results}
        missing += [f"{classification.name}={lv.name}" for lv in classification.levels if lv.name not in seen]
    patterns = {f.name: _reason_pattern(f.reason or f.name.replace("_", " ")) for f in ruleset.factors}
    for factor in ruleset.factors:
        if not any(patterns[factor.name].fullmatch(reason) for r in results for reason in r["reasons"]):
            missing.append(f"factor {factor.name}")
    for score_name, score in ruleset.scores.items():
        column = "band" if len(ruleset.scores) == 1 else f"{score_name}_band"
        seen = {r[column] for r in results}
        missing += [f"{score_name} band {b.name}" for b in score.bands if b.name not in seen]
    fired = {a["name"] for r in results for a in r["actions"]}
    missing += [f"action {a.name}" for a in ruleset.actions if a.name not in fired]
    assert not missing


@pytest.mark.parametrize("name", METHODOLOGIES)
def test_opening_comment_explains_the_methodology(name):
    text = (ROOT / "rulesets" / f"{name}.yaml").read_text()
    comment = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert text.startswith("#")
    assert "Where the criteria come from" in comment
    assert "Conventions to adjust" in comment
    assert "Fields it expects" in comment
    listed = comment[comment.index("Fields it expects"):]
    for field in load(name).fields:
        assert re.search(rf"\b{field}\b", listed), f"{field} is not listed in the opening comment"


@pytest.mark.parametrize("name", METHODOLOGIES)
def test_every_field_has_aliases_or_is_the_stage(name):
    for field in load(name).fields.values():
        assert field.aliases, field.name


# Per ruleset, a result whose values vary over the example when its columns are mapped.
VARYING = {
    "lead-status": "lead_status", "bant": "bant", "bant-strict": "budget", "champ": "champ",
    "anum": "anum", "gpctba-ci": "challenges", "spin": "problem", "challenger": "stage_conflict",
    "channel": "channel",
}


@pytest.mark.parametrize("name", METHODOLOGIES)
def test_evaluates_the_example(name):
    results = load(name).evaluate(EXAMPLE, as_of=AS_OF)
    assert results.height == 200
    assert results[VARYING[name]].n_unique() >= 2, "the example's columns did not map onto the ruleset's fields"
    assert results["score"].null_count() == 0


@pytest.mark.parametrize("name", METHODOLOGIES)
def test_evaluates_the_example_from_the_command_line(name, cli_runner):
    result = cli_runner.invoke(cli, [
        "evaluate", str(EXAMPLE), "-r", str(ROOT / "rulesets" / f"{name}.yaml"), "--as-of", "2026-11-22", "-f", "json",
    ])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["provenance"]["ruleset"] == name
    assert len(data["records"]) == 200


@pytest.mark.parametrize("name", COMBINABLE)
def test_combines_with_the_standard_model(name, tmp_path):
    """extends: [builtin:standard, builtin:NAME] keeps the standard ranking and adds the methodology."""
    path = tmp_path / "combined.yaml"
    path.write_text(f"salesrules: 1\nname: combined\nextends: [builtin:standard, builtin:{name}]\n")
    combined = salesrules.load(path).evaluate(EXAMPLE, as_of=AS_OF)
    standard = salesrules.load("builtin:standard").evaluate(EXAMPLE, as_of=AS_OF)
    assert combined["score"].to_list() == standard["score"].to_list()
    assert combined["rank"].to_list() == standard["rank"].to_list()
    for score in load(name).scores:
        assert score in combined.columns


def test_methodologies_are_documented():
    doc = (ROOT / "docs" / "methodologies.md").read_text()
    for name in METHODOLOGIES:
        assert f"`builtin:{name}`" in doc, name
        assert f"extends: [builtin:{name}]" in doc, name


# ---------------------------------------------------------------- lead status


def test_lead_status_levels():
    assert one("lead-status", {})["lead_status"] == "suspect"
    assert one("lead-status", {"responded": True})["lead_status"] == "lead"
    assert one("lead-status", {"Form Submissions": 1})["lead_status"] == "lead"
    for evidence in ("need_identified", "budget_confirmed", "decision_maker_confirmed"):
        assert one("lead-status", {evidence: True, "responded": True})["lead_status"] == "prospect"


def test_lead_sources_rank_referrals_above_purchased_lists():
    fit = {source: one("lead-status", {"lead_source": source, "deal_value": 150_000})["fit"]
           for source in ("Referral", "Partner", "Website", "Trade Show", "Cold Call", "Purchased List", "Other")}
    assert fit == {"Referral": 45, "Partner": 35, "Website": 35, "Trade Show": 30, "Other": 25, "Cold Call": 20,
                   "Purchased List": 15}
    # The fit score does not go below 0: a small buyer from a purchased list is 0, not -5.
    assert one("lead-status", {"lead_source": "Purchased List", "deal_value": 5_000})["fit"] == 0


def test_one_off_small_buyers_are_worth_less_than_repeat_large_ones():
    tiers = {}
    for repeat, value in itertools.product((0, 2), (20_000, 200_000)):
        result = one("lead-status", {"previous_purchases": repeat, "deal_value": value})
        tiers[result["tier"]] = result["tier_points"]
    assert tiers == {"one_off_small": 5, "repeat_small": 15, "one_off_large": 25, "repeat_large": 40}
    assert one("lead-status", {"opportunity_type": "Existing Customer - Upgrade", "deal_value": 99_999})["tier"] == "repeat_small"
    assert one("lead-status", {"deal_value": 100_000})["tier"] == "one_off_large"


def test_lead_status_ranks_by_fit():
    ruleset = load("lead-status")
    assert ruleset.ranking_score == "fit"
    results = ruleset.evaluate([
        {"id": "cold-but-valuable", "deal_value": 900_000, "previous_purchases": 4, "lead_source": "Referral"},
        {"id": "hot-but-small", "deal_value": 2_000, "need_identified": True, "last_contact": "2026-11-20"},
    ], as_of=AS_OF)
    assert results.sort("rank")["id"].to_list() == ["cold-but-valuable", "hot-but-small"]


# ---------------------------------------------------------------- BANT


CRITERIA = {
    "budget_confirmed": "budget", "decision_maker_confirmed": "authority",
    "need_identified": "need", "timeline_confirmed": "timeline",
}
ACTIONS = {"budget": "confirm_budget", "authority": "confirm_authority", "need": "confirm_need", "timeline": "confirm_timeline"}


@pytest.mark.parametrize("flags", list(itertools.product((False, True), repeat=4)))
def test_bant_three_of_four_and_strict_four_of_four(flags):
    record = dict(zip(CRITERIA, flags))
    met = sum(flags)
    missing = sorted(ACTIONS[c] for f, c in CRITERIA.items() if not record[f])
    bant = one("bant", {"company": "Acme", **record})
    strict = one("bant-strict", {"company": "Acme", **record})
    assert bant["score"] == strict["score"] == 25 * met
    assert bant["bant"] == ("qualified" if met >= 3 else "not_ready")
    assert strict["bant"] == ("qualified" if met == 4 else "not_ready")
    assert action_names(bant) == (missing if met < 3 else [])
    assert action_names(strict) == (missing if met < 4 else [])
    assert bant["band"] == ("A" if met >= 3 else "B" if met == 2 else "C")
    assert strict["band"] == ("A" if met == 4 else "B" if met >= 2 else "C")


def test_bant_actions_name_the_missing_criterion_and_the_company():
    result = one("bant", {"company": "Acme", "need_identified": True, "close_date": "2027-01-31"})
    texts = {a["name"]: a["text"] for a in result["actions"]}
    assert set(texts) == {"confirm_budget", "confirm_authority"}
    assert texts["confirm_budget"].startswith("BANT budget missing for Acme")
    assert texts["confirm_authority"].startswith("BANT authority missing for Acme")
    assert {a["due"] for a in result["actions"]} == {dt.date(2026, 11, 27)}


def test_bant_timeline_horizon_is_180_days():
    def timeline(close):
        return one("bant", {"close_date": close})["timeline"]

    assert timeline("2026-11-22") == "met"
    assert timeline("2027-05-21") == "met"  # 180 days
    assert timeline("2027-05-22") == "missing"  # 181 days
    assert timeline("2026-11-21") == "missing"  # passed: stale, not a timeline
    assert one("bant", {"timeline_confirmed": True, "close_date": "2025-01-01"})["timeline"] == "met"


def test_bant_strict_inherits_everything_but_the_rule():
    bant, strict = load("bant"), load("bant-strict")
    assert [f.name for f in strict.factors] == [f.name for f in bant.factors]
    assert [a.name for a in strict.actions] == [a.name for a in bant.actions]
    assert set(strict.fields) == set(bant.fields)


# ---------------------------------------------------------------- CHAMP and ANUM


def test_champ_requires_a_challenge():
    everything_but = {"decision_maker_confirmed": True, "budget_confirmed": True, "buyer_priority": "high", "company": "Acme"}
    result = one("champ", everything_but)
    assert (result["champ"], result["score"], action_names(result)) == ("unqualified", 60, ["uncover_challenges"])
    assert one("champ", {**everything_but, "challenges_identified": True})["champ"] == "qualified"
    assert one("champ", {"challenges_identified": True, "budget_confirmed": True})["champ"] == "developing"
    assert one("champ", {"challenges_identified": True, "budget_confirmed": True, "decision_maker_confirmed": True})["score"] == 80


def test_champ_prioritization():
    def prio(record):
        return one("champ", record)["prioritization"]

    assert prio({"buyer_priority": "Critical"}) == "met"
    assert prio({"close_date": "2027-02-20"}) == "met"  # 90 days
    assert prio({"close_date": "2027-02-21"}) == "missing"
    assert prio({"buyer_priority": "low", "close_date": "2026-12-01"}) == "missing"
    assert prio({"buyer_priority": "normal", "timeline_confirmed": True}) == "met"


def test_anum_puts_authority_first():
    without = one("anum", {"need_identified": True, "budget_confirmed": True, "buyer_priority": "high", "company": "Acme"})
    assert (without["anum"], without["score"], action_names(without)) == ("find_authority", 65, ["find_decision_maker"])
    alone = one("anum", {"decision_maker_confirmed": True})
    assert (alone["anum"], alone["score"]) == ("developing", 35)
    assert action_names(alone) == ["confirm_money", "confirm_need", "confirm_urgency"]
    assert one("anum", {"decision_maker_confirmed": True, "need_identified": True, "budget_confirmed": True})["anum"] == "qualified"


# ---------------------------------------------------------------- GPCTBA/C&I


def test_gpctba_ci_levels_and_points():
    fit = {"goals_identified": True, "plans_known": True, "need_identified": True}
    assert one("gpctba-ci", fit)["gpctba_ci"] == "good_fit"
    assert one("gpctba-ci", fit)["score"] == 35
    ability = {"budget_confirmed": True, "decision_maker_confirmed": True}
    assert one("gpctba-ci", {**fit, **ability})["gpctba_ci"] == "good_fit"
    qualified = one("gpctba-ci", {**fit, **ability, "positive_implications_identified": True})
    assert (qualified["gpctba_ci"], qualified["score"], qualified["band"]) == ("qualified", 75, "A")
    two_of_four = one("gpctba-ci", {"goals_identified": True, "timeline_confirmed": True, **ability,
                                    "negative_consequences_identified": True})
    assert two_of_four["gpctba_ci"] == "exploring"
    assert action_names(two_of_four) == ["ask_challenges", "ask_plans"]


# ---------------------------------------------------------------- SPIN


@pytest.mark.parametrize("flags", list(itertools.product((False, True), repeat=4)))
def test_spin_discovery_coverage(flags):
    s, p, i, n = flags
    record = {"situation_covered": s, "problem_covered": p, "implication_covered": i, "need_payoff_covered": n}
    result = one("spin", record)
    coverage = 10 * s + 20 * p + 35 * i + 35 * n
    assert result["score"] == coverage
    assert result["band"] == ("deep" if coverage >= 90 else "partial" if coverage >= 30 else "shallow")
    expected = ("complete" if all(flags) else "developing" if p and i else "implied_need" if p
                else "situation_only" if s else "not_started")
    assert result["spin_progress"] == expected


def test_spin_is_coverage_not_a_win_predictor():
    ruleset = load("spin")
    assert list(ruleset.scores) == ["discovery_coverage"]
    assert all(stage.probability is None for stage in ruleset.stages)
    comment = (ROOT / "rulesets" / "spin.yaml").read_text().split("\nsalesrules:")[0]
    assert "NOT a predictor of winning" in comment
    presenting = one("spin", {"problem_covered": True, "stage": "Proposal"})
    assert "presenting_too_early" in action_names(presenting)
    assert presenting["stage_probability"] is None


# ---------------------------------------------------------------- Challenger


def test_challenger_proposal_needs_a_reframe():
    without = one("challenger", {"stage": "Proposal", "mobilizer_identified": True})
    assert (without["stage"], without["stage_conflict"], without["gaps"]) == ("presentation", True, ["commercial_insight"])
    assert "reframe_missing" in action_names(without)
    with_reframe = one("challenger", {"stage": "Proposal", "mobilizer_identified": True, "reframe_delivered": True})
    assert (with_reframe["stage_conflict"], with_reframe["gaps"]) == (False, [])
    assert "reframe_missing" not in action_names(with_reframe)
    before = one("challenger", {"stage": "Needs Analysis"})
    assert before["gaps"] == [] and "teach_before_proposing" in action_names(before)


def test_challenger_mobilizers_and_talkers():
    def level(profile):
        return one("challenger", {"stakeholder_profile": profile})["mobilizer"]

    assert [level(p) for p in ("Go-Getter", "Teacher", "Skeptic")] == ["identified"] * 3
    assert [level(p) for p in ("Guide", "Friend", "Climber")] == ["talker_only"] * 3
    assert level("Blocker") == "blocker"
    assert one("challenger", {})["mobilizer"] == "none"


# ---------------------------------------------------------------- channel


@pytest.mark.parametrize("potential, segment, channel", [
    (5_000_000, "key", "field_visit"),
    (1_000_000, "key", "field_visit"),
    (100_000, "large", "field_visit"),  # 100 x a $1,000 visit
    (99_999.99, "medium", "phone"),
    (1_000, "medium", "phone"),  # 100 x a $10 call
    (999.99, "small", "email"),
    (0, "small", "email"),
])
def test_channel_thresholds_follow_the_cost_ratio(potential, segment, channel):
    result = one("channel", {"deal_value": potential})
    assert (result["segment"], result["channel"]) == (segment, channel)


def test_channel_threshold_ratio_is_the_cost_ratio():
    """Field visit : phone = 100 : 1, so the field-visit threshold is 100 times the phone one."""
    visit = next(lv for c in load("channel").classifications if c.name == "channel" for lv in c.levels if lv.name == "field_visit")
    phone = next(lv for c in load("channel").classifications if c.name == "channel" for lv in c.levels if lv.name == "phone")
    assert "100 * 1_000" in visit.when.text and "100 * 10" in phone.when.text


def test_channel_prefers_the_purchase_potential_and_flags_mismatches():
    assert one("channel", {"purchase_potential": 150_000, "deal_value": 500})["channel"] == "field_visit"
    assert one("channel", {})["channel"] == "email"
    assert one("channel", {})["segment"] == "unknown"
    over = one("channel", {"deal_value": 5_000, "current_channel": "Meeting", "company": "Acme"})
    assert over["channel_fit"] == "overserved"
    text = next(a["text"] for a in over["actions"] if a["name"] == "move_to_cheaper_channel")
    assert text == "Move Acme from field_visit to phone: the cheaper channel fits its potential"
    under = one("channel", {"deal_value": 5_000, "current_channel": "Email"})
    assert under["channel_fit"] == "underserved"
    assert one("channel", {"deal_value": 5_000, "current_channel": "Phone call"})["channel_fit"] == "fits"


@pytest.mark.parametrize("path", sorted((Path(__file__).parent.parent / "rulesets").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_ruleset_evaluates_the_example_data(path):
    # The CRM presets read their CRM's export format (tests/test_crm_presets.py), not the examples'.
    crm = Path(__file__).parent.parent / "examples" / "crm" / f"{path.stem}.csv"
    data = crm if crm.exists() else Path(__file__).parent.parent / "examples" / "prospects.csv"
    results = salesrules.load(path).evaluate(str(data), as_of=dt.date(2026, 11, 22))
    assert results.height == (200 if data.name == "prospects.csv" else len(data.read_text().splitlines()) - 1)
