"""The command line end to end: outputs, exit codes, one-line errors, atomic writes."""

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from salesrules.cli import cli

ROOT = Path(__file__).parent.parent
EXAMPLE = str(ROOT / "examples" / "prospects.csv")
AS_OF = ["--as-of", "2026-11-22"]


def run(cli_runner, *args):
    return cli_runner.invoke(cli, list(args))


def assert_one_line_error(result, code, *fragments):
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_evaluate_example_to_csv(cli_runner, tmp_path):
    out = tmp_path / "out.csv"
    result = run(cli_runner, "evaluate", EXAMPLE, "-r", "builtin:standard", *AS_OF, "-o", str(out))
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(out, infer_schema=False)
    assert frame.height == 200
    assert frame.columns[:10] == ["id", "tier", "tier_points", "stage", "stage_source", "stage_conflict",
                                  "stage_probability", "score", "band", "rank"]
    assert frame.columns[-4:] == ["ruleset", "ruleset_version", "ruleset_hash", "as_of"]
    assert set(frame["as_of"]) == {"2026-11-22"}
    assert set(frame["ruleset"]) == {"standard"}
    ranks = sorted(int(r) for r in frame["rank"].drop_nulls())
    open_deals = frame.filter(~pl.col("stage").is_in(["won", "lost"])).height
    assert ranks == list(range(1, open_deals + 1))
    first = frame.filter(pl.col("rank") == "1").row(0, named=True)
    assert int(first["score"]) == frame["score"].cast(pl.Int64).filter(frame["rank"].is_not_null()).max()


def test_evaluate_same_results_in_every_format(cli_runner, tmp_path):
    outputs = {}
    for fmt in ("csv", "json", "ndjson", "parquet"):
        out = tmp_path / f"out.{fmt}"
        result = run(cli_runner, "evaluate", EXAMPLE, "-r", "builtin:standard", *AS_OF, "-o", str(out))
        assert result.exit_code == 0, result.output
        outputs[fmt] = out
    csv = pl.read_csv(outputs["csv"], infer_schema=False)
    document = json.loads(outputs["json"].read_text())
    assert document["provenance"]["ruleset"] == "standard"
    assert document["provenance"]["as_of"] == "2026-11-22"
    assert [r["id"] for r in document["records"]] == csv["id"].to_list()
    assert [r["score"] for r in document["records"]] == csv["score"].cast(pl.Int64).to_list()
    lines = outputs["ndjson"].read_text().splitlines()
    assert len(lines) == 200 and json.loads(lines[0])["id"] == csv["id"][0]
    parquet = pl.read_parquet(outputs["parquet"])
    assert parquet["score"].to_list() == csv["score"].cast(pl.Int64).to_list()


def test_evaluate_to_stdout_is_csv_when_not_a_terminal(cli_runner):
    result = run(cli_runner, "evaluate", EXAMPLE, "-r", "builtin:standard", *AS_OF)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith("id,tier,tier_points,stage,")
    assert len(result.stdout.splitlines()) == 201


def test_with_input_carries_columns(cli_runner, tmp_path):
    out = tmp_path / "out.csv"
    result = run(cli_runner, "evaluate", EXAMPLE, "-r", "builtin:standard", *AS_OF, "--with-input", "-o", str(out))
    assert result.exit_code == 0
    frame = pl.read_csv(out, infer_schema=False)
    assert "Opportunity ID" in frame.columns and "Amount" in frame.columns
    assert frame["Opportunity ID"].to_list() == frame["id"].to_list()


def test_as_of_changes_day_relative_results(cli_runner):
    early = run(cli_runner, "evaluate", EXAMPLE, "-r", "builtin:standard", "--as-of", "2026-11-22", "-f", "json")
    late = run(cli_runner, "evaluate", EXAMPLE, "-r", "builtin:standard", "--as-of", "2027-06-01", "-f", "json")
    assert json.loads(early.stdout)["provenance"]["as_of"] == "2026-11-22"
    assert json.loads(late.stdout)["provenance"]["as_of"] == "2027-06-01"
    assert early.stdout != late.stdout


def test_bad_value_names_row_column_and_value(cli_runner, tmp_path):
    data = tmp_path / "p.csv"
    data.write_text("Opportunity ID,Amount\nA,100\nB,12abc\n")
    result = run(cli_runner, "evaluate", str(data), "-r", "builtin:standard", *AS_OF)
    assert_one_line_error(result, 2, str(data), "row 2", "'Amount'", "'12abc'", "money")


def test_on_error_skip_writes_rejects(cli_runner, tmp_path):
    data = tmp_path / "p.csv"
    data.write_text("Opportunity ID,Amount\nA,100\nB,12abc\nC,2000000\n")
    out = tmp_path / "out.csv"
    result = run(cli_runner, "evaluate", str(data), "-r", "builtin:standard", *AS_OF, "--on-error", "skip", "-o", str(out))
    assert result.exit_code == 0
    assert "skipped 1 row" in result.stderr
    assert pl.read_csv(out)["id"].to_list() == ["A", "C"]
    rejects = pl.read_csv(tmp_path / "out.rejects.csv", infer_schema=False)
    assert rejects["row"].to_list() == ["2"]
    assert "12abc" in rejects["reason"][0]


def test_duplicate_keys(cli_runner, tmp_path):
    data = tmp_path / "p.csv"
    data.write_text("Opportunity ID,Amount\nA,100\nB,200\nA,300\n")
    result = run(cli_runner, "evaluate", str(data), "-r", "builtin:standard", *AS_OF)
    assert_one_line_error(result, 2, "duplicate key 'A'", "rows 1, 3")
    result = run(cli_runner, "evaluate", str(data), "-r", "builtin:standard", *AS_OF, "--on-duplicate", "last", "-f", "json")
    records = json.loads(result.stdout)["records"]
    assert [(r["id"], r["tier"]) for r in records] == [("B", "low"), ("A", "low")]


def test_invalid_ruleset_exit_1_with_location(cli_runner, tmp_path):
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text('salesrules: 1\nname: x\nfields:\n  deal_value: money\ntiers:\n  - {name: high, when: "deal_vlaue > 1"}\n')
    result = run(cli_runner, "evaluate", EXAMPLE, "-r", str(ruleset))
    assert_one_line_error(result, 1, f"{ruleset}:6:", "unknown field 'deal_vlaue'", "did you mean 'deal_value'")


def test_missing_input_file(cli_runner, tmp_path):
    result = run(cli_runner, "evaluate", str(tmp_path / "nope.csv"), "-r", "builtin:standard")
    assert_one_line_error(result, 2, "nope.csv")


def test_unknown_builtin(cli_runner):
    result = run(cli_runner, "evaluate", EXAMPLE, "-r", "builtin:standart")
    assert result.exit_code in (1, 2)
    assert "did you mean 'standard'" in result.stderr


def test_existing_output_untouched_on_error(cli_runner, tmp_path):
    data = tmp_path / "p.csv"
    data.write_text("Opportunity ID,Amount\nA,bad\n")
    out = tmp_path / "out.csv"
    out.write_text("precious")
    result = run(cli_runner, "evaluate", str(data), "-r", "builtin:standard", "-o", str(out))
    assert result.exit_code == 2
    assert out.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "p.csv"]


def test_output_over_input_refused(cli_runner, tmp_path):
    data = tmp_path / "p.csv"
    data.write_text("Opportunity ID,Amount\nA,100\n")
    before = data.read_bytes()
    result = run(cli_runner, "evaluate", str(data), "-r", "builtin:standard", "-o", str(data))
    assert result.exit_code == 2
    assert data.read_bytes() == before


def test_validate(cli_runner, tmp_path):
    result = run(cli_runner, "validate", "builtin:standard", str(ROOT / "rulesets" / "standard.yaml"))
    assert result.exit_code == 0
    assert result.stdout.count("valid") == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("salesrules: 1\nname: x\nfactor: []\ntiers: 3\n")
    result = run(cli_runner, "validate", str(bad))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: {bad}:3:1: unknown key 'factor' (did you mean 'factors'?)",
        f"error: {bad}:4:8: tiers: 3 should be array",
    ]


MANY_ERRORS = """\
salesrules: 1
name: many
fields:
  id: {type: string, key: true}
  deal_value: money
  score: integer
tiers:
  - {name: high, when: "deal_vlaue > 10", points: 5}
  - {name: low, when: "deal_value + 'x'", points: "'ten'"}
factors:
  - {name: f1, when: "true", points: 1, reason: "{compnay} is big"}
  - {name: f2, when: "deal_value > 1", points: 2}
"""


def test_validate_lists_every_error_of_the_expressions_and_names(cli_runner, tmp_path):
    bad = tmp_path / "many.yaml"
    bad.write_text(MANY_ERRORS)
    result = run(cli_runner, "validate", str(bad))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {bad}:6:10: field 'score' has the name of a result; rename it",
        f"error: {bad}:8:25: unknown field 'deal_vlaue' (did you mean 'deal_value'?)",
        f"error: {bad}:9:37: type mismatch: deal_value (money) added to text 'x'; + joins text only with text",
        f"error: {bad}:9:52: points must be a number, this is text: \"'ten'\"",
        f"error: {bad}:11:5: unknown field 'compnay' in text",
    ]
    # A run stops at the first error, on one line.
    result = run(cli_runner, "evaluate", EXAMPLE, "-r", str(bad))
    assert_one_line_error(result, 1, f"{bad}:6:10: field 'score' has the name of a result")


def test_every_error_through_the_api(tmp_path):
    from salesrules.errors import ErrorList
    from salesrules.loader.load import load

    bad = tmp_path / "many.yaml"
    bad.write_text(MANY_ERRORS)
    with pytest.raises(ErrorList) as caught:
        load(bad, every_error=True)
    assert [(e.loc.line, e.loc.col) for e in caught.value.errors] == [(6, 10), (8, 25), (9, 37), (9, 52), (11, 5)]


def test_schema_is_json_schema(cli_runner):
    result = run(cli_runner, "schema")
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "tiers" in schema["properties"]


def test_init_writes_a_ruleset_that_evaluates(cli_runner, tmp_path):
    target = tmp_path / "starter.yaml"
    result = run(cli_runner, "init", EXAMPLE, "-o", str(target), "--name", "starter")
    assert result.exit_code == 0, result.output
    text = target.read_text()
    assert "  opportunity_id: {type: string, key: true, aliases: [\"Opportunity ID\"]}" in text
    assert "  amount: {type: money, aliases: [\"Amount\"]}" in text
    assert "  created_date: {type: date, aliases: [\"Created Date\"]}" in text
    assert "  budget_confirmed: {type: boolean, aliases: [\"Budget Confirmed\"]}" in text
    assert "  decision_makers: {type: integer, aliases: [\"Decision Makers\"]}" in text
    assert "{name: closed_won, aliases: [\"Closed Won\"], closed: won}" in text
    result = run(cli_runner, "evaluate", EXAMPLE, "-r", str(target), *AS_OF, "-f", "json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["records"]) == 200


def test_plugins_lists_defaults_with_all(cli_runner):
    from salesrules.plugins import DEFAULT_PLUGINS

    assert json.loads(run(cli_runner, "plugins").stdout) == []
    listed = json.loads(run(cli_runner, "plugins", "--all").stdout)
    assert {p["name"] for p in listed} >= set(DEFAULT_PLUGINS)
    functions = json.loads(run(cli_runner, "plugins", "--all", "--hook", "register_functions").stdout)
    assert [p["name"] for p in functions] == ["salesrules.default_plugins.functions"]


def test_plugins_all_says_what_each_plugin_provides_with_its_docs(cli_runner):
    listed = {p["name"]: p["provides"] for p in json.loads(run(cli_runner, "plugins", "--all").stdout)}
    functions = {f["name"]: f for f in listed["salesrules.default_plugins.functions"]["functions"]}
    assert functions["days_since"]["args"] == ["date"] and functions["days_since"]["returns"] == "integer"
    assert functions["days_since"]["doc"]
    assert listed["salesrules.default_plugins.output_csv"] == {"output_formats": [
        {"name": "csv", "extensions": [".csv"], "doc": "Write the results as UTF-8 CSV (no BOM) to a binary stream."}]}
    rulesets = {r["name"]: r for r in listed["salesrules.default_plugins.rulesets"]["rulesets"]}
    assert rulesets["standard"]["reference"] == "builtin:standard"
    assert {"databases", "ruleset_formats", "input_formats", "report_formats"} <= {
        kind for provides in listed.values() for kind in provides}


def test_version_does_not_import_polars():
    code = "import sys; sys.argv=['salesrules','--version']\ntry:\n import salesrules.cli as c; c.cli()\nexcept SystemExit: pass\nprint('polars' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("False")
    assert "salesrules, version" in out.stdout


def test_a_run_imports_only_the_module_of_its_command():
    code = ("import sys; sys.argv=['salesrules','schema']\ntry:\n import salesrules.cli as c; c.cli()\nexcept SystemExit: pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('salesrules.cli.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "['salesrules.cli.group', 'salesrules.cli.validate']"


def test_every_command_is_listed_and_found_under_its_own_name():
    from salesrules.cli import COMMANDS
    from salesrules.cli.group import LazyCommands

    assert sorted(cli.list_commands(None)) == sorted(COMMANDS)
    assert all(cli.commands[name].name == name for name in COMMANDS)
    commands = LazyCommands({"schema": ("validate", "schema")})
    assert "schema" in commands and list(commands) == ["schema"] and len(commands) == 1
    commands["extra"] = cli.commands["lint"]
    del commands["schema"]
    assert list(commands) == ["extra"] and commands["extra"].name == "lint"
    with pytest.raises(KeyError):
        commands["missing"]


def test_new_plugin_refuses_bad_names_and_existing_folders(cli_runner, tmp_path):
    result = run(cli_runner, "new-plugin", "Bad_Name", "--dir", str(tmp_path))
    assert_one_line_error(result, 2, "plugin name 'Bad_Name' must be lower case")
    assert run(cli_runner, "new-plugin", "acme", "--dir", str(tmp_path)).exit_code == 0
    assert sorted(p.name for p in (tmp_path / "salesrules-acme").rglob("*") if p.is_file()) == [
        "README.md", "__init__.py", "acme.yaml", "pyproject.toml", "test_salesrules_acme.py"]
    result = run(cli_runner, "new-plugin", "acme", "--dir", str(tmp_path))
    assert_one_line_error(result, 2, "already exists")


def test_ragged_csv_row_is_located(cli_runner, tmp_path):
    data = tmp_path / "p.csv"
    data.write_text("Opportunity ID,Amount\nA,100\nB,200,extra\n")
    result = run(cli_runner, "evaluate", str(data), "-r", "builtin:standard", *AS_OF)
    assert_one_line_error(result, 2, f"{data}:3:", "data row 2 has 3 fields but the header has 2")


def test_evaluate_explain_column_adds_up(cli_runner):
    result = run(cli_runner, "evaluate", EXAMPLE, "-r", "builtin:standard", *AS_OF, "--explain", "-f", "json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)["records"]
    first = records[0]
    assert first["explain"] == "+10 low tier; +10 prospect stage; +5 need identified; −15 decision makers"
    for record in records:
        parts = [p.strip() for p in record["explain"].split(";") if p.strip()]
        total = sum(int(p.split()[0].replace("−", "-").replace("+", "")) for p in parts)
        assert total == record["score"], record["id"]


def test_tool_commands_run_from_the_root_cli(cli_runner):
    assert run(cli_runner, "test", str(ROOT / "rulesets" / "standard.yaml")).exit_code == 0
    assert run(cli_runner, "lint", "builtin:bant").exit_code == 0
    result = run(cli_runner, "explain", EXAMPLE, "-r", "builtin:standard", *AS_OF, "--id", "OPP-00000001", "-f", "json")
    assert result.exit_code == 0, result.output
    receipt = json.loads(result.stdout)
    assert sum(c["points"] for c in receipt["contributions"]) == receipt["score"] == 10
