"""Loading rulesets: the schema, the typed model, expression locations and ``extends``."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from salesrules.errors import ErrorList, ExpressionError, InputError, Loc, RulesetError
from salesrules.loader.load import load, load_unchecked
from salesrules.loader.schema import schema as ruleset_schema
from salesrules.model.sections import Expr, FieldSpec

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "rulesets"
VALID = sorted((FIXTURES / "valid").glob("*.yaml"))
INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
SHIPPED = sorted((ROOT / "rulesets").glob("*.yaml"))


def write(folder: Path, name: str, text: str) -> Path:
    """Write a ruleset file (dedented) into ``folder`` and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def failure(path, loader=load) -> RulesetError:
    with pytest.raises((RulesetError, InputError)) as info:
        loader(path)
    return info.value


def messages(exc) -> list[str]:
    """Each error as 'line:col: message' (the file name left out)."""
    errors = exc.errors if isinstance(exc, ErrorList) else [exc]
    return [f"{e.loc.line}:{e.loc.col}: {e.message}" for e in errors]


HEAD = "salesrules: 1\nname: t\n"


@pytest.fixture
def ruleset(tmp_path):
    """Write a ruleset body (after the two-line head) and return its path."""

    def make(body: str, name: str = "r.yaml") -> Path:
        return write(tmp_path, name, HEAD + textwrap.dedent(body).lstrip("\n"))

    return make


# ---------------------------------------------------------------- fixtures as data


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_fixtures_load(path):
    loaded = load(path)
    assert loaded.name
    assert len(loaded.hash) == 12


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_fixtures_fail_with_the_error_in_their_first_line(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# error: "), f"{path.name} must start with '# error: <fragment>'"
    expected = first.removeprefix("# error: ").strip()
    exc = failure(path)
    assert expected in str(exc)
    assert "Traceback" not in str(exc)


def test_there_are_enough_invalid_cases():
    assert len(INVALID) >= 10
    assert len(VALID) >= 5


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_rulesets_load(path):
    loaded = load(path)
    assert loaded.name == path.stem
    assert loaded.tests, "a shipped ruleset should carry its own tests"


def test_shipped_rulesets_load_as_builtins():
    assert SHIPPED
    for path in SHIPPED:
        assert load(f"builtin:{path.stem}").hash == load(path).hash


# ---------------------------------------------------------------- schema violations


def test_unknown_top_level_key_with_did_you_mean(ruleset):
    exc = failure(ruleset("factor:\n  - {name: big}\n"))
    assert isinstance(exc, ErrorList)
    assert messages(exc) == ["3:1: unknown key 'factor' (did you mean 'factors'?)"]
    assert str(exc).endswith("r.yaml:3:1: unknown key 'factor' (did you mean 'factors'?)")


def test_every_unknown_key_is_reported_at_the_key(ruleset):
    exc = failure(ruleset("factors:\n  - {name: big, pionts: 1, wehn: x}\n"))
    assert messages(exc) == [
        "4:17: factors.0: unknown key 'pionts' (did you mean 'points'?)",
        "4:28: factors.0: unknown key 'wehn' (did you mean 'when'?)",
    ]


def test_unknown_key_in_a_block_mapping(ruleset):
    exc = failure(ruleset("""
        scores:
          priority:
            mni: 0
    """))
    assert messages(exc) == ["5:5: scores.priority: unknown key 'mni' (did you mean 'min'?)"]


@pytest.mark.parametrize("body, expected", [
    ("tiers:\n  - {name: high, when: 5}\n", "4:24: tiers.0.when: 5 should be string"),
    ("factors:\n  - {name: f, points: [1]}\n", "4:23: factors.0.points: [1] should be number or string"),
    ("stages:\n  - {name: s, probability: 2}\n", "4:28: stages.0.probability: 2 is greater than the maximum of 1"),
    ("stages:\n  - {name: s, closed: yes}\n", "4:23: stages.0.closed: 'yes' is not one of: won, lost"),
    ("scores:\n  priority: {min: '0'}\n", "4:19: scores.priority.min: '0' should be number"),
    ("fields:\n  vip: {type: boolean, required: yes}\n", "4:34: fields.vip.required: 'yes' should be boolean"),
    ("fields:\n  a: {type: strng}\n", "4:13: fields.a.type: 'strng' is not one of: string, integer, number, money, boolean, date, enum (did you mean 'string'?)"),
    ("fields:\n  a: integr\n", "4:6: fields.a: 'integr' is not one of: string, integer, number, money, boolean, date, enum (did you mean 'integer'?)"),
    ("fields:\n  a: {typ: string}\n", "4:7: fields.a: unknown key 'typ' (did you mean 'type'?)"),
    ("fields:\n  a-b: string\n", "4:3: fields: 'a-b' is not a valid name (letters, digits and _, not starting with a digit)"),
    ("fields:\n  a: {type: money, currency: usd}\n", "4:30: fields.a.currency: 'usd' does not match ^[A-Z]{3}$ (an ISO 4217 currency code such as USD)"),
    ("factors:\n  - {when: x}\n", "4:5: factors.0: 'name' is required"),
    ("factors:\n  - just a string\n", "4:5: factors.0: 'just a string' should be object"),
    ("actions:\n  - {name: a b}\n", "4:12: actions.0.name: 'a b' is not a valid name (letters, digits and _, not starting with a digit)"),
    ("extends: 5\n", "3:10: extends: 5 should be string or array"),
    ("classifications:\n  channel: 5\n", "4:12: classifications.channel: 5 should be array or null"),
])
def test_schema_errors_are_located_at_the_offending_value(ruleset, body, expected):
    assert messages(failure(ruleset(body))) == [expected]


def test_unsupported_version(tmp_path):
    path = write(tmp_path, "v.yaml", "salesrules: 2\nname: future\nfactor: []\n")
    assert messages(failure(path)) == ["1:13: unsupported format version salesrules: 2 (this salesrules reads version 1)"]


@pytest.mark.parametrize("text, expected", [
    ("salesrules: '1'\nname: x\n", "1:13: salesrules: must be 1"),
    ("salesrules: true\nname: x\n", "1:13: salesrules: must be 1"),
    ("salesrules: 1\nfields: {}\n", "1:1: ruleset: 'name' is required"),
    ("name: x\n", "1:1: ruleset: 'salesrules' is required"),
    ("salesrules: 1\nname: 5\n", "2:7: name: 5 should be string"),
])
def test_version_and_name(tmp_path, text, expected):
    assert messages(failure(write(tmp_path, "v.yaml", text))) == [expected]


@pytest.mark.parametrize("text, kind", [("- a\n- b\n", "a list"), ("just text\n", "text"), ("", "empty"), ("5\n", "a number")])
def test_a_ruleset_must_be_a_mapping(tmp_path, text, kind):
    exc = failure(write(tmp_path, "x.yaml", text))
    assert messages(exc) == [f"1:1: a ruleset must be a mapping, this file is {kind}"]


def test_all_schema_errors_are_listed_sorted_by_position(ruleset):
    path = ruleset("""
        scores:
          priority: {min: '0'}
        factor: []
        fields:
          a: {type: strng}
          b: integr
        tiers:
          - {name: high, when: 5}
    """)
    exc = failure(path)
    assert isinstance(exc, ErrorList)
    assert messages(exc) == [
        "4:19: scores.priority.min: '0' should be number",
        "5:1: unknown key 'factor' (did you mean 'factors'?)",
        "7:13: fields.a.type: 'strng' is not one of: string, integer, number, money, boolean, date, enum (did you mean 'string'?)",
        "8:6: fields.b: 'integr' is not one of: string, integer, number, money, boolean, date, enum (did you mean 'integer'?)",
        "10:24: tiers.0.when: 5 should be string",
    ]
    assert str(exc).splitlines()[0] == f"{path}:4:19: scores.priority.min: '0' should be number"
    assert len(str(exc).splitlines()) == 5


def test_all_errors_of_one_field_mapping_are_listed(ruleset):
    exc = failure(ruleset("fields:\n  a: {type: money, currency: usd, decimal: ';', bogus: 1}\n"))
    assert messages(exc) == [
        "4:30: fields.a.currency: 'usd' does not match ^[A-Z]{3}$ (an ISO 4217 currency code such as USD)",
        "4:44: fields.a.decimal: ';' is not one of: ., ,",
        "4:49: fields.a: unknown key 'bogus'",
    ]


def test_errors_are_ruleset_errors_with_exit_code_1(ruleset):
    exc = failure(ruleset("factor: []\n"))
    assert isinstance(exc, RulesetError) and exc.exit_code == 1
    assert [type(e) for e in exc.errors] == [RulesetError]


def test_a_missing_ruleset_file_is_an_input_error(tmp_path):
    exc = failure(tmp_path / "nope.yaml")
    assert isinstance(exc, InputError)
    assert str(exc) == f"{tmp_path / 'nope.yaml'}: ruleset file not found"


# ---------------------------------------------------------------- the typed model


def test_field_shorthand_and_mapping(ruleset):
    loaded = load(ruleset("""
        fields:
          deal_value: money
          id: {type: string, key: true, aliases: ["Opportunity ID", Deal ID]}
          decision_makers: {type: integer, default: 1}
          closes: {type: date, format: "%d/%m/%Y"}
          amount_eu: {type: money, decimal: ",", currency: EUR}
          note: {}
    """))
    f = loaded.fields
    assert f["deal_value"] == FieldSpec(name="deal_value", type="money", loc=f["deal_value"].loc)
    assert f["deal_value"].loc == Loc(str(loaded.path), 4, 15)
    assert f["id"].key and f["id"].aliases == ("Opportunity ID", "Deal ID")
    assert loaded.key == "id"
    assert f["decision_makers"].default == 1 and f["decision_makers"].type == "integer"
    assert f["closes"].format == "%d/%m/%Y"
    assert (f["amount_eu"].decimal, f["amount_eu"].currency) == (",", "EUR")
    assert f["note"].type == "string"
    assert list(f) == ["deal_value", "id", "decision_makers", "closes", "amount_eu", "note"]


def test_enum_values_as_a_list_and_as_canonical_to_spellings(ruleset):
    loaded = load(ruleset("""
        fields:
          answer: {type: enum, values: [yes, no, NO]}
          industry:
            type: enum
            values:
              software: [Software, SaaS]
              manufacturing: [Manufacturing]
              other:
          source: {values: {web: [Website]}}
    """))
    assert loaded.fields["answer"].values == {"yes": (), "no": (), "NO": ()}
    assert loaded.fields["industry"].values == {
        "software": ("Software", "SaaS"),
        "manufacturing": ("Manufacturing",),
        "other": (),
    }
    assert loaded.fields["source"].type == "enum"
    assert loaded.fields["source"].values == {"web": ("Website",)}


def test_an_enum_without_values_is_an_error(ruleset):
    assert messages(failure(ruleset("fields:\n  industry: {type: enum}\n"))) == ["4:13: field 'industry': an enum needs values"]


def test_two_key_fields_are_an_error_at_the_second(ruleset):
    exc = failure(ruleset("fields:\n  id: {type: string, key: true}\n  deal_id: {type: string, key: true}\n"))
    assert messages(exc) == ["5:12: only one field can be the key; 'id' and 'deal_id' both are"]


def test_tiers_stages_factors_actions(tmp_path):
    loaded = load(FIXTURES / "valid" / "contract.yaml")
    assert [lv.name for lv in loaded.tiers.levels] == ["high", "medium", "low"]
    assert loaded.tiers.levels[0].when.text == "deal_value > 1_000_000"
    assert loaded.tiers.levels[2].when is None
    assert [s.name for s in loaded.stages] == ["discovery", "presentation", "evaluation", "won", "lost"]
    assert [s.closed for s in loaded.stages] == [None, None, None, "won", "lost"]
    assert loaded.stages[0].aliases == ("Prospecting",)
    assert list(loaded.stages[2].entry) == ["demo_or_sample"]
    assert [f.name for f in loaded.factors] == ["merger", "decision_makers"]
    assert loaded.factors[1].points.text == "-5 * (decision_makers - 2)"
    assert loaded.factors[0].reason.startswith("A merger")
    assert loaded.actions[0].due.text == "as_of + 2" and loaded.actions[0].applies_to == "open"
    assert [b.name for b in loaded.scores["priority"].bands] == ["A", "B", "C"]
    assert loaded.scores["priority"].min == 0 and loaded.ranking_score == "priority"
    assert str(loaded.as_of) == "2026-11-22" and loaded.version == "2026.11"
    assert [t.name for t in loaded.tests] == ["a confirmed million-dollar deal is A"]


def test_a_test_without_as_of(ruleset):
    loaded = load(ruleset("tests:\n  - name: no date\n    record: {}\n    expect: {}\n"))
    assert loaded.tests[0].as_of is None


def test_an_impossible_test_date_is_an_error_at_it(ruleset):
    exc = failure(ruleset("tests:\n  - {name: x, as_of: 26/11/2026}\n"))
    assert messages(exc) == ["4:22: '26/11/2026' is not a date (YYYY-MM-DD)"]


def test_scores_and_priority_by(ruleset):
    loaded = load(FIXTURES / "valid" / "scores.yaml")
    assert list(loaded.scores) == ["fit", "engagement"]
    assert loaded.ranking_score == "engagement"
    assert (loaded.scores["fit"].min, loaded.scores["fit"].max) == (0, 100)
    assert [(b.name, b.min) for b in loaded.scores["fit"].bands] == [("A", 20), ("B", None)]


def test_without_scores_there_is_one_priority_score(ruleset):
    loaded = load(ruleset("factors:\n  - {name: f, points: 1}\n"))
    assert list(loaded.scores) == ["priority"] and loaded.ranking_score == "priority"


def test_without_priority_the_first_score_ranks(ruleset):
    assert load(ruleset("scores:\n  fit: {}\n  engagement: {}\n")).ranking_score == "fit"


def test_priority_by_an_unknown_score(ruleset):
    exc = failure(ruleset("scores:\n  fit: {}\n  priority: {by: fitt}\n"))
    assert messages(exc) == ["5:18: priority is by unknown score 'fitt' (did you mean 'fit'?)"]


def test_priority_by_takes_no_other_keys(ruleset):
    exc = failure(ruleset("scores:\n  fit: {}\n  priority: {by: fit, min: 0}\n"))
    assert messages(exc) == ["5:13: score 'priority': 'by' names the ranking score and takes no other keys"]


def test_score_min_above_max(ruleset):
    assert messages(failure(ruleset("scores:\n  fit: {min: 10, max: 5}\n"))) == ["4:8: score 'fit': min 10 is above max 5"]


def test_min_equal_to_max_is_allowed(ruleset):
    assert load(ruleset("scores:\n  fit: {min: 5, max: 5}\n")).scores["fit"].max == 5


def test_two_items_with_the_same_name(ruleset):
    exc = failure(ruleset("tiers:\n  - {name: a}\n  - {name: a, points: 1}\n"))
    assert messages(exc) == ["5:5: tiers: two items named 'a'"]


# ---------------------------------------------------------------- expression locations


FIELDS = "fields:\n  deal_value: money\n  merger_pending: boolean\n"


def test_unknown_field_in_a_plain_when_points_at_the_name(ruleset):
    exc = failure(ruleset(FIELDS + "tiers:\n  - {name: high, when: merger_pending and deal_vlaue > 1}\n"))
    assert isinstance(exc, ExpressionError)
    # line 7: `  - {name: high, when: ` is 23 characters, `merger_pending and ` 19 more.
    assert messages(exc) == ["7:43: unknown field 'deal_vlaue' (did you mean 'deal_value'?)"]


def test_unknown_field_in_a_double_quoted_when_points_at_the_name(ruleset):
    exc = failure(ruleset(FIELDS + 'tiers:\n  - {name: high, when: "merger_pending and deal_vlaue > 1"}\n'))
    assert messages(exc) == ["7:44: unknown field 'deal_vlaue' (did you mean 'deal_value'?)"]


def test_unknown_field_in_a_single_quoted_when_points_at_the_name(ruleset):
    exc = failure(ruleset(FIELDS + "factors:\n  - name: f\n    when: 'deal_vlaue > 1'\n"))
    assert messages(exc) == ["8:12: unknown field 'deal_vlaue' (did you mean 'deal_value'?)"]


def test_an_expression_with_escapes_points_at_the_scalar(ruleset):
    exc = failure(ruleset(FIELDS + 'factors:\n  - name: f\n    when: "merger_pending and\\tdeal_vlaue > 1"\n'))
    assert messages(exc) == ["8:12: unknown field 'deal_vlaue' (did you mean 'deal_value'?)"]


def test_a_multi_line_expression_points_at_its_start(ruleset):
    exc = failure(ruleset(FIELDS + "factors:\n  - name: f\n    when: merger_pending and\n      deal_vlaue > 1\n"))
    assert messages(exc)[0].startswith("8:11: ")
    assert "deal_vlaue" in messages(exc)[0]


def test_an_unknown_field_in_points(ruleset):
    exc = failure(ruleset(FIELDS + "factors:\n  - {name: f, when: merger_pending, points: \"-5 * dael_value\"}\n"))
    assert messages(exc) == ["7:51: unknown field 'dael_value' (did you mean 'deal_value'?)"]


def test_expressions_keep_their_text_and_start(ruleset):
    loaded = load_unchecked(ruleset(FIELDS + "factors:\n  - {name: f, when: \"merger_pending\", points: 5}\n"))
    when = loaded.factors[0].when
    assert when == Expr("merger_pending", Loc(str(loaded.path), 7, 22), True)
    assert loaded.factors[0].points.text == "5"


def test_load_unchecked_does_not_compile(ruleset):
    path = ruleset("factors:\n  - {name: f, when: nothing_declared}\n")
    assert load_unchecked(path).factors[0].when.text == "nothing_declared"
    assert isinstance(failure(path), ExpressionError)


# ---------------------------------------------------------------- extends


BASE = """
salesrules: 1
name: base
requires: [pluggy]
fields:
  id: {type: string, key: true}
  deal_value: money
  merger_pending: {type: boolean, default: false}
tiers:
  - {name: high, when: "deal_value > 1_000_000", points: 50}
  - {name: medium, when: "deal_value >= 500_000", points: 30}
  - {name: low, points: 10}
stages:
  - {name: lead, probability: 0.1, points: 5}
  - {name: demo, probability: 0.4, points: 20}
  - {name: won, closed: won}
  - {name: lost, closed: lost}
factors:
  - {name: merger, when: merger_pending, points: -20}
  - {name: big, when: "deal_value > 100", points: 5}
scores:
  priority:
    bands:
      - {name: A, min: 70}
      - {name: C}
actions:
  - {name: call, text: Call}
tests:
  - name: a small deal is low
    record: {deal_value: 10}
    expect: {tier: low}
"""


@pytest.fixture
def family(tmp_path):
    """A folder with base.yaml; ``family(name, text)`` adds a file and returns its path."""
    write(tmp_path, "base.yaml", BASE)

    def add(name: str, text: str) -> Path:
        return write(tmp_path, name, text)

    add.dir = tmp_path
    return add


def names(items) -> list[str]:
    return [item.name for item in items]


def test_a_child_changes_an_item_key_by_key_and_it_keeps_its_place(family):
    path = family("child.yaml", """
        salesrules: 1
        name: child
        extends: [base.yaml]
        tiers:
          - {name: high, points: 60}
    """)
    loaded = load(path)
    assert names(loaded.tiers.levels) == ["high", "medium", "low"]
    high = loaded.tiers.levels[0]
    assert high.when.text == "deal_value > 1_000_000"
    assert high.when.loc == Loc(str(family.dir / "base.yaml"), 9, 25)
    assert high.points.text == "60"
    assert high.points.loc == Loc(str(path), 5, 26)


def test_new_items_are_appended_before_a_catch_all_tier(family):
    loaded = load(family("child.yaml", """
        salesrules: 1
        name: child
        extends: [base.yaml]
        tiers:
          - {name: tiny, when: "deal_value < 100", points: 1}
          - {name: small, when: "deal_value < 1000", points: 2}
    """))
    assert names(loaded.tiers.levels) == ["high", "medium", "tiny", "small", "low"]


def test_new_stages_are_appended_before_the_first_closed_stage(family):
    loaded = load(family("child.yaml", """
        salesrules: 1
        name: child
        extends: [base.yaml]
        stages:
          - {name: negotiation, probability: 0.7}
          - {name: lead, points: 6}
          - {name: contract, probability: 0.9}
          - {name: abandoned, closed: lost}
          - {name: on_hold, probability: 0.05}
    """))
    # on_hold is written after abandoned: the file's own items keep their written order.
    assert names(loaded.stages) == ["lead", "demo", "negotiation", "contract", "won", "lost", "abandoned", "on_hold"]
    assert loaded.stages[0].probability == 0.1


def test_items_of_one_file_keep_the_order_they_are_written_in(ruleset):
    loaded = load_unchecked(ruleset("""
        fields: {v: money}
        tiers:
          - {name: low}
          - {name: high, when: "v > 5"}
        stages:
          - {name: won, closed: won}
          - {name: lead}
    """))
    assert names(loaded.tiers.levels) == ["low", "high"]
    assert names(loaded.stages) == ["won", "lead"]


def test_new_bands_go_before_the_catch_all_band(family):
    loaded = load(family("child.yaml", """
        salesrules: 1
        name: child
        extends: [base.yaml]
        scores:
          priority:
            min: 0
            bands:
              - {name: B, min: 40}
              - {name: A, min: 80}
    """))
    priority = loaded.scores["priority"]
    assert [(b.name, b.min) for b in priority.bands] == [("A", 80), ("B", 40), ("C", None)]
    assert priority.min == 0


def test_new_factors_and_actions_are_appended(family):
    loaded = load(family("child.yaml", """
        salesrules: 1
        name: child
        extends: [base.yaml]
        factors:
          - {name: recent, when: "deal_value > 1", points: 1}
          - {name: merger, points: -30}
        actions:
          - {name: email, text: Email}
    """))
    assert [(f.name, f.points.text) for f in loaded.factors] == [("merger", "-30"), ("big", "5"), ("recent", "1")]
    assert names(loaded.actions) == ["call", "email"]


def test_classification_levels_merge_by_name(family):
    family("parent.yaml", """
        salesrules: 1
        name: parent
        fields: {deal_value: money}
        classifications:
          channel:
            - {name: field, when: "deal_value > 100_000", points: 3}
            - {name: email, points: 1}
    """)
    loaded = load(family("child.yaml", """
        salesrules: 1
        name: child
        extends: parent.yaml
        classifications:
          channel:
            - {name: phone, when: "deal_value > 5_000"}
            - {name: field, when: "deal_value > 200_000"}
    """))
    (channel,) = loaded.classifications
    assert channel.name == "channel"
    assert [(lv.name, lv.when and lv.when.text, lv.points and lv.points.text) for lv in channel.levels] == [
        ("field", "deal_value > 200_000", "3"),
        ("phone", "deal_value > 5_000", None),
        ("email", None, "1"),
    ]


def test_fields_merge_key_by_key_also_from_a_shorthand(family):
    loaded = load(family("child.yaml", """
        salesrules: 1
        name: child
        extends: [base.yaml]
        fields:
          deal_value: {aliases: [Amount]}
          id: string
          owner: string
    """))
    assert loaded.fields["deal_value"].type == "money"
    assert loaded.fields["deal_value"].aliases == ("Amount",)
    assert loaded.fields["id"].key is True and loaded.fields["id"].type == "string"
    assert list(loaded.fields) == ["id", "deal_value", "merger_pending", "owner"]


def test_remove_deletes_an_inherited_item(family):
    loaded = load(family("child.yaml", """
        salesrules: 1
        name: child
        extends: [base.yaml]
        tiers:
          - {name: medium, remove: true}
        stages:
          - {name: demo, remove: true}
        factors:
          - {name: merger, remove: true}
        actions:
          - {name: call, remove: true}
        scores:
          priority:
            bands:
              - {name: A, remove: true}
    """))
    assert names(loaded.tiers.levels) == ["high", "low"]
    assert names(loaded.stages) == ["lead", "won", "lost"]
    assert names(loaded.factors) == ["big"]
    assert loaded.actions == []
    assert names(loaded.scores["priority"].bands) == ["C"]


def test_removing_a_field_that_a_parent_rule_uses_is_located_in_the_parent(family):
    exc = failure(family("child.yaml", """
        salesrules: 1
        name: child
        extends: [base.yaml]
        fields:
          merger_pending: {remove: true}
    """))
    assert isinstance(exc, ExpressionError)
    assert exc.loc == Loc(str(family.dir / "base.yaml"), 18, 26)
    assert "unknown field 'merger_pending'" in exc.message


def test_removing_an_unknown_item_is_an_error_with_did_you_mean(family):
    exc = failure(family("child.yaml", """
        salesrules: 1
        name: child
        extends: [base.yaml]
        factors:
          - {name: mergre, remove: true}
    """))
    assert messages(exc) == ["5:5: cannot remove 'mergre': no inherited item of that name (did you mean 'merger'?)"]


def test_removing_without_a_parent_is_an_error(ruleset):
    exc = failure(ruleset("factors:\n  - {name: x, remove: true}\n"))
    assert messages(exc) == ["4:5: cannot remove 'x': no inherited item of that name"]


def test_parents_merge_left_to_right_then_the_child(family):
    family("p1.yaml", """
        salesrules: 1
        name: p1
        fields: {x: number}
        factors:
          - {name: a, when: "x > 1", points: 1}
          - {name: b, when: "x > 2", points: 2}
    """)
    family("p2.yaml", """
        salesrules: 1
        name: p2
        fields: {x: number}
        factors:
          - {name: c, when: "x > 3", points: 3}
    """)
    loaded = load(family("child.yaml", """
        salesrules: 1
        name: child
        extends: [p1.yaml, p2.yaml]
        factors:
          - {name: d, when: "x > 4", points: 4}
          - {name: a, points: 10}
    """))
    assert [(f.name, f.points.text) for f in loaded.factors] == [("a", "10"), ("b", "2"), ("c", "3"), ("d", "4")]


def two_parents(family, p2_points: int = 2):
    family("p1.yaml", """
        salesrules: 1
        name: p1
        fields: {x: number}
        factors:
          - {name: big, when: "x > 1", points: 1, reason: Big}
    """)
    family("p2.yaml", f"""
        salesrules: 1
        name: p2
        fields: {{x: number}}
        factors:
          - {{name: big, when: "x > 1", points: {p2_points}, reason: Big}}
    """)


def test_two_parents_defining_a_key_differently_conflict(family):
    two_parents(family)
    path = family("child.yaml", "salesrules: 1\nname: child\nextends: [p1.yaml, p2.yaml]\n")
    exc = failure(path)
    assert isinstance(exc, ErrorList)
    p1, p2 = family.dir / "p1.yaml", family.dir / "p2.yaml"
    assert str(exc) == (
        f"{path}:3:10: factors.big.points is defined differently by {p1}:5:40 and {p2}:5:40; "
        "set it in this ruleset to settle it"
    )


def test_the_child_settles_a_conflict_by_setting_the_key(family):
    two_parents(family)
    loaded = load(family("child.yaml", """
        salesrules: 1
        name: child
        extends: [p1.yaml, p2.yaml]
        factors:
          - {name: big, points: 7}
    """))
    assert [(f.name, f.points.text, f.reason) for f in loaded.factors] == [("big", "7", "Big")]


def test_the_child_settles_a_conflict_by_removing_the_item(family):
    two_parents(family)
    loaded = load(family("child.yaml", """
        salesrules: 1
        name: child
        extends: [p1.yaml, p2.yaml]
        factors:
          - {name: big, remove: true}
    """))
    assert loaded.factors == []


def test_setting_another_key_does_not_settle_a_conflict(family):
    two_parents(family)
    exc = failure(family("child.yaml", """
        salesrules: 1
        name: child
        extends: [p1.yaml, p2.yaml]
        factors:
          - {name: big, reason: Very big}
    """))
    assert "factors.big.points is defined differently" in str(exc)


def test_parents_agreeing_do_not_conflict(family):
    two_parents(family, p2_points=1)
    loaded = load(family("child.yaml", "salesrules: 1\nname: child\nextends: [p1.yaml, p2.yaml]\n"))
    assert [(f.name, f.points.text) for f in loaded.factors] == [("big", "1")]


def b_extends_base(family):
    return family("b.yaml", """
        salesrules: 1
        name: b
        extends: base.yaml
        requires: [click]
        tiers:
          - {name: high, when: "deal_value > 2_000_000"}
        factors:
          - {name: merger, remove: true}
          - {name: b_only, when: "deal_value > 1", points: 1}
    """)


@pytest.mark.parametrize("order", ["base.yaml, b.yaml", "b.yaml, base.yaml"])
def test_a_diamond_is_not_a_conflict_and_the_heir_wins(family, order):
    b_extends_base(family)
    loaded = load(family("child.yaml", f"salesrules: 1\nname: child\nextends: [{order}]\n"))
    assert loaded.tiers.levels[0].when.text == "deal_value > 2_000_000"
    assert loaded.tiers.levels[0].points.text == "50"
    assert names(loaded.factors) == ["big", "b_only"]


def test_independent_parents_of_one_grandparent_do_not_conflict(family):
    b_extends_base(family)
    family("c.yaml", """
        salesrules: 1
        name: c
        extends: [base.yaml]
        requires: [jsonschema]
        factors:
          - {name: big, points: 9}
    """)
    loaded = load(family("child.yaml", "salesrules: 1\nname: child\nextends: [b.yaml, c.yaml]\n"))
    assert loaded.tiers.levels[0].when.text == "deal_value > 2_000_000"
    assert [(f.name, f.points.text) for f in loaded.factors] == [("big", "9"), ("b_only", "1")]
    assert loaded.requires == ["pluggy", "click", "jsonschema"]


def test_independent_parents_changing_the_same_key_conflict(family):
    family("b.yaml", "salesrules: 1\nname: b\nextends: base.yaml\nfactors:\n  - {name: big, points: 1}\n")
    family("c.yaml", "salesrules: 1\nname: c\nextends: base.yaml\nfactors:\n  - {name: big, points: 2}\n")
    exc = failure(family("child.yaml", "salesrules: 1\nname: child\nextends: [b.yaml, c.yaml]\n"))
    assert "factors.big.points is defined differently by" in str(exc)
    assert f"{family.dir / 'b.yaml'}:5:25" in str(exc) and f"{family.dir / 'c.yaml'}:5:25" in str(exc)


def test_removing_in_one_parent_and_changing_in_another_conflicts(family):
    family("b.yaml", "salesrules: 1\nname: b\nextends: base.yaml\nfactors:\n  - {name: big, remove: true}\n")
    family("c.yaml", "salesrules: 1\nname: c\nextends: base.yaml\nfactors:\n  - {name: big, points: 2}\n")
    exc = failure(family("child.yaml", "salesrules: 1\nname: child\nextends: [b.yaml, c.yaml]\n"))
    assert "factors.big is defined differently by" in str(exc)


def test_requires_accumulates_in_order_without_duplicates(family):
    family("p1.yaml", "salesrules: 1\nname: p1\nrequires: [polars>=0.1, pyyaml]\n")
    family("p2.yaml", "salesrules: 1\nname: p2\nrequires: [rich, pyyaml]\n")
    loaded = load(family("child.yaml", """
        salesrules: 1
        name: child
        extends: [p1.yaml, p2.yaml]
        requires: [packaging, rich]
    """))
    assert loaded.requires == ["polars>=0.1", "pyyaml", "rich", "packaging"]


def test_tests_names_and_versions_are_not_inherited(family):
    loaded = load(family("child.yaml", "salesrules: 1\nname: child\nextends: base.yaml\n"))
    assert loaded.tests == []
    assert loaded.name == "child" and loaded.version == ""
    assert load(family.dir / "base.yaml").tests[0].name == "a small deal is low"


def test_builtin_standard_resolves():
    loaded = load(FIXTURES / "valid" / "standard_child.yaml")
    standard = load("builtin:standard")
    assert names(loaded.tiers.levels) == ["high", "medium", "low"]
    assert loaded.tiers.levels[0].when.text == "deal_value > 50_000"
    assert loaded.tiers.levels[0].points.text == "50"
    assert names(loaded.stages) == names(standard.stages)
    assert loaded.tests == [] and standard.tests
    assert loaded.hash != standard.hash


def test_paths_are_relative_to_the_extending_file(family, tmp_path, monkeypatch):
    path = family("team/sub/child.yaml", "salesrules: 1\nname: child\nextends: ../../base.yaml\n")
    monkeypatch.chdir(tmp_path / "team")
    assert names(load(path).factors) == ["merger", "big"]


@pytest.mark.parametrize("extends_a", ["b.yaml", "[b.yaml]"])
def test_a_cycle_names_the_chain(family, extends_a):
    a = family("a.yaml", f"salesrules: 1\nname: a\nextends: {extends_a}\n")
    family("b.yaml", "salesrules: 1\nname: b\nextends:\n  - base.yaml\n  - a.yaml\n")
    exc = failure(a)
    assert str(exc) == f"{family.dir / 'b.yaml'}:5:5: extends cycle: a.yaml -> b.yaml -> a.yaml"


def test_extending_itself_is_a_cycle(family):
    path = family("self.yaml", "salesrules: 1\nname: self\nextends: [self.yaml]\n")
    assert str(failure(path)) == f"{path}:3:11: extends cycle: self.yaml -> self.yaml"


def test_a_missing_parent_is_an_error_at_the_extends_entry(family):
    path = family("child.yaml", "salesrules: 1\nname: child\nextends:\n  - base.yaml\n  - nope.yaml\n")
    exc = failure(path)
    assert str(exc) == f"{path}:5:5: extended ruleset 'nope.yaml' not found ({family.dir / 'nope.yaml'})"


def test_an_unknown_builtin_is_an_error_at_the_extends_entry(family):
    path = family("child.yaml", "salesrules: 1\nname: child\nextends: builtin:standrd\n")
    assert str(failure(path)) == f"{path}:3:10: unknown ruleset 'builtin:standrd' (did you mean 'standard'?)"


def test_an_error_in_a_parent_names_the_parent(family):
    family("broken.yaml", "salesrules: 1\nname: broken\nfactor: []\n")
    exc = failure(family("child.yaml", "salesrules: 1\nname: child\nextends: broken.yaml\n"))
    assert str(exc) == f"{family.dir / 'broken.yaml'}:3:1: unknown key 'factor' (did you mean 'factors'?)"


# ---------------------------------------------------------------- extends at size


class Lines:
    """A ruleset file written line by line, remembering where each line and its parts are."""

    def __init__(self, folder: Path, name: str, *head: str):
        self.path = folder / name
        self.lines = list(head)
        self.where: dict[str, int] = {}

    def add(self, line: str, key: str | None = None) -> None:
        self.lines.append(line)
        if key is not None:
            self.where[key] = len(self.lines)

    def at(self, key: str, fragment: str) -> Loc:
        """The location of ``fragment`` on the line added under ``key``."""
        line = self.where[key]
        return Loc(str(self.path), line, self.lines[line - 1].index(fragment) + 1)

    def write(self) -> Path:
        self.path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")
        return self.path


def test_merging_thousands_of_items_keeps_every_place_and_origin(tmp_path):
    parent = Lines(tmp_path, "parent.yaml", "salesrules: 1", "name: parent", "fields: {x: number}", "tiers:")
    for i in range(300):
        parent.add(f'  - {{name: t{i}, when: "x > {i}"}}', f"t{i}")
    parent.add("  - {name: rest, points: 1}", "rest")
    parent.add("factors:")
    for i in range(2000):
        parent.add(f'  - {{name: f{i}, when: "x > {i}", points: 1}}', f"f{i}")
    parent.write()

    mid = Lines(tmp_path, "mid.yaml", "salesrules: 1", "name: mid", "extends: [parent.yaml]", "tiers:")
    for j in range(200):
        mid.add(f'  - {{name: u{j}, when: "x < {j}"}}', f"u{j}")
    mid.add("factors:")
    for i in range(2000):
        if i % 10 == 0:
            mid.add(f"  - {{name: f{i}, remove: true}}", f"f{i}")
        elif i % 3 == 0:
            mid.add(f"  - {{name: f{i}, points: 2}}", f"f{i}")
    for j in range(300):
        mid.add(f'  - {{name: m{j}, when: "x < {j}", points: 3}}', f"m{j}")
    mid.write()

    child = Lines(tmp_path, "child.yaml", "salesrules: 1", "name: child", "extends: mid.yaml", "tiers:")
    child.add('  - {name: t0, when: "x > 1000"}', "t0")
    for k in range(100):
        child.add(f'  - {{name: v{k}, when: "x == {k}"}}', f"v{k}")
    child.add("  - {name: other}", "other")
    child.add('  - {name: last, when: "x == -1"}', "last")
    child.add("factors:")
    for i in range(0, 2000, 7):
        if i % 10:
            child.add(f"  - {{name: f{i}, reason: seven}}", f"f{i}")
    for j in range(0, 300, 5):
        child.add(f"  - {{name: m{j}, remove: true}}", f"m{j}")
    for k in range(300):
        child.add(f'  - {{name: c{k}, when: "x == {k}", points: 4}}', f"c{k}")
    loaded = load_unchecked(child.write())

    assert names(loaded.tiers.levels) == (
        [f"t{i}" for i in range(300)] + [f"u{j}" for j in range(200)] + [f"v{k}" for k in range(100)]
        + ["rest", "other", "last"]
    )
    t0 = loaded.tiers.levels[0]
    assert (t0.when.text, t0.when.loc, t0.loc) == ("x > 1000", child.at("t0", "x > 1000"), parent.at("t0", "{"))

    expected = []
    for i in range(2000):
        if i % 10 == 0:
            continue
        points = mid.at(f"f{i}", "2}") if i % 3 == 0 else parent.at(f"f{i}", "1}")
        expected.append((f"f{i}", parent.at(f"f{i}", "{"), parent.at(f"f{i}", "x >"), "2" if i % 3 == 0 else "1", points,
                         "seven" if i % 7 == 0 else None))
    for j in range(300):
        if j % 5:
            expected.append((f"m{j}", mid.at(f"m{j}", "{"), mid.at(f"m{j}", "x <"), "3", mid.at(f"m{j}", "3}"), None))
    for k in range(300):
        expected.append((f"c{k}", child.at(f"c{k}", "{"), child.at(f"c{k}", "x =="), "4", child.at(f"c{k}", "4}"), None))
    actual = [(f.name, f.loc, f.when.loc, f.points.text, f.points.loc, f.reason) for f in loaded.factors]
    assert actual == expected


def thousands_of_factors(folder: Path, name: str, points=lambda i: 1) -> Lines:
    """A ruleset of 2,000 factors on x, and one on y (f1500)."""
    lines = Lines(folder, name, "salesrules: 1", f"name: {name.split('.')[0]}", "fields: {x: number, y: number}", "factors:")
    for i in range(2000):
        field_ = "y" if i == 1500 else "x"
        lines.add(f'  - {{name: f{i}, when: "{field_} > {i}", points: {points(i)}}}', f"f{i}")
    lines.write()
    return lines


def test_errors_after_merging_thousands_of_items_point_into_the_right_file(tmp_path):
    parent = thousands_of_factors(tmp_path, "parent.yaml")
    removes_y = write(tmp_path, "child.yaml", """
        salesrules: 1
        name: child
        extends: parent.yaml
        fields:
          y: {remove: true}
        factors:
          - {name: f7, points: 3}
    """)
    exc = failure(removes_y)
    assert isinstance(exc, ExpressionError)
    assert exc.loc == parent.at("f1500", "y > 1500")
    assert "unknown field 'y'" in exc.message

    unknown = write(tmp_path, "typo.yaml", """
        salesrules: 1
        name: typo
        extends: parent.yaml
        factors:
          - {name: f7, remove: true}
          - {name: f19999, remove: true}
    """)
    assert messages(failure(unknown, load_unchecked)) == [
        "6:5: cannot remove 'f19999': no inherited item of that name (did you mean 'f1999'?)"
    ]


def test_a_conflict_among_thousands_of_items_names_both_parents(tmp_path):
    p1 = thousands_of_factors(tmp_path, "p1.yaml")
    p2 = thousands_of_factors(tmp_path, "p2.yaml", points=lambda i: 2 if i == 1777 else 1)
    path = write(tmp_path, "child.yaml", "salesrules: 1\nname: child\nextends: [p1.yaml, p2.yaml]\n")
    exc = failure(path, load_unchecked)
    assert str(exc) == (
        f"{path}:3:10: factors.f1777.points is defined differently by {p1.at('f1777', '1}')} and "
        f"{p2.at('f1777', '2}')}; set it in this ruleset to settle it"
    )
    settled = write(tmp_path, "settled.yaml", "salesrules: 1\nname: s\nextends: [p1.yaml, p2.yaml]\nfactors:\n  - {name: f1777, points: 5}\n")
    loaded = load_unchecked(settled)
    assert names(loaded.factors) == [f"f{i}" for i in range(2000)]
    assert loaded.factors[1777].points.loc == Loc(str(settled), 5, 27)
    assert loaded.factors[1776].points.loc == p1.at("f1776", "1}")


# ---------------------------------------------------------------- content hash


def test_the_hash_is_stable_for_the_same_rules(tmp_path):
    first = load(write(tmp_path, "one.yaml", BASE))
    reformatted = BASE.replace("name: base\n", "name: base  # renamed copies keep the hash\n")
    reformatted = reformatted.replace("{name: big, when: \"deal_value > 100\", points: 5}", "{points: 5, name: big, when: 'deal_value > 100'}")
    second = load(write(tmp_path / "elsewhere", "two.yaml", reformatted))
    assert first.hash == second.hash
    assert load(write(tmp_path, "one.yaml", BASE)).hash == first.hash


def test_the_hash_changes_when_a_rule_changes(tmp_path):
    base = load(write(tmp_path, "base.yaml", BASE)).hash
    for old, new in [
        ("points: 50", "points: 51"),
        ("deal_value > 1_000_000", "deal_value >= 1_000_000"),
        ("probability: 0.4", "probability: 0.5"),
        ("{name: A, min: 70}", "{name: A, min: 75}"),
        ("deal_value: money", "deal_value: number"),
        ("[pluggy]", "[rich]"),
    ]:
        assert old in BASE
        changed = load(write(tmp_path, "changed.yaml", BASE.replace(old, new))).hash
        assert changed != base, old


def test_reordering_items_changes_the_hash(tmp_path):
    base = load(write(tmp_path, "base.yaml", BASE)).hash
    swapped = BASE.replace(
        "  - {name: merger, when: merger_pending, points: -20}\n  - {name: big, when: \"deal_value > 100\", points: 5}\n",
        "  - {name: big, when: \"deal_value > 100\", points: 5}\n  - {name: merger, when: merger_pending, points: -20}\n",
    )
    assert swapped != BASE
    assert load(write(tmp_path, "swapped.yaml", swapped)).hash != base


def test_the_hash_of_an_extending_ruleset_is_that_of_its_merged_rules(family):
    inherited = load(family("child.yaml", "salesrules: 1\nname: child\nextends: base.yaml\n"))
    flat = load(family("flat.yaml", BASE.replace("name: base", "name: flat").split("tests:")[0]))
    assert inherited.hash == flat.hash
    changed = load(family("child2.yaml", "salesrules: 1\nname: c\nextends: base.yaml\nfactors:\n  - {name: big, points: 6}\n"))
    assert changed.hash != inherited.hash


def test_the_hash_handles_keys_that_are_not_strings(ruleset):
    loaded = load(ruleset("fields:\n  flag: {type: enum, values: {true: [Y], maybe: [M]}}\n"))
    assert len(loaded.hash) == 12


def test_schema_is_valid_json_schema():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(ruleset_schema())


def test_the_shipped_schema_file_is_the_sections_schema():
    """Editors read schemas/ruleset.schema.json; it must be what the sections declare."""
    from importlib.resources import files

    from salesrules.loader.schema import schema_text

    shipped = files("salesrules.schemas").joinpath("ruleset.schema.json").read_text("utf-8")
    assert shipped == schema_text(), "regenerate it: salesrules schema > src/salesrules/schemas/ruleset.schema.json"


def test_every_top_level_key_belongs_to_one_section_or_the_header():
    from salesrules.compiler.sections import SECTIONS

    owners: dict[str, str] = {}
    for section in SECTIONS:
        for key in section.schema:
            assert key not in owners, f"{key} is declared by {owners[key]} and {section.name}"
            owners[key] = section.name
    assert set(ruleset_schema()["properties"]) == set(owners) | {
        "salesrules", "name", "version", "description", "extends", "requires", "as_of", "tests"
    }


def test_copies_of_the_shipped_rulesets_load_from_anywhere(tmp_path):
    for path in SHIPPED:
        copy = tmp_path / path.name
        shutil.copy(path, copy)
        assert load(copy).hash == load(path).hash


@pytest.mark.parametrize("path", sorted((ROOT / "rulesets").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_ruleset_has_at_least_five_tests(path):
    assert len(load(str(path)).tests) >= 5


def test_the_standard_ruleset_s_tests_exercise_every_rule(cli_runner):
    from salesrules.cli import cli

    result = cli_runner.invoke(cli, ["test", str(ROOT / "rulesets" / "standard.yaml"), "--coverage", "--fail-under", "100"])
    assert result.exit_code == 0, result.output
    assert "29 of 29 rule items exercised (100.0%)" in result.output


def _own_items(ruleset) -> dict:
    """The coverage keys of the rules a ruleset's own file defines (not those it inherits)."""
    import os

    own = os.path.realpath(ruleset.path)
    mine = lambda item: item.loc is not None and os.path.realpath(item.loc.file) == own
    items = {}
    for c in ruleset.classifications:
        items.update({("levels", c.name, level.name): level for level in c.levels if mine(level)})
    items.update({("stages", None, s.name): s for s in ruleset.stages if mine(s)})
    items.update({("factors", None, f.name): f for f in ruleset.factors if mine(f)})
    for score in ruleset.scores.values():
        items.update({("bands", score.name, b.name): b for b in score.bands if mine(b)})
    items.update({("actions", None, a.name): a for a in ruleset.actions if mine(a)})
    return items


@pytest.mark.parametrize("path", sorted((ROOT / "rulesets").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_ruleset_s_tests_exercise_its_own_rules(path):
    """Each shipped ruleset's tests exercise every rule its file defines; what it inherits is
    tested where it is defined."""
    from salesrules.analysis.testing import collect, run_suite
    from salesrules.analysis.testing.coverage import coverage

    suites = collect([str(path)])
    runs = [(suite, run_suite(suite)) for suite in suites]
    found = coverage(runs)
    assert len(found) == 1
    own = _own_items(found[0].ruleset)
    missed = sorted(f"{kind} {group or ''} {name}".replace("  ", " ") for (kind, group, name) in own
                    if not found[0].items.get((kind, group, name)))
    assert not missed
