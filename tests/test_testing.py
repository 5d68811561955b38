"""salesrules test: ruleset tests and *.test.yaml files, reports, coverage and the pytest plugin."""

import datetime as dt
import json
import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

import salesrules
from salesrules.analysis import testing
from salesrules.analysis.testing import (
    Case,
    _same,
    evaluate_records,
    load_suite,
    run_tests,
)
from salesrules.cli import test as cli_test

pytest_plugins = ["pytester"]

ROOT = Path(__file__).parent.parent
command = cli_test.test_command  # (not named test_*: pytest would try to collect it)

SMALL = """\
salesrules: 1
name: small
as_of: 2026-11-22
fields:
  id: {type: string, key: true}
  company: string
  deal_value: money
  merger: {type: boolean, default: false}
  last_contact: date
tiers:
  - {name: high, when: "deal_value > 1_000_000", points: 50}
  - {name: low, points: 10}
stages:
  - {name: lead, probability: 0.1, points: 5}
  - {name: won, closed: won}
factors:
  - {name: merger, when: merger, points: -20, reason: A merger is pending}
  - {name: recent, when: "days_since(last_contact) <= 7", points: 5}
scores:
  priority:
    min: 0
    bands:
      - {name: A, min: 50}
      - {name: C}
actions:
  - {name: call, when: "stage == 'lead'", text: "Call {company}", due: "as_of + 1"}
tests:
  - name: a big lead is A
    record: {deal_value: 2_000_000, stage: lead}
    expect: {tier: high, score: 55, band: A, actions: [call]}
  - name: a small deal is C
    record: {deal_value: 10}
    expect: {tier: low, band: C, stage: unknown}
"""

TEST_FILE = """\
ruleset: small.yaml
as_of: 2026-11-22
tests:
  - name: a merger costs 20 points
    record: {deal_value: 2_000_000, merger: true}
    expect: {score: 30, factors: [merger], reasons: [A merger is pending]}
  - name: wrong on purpose
    record: {deal_value: 2_000_000, stage: won}
    expect: {tier: low, score: 50, actions: [call]}
  - name: a bad value is an error
    record: {deal_value: lots}
    error: cannot read 'lots'
"""


def run(*args):
    return CliRunner().invoke(command, [str(a) for a in args])


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A folder with small.yaml (2 passing tests) and small.test.yaml (3 cases, 1 failing), as the cwd."""
    (tmp_path / "small.yaml").write_text(SMALL)
    (tmp_path / "small.test.yaml").write_text(TEST_FILE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---------------------------------------------------------------- the text report


def test_passing_ruleset(project):
    result = run("small.yaml")
    assert (result.exit_code, result.output) == (0, "small.yaml ..\n\n2 passed, 0 failed\n")


def test_failures_field_by_field_with_file_and_line(project):
    result = run("small.yaml", "small.test.yaml")
    assert result.exit_code == 1
    assert result.output == (
        "small.yaml ..\n"
        "small.test.yaml .F.\n"
        "\n"
        "FAILED small.test.yaml:7:5: wrong on purpose\n"
        "  tier:    expected low, actual high\n"
        "  actions: expected [call], actual []\n"
        "\n"
        "4 passed, 1 failed\n"
    )


def test_verbose_and_name_filter(project):
    result = run("small.test.yaml", "-v", "-k", "MERGER")
    assert (result.exit_code, result.output) == (
        0, "small.test.yaml::a merger costs 20 points PASSED\n\n1 passed, 0 failed\n")
    result = run("small.test.yaml", "-k", "no such case")
    assert result.exit_code == 2
    assert result.stderr == "error: no tests found matching 'no such case' in small.test.yaml\n"


def test_expected_errors(project):
    Path("errors.test.yaml").write_text("""\
ruleset: small.yaml
tests:
  - name: the error happens
    record: {merger: perhaps}
    error: "cannot read 'perhaps' as boolean"
  - name: another error happens instead
    record: {merger: perhaps}
    error: something else
  - name: no error happens
    record: {deal_value: 5}
    error: cannot read
  - name: an unexpected error
    record: {dela_value: 5}
    expect: {tier: low}
""")
    result = run("errors.test.yaml")
    assert result.exit_code == 1
    assert result.output == (
        "errors.test.yaml .FFF\n"
        "\n"
        "FAILED errors.test.yaml:6:5: another error happens instead\n"
        "  error: expected an error containing 'something else', got: row 1, column 'merger': "
        "cannot read 'perhaps' as boolean (yes/no, true/false, 1/0, y/n)\n"
        "\n"
        "FAILED errors.test.yaml:9:5: no error happens\n"
        "  error: expected an error containing 'cannot read', but the record evaluated without error\n"
        "\n"
        "FAILED errors.test.yaml:12:5: an unexpected error\n"
        "  error: unknown field 'dela_value' (did you mean 'deal_value'?)\n"
        "\n"
        "1 passed, 3 failed\n"
    )


def test_unknown_result_names_and_value_display(project):
    Path("names.test.yaml").write_text("""\
ruleset: small.yaml
tests:
  - name: names
    record: {deal_value: 5, company: Acme, stage: lead}
    expect:
      teir: low
      stage_probability: 0.2
      actions: [{name: call, text: Call Acme, due: 2026-11-24}]
      gaps: ["a, b"]
""")
    result = run("names.test.yaml")
    assert result.exit_code == 1
    assert result.output == (
        "names.test.yaml F\n"
        "\n"
        "FAILED names.test.yaml:3:5: names\n"
        "  teir:              expected low, but there is no result 'teir' (did you mean 'tier'?)\n"
        "  stage_probability: expected 0.2, actual 0.1\n"
        "  actions:           expected [{name: call, text: Call Acme, due: 2026-11-24}], "
        "actual [{name: call, text: Call Acme, due: 2026-11-23}]\n"
        "  gaps:              expected ['a, b'], actual []\n"
        "\n"
        "0 passed, 1 failed\n"
    )


def test_as_of_dates_default_and_override(project):
    Path("dates.test.yaml").write_text("""\
ruleset: small.yaml
as_of: 2026-01-10
tests:
  - name: contacted within a week of the file's date
    record: {last_contact: 2026-01-05}
    expect: {factors: [recent], score: 15}
  - name: not within a week of its own date
    as_of: 2026-02-01
    record: {last_contact: 2026-01-05}
    expect: {factors: [], score: 10}
  - name: due dates follow the date
    as_of: 2026-02-01
    record: {stage: lead, company: X}
    expect: {actions: [{name: call, due: 2026-02-02}]}
""")
    Path("ruleset_date.test.yaml").write_text("""\
ruleset: small.yaml
tests:
  - name: the ruleset's as_of applies
    record: {stage: lead}
    expect: {actions: [{due: "2026-11-23"}]}
""")
    result = run("dates.test.yaml", "ruleset_date.test.yaml")
    assert (result.exit_code, result.output) == (
        0, "dates.test.yaml ...\nruleset_date.test.yaml .\n\n4 passed, 0 failed\n")


def test_builtin_ruleset_and_test_file_for_a_builtin(project):
    Path("standard.test.yaml").write_text("""\
ruleset: builtin:standard
as_of: 2026-11-22
tests:
  - name: a million is medium
    record: {deal_value: 1_000_000}
    expect: {tier: medium}
""")
    result = run("builtin:standard", "standard.test.yaml")
    assert result.exit_code == 0
    assert re.fullmatch(r"builtin:standard \.+\nstandard\.test\.yaml \.\n\n\d+ passed, 0 failed\n", result.output)


def test_directories_are_searched_recursively(project):
    (project / "nested" / "deeper").mkdir(parents=True)
    (project / "nested" / "deeper" / "other.test.yaml").write_text(TEST_FILE.replace("small.yaml", "../../small.yaml"))
    (project / "nested" / "notes.yaml").write_text("just: some yaml\n")
    (project / "nested" / "no_tests.yaml").write_text("salesrules: 1\nname: x\n")
    (project / ".hidden").mkdir()
    (project / ".hidden" / "x.test.yaml").write_text("not: valid\n")
    result = run(".")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:3] == ["nested/deeper/other.test.yaml .F.", "small.test.yaml .F.", "small.yaml .."]
    assert lines[-1] == "6 passed, 2 failed"
    # A file named twice (directly and through its folder) runs once.
    result = run("small.yaml", ".")
    assert result.output.count("small.yaml ..") == 1


# ---------------------------------------------------------------- input errors


@pytest.mark.parametrize("text, message", [
    ("- a list\n", "bad.test.yaml:1:1: a test file must be a mapping with 'ruleset' and 'tests', this file is a list"),
    ("ruleset: small.yaml\ntest: []\n", "bad.test.yaml:2:1: unknown key 'test' (did you mean 'tests'?); "
                                         "allowed: ruleset, as_of, description, tests"),
    ("tests: [{name: a}]\n", "bad.test.yaml:1:1: 'ruleset' is required: the path of the ruleset under test "
                             "(relative to this file) or builtin:NAME"),
    ("ruleset: [a]\ntests: [{name: a}]\n", "bad.test.yaml:1:10: ruleset: should be a path or builtin:NAME, not a list"),
    ("ruleset: small.yaml\n", "bad.test.yaml:1:1: 'tests' is required: a list of test cases"),
    ("ruleset: small.yaml\ntests: []\n", "bad.test.yaml:2:8: tests: the list is empty"),
    ("ruleset: small.yaml\nas_of: soon\ntests: [{name: a}]\n", "bad.test.yaml:2:8: as_of: 'soon' is not a date (YYYY-MM-DD)"),
    ("ruleset: small.yaml\ntests:\n  - name: a\n    recrod: {}\n",
     "bad.test.yaml:4:5: tests[1]: unknown key 'recrod' (did you mean 'record'?); allowed: name, as_of, record, expect, error"),
    ("ruleset: small.yaml\ntests:\n  - record: {}\n", "bad.test.yaml:3:5: tests[1]: every test case needs a name"),
    ("ruleset: small.yaml\ntests:\n  - {name: a}\n  - {name: a}\n",
     "bad.test.yaml:4:12: tests[2]: two test cases are named 'a' (the first at line 3)"),
    ("ruleset: small.yaml\ntests:\n  - {name: a, record: [1]}\n",
     "bad.test.yaml:3:23: tests[1]: record: should be a mapping of field values, not a list"),
    ("ruleset: small.yaml\ntests:\n  - {name: a, expect: {tier: low}, error: boom}\n",
     "bad.test.yaml:3:36: tests[1]: a test case expects either results (expect) or an error (error), not both"),
    ("ruleset: small.yaml\ntests:\n  - just text\n",
     "bad.test.yaml:3:5: tests[1]: a test case should be a mapping with name, record and expect, not text"),
    ("ruleset: missing.yaml\ntests: [{name: a}]\n", "bad.test.yaml:1:10: ruleset 'missing.yaml' not found"),
    ("ruleset: small.yaml\ntests: [{name: a\n", "bad.test.yaml:3:1: YAML syntax error: expected ',' or '}', but got '<stream end>'"),
])
def test_malformed_test_files_are_located_input_errors(project, text, message):
    Path("bad.test.yaml").write_text(text)
    result = run("bad.test.yaml", "small.yaml")
    assert result.exit_code == 2
    assert result.output == f"bad.test.yaml E\nsmall.yaml ..\n\nERROR {message}\n\n2 passed, 0 failed, 1 error\n"


def test_invalid_ruleset_exits_1_and_missing_paths_exit_2(project):
    Path("broken.yaml").write_text("salesrules: 1\nname: b\nfields: {x: money}\ntiers:\n"
                                   "  - {name: a, when: \"y > 1\"}\ntests: [{name: t}]\n")
    result = run("broken.yaml")
    assert result.exit_code == 1
    assert result.output == "broken.yaml E\n\nERROR broken.yaml:5:22: unknown field 'y'\n\n0 passed, 0 failed, 1 error\n"
    result = run("nope.yaml")
    assert (result.exit_code, result.stderr) == (2, "error: nope.yaml: no such file or directory\n")
    Path("empty.yaml").write_text("salesrules: 1\nname: e\n")
    result = run("empty.yaml")
    assert (result.exit_code, result.stderr) == (2, "error: no tests found in empty.yaml\n")


# ---------------------------------------------------------------- json and junit


def test_json_report(project):
    result = run("small.yaml", "small.test.yaml", "-f", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert {k: v for k, v in report["summary"].items() if k != "duration"} == {
        "passed": 4, "failed": 1, "errors": 0, "total": 5}
    assert [(f["path"], f["kind"], f["ruleset"], f["ruleset_name"]) for f in report["files"]] == [
        ("small.yaml", "ruleset", "small.yaml", "small"),
        ("small.test.yaml", "test file", "small.yaml", "small"),
    ]
    failed = report["files"][1]["cases"][1]
    del failed["duration"]
    assert failed == {
        "name": "wrong on purpose", "file": "small.test.yaml", "line": 7, "as_of": "2026-11-22",
        "outcome": "failed", "error": None,
        "mismatches": [
            {"field": "tier", "expected": "low", "actual": "high"},
            {"field": "actions", "expected": ["call"], "actual": []},
        ],
    }
    assert [c["outcome"] for f in report["files"] for c in f["cases"]] == ["passed"] * 3 + ["failed", "passed"]
    assert "coverage" not in report


def test_junit_report_to_a_file(project):
    result = run("small.yaml", "small.test.yaml", "nope.test.yaml" if False else "small.yaml", "-f", "junit", "-o", "report.xml")
    assert result.exit_code == 1
    assert result.output.endswith("4 passed, 1 failed\n")  # the text report still goes to the terminal
    root = ET.parse("report.xml").getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "1", "0")
    suites = root.findall("testsuite")
    assert [(s.get("name"), s.get("tests"), s.get("failures")) for s in suites] == [
        ("small.yaml", "2", "0"), ("small.test.yaml", "3", "1")]
    cases = suites[1].findall("testcase")
    assert [(c.get("classname"), c.get("name"), c.get("line")) for c in cases] == [
        ("small.test.yaml", "a merger costs 20 points", "4"),
        ("small.test.yaml", "wrong on purpose", "7"),
        ("small.test.yaml", "a bad value is an error", "10"),
    ]
    failure = cases[1].find("failure")
    assert failure.get("message") == "tier: expected low, actual high; actions: expected [call], actual []"
    assert failure.text == ("small.test.yaml:7:5: wrong on purpose\ntier:    expected low, actual high\n"
                            "actions: expected [call], actual []")
    assert all(float(c.get("time")) >= 0 for c in cases)
    assert cases[0].find("failure") is None


def test_junit_load_errors_and_json_to_stdout(project):
    Path("bad.test.yaml").write_text("ruleset: missing.yaml\ntests: [{name: a}]\n")
    result = run("bad.test.yaml", "-f", "junit")
    assert result.exit_code == 2
    root = ET.fromstring(result.stdout)
    error = root.find("testsuite/testcase/error")
    assert error.get("message") == "bad.test.yaml:1:10: ruleset 'missing.yaml' not found"
    assert result.stderr == "error: bad.test.yaml:1:10: ruleset 'missing.yaml' not found\n"
    result = run("bad.test.yaml", "-f", "json")
    assert json.loads(result.stdout)["files"][0]["error"] == "bad.test.yaml:1:10: ruleset 'missing.yaml' not found"


# ---------------------------------------------------------------- coverage


def test_coverage_of_a_small_ruleset(project):
    result = run("small.yaml", "--coverage")
    assert result.exit_code == 0
    # Items: tiers high, low; stages lead, won; factors merger, recent; bands A, C; action call = 9.
    assert result.output == (
        "small.yaml ..\n"
        "\n"
        "coverage: 6 of 9 rule items exercised (66.7%)\n"
        "  small.yaml: 6 of 9 (66.7%)\n"
        "    not exercised:\n"
        "      stages:  won\n"
        "      factors: merger, recent\n"
        "\n"
        "2 passed, 0 failed\n"
    )
    result = run("small.yaml", "small.test.yaml", "--coverage", "-f", "json")
    coverage = json.loads(result.stdout)["coverage"]
    assert coverage == {
        "percent": 88.89, "exercised": 8, "total": 9,
        "rulesets": [{"path": "small.yaml", "name": "small", "percent": 88.89, "exercised": 8, "total": 9,
                      "missed": {"levels": {}, "stages": [], "factors": ["recent"], "bands": {}, "actions": []}}],
    }


def test_fail_under(project):
    result = run("small.yaml", "--fail-under", "70")
    assert result.exit_code == 1
    assert "coverage: 6 of 9 rule items exercised (66.7%)" in result.stdout
    assert result.stderr == "coverage 66.7% is below --fail-under 70%\n"
    assert run("small.yaml", "--fail-under", "66").exit_code == 0
    assert run("small.yaml", "--fail-under", "101").exit_code == 2  # a usage error


def test_coverage_counts_classifications_and_several_scores(tmp_path):
    path = tmp_path / "multi.yaml"
    path.write_text("""\
salesrules: 1
name: multi
fields: {v: money, e: integer}
classifications:
  channel:
    - {name: field, when: "v > 100", points: 1, score: fit}
    - {name: phone}
scores:
  fit:
    bands: [{name: F1, min: 1}, {name: F2}]
  engagement:
    bands: [{name: E1, min: 5}, {name: E2}]
factors:
  - {name: engaged, when: "e > 3", points: 5, score: engagement}
tests:
  - {name: a, record: {v: 200, e: 9}, expect: {channel: field, fit_band: F1, engagement_band: E1}}
""")
    coverage = json.loads(run(path, "--coverage", "-f", "json").stdout)["coverage"]["rulesets"][0]
    assert (coverage["exercised"], coverage["total"]) == (4, 7)
    assert coverage["missed"] == {"levels": {"channel": ["phone"]}, "stages": [], "factors": [],
                                  "bands": {"fit": ["F2"], "engagement": ["E2"]}, "actions": []}


# ---------------------------------------------------------------- the Python API


def _rulesets_with_tests():
    candidates = sorted((ROOT / "rulesets").glob("*.yaml")) + sorted((ROOT / "tests").glob("data/*/*.yaml"))
    candidates += sorted((ROOT / "tests" / "fixtures" / "rulesets" / "valid").glob("*.yaml"))
    return [p for p in candidates if testing.has_tests(p)]


def test_batched_results_are_those_of_evaluate_one():
    for path in _rulesets_with_tests():
        ruleset = salesrules.load(path)
        by_date: dict = {}
        for case in ruleset.tests:
            if not case.error:
                by_date.setdefault(case.as_of or ruleset.as_of, []).append(testing._plain(case.record))
        for as_of, records in by_date.items():
            batched = evaluate_records(ruleset, records, as_of)
            if path.parent.name == "rulesets":
                assert batched is not None, path  # the shipped rulesets' tests run as one frame
            for i, record in enumerate(records):
                values = batched[i][0] if batched is not None else evaluate_records(ruleset, [record], as_of)[0][0]
                assert values == ruleset.evaluate_one(record, as_of=as_of), (path, record)


def test_records_that_cannot_share_a_frame_run_apart(project):
    # One record gives the deal value by an alias, another by its name: one frame cannot hold
    # both (the alias column would be an unknown field), so they run apart, with the same results.
    Path("aliases.yaml").write_text(SMALL.replace("deal_value: money", "deal_value: {type: money, aliases: [Amount]}")
                                    .split("tests:")[0])
    Path("aliases.test.yaml").write_text("""ruleset: aliases.yaml
tests:
  - {name: by alias, record: {Amount: 2_000_000}, expect: {tier: high}}
  - {name: by name, record: {deal_value: 2_000_000}, expect: {tier: high}}
  - {name: by name again, record: {deal_value: 5}, expect: {tier: low}}
  - {name: a bad value, record: {deal_value: lots}, expect: {tier: low}}
""")
    result = run("aliases.test.yaml")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "aliases.test.yaml ...F"
    assert "  error: row 1, column 'deal_value': cannot read 'lots' as money" in result.output


def test_run_tests_and_suites(project):
    results = run_tests(salesrules.load("small.yaml"))
    assert [(r.name, r.passed) for r in results] == [("a big lead is A", True), ("a small deal is C", True)]
    assert results[0].factors == [] and results[0].actual["tier"] == "high"
    suite = load_suite("small.test.yaml")
    assert (suite.kind, suite.ruleset.name, suite.as_of, len(suite.cases)) == (
        "test file", "small", dt.date(2026, 11, 22), 3)
    failed = [r for r in testing.run_suite(suite) if not r.passed]
    assert [(r.name, r.describe()) for r in failed] == [
        ("wrong on purpose", ["tier:    expected low, actual high", "actions: expected [call], actual []"])]
    assert load_suite("nope.test.yaml").error.message == "test file not found"
    single = testing.run_case(salesrules.load("small.yaml"), Case("x", {"deal_value": 1}, {"tier": "low"}))
    assert single.passed


@pytest.mark.parametrize("expected, actual, same", [
    (70, 70.0, True),
    (0.1 + 0.2, 0.3, True),
    (1, True, False),
    (True, True, True),
    (False, 0, False),
    (["b", "a"], ["a", "b"], True),
    (["a"], ["a", "a"], False),
    (["call"], [{"name": "call", "text": "x", "due": None}], True),
    ([{"name": "call"}], [{"name": "call", "text": "x"}], True),
    ([{"name": "call", "text": "y"}], [{"name": "call", "text": "x"}], False),
    ("2026-11-24", dt.date(2026, 11, 24), True),
    (dt.date(2026, 11, 24), dt.date(2026, 11, 24), True),
    (None, None, True),
    ("unknown", "unknown", True),
    ("1", 1, False),
])
def test_comparison_rules(expected, actual, same):
    assert _same(expected, actual) is same


def test_values_are_shown_as_yaml_would_write_them():
    show = testing.show
    assert [show(v) for v in (None, True, 3, 2.5, 2.0, "high", "", "a, b", "12", dt.date(2026, 1, 2), ["x", 1])] == [
        "null", "true", "3", "2.5", "2.0", "high", "''", "'a, b'", "'12'", "2026-01-02", "[x, 1]"]


# ---------------------------------------------------------------- the shipped rulesets


def test_shipped_rulesets_pass():
    paths = sorted(str(p) for p in (ROOT / "rulesets").glob("*.yaml"))
    result = run(*paths)
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"\d+ passed, 0 failed", result.output.splitlines()[-1])
    assert len(result.output.splitlines()) == len(paths) + 2


# ---------------------------------------------------------------- the docs stay true


def test_testing_doc_examples_are_real(tmp_path, monkeypatch):
    doc = (ROOT / "docs" / "testing.md").read_text()
    files = re.findall(r"File `([^`]+)`[^`]*?:\s*\n\n```yaml\n(.*?)```", doc, re.S)
    assert [name for name, _ in files] == ["acme.yaml", "acme.test.yaml"]
    for name, text in files:
        (tmp_path / name).write_text(text)
    examples = re.findall(r"```console\n\$ salesrules test ([^\n]*)\n(.*?)```", doc, re.S)
    assert len(examples) == 3
    monkeypatch.chdir(tmp_path)
    for args, expected in examples:
        result = CliRunner().invoke(command, shlex.split(args))
        assert result.output == expected, args
        assert result.exit_code == (0 if expected.endswith(" 0 failed\n") else 1)


# ---------------------------------------------------------------- the pytest plugin


PLUGIN = "salesrules.pytest_plugin"


def inner(pytester, *args):
    """Run pytest in-process without the hypothesis plugin (re-importing hypothesis takes seconds)."""
    return pytester.runpytest("-p", "no:hypothesispytest", "-p", "no:cacheprovider", *args)


@pytest.fixture
def plugin_project(pytester):
    pytester.makefile(".yaml", small=SMALL)
    (pytester.path / "small.test.yaml").write_text(TEST_FILE)
    pytester.makefile(".yaml", notes="just: yaml\n")
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    return pytester


def test_plugin_collects_one_item_per_case(plugin_project):
    result = inner(plugin_project, "-p", PLUGIN, "--collect-only", "-q")
    assert result.ret == 0
    items = [line for line in result.outlines if "::" in line]
    assert items == [
        "small.test.yaml::a merger costs 20 points",
        "small.test.yaml::wrong on purpose",
        "small.test.yaml::a bad value is an error",
        "small.yaml::a big lead is A",
        "small.yaml::a small deal is C",
        "test_plain.py::test_plain",
    ]


def test_plugin_runs_cases_and_reports_expected_against_actual(plugin_project):
    result = inner(plugin_project, "-p", PLUGIN)
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines([
        "*_ ruleset test: wrong on purpose _*",
        "tier:    expected low, actual high",
        "actions: expected [call], actual []",
        "small.test.yaml:7:5: wrong on purpose",
        "FAILED small.test.yaml::wrong on purpose - tier:    expected low, actual high",
    ])
    result = inner(plugin_project, "-p", PLUGIN, "-k", "merger")
    result.assert_outcomes(passed=1, deselected=5)


def test_without_the_plugin_no_yaml_is_collected(plugin_project):
    result = inner(plugin_project)
    result.assert_outcomes(passed=1)


def test_plugin_reports_load_errors_as_collection_errors(pytester):
    (pytester.path / "bad.test.yaml").write_text("ruleset: missing.yaml\ntests: [{name: a}]\n")
    result = inner(pytester, "-p", PLUGIN)
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*bad.test.yaml:1:10: ruleset 'missing.yaml' not found*"])


def test_plugin_from_a_conftest(pytester):
    pytester.makeconftest('pytest_plugins = ["salesrules.pytest_plugin"]\n')
    pytester.makefile(".yaml", small=SMALL)
    result = inner(pytester)
    result.assert_outcomes(passed=2)
