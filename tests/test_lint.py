"""salesrules lint: every warning kind at its exact place, soundness, the command and its docs."""

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

import salesrules
from salesrules.analysis import lint as lint_module
from salesrules.analysis.lint import LintWarning, Warning, lint
from salesrules.cli.lint import lint_command
from salesrules.errors import Loc
from salesrules.loader.load import load_unchecked

ROOT = Path(__file__).parent.parent

HEAD = """\
salesrules: 1
name: t
fields:
  id: {type: string, key: true}
  deal_value: money
  seats: integer
  merger: {type: boolean, default: false}
  industry: {type: enum, values: [software, retail, energy]}
  country: string
  close_date: date
"""
# Rules that use every field of HEAD, so that a test sees only the warnings it provokes.
USES = """\
actions:
  - {name: uses, when: "merger or seats == 1 or industry == 'retail' or country == 'NO' or close_date is None", text: "{deal_value}"}
"""
TIERS = """\
tiers:
  - {name: high, when: "deal_value > 1_000_000"}
  - {name: low}
"""


def ruleset_file(tmp_path, body, name="r.yaml", uses=True, tiers=True):
    text = HEAD + (TIERS if tiers else "") + body + (USES if uses else "")
    path = tmp_path / name
    path.write_text(text)
    return path


def warnings_of(tmp_path, body, checked=True, **kwargs):
    path = ruleset_file(tmp_path, body, **kwargs)
    ruleset = salesrules.load(path) if checked else load_unchecked(path)
    return [(w.code, w.loc.line, w.loc.col, w.message) for w in lint(ruleset)]


def line_of(path, fragment):
    """The 1-based line and column of ``fragment`` in the file."""
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        if fragment in line:
            return number, line.index(fragment) + 1
    raise AssertionError(fragment)


# ---------------------------------------------------------------- a clean ruleset


def test_a_clean_ruleset_has_no_warnings(tmp_path):
    body = """\
stages:
  - {name: lead, probability: 0.1}
  - {name: won, closed: won}
factors:
  - {name: big_team, when: "seats > 50 and seats <= 500 or merger", points: 50}
  - {name: recent, when: "days_since(close_date) > 14 and days_since(close_date) < 60", points: 20}
scores:
  priority:
    min: 0
    bands:
      - {name: A, min: 70}
      - {name: B, min: 40}
      - {name: C}
"""
    assert warnings_of(tmp_path, body) == []


def test_the_standard_ruleset_warns_only_about_what_it_leaves_to_reports():
    found = lint(salesrules.load(ROOT / "rulesets" / "standard.yaml"))
    assert {w.code for w in found} == {"unused-field", "no-catch-all"}
    assert [w.message.split("'")[1] for w in found if w.code == "unused-field"] == [
        "owner", "territory", "industry", "country", "lead_source", "created", "close_date"]


# ---------------------------------------------------------------- unreachable levels


def test_level_shadowed_by_an_earlier_threshold(tmp_path):
    body = """\
classifications:
  size:
    - {name: mid, when: "deal_value >= 500_000"}
    - {name: big, when: "deal_value > 1_000_000"}
    - {name: small}
"""
    assert warnings_of(tmp_path, body) == [
        ("unreachable-level", 17, 26, "size level 'big' can never be reached: 'mid' before it already takes "
                                      "every value of deal_value it accepts"),
    ]


def test_level_shadowed_by_several_earlier_levels_and_ranges(tmp_path):
    body = """\
classifications:
  band_of_seats:
    - {name: few, when: "seats < 10"}
    - {name: some, when: "10 <= seats <= 100 or seats == 500"}
    - {name: exact, when: "seats >= 5 and seats < 20"}
    - {name: integers, when: "seats > 9.5 and seats < 10.5"}
    - {name: fine, when: "seats > 100 and seats < 500"}
    - {name: rest}
"""
    assert warnings_of(tmp_path, body) == [
        ("unreachable-level", 18, 28, "band_of_seats level 'exact' can never be reached: 'few' and 'some' before it "
                                      "already take every value of seats it accepts"),
        ("unreachable-level", 19, 31, "band_of_seats level 'integers' can never be reached: 'some' before it "
                                      "already takes every value of seats it accepts"),
    ]


def test_a_level_with_more_conditions_is_shadowed_by_a_simpler_one(tmp_path):
    body = """\
classifications:
  fit:
    - {name: good, when: "industry in ('software', 'energy')"}
    - {name: great, when: "industry == 'software' and seats > 100"}
    - {name: retail_mid, when: "industry == 'retail' and seats > 100"}
    - {name: other}
"""
    assert warnings_of(tmp_path, body) == [
        ("unreachable-level", 17, 28, "fit level 'great' can never be reached: 'good' before it already takes "
                                      "every value of industry it accepts"),
    ]


def test_stage_order_and_dates_and_booleans_shadow(tmp_path):
    body = """\
stages:
  - {name: lead, probability: 0.1}
  - {name: demo, probability: 0.5}
  - {name: won, closed: won}
classifications:
  phase:
    - {name: late, when: "stage >= 'demo'"}
    - {name: closed, when: "stage == 'won'"}
    - {name: other}
  timing:
    - {name: old, when: "close_date < '2026-01-01'"}
    - {name: older, when: "close_date <= '2025-12-31'"}
    - {name: other}
  flag:
    - {name: yes_, when: "merger == true"}
    - {name: again, when: merger}
    - {name: other}
"""
    assert warnings_of(tmp_path, body) == [
        ("unreachable-level", 21, 29, "phase level 'closed' can never be reached: 'late' before it already takes "
                                      "every value of stage it accepts"),
        ("unreachable-level", 25, 28, "timing level 'older' can never be reached: 'old' before it already takes "
                                      "every value of close_date it accepts"),
        ("unreachable-level", 29, 27, "flag level 'again' can never be reached: 'yes_' before it already takes "
                                      "every value of merger it accepts"),
    ]


def test_levels_after_levels_that_match_every_record(tmp_path):
    body = """\
classifications:
  known:
    - {name: big, when: "deal_value >= 100"}
    - {name: small, when: "deal_value < 100"}
    - {name: none, when: "deal_value is None"}
    - {name: never}
"""
    assert warnings_of(tmp_path, body) == [
        ("unreachable-level", 19, 7, "known level 'never' can never be reached: 'big', 'small' and 'none' before "
                                     "it match every record"),
    ]


def test_levels_after_a_catch_all(tmp_path):
    # ``load`` rejects this as an error; lint finds it on an unchecked ruleset.
    body = """\
classifications:
  size:
    - {name: any}
    - {name: big, when: "deal_value > 10"}
"""
    assert warnings_of(tmp_path, body, checked=False) == [
        ("unreachable-level", 17, 26, "size level 'big' can never be reached: the catch-all level 'any' before it "
                                      "takes every record"),
    ]
    with pytest.raises(Exception, match="only the last level may be a catch-all"):
        salesrules.load(tmp_path / "r.yaml")


def test_levels_after_an_always_true_condition(tmp_path):
    body = """\
classifications:
  size:
    - {name: all, when: "true"}
    - {name: big, when: "deal_value > 10"}
"""
    assert warnings_of(tmp_path, body) == [
        ("unreachable-level", 17, 26, "size level 'big' can never be reached: level 'all', whose condition "
                                      "always holds, before it takes every record"),
    ]


def test_no_false_unreachable_levels(tmp_path):
    body = """\
classifications:
  mixed:
    - {name: a, when: "deal_value > 100 or merger"}
    - {name: b, when: "deal_value > 200"}
    - {name: c, when: "deal_value > 50 and seats > 3"}
    - {name: d, when: "deal_value > 60"}
    - {name: e, when: "deal_value * 2 > 500"}
    - {name: f, when: "seats != 3"}
    - {name: g, when: "seats == 3"}
    - {name: rest}
"""
    assert warnings_of(tmp_path, body) == []


# ---------------------------------------------------------------- conditions that never hold


def test_conditions_that_can_never_hold(tmp_path):
    body = """\
factors:
  - {name: numbers, when: "seats > 5 and seats < 3", points: 1}
  - {name: integers, when: "seats > 3 and seats < 4", points: 1}
  - {name: chained, when: "10 < deal_value < 5", points: 1}
  - {name: flags, when: "merger and not merger", points: 1}
  - {name: enums, when: "industry not in ('software', 'retail', 'energy')", points: 1}
  - {name: texts, when: "country == 'US' and country == 'DE'", points: 1}
  - {name: dates, when: "close_date > '2026-01-01' and close_date < '2025-01-01'", points: 1}
  - {name: nested, when: "merger or (deal_value > 5 and seats > 1 and deal_value < 1)", points: 1}
  - {name: calls, when: "days_since(close_date) > 60 and days_since(close_date) < 14", points: 1}
  - {name: nulls, when: "deal_value is None and deal_value > 1", points: 1}
  - {name: empty, when: "seats in ()", points: 1}
"""
    path = ruleset_file(tmp_path, body)
    found = warnings_of(tmp_path, body)
    expected = [
        ("numbers", "seats > 5 and seats < 3", "seats"),
        ("integers", "seats > 3 and seats < 4", "seats"),
        ("chained", "10 < deal_value < 5", "deal_value"),
        ("flags", "merger and not merger", "merger"),
        ("enums", "industry not in ('software', 'retail', 'energy')", "industry"),
        ("texts", "country == 'US' and country == 'DE'", "country"),
        ("dates", "close_date > '2026-01-01' and close_date < '2025-01-01'", "close_date"),
        ("nested", "deal_value > 5 and seats > 1 and deal_value < 1", "deal_value"),
        ("calls", "days_since(close_date) > 60 and days_since(close_date) < 14", "days_since(close_date)"),
        ("nulls", "deal_value is None and deal_value > 1", "deal_value"),
        ("empty", "seats in ()", "seats"),
    ]
    assert found == [
        ("never-holds", *line_of(path, text), f'condition "{text}" can never hold: no value of {subject} satisfies it')
        for _, text, subject in expected
    ]


def test_conditions_that_can_hold_are_not_reported(tmp_path):
    body = """\
factors:
  - {name: a, when: "seats > 5 or seats < 3", points: 1}
  - {name: b, when: "seats >= 3 and seats <= 3", points: 1}
  - {name: c, when: "not (seats > 5) and seats > 4", points: 1}
  - {name: d, when: "deal_value > 3.5 and deal_value < 3.6", points: 1}
  - {name: e, when: "country != 'US' and country != 'DE'", points: 1}
  - {name: f, when: "merger and seats > 3 and deal_value < 1", points: 1}
  - {name: g, when: "seats > deal_value and seats < deal_value", points: 1}
  - {name: h, when: "false", points: 1}
"""
    assert warnings_of(tmp_path, body) == []


def test_multi_line_condition_points_at_its_start(tmp_path):
    body = """\
factors:
  - name: folded
    when: >-
      merger or
      seats > 5 and seats < 3
    points: 1
"""
    path = ruleset_file(tmp_path, body)
    line, col = line_of(path, ">-")
    assert warnings_of(tmp_path, body) == [
        ("never-holds", line, col, 'condition "seats > 5 and seats < 3" can never hold: no value of seats satisfies it'),
    ]


# ---------------------------------------------------------------- bands


def test_band_warnings(tmp_path):
    body = """\
scores:
  priority:
    min: 0
    max: 100
    bands:
      - {name: B, min: 40}
      - {name: A, min: 70}
      - {name: B2, min: 40}
      - {name: C, min: 0}
      - {name: D}
  fit:
    max: 10
    bands:
      - {name: top, min: 20}
      - {name: low, min: 1}
"""
    assert warnings_of(tmp_path, body) == [
        ("unreachable-band", 20, 9, "band 'A' of score 'priority' can never be reached: band 'B' before it starts "
                                    "lower, at 40; list bands from the highest min down"),
        ("overlapping-bands", 21, 9, "band 'B2' of score 'priority' has the same min (40) as band 'B' before it, "
                                     "so it can never be reached"),
        ("unreachable-band", 23, 9, "band 'D' of score 'priority' can never be reached: every score is at least 0 "
                                    "(the score's min), so band 'C' before it takes them all"),
        ("unreachable-band", 27, 9, "band 'top' of score 'fit' can never be reached: its min 20 is above the "
                                    "score's max 10"),
        ("no-catch-all", 28, 9, "score 'fit' has no catch-all band: a score below 1 gets no band; add a last band "
                                "without min"),
    ]


def test_a_band_above_the_points_the_rules_add_up_to(tmp_path):
    body = """\
stages:
  - {name: lead, probability: 0.1, points: 5}
  - {name: demo, probability: 0.4, points: 15}
  - {name: won, closed: won}
factors:
  - {name: merger, when: merger, points: -20}
  - {name: big, when: "seats > 100", points: 12.5}
scores:
  priority:
    bands:
      - {name: A, min: 28}
      - {name: B, min: 27.5}
      - {name: C}
"""
    # The most: no tier points, the demo stage's 15, and 12.5 from big (merger only takes away).
    assert warnings_of(tmp_path, body) == [
        ("unreachable-band", 24, 9, "band 'A' of score 'priority' can never be reached: its min 28 is above 27.5, "
                                    "the most the points of the tiers, stages and factors add up to"),
    ]


def test_points_from_expressions_leave_the_reach_unknown(tmp_path):
    body = """\
factors:
  - {name: per_seat, when: "seats > 0", points: "seats * 2"}
scores:
  priority:
    bands:
      - {name: A, min: 1000}
      - {name: C}
"""
    assert warnings_of(tmp_path, body) == []


def test_bands_after_a_catch_all_band(tmp_path):
    body = """\
scores:
  priority:
    bands:
      - {name: A, min: 70}
      - {name: C}
      - {name: Z, min: 10}
"""
    assert warnings_of(tmp_path, body, checked=False) == [
        ("unreachable-band", 19, 9, "band 'Z' of score 'priority' can never be reached: the catch-all band 'C' "
                                    "before it takes every score"),
    ]


# ---------------------------------------------------------------- fields, stages, catch-alls


def test_unused_fields(tmp_path):
    body = """\
factors:
  - {name: big, when: "deal_value > 10", points: 1, reason: "{country} team"}
actions:
  - {name: call, when: "merger", text: "Call about {seats} seats"}
"""
    assert warnings_of(tmp_path, body, uses=False) == [
        ("unused-field", 8, 13, "field 'industry' is declared but no rule uses it "
                                "(no condition, points, reason or action text)"),
        ("unused-field", 10, 15, "field 'close_date' is declared but no rule uses it "
                                 "(no condition, points, reason or action text)"),
    ]


def test_open_stages_without_probability(tmp_path):
    body = """\
stages:
  - {name: lead, probability: 0.1}
  - {name: demo}
  - {name: won, closed: won}
"""
    assert warnings_of(tmp_path, body) == [
        ("no-probability", 16, 5, "open stage 'demo' has no probability: its deals have no stage_probability "
                                  "and add nothing to the weighted pipeline"),
    ]
    none = body.replace(", probability: 0.1", "")
    assert warnings_of(tmp_path, none) == [
        ("no-probability", 15, 5, "no open stage has a probability (lead, demo): deals have no stage_probability "
                                  "and the weighted pipeline is empty"),
    ]


def test_no_catch_all(tmp_path):
    tiers = """\
tiers:
  - {name: high, when: "deal_value > 1_000_000"}
  - {name: low, when: "deal_value <= 1_000_000"}
classifications:
  fit:
    - {name: good, when: "industry == 'software'"}
  known:
    - {name: yes_, when: "merger"}
    - {name: no_, when: "not merger"}
    - {name: unknown_, when: "merger is None"}
"""
    assert warnings_of(tmp_path, tiers, tiers=False) == [
        ("no-catch-all", 13, 5, "tiers have no catch-all level: a record that matches none of them is tier "
                                "'unknown'; add a last level without 'when'"),
        ("no-catch-all", 16, 7, "classification 'fit' has no catch-all level: a record that matches none of them "
                                "is fit 'unknown'; add a last level without 'when'"),
    ]


def test_inherited_items_are_linted_where_they_are_written(tmp_path):
    parent = ruleset_file(tmp_path, "", name="parent.yaml")
    child = tmp_path / "child.yaml"
    child.write_text("salesrules: 1\nname: c\nextends: [parent.yaml]\ntiers:\n"
                     "  - {name: huge, when: \"deal_value > 5_000_000\"}\n")
    found = lint(salesrules.load(child))
    assert [(w.code, str(w.loc)) for w in found] == [
        ("unreachable-level", f"{child}:5:25"),
    ]
    assert "'high' before it" in found[0].message
    assert parent.exists()


# ---------------------------------------------------------------- the value sets


def test_interval_sets_on_integers_and_reals():
    I = lint_module._Intervals
    inf = lint_module.INF
    gt3 = I.make([(3, False, inf, False)], True)
    ge4 = I.make([(4, True, inf, False)], True)
    assert gt3 == ge4
    assert gt3.complement() == I.make([(-inf, False, 3, True)], True)
    assert gt3.intersect(I.make([(-inf, False, 4, False)], True)).empty()
    real = I.make([(3, False, inf, False)], False)
    assert not real.intersect(I.make([(-inf, False, 4, False)], False)).empty()
    assert real.union(real.complement()).is_full()
    assert I.make([(1, True, 2, True), (2, False, 3, True)], False).parts == ((1, True, 3, True),)
    assert I.make([(1, True, 2, True), (3, True, 4, True)], True).parts == ((1, True, 4, True),)


def test_warning_api():
    warning = LintWarning("never-holds", "x", Loc("r.yaml", 3, 7))
    assert Warning is LintWarning
    assert str(warning) == "r.yaml:3:7: warning: x (never-holds)"
    assert warning.to_dict() == {"file": "r.yaml", "line": 3, "col": 7, "code": "never-holds", "message": "x"}
    assert str(LintWarning("unused-field", "y")) == "warning: y (unused-field)"


# ---------------------------------------------------------------- the command


BROKEN = """\
factors:
  - {name: never, when: "seats > 5 and seats < 3", points: 1}
"""


def test_command_prints_warnings_and_a_summary(tmp_path):
    path = ruleset_file(tmp_path, BROKEN)
    result = CliRunner().invoke(lint_command, [str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f'{path}:15:26: warning: condition "seats > 5 and seats < 3" can never hold: no value of seats '
        "satisfies it (never-holds)\n1 warning\n"
    )


def test_strict_exit_codes(tmp_path):
    broken = ruleset_file(tmp_path, BROKEN, name="broken.yaml")
    clean = ruleset_file(tmp_path, "", name="clean.yaml")
    assert CliRunner().invoke(lint_command, ["--strict", str(broken)]).exit_code == 1
    result = CliRunner().invoke(lint_command, ["--strict", str(clean)])
    assert (result.exit_code, result.output) == (0, "0 warnings\n")
    assert CliRunner().invoke(lint_command, [str(clean), str(broken)]).exit_code == 0
    assert CliRunner().invoke(lint_command, ["--strict", str(clean), str(broken)]).exit_code == 1


def test_json_format(tmp_path):
    path = ruleset_file(tmp_path, BROKEN)
    result = CliRunner().invoke(lint_command, ["-f", "json", str(path)])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "warnings": [{"file": str(path), "line": 15, "col": 26, "code": "never-holds",
                      "message": 'condition "seats > 5 and seats < 3" can never hold: no value of seats satisfies it'}],
        "errors": [],
        "summary": {"warnings": 1, "errors": 0},
    }


def test_invalid_and_missing_rulesets(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("salesrules: 1\nname: b\nfields: {x: money}\ntiers:\n  - {name: a, when: \"y > 1\"}\n")
    result = CliRunner().invoke(lint_command, [str(bad)])
    assert result.exit_code == 1
    assert result.stderr == f"error: {bad}:5:22: unknown field 'y'\n"
    assert result.stdout == "0 warnings, 1 error\n"
    result = CliRunner().invoke(lint_command, [str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "ruleset file not found" in result.stderr


def test_a_shared_parent_is_reported_once(tmp_path):
    parent = ruleset_file(tmp_path, BROKEN, name="parent.yaml")
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(f"salesrules: 1\nname: {name[0]}\nextends: [parent.yaml]\n")
    result = CliRunner().invoke(lint_command, [str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")])
    assert result.output.count(f"{parent}:15:26") == 1
    assert result.output.endswith("1 warning\n")


# ---------------------------------------------------------------- the docs stay true


def test_lint_doc_example_output_is_real(tmp_path, monkeypatch):
    doc = (ROOT / "docs" / "lint.md").read_text()
    for name, text in re.findall(r"File `([^`]+)`:\s*\n\n```yaml\n(.*?)```", doc, re.S):
        (tmp_path / name).write_text(text)
    examples = re.findall(r"```console\n\$ salesrules lint ([^\n]*)\n(.*?)```", doc, re.S)
    assert examples
    monkeypatch.chdir(tmp_path)
    for args, expected in examples:
        result = CliRunner().invoke(lint_command, shlex.split(args))
        assert result.output == expected, args
    assert CliRunner().invoke(lint_command, ["--strict", "leaky.yaml"]).exit_code == 1
