"""The YAML reader: YAML 1.2 core types, strictness, limits and source locations."""

from __future__ import annotations

import datetime as dt
import time
import tracemalloc

import pytest

from salesrules.errors import Loc, RulesetError
from salesrules.loader.yamlsource import YDict, YList, YStr, load_yaml

SRC = "r.yaml"


def value(scalar: str):
    """The value of ``scalar`` written as the value of a key."""
    return load_yaml(f"a: {scalar}\n", SRC)["a"]


def error(text: str) -> RulesetError:
    with pytest.raises(RulesetError) as info:
        load_yaml(text, SRC)
    return info.value


# ---------------------------------------------------------------- YAML 1.2 core types


@pytest.mark.parametrize("scalar, expected", [
    ("true", True), ("True", True), ("TRUE", True),
    ("false", False), ("False", False), ("FALSE", False),
])
def test_only_true_and_false_are_booleans(scalar, expected):
    assert value(scalar) is expected


@pytest.mark.parametrize("scalar", ["no", "NO", "No", "yes", "Yes", "YES", "on", "On", "off", "OFF", "y", "Y", "n", "N", "tRue"])
def test_yaml_1_1_booleans_stay_strings(scalar):
    result = value(scalar)
    assert result == scalar
    assert type(result) is YStr


def test_the_country_code_of_norway_is_a_string_key_and_value():
    data = load_yaml("NO: Norway\ncountries: [SE, NO, DK]\n", SRC)
    assert data == {"NO": "Norway", "countries": ["SE", "NO", "DK"]}


@pytest.mark.parametrize("scalar", ["1:20", "190:20:30", "1:20.5", "-1:30"])
def test_no_sexagesimal_numbers(scalar):
    assert value(scalar) == scalar


@pytest.mark.parametrize("scalar, expected", [
    ("0", 0), ("42", 42), ("-17", -17), ("+5", 5), ("1_000_000", 1_000_000), ("017", 17),
    ("0x1F", 31), ("0o17", 15), ("99999999999999999999", 99999999999999999999),
])
def test_integers(scalar, expected):
    result = value(scalar)
    assert result == expected and type(result) is int


@pytest.mark.parametrize("scalar", ["0x", "0o", "0x_", "_1", "0b101", "1_000 USD", "1,000"])
def test_things_that_only_look_like_integers_are_strings(scalar):
    assert value(scalar) == scalar


@pytest.mark.parametrize("scalar, expected", [
    ("1.5", 1.5), ("-0.25", -0.25), ("1e3", 1000.0), ("1.5e3", 1500.0), ("6.8523015e+5", 685230.15),
    (".5", 0.5), ("1_000.5", 1000.5), ("1.7976931348623157e308", 1.7976931348623157e308),
])
def test_floats(scalar, expected):
    result = value(scalar)
    assert result == expected and type(result) is float


@pytest.mark.parametrize("scalar, message", [
    (".inf", "r.yaml:1:4: .inf is beyond ±1.8e308, the largest number, and cannot be represented (quote it if it is text)"),
    ("-.inf", "r.yaml:1:4: -.inf is beyond ±1.8e308, the largest number, and cannot be represented (quote it if it is text)"),
    ("+.INF", "r.yaml:1:4: +.INF is beyond ±1.8e308, the largest number, and cannot be represented (quote it if it is text)"),
    ("1e999", "r.yaml:1:4: 1e999 is beyond ±1.8e308, the largest number, and cannot be represented (quote it if it is text)"),
    (".nan", "r.yaml:1:4: .nan is not a number a ruleset can use (write a number, or quote it if it is text)"),
    (".NaN", "r.yaml:1:4: .NaN is not a number a ruleset can use (write a number, or quote it if it is text)"),
])
def test_numbers_that_cannot_be_represented_are_refused_where_they_are_written(scalar, message):
    with pytest.raises(RulesetError) as info:
        value(scalar)
    assert str(info.value) == message


def test_quoted_they_are_text():
    assert value("'1e999'") == "1e999" and value("'.nan'") == ".nan"


@pytest.mark.parametrize("text", ["a: ~\n", "a: null\n", "a: Null\n", "a: NULL\n", "a:\n", "a: !!null ''\n"])
def test_null_spellings(text):
    assert load_yaml(text, SRC) == {"a": None}


@pytest.mark.parametrize("scalar", ["nil", "none", "None", "nULL"])
def test_other_null_like_words_are_strings(scalar):
    assert value(scalar) == scalar


def test_iso_dates_become_dates():
    assert value("2026-11-22") == dt.date(2026, 11, 22)
    assert type(value("2026-11-22")) is dt.date


@pytest.mark.parametrize("scalar", ["2026-1-2", "22/11/2026", "2026-11-22T10:00:00", "2026-11-22 10:00"])
def test_other_date_shapes_stay_strings(scalar):
    assert value(scalar) == scalar


def test_an_impossible_date_is_an_error_at_its_place():
    exc = error("name: x\nas_of: 2026-02-30\n")
    assert str(exc) == "r.yaml:2:8: '2026-02-30' is not a valid date"


def test_quoted_scalars_are_always_strings():
    data = load_yaml("a: 'true'\nb: \"1_000\"\nc: '2026-11-22'\nd: 'null'\n", SRC)
    assert data == {"a": "true", "b": "1_000", "c": "2026-11-22", "d": "null"}


def test_explicit_standard_tags():
    data = load_yaml("a: !!str 5\nb: !!int '7'\nc: !!float 1\nd: !!bool true\n", SRC)
    assert data == {"a": "5", "b": 7, "c": 1.0, "d": True}
    assert type(data["c"]) is float


@pytest.mark.parametrize("text, message", [
    ("a: !!bool yes", "r.yaml:1:4: 'yes' is not a boolean (true or false)"),
    ("a: !!int abc", "r.yaml:1:4: 'abc' is not an integer"),
    ("a: !!float abc", "r.yaml:1:4: 'abc' is not a number"),
    ("a: !!null x", "r.yaml:1:4: 'x' is not null"),
    ("a: !!timestamp soon", "r.yaml:1:4: 'soon' is not a date (YYYY-MM-DD)"),
    ("a: !!int [1]", "r.yaml:1:4: YAML tag 'tag:yaml.org,2002:int' needs a single value"),
])
def test_an_explicit_tag_with_a_wrong_value_is_an_error_not_a_wrong_value(text, message):
    assert str(error(text)) == message


# ---------------------------------------------------------------- strictness


def test_a_duplicate_key_is_an_error_at_the_second_key_naming_the_first_line():
    exc = error("name: x\nfields: {}\nname: y\n")
    assert str(exc) == "r.yaml:3:1: duplicate key 'name' (first defined at line 1)"
    assert exc.loc == Loc(SRC, 3, 1)


def test_a_duplicate_key_in_a_nested_flow_mapping():
    exc = error("tiers:\n  - {name: a, when: x,\n     name: b}\n")
    assert str(exc) == "r.yaml:3:6: duplicate key 'name' (first defined at line 2)"


def test_keys_of_different_types_are_different_keys():
    assert load_yaml("1: a\n'1': b\n", SRC) == {1: "a", "1": "b"}


@pytest.mark.parametrize("text, tag, col", [
    ("a: !!python/object:os.system x\n", "tag:yaml.org,2002:python/object:os.system", 4),
    ("a: !!python/object/apply:os.system ['echo hi']\n", "tag:yaml.org,2002:python/object/apply:os.system", 4),
    ("a: !!python/name:os.system\n", "tag:yaml.org,2002:python/name:os.system", 4),
    ("a: !!python/tuple [1, 2]\n", "tag:yaml.org,2002:python/tuple", 4),
    ("a: !foo x\n", "!foo", 4),
    ("a: !Ref other\n", "!Ref", 4),
    ("a: !<tag:example.com,2026:money> 5\n", "tag:example.com,2026:money", 4),
    ("a: !!binary aGVsbG8=\n", "tag:yaml.org,2002:binary", 4),
    ("a: !!set {x, y}\n", "tag:yaml.org,2002:set", 4),
    ("a: !!omap [b: 1]\n", "tag:yaml.org,2002:omap", 4),
    ("a: !!pairs [b: 1]\n", "tag:yaml.org,2002:pairs", 4),
    ("!!python/object/apply:os.system ['echo hi']\n", "tag:yaml.org,2002:python/object/apply:os.system", 1),
    ("a:\n  - !custom {x: 1}\n", "!custom", None),
])
def test_object_and_custom_tags_are_rejected(text, tag, col):
    exc = error(text)
    assert exc.message == f"YAML tag {tag!r} is not allowed"
    if col is not None:
        assert exc.loc == Loc(SRC, 1, col)
    else:
        assert exc.loc == Loc(SRC, 2, 5)


def test_merge_keys_are_not_yaml_1_2_and_stay_plain_keys():
    data = load_yaml("base: &b {x: 1}\nchild:\n  <<: *b\n  y: 2\n", SRC)
    assert data["child"] == {"<<": {"x": 1}, "y": 2}


@pytest.mark.parametrize("text, loc", [
    ("fields:\n\tdeal_value: money\n", (2, 1)),
    ("fields:\n  a: 1\n\tb: 2\n", (3, 1)),
    ("\tname: x\n", (1, 1)),
    ("items:\n  -\tx\n", (2, 4)),
])
def test_tabs_in_indentation_are_explained(text, loc):
    exc = error(text)
    assert "tab" in exc.message
    assert exc.message == "YAML syntax error: tab characters cannot indent YAML; use spaces"
    assert (exc.loc.line, exc.loc.col) == loc


def test_a_tab_inside_a_quoted_value_is_fine():
    assert load_yaml('a: "x\ty"\n', SRC) == {"a": "x\ty"}


@pytest.mark.parametrize("text, message", [
    ("a: [1, 2\n", "r.yaml:2:1: YAML syntax error: expected ',' or ']', but got '<stream end>'"),
    ("a: b: c\n", "r.yaml:1:5: YAML syntax error: mapping values are not allowed here"),
    ("a: 1\n b: 2\n", "r.yaml:2:3: YAML syntax error: mapping values are not allowed here"),
    ("a: 'unterminated\n", "r.yaml:2:1: YAML syntax error: found unexpected end of stream"),
    ("a: @x\n", "r.yaml:1:4: YAML syntax error: found character '@' that cannot start any token"),
    ("a: *nope\n", "r.yaml:1:4: YAML syntax error: found undefined alias 'nope'"),
    ("--- a\n--- b\n", "r.yaml:2:1: YAML syntax error: expected a single document in the stream, but found another document"),
    ("a: !!seq {b: 1}\n", "r.yaml:1:4: YAML syntax error: expected a sequence"),
    ("? [1, 2]\n: x\n", "r.yaml:1:3: a mapping key must be a plain value"),
])
def test_syntax_errors_have_line_and_column(text, message):
    assert str(error(text)) == message


def test_a_control_character_is_a_located_one_line_error():
    exc = error("name: x\nb: a\x00b\n")
    assert str(exc) == "r.yaml:2:5: YAML syntax error: character U+0000 is not allowed in YAML text"


def test_a_byte_order_mark_is_ignored():
    assert load_yaml("\ufeffa: 1\n", SRC) == {"a": 1}


# ---------------------------------------------------------------- limits


def _alias_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_rejected_quickly():
    start = time.process_time()
    exc = error(_alias_bomb())
    assert time.process_time() - start < 3
    assert str(exc) == "r.yaml:1:1: document expands to more than 200,000 values (too many aliases?)"


def test_billion_laughs_does_not_exhaust_memory():
    tracemalloc.start()
    try:
        error(_alias_bomb())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


def test_recursive_aliases_are_rejected():
    assert "too many aliases" in error("a: &x [*x]\n").message
    assert "too many aliases" in error("a: &x {b: *x}\n").message


def test_a_few_aliases_are_fine_and_expand():
    data = load_yaml("base: &b [x, y]\ncopy: *b\nmore: [*b, *b]\n", SRC)
    assert data == {"base": ["x", "y"], "copy": ["x", "y"], "more": [["x", "y"], ["x", "y"]]}


def test_deep_nesting_is_rejected_quickly_without_a_recursion_error():
    start = time.process_time()
    exc = error("[" * 20_000 + "]" * 20_000)
    assert time.process_time() - start < 3
    assert str(exc) == "r.yaml:1:101: YAML is nested more than 100 levels deep"


def test_nesting_of_a_real_ruleset_is_fine():
    assert load_yaml("a: " + "[" * 50 + "]" * 50, SRC)["a"] is not None


# ---------------------------------------------------------------- documents that are not mappings


def test_a_list_at_the_top_level():
    data = load_yaml("- a\n- 2\n", SRC)
    assert type(data) is YList
    assert data == ["a", 2]
    assert data.loc == Loc(SRC, 1, 1)
    assert data.item_locs == [Loc(SRC, 1, 3), Loc(SRC, 2, 3)]


def test_a_scalar_at_the_top_level():
    text = load_yaml("hello world\n", SRC)
    assert type(text) is YStr and text == "hello world" and text.loc == Loc(SRC, 1, 1)
    assert load_yaml("5\n", SRC) == 5
    assert load_yaml("true\n", SRC) is True


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_an_empty_document_is_none(text):
    assert load_yaml(text, SRC) is None


# ---------------------------------------------------------------- locations

LOCATED = """\
name: acme
fields:
  deal_value: {type: money}
  stage:
    type: string
items:
  - first
  -   second
  - [1, 2]
"""


def test_mapping_locations():
    data = load_yaml(LOCATED, SRC)
    assert type(data) is YDict
    assert data.loc == Loc(SRC, 1, 1)
    assert data.key_locs == {"name": Loc(SRC, 1, 1), "fields": Loc(SRC, 2, 1), "items": Loc(SRC, 6, 1)}
    assert data.value_locs == {"name": Loc(SRC, 1, 7), "fields": Loc(SRC, 3, 3), "items": Loc(SRC, 7, 3)}
    fields = data["fields"]
    assert type(fields) is YDict and fields.loc == Loc(SRC, 3, 3)
    assert fields.key_locs == {"deal_value": Loc(SRC, 3, 3), "stage": Loc(SRC, 4, 3)}
    assert fields.value_locs == {"deal_value": Loc(SRC, 3, 15), "stage": Loc(SRC, 5, 5)}
    assert fields["deal_value"].loc == Loc(SRC, 3, 15)
    assert fields["deal_value"].key_locs == {"type": Loc(SRC, 3, 16)}
    assert fields["deal_value"].value_locs == {"type": Loc(SRC, 3, 22)}


def test_loc_of_prefers_the_value_then_the_key_then_the_mapping():
    data = load_yaml(LOCATED, SRC)
    assert data.loc_of("name") == Loc(SRC, 1, 7)
    assert data.loc_of("missing") == Loc(SRC, 1, 1)
    empty = load_yaml("a:\nb: 1\n", SRC)
    assert empty.loc_of("a") == Loc(SRC, 1, 3)


def test_sequence_locations():
    items = load_yaml(LOCATED, SRC)["items"]
    assert type(items) is YList
    assert items.loc == Loc(SRC, 7, 3)
    assert items.item_locs == [Loc(SRC, 7, 5), Loc(SRC, 8, 7), Loc(SRC, 9, 5)]
    assert items[2].loc == Loc(SRC, 9, 5)
    assert items[2].item_locs == [Loc(SRC, 9, 6), Loc(SRC, 9, 9)]


def test_string_locations_and_styles():
    data = load_yaml(LOCATED, SRC)
    assert data["name"].loc == Loc(SRC, 1, 7) and data["name"].style is None
    assert data["items"][1].loc == Loc(SRC, 8, 7)
    assert data["fields"]["stage"]["type"].loc == Loc(SRC, 5, 11)


EXPRESSIONS = """\
plain: a > 1
double: "a > 1"
single: 'a > 1'
escaped: "a\\tb"
doubled_quote: 'it''s'
literal: |
  a > 1
folded: >
  a >
  1
multi_line_plain: a >
  1
unicode: "é > 1"
"""


@pytest.mark.parametrize("key, text, style, exact, loc", [
    ("plain", "a > 1", None, True, (1, 8)),
    ("double", "a > 1", '"', True, (2, 9)),
    ("single", "a > 1", "'", True, (3, 9)),
    ("escaped", "a\tb", '"', False, (4, 10)),
    ("doubled_quote", "it's", "'", False, (5, 16)),
    ("literal", "a > 1\n", "|", False, (6, 10)),
    ("folded", "a > 1\n", ">", False, (8, 9)),
    ("multi_line_plain", "a > 1", None, False, (11, 19)),
    ("unicode", "é > 1", '"', True, (13, 10)),
])
def test_ystr_exact_says_whether_offsets_in_the_text_are_file_columns(key, text, style, exact, loc):
    value_ = load_yaml(EXPRESSIONS, SRC)[key]
    assert type(value_) is YStr
    assert value_ == text
    assert value_.style == style
    assert value_.exact is exact
    assert (value_.loc.line, value_.loc.col) == loc


def test_numbers_and_booleans_are_plain_python_values_located_by_their_container():
    data = load_yaml("points: 5\nflag: true\n", SRC)
    assert type(data["points"]) is int and type(data["flag"]) is bool
    assert data.value_locs == {"points": Loc(SRC, 1, 9), "flag": Loc(SRC, 2, 7)}


def test_the_source_name_is_used_verbatim():
    assert load_yaml("a: b\n", "rulesets/x.yaml").loc == Loc("rulesets/x.yaml", 1, 1)
    assert str(error_in("some/where.yaml")) == "some/where.yaml:1:4: YAML syntax error: found character '@' that cannot start any token"


def error_in(source: str) -> RulesetError:
    with pytest.raises(RulesetError) as info:
        load_yaml("a: @\n", source)
    return info.value


# ---------------------------------------------------------------- values of the wrong kind

DATE_AS_TEXT = "2024-01-01 reads as a date; quote it to use it as text: '2024-01-01'"


@pytest.mark.parametrize("body, place, message", [
    ("fields:\n  2024-01-01: money\n", "4:3", f"fields: {DATE_AS_TEXT}"),
    ("fields:\n  v: {type: enum, values: [2024-01-01, b]}\n", "4:28", f"fields.v.values.0: {DATE_AS_TEXT}"),
    ("fields:\n  v: {type: money, aliases: [2024-01-01]}\n", "4:30", f"fields.v.aliases.0: {DATE_AS_TEXT}"),
    ("scores:\n  2024-01-01: {min: 0}\n", "4:3", f"scores: {DATE_AS_TEXT}"),
    ("currencies: {base: EUR, rates: {2024-01-01: 1.1}}\n", "3:33", f"currencies.rates: {DATE_AS_TEXT}"),
    ("grades:\n  2024-01-01: {}\n", "4:3", f"grades: {DATE_AS_TEXT}"),
    ("factors:\n  - {name: 2024-01-01, when: 'true'}\n", "4:12", f"factors.0.name: {DATE_AS_TEXT}"),
    ("tiers:\n  - {name: 2024-01-01, when: 'true'}\n", "4:12", f"tiers.0.name: {DATE_AS_TEXT}"),
    ('description: "\\ud800"\n', "3:14", "text holds a lone surrogate \\ud800, which is no character"),
    ('fields:\n  "a\\udc00": money\n', "4:3", "text holds a lone surrogate \\udc00, which is no character"),
    ("extends: ['" + "a" * 5000 + "']\n", "3:11",
     "extended ruleset '" + "a" * 200 + "'... (5,000 characters) cannot be read: File name too long"),
])
def test_values_of_the_wrong_kind_are_located_errors(cli_runner, tmp_path, body, place, message):
    from salesrules.cli import cli

    path = tmp_path / "r.yaml"
    path.write_text("salesrules: 1\nname: x\n" + body)
    result = cli_runner.invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[0] == f"error: {path}:{place}: {message}"
    assert "internal error" not in result.stderr


def test_a_date_where_a_date_is_meant_is_still_a_date(tmp_path):
    from salesrules.loader.load import load

    path = tmp_path / "r.yaml"
    path.write_text("salesrules: 1\nname: x\nas_of: 2026-11-22\nfields:\n  v: money\n")
    assert load(path).as_of == dt.date(2026, 11, 22)
