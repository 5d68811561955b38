"""What evaluate shows: --sort, --columns (and the pruning behind it), --limit, --all, --with,
the table's footer and the line after writing a file."""

import csv
import json

import polars as pl
import pytest

import salesrules
from salesrules.cli import cli
from salesrules.plugins import pm, reset_registry

RULESET = """salesrules: 1
name: view
version: "1"
fields:
  id: {type: string, key: true}
  value: {type: money}
  region: {type: string}
tiers:
  - {name: high, when: "value >= 1000", points: 50}
  - {name: low, points: 10}
stages:
  - {name: lead, points: 5}
  - {name: demo, points: 20}
  - {name: won, closed: won}
  - {name: lost, closed: lost}
factors:
  - {name: east, when: "region == 'east'", points: 7, reason: In the east}
classifications:
  lane:
    - {name: counted, when: "tally(value) > 0"}
    - {name: other}
actions:
  - {name: call, when: "stage == 'demo'", text: "Call {id}"}
"""

ROWS = [
    ("a", 500, "west", "lead"),      # 15
    ("b", 2000, "east", "demo"),     # 77
    ("c", 3000, "east", "won"),      # closed, 57
    ("d", 1500, "west", "lead"),     # 55
    ("e", 100, "east", "demo"),      # 37
    ("f", 50, "west", "lost"),       # closed, 10
]


class Tally:
    """A function that counts the values it is called on, to see whether a column is computed."""

    __name__ = "tally"
    seen = 0

    @salesrules.hookimpl
    def register_functions(self, register):
        def impl(call):
            def count(series):
                Tally.seen += series.len()
                return series
            return call.args[0].map_batches(count, return_dtype=pl.Float64)
        register("tally", impl, args=["numeric"], returns="number")


@pytest.fixture
def files(tmp_path):
    pm.register(Tally(), name="tally")
    reset_registry()
    Tally.seen = 0
    ruleset = tmp_path / "view.yaml"
    ruleset.write_text(RULESET)
    data = tmp_path / "deals.csv"
    with open(data, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "value", "region", "stage"])
        writer.writerows(ROWS)
    yield str(data), str(ruleset)
    pm.unregister(name="tally")
    reset_registry()


def run(cli_runner, *args):
    result = cli_runner.invoke(cli, ["evaluate", *args, "--as-of", "2026-11-22"], catch_exceptions=False)
    return result


def first(output: str, count: int) -> list[str]:
    """The CSV lines of ``output`` without the four provenance columns at the end."""
    return [",".join(line.split(",")[:count]) for line in output.splitlines()]


def test_csv_keeps_the_input_order_by_default(cli_runner, files):
    data, ruleset = files
    out = run(cli_runner, data, "-r", ruleset, "-f", "csv", "--columns", "id,score,rank")
    assert out.exit_code == 0, out.output
    assert first(out.output, 3) == [
        "id,score,rank", "a,15,4", "b,77,1", "c,57,", "d,55,2", "e,37,3", "f,10,",
    ]


def test_sort_rank_puts_open_deals_by_rank_then_closed_by_score(cli_runner, files):
    data, ruleset = files
    out = run(cli_runner, data, "-r", ruleset, "-f", "csv", "--columns", "id,score,rank", "--sort", "rank")
    assert first(out.output, 3)[1:] == ["b,77,1", "d,55,2", "e,37,3", "a,15,4", "c,57,", "f,10,"]


def test_markdown_is_ranked_by_default_and_sort_input_overrides(cli_runner, files):
    data, ruleset = files
    ranked = run(cli_runner, data, "-r", ruleset, "-f", "markdown", "--columns", "id,rank")
    ids = [line.split("|")[1].strip() for line in ranked.output.splitlines()[4:]]
    assert ids == ["b", "d", "e", "a", "c", "f"]
    kept = run(cli_runner, data, "-r", ruleset, "-f", "markdown", "--columns", "id,rank", "--sort", "input")
    assert [line.split("|")[1].strip() for line in kept.output.splitlines()[4:]] == ["a", "b", "c", "d", "e", "f"]


def test_columns_choose_and_order_the_output(cli_runner, files):
    data, ruleset = files
    out = run(cli_runner, data, "-r", ruleset, "-f", "json", "--columns", "rank,id,tier,actions")
    records = json.loads(out.output)["records"]
    assert records[1] == {"rank": 1, "id": "b", "tier": "high",
                          "actions": [{"name": "call", "text": "Call b", "due": None}]}
    assert list(records[1]) == ["rank", "id", "tier", "actions"]


def test_columns_not_asked_for_are_not_computed(cli_runner, files):
    data, ruleset = files
    out = run(cli_runner, data, "-r", ruleset, "-f", "csv", "--columns", "id,tier,score,rank")
    assert out.exit_code == 0
    assert Tally.seen == 0  # the lane classification was pruned from the plan
    out = run(cli_runner, data, "-r", ruleset, "-f", "csv", "--columns", "id,lane")
    assert first(out.output, 2) == ["id,lane"] + [f"{k},counted" for k in "abcdef"]
    assert Tally.seen == 6


def test_columns_not_asked_for_are_not_computed_through_the_api(files):
    data, ruleset = files
    results = salesrules.load(ruleset).evaluate(data, as_of="2026-11-22", columns=("id", "score"), sort="rank")
    assert results.columns == ["id", "score"]
    assert results["id"].to_list() == ["b", "d", "e", "a", "c", "f"]
    assert Tally.seen == 0


def test_columns_read_only_the_fields_they_need(cli_runner, files, tmp_path):
    # The stage is read whatever the columns (it tells the open deals from the closed ones);
    # the value only for the columns that need it, so its bad value is no error for the others.
    data, ruleset = files
    bad = tmp_path / "bad.csv"
    bad.write_text("id,value,region,stage\na,500,west,lead\nb,lots,east,demo\nc,3000,east,won\n")
    out = run(cli_runner, str(bad), "-r", ruleset, "-f", "csv", "--columns", "id,stage,stage_probability")
    assert out.exit_code == 0, out.output
    assert first(out.output, 3) == ["id,stage,stage_probability", "a,lead,", "b,demo,", "c,won,"]
    out = run(cli_runner, str(bad), "-r", ruleset, "-f", "csv", "--columns", "id,tier")
    assert out.exit_code == 2
    assert out.output == f"error: {bad}: row 2, column 'value': cannot read 'lots' as money\n"
    out = run(cli_runner, str(bad), "-r", ruleset, "-f", "csv")
    assert out.exit_code == 2


def test_a_narrowed_plan_keeps_the_steps_and_fields_its_columns_read(files):
    from salesrules.compiler.plan import compile_ruleset
    from salesrules.model.columns import CLOSED

    data, ruleset = files
    plan = compile_ruleset(salesrules.load(ruleset), "2026-11-22")
    tier = plan.narrowed(["id", "tier", CLOSED])
    assert list(tier.fields) == ["id", "value", "stage"]
    assert sum(map(len, tier.steps)) == 3 and sum(map(len, plan.steps)) == 30
    assert list(plan.narrowed(["id", "score", CLOSED]).fields) == ["id", "value", "region", "stage"]
    assert list(plan.narrowed(["lane"]).fields) == ["id", "value"]  # the key always
    assert plan.narrowed(["id", "tier", CLOSED]) is tier


def test_the_rank_is_computed_only_when_shown_or_sorted_by(files, monkeypatch):
    from salesrules.runners import local

    data, ruleset = files
    calls = []
    rank_values = local.rank_values
    monkeypatch.setattr(local, "rank_values", lambda *a, **k: calls.append(1) or rank_values(*a, **k))
    plan = salesrules.load(ruleset)
    with local.run(plan, data, as_of="2026-11-22", columns=("id", "tier"), sort="input") as outcome:
        assert outcome.results.collect().columns == ["id", "tier"]
        assert (outcome.rows, outcome.ranked, outcome.closed) == (6, 4, 2)
    assert calls == []
    ranked = plan.evaluate(data, as_of="2026-11-22", columns=("id",), sort="rank")
    assert ranked["id"].to_list() == ["b", "d", "e", "a", "c", "f"]
    assert plan.evaluate(data, as_of="2026-11-22", columns=("id", "rank"))["rank"].to_list() == [4, 1, None, 2, 3, None]
    assert calls == [1, 1]


def test_an_unknown_column_is_one_line_naming_the_known_ones(cli_runner, files):
    data, ruleset = files
    out = cli_runner.invoke(cli, ["evaluate", data, "-r", ruleset, "-f", "csv", "--columns", "id,scor"])
    assert out.exit_code == 2
    assert out.output.startswith("error: unknown result column 'scor' (did you mean 'score'?); known: id, tier,")
    assert len(out.output.splitlines()) == 1


def test_limit_writes_the_top_records(cli_runner, files):
    data, ruleset = files
    out = run(cli_runner, data, "-r", ruleset, "-f", "csv", "--columns", "id,rank", "--sort", "rank", "--limit", "2")
    assert first(out.output, 2) == ["id,rank", "b,1", "d,2"]


def test_table_shows_the_top_rows_and_a_footer(cli_runner, files):
    data, ruleset = files
    out = run(cli_runner, data, "-r", ruleset, "-f", "table", "--limit", "3")
    lines = out.output.splitlines()
    header = next(line for line in lines if "rank" in line)
    assert [c.strip() for c in header.strip("┃ ").split("┃")] == ["rank", "id", "tier", "stage", "score", "band", "reasons"]
    rows = [line for line in lines if line.startswith("│")]
    assert [r.split("│")[2].strip() for r in rows] == ["b", "d", "e"]
    assert "3 more records not shown (top 3 of 6; 2 closed deals come after the open ones)." in out.output
    assert "--limit N or --all shows more rows" in out.output
    assert "More columns: --with tier_points,lane,stage_conflict,stage_probability,actions,gaps" in out.output.replace("\n", "")
    assert Tally.seen == 0  # the table's columns need no lane


def test_table_marks_an_inferred_stage(cli_runner, tmp_path):
    data = tmp_path / "inferred.csv"
    data.write_text("id,need_identified,stage,deal_value\na,yes,,\nb,no,lead,\n")
    out = cli_runner.invoke(cli, ["evaluate", str(data), "-r", "builtin:standard", "-f", "table", "--as-of", "2026-11-22"])
    rows = [line for line in out.output.splitlines() if line.startswith("│")]
    assert [[cell.strip() for cell in row.split("│")[1:7]] for row in rows] == [
        ["1", "a", "unknown", "discovery (inferred)", "20", "C"], ["2", "b", "unknown", "lead", "5", "C"]]
    assert "The need is ide…" in rows[0]  # cut to fit 80 columns, not left out


def test_table_all_and_with(cli_runner, files):
    data, ruleset = files
    out = run(cli_runner, data, "-r", ruleset, "-f", "table", "--all", "--with", "actions")
    rows = [line for line in out.output.splitlines() if line.startswith("│")]
    assert [r.split("│")[2].strip() for r in rows] == ["b", "d", "e", "a", "c", "f"]
    assert "Call b" in rows[0]
    assert "more records not shown" not in out.output


def test_table_fits_a_narrow_terminal(cli_runner, files):
    data, ruleset = files
    out = cli_runner.invoke(cli, ["evaluate", data, "-r", ruleset, "-f", "table", "--with", "actions",
                                  "--as-of", "2026-11-22"], env={"COLUMNS": "60"})
    lines = out.output.splitlines()
    assert all(len(line) <= 60 for line in lines)
    header = next(line for line in lines if "rank" in line)
    # The stage and score keep their full width; what does not fit is named.
    assert "stage" in header and "score" in header
    assert "Left out for the width of the terminal:" in out.output


def test_view_options_that_contradict_are_usage_errors(cli_runner, files):
    data, ruleset = files
    for args, message in [
        (["--limit", "2", "--all"], "error: --limit and --all contradict each other; pass one\n"),
        (["--columns", "id", "--with", "gaps"], "error: --with adds to the table's columns; with --columns, list every column there\n"),
        (["-f", "csv", "--with", "gaps"], "error: --with adds columns to the table; for csv use --columns\n"),
    ]:
        out = cli_runner.invoke(cli, ["evaluate", data, "-r", ruleset, *args])
        assert (out.exit_code, out.output) == (2, message)


def test_a_file_written_on_a_terminal_is_reported_on_stderr(cli_runner, files, tmp_path, monkeypatch):
    from salesrules.cli import view

    data, ruleset = files
    target = tmp_path / "out.csv"
    monkeypatch.setattr(view, "stderr_is_terminal", lambda: True)
    out = run(cli_runner, data, "-r", ruleset, "-o", str(target))
    assert out.exit_code == 0
    assert out.output.startswith(f"wrote 6 rows to {target} in ")
    assert out.output.endswith(" s\n") and len(out.output.splitlines()) == 1
    quiet = run(cli_runner, data, "-r", ruleset, "-o", str(target), "--quiet")
    assert quiet.output == ""


def test_xlsx_a_manager_can_use(cli_runner, files, tmp_path):
    import zipfile

    data, ruleset = files
    target = tmp_path / "ranked.xlsx"
    out = run(cli_runner, data, "-r", ruleset, "-o", str(target))
    assert out.exit_code == 0, out.output
    sheet = pl.read_excel(target, sheet_name="results")
    assert sheet["id"].to_list() == ["b", "d", "e", "a", "c", "f"]  # ranked, closed deals last
    assert sheet["rank"].to_list() == [1, 2, 3, 4, None, None]
    with zipfile.ZipFile(target) as archive:
        xml = {name: archive.read(name).decode() for name in archive.namelist()}
    results_sheet = xml["xl/worksheets/sheet1.xml"]
    assert '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' in results_sheet
    assert "autoFilter" in xml["xl/tables/table1.xml"]
    assert 'customWidth="1"' in results_sheet
    assert 'formatCode="0%"' in xml["xl/styles.xml"]
    assert dict(pl.read_excel(target, sheet_name="provenance").rows())["ruleset"] == "view"


def test_xlsx_formats_money_and_percent_columns():
    from salesrules.default_plugins.output_xlsx import column_formats, column_widths
    from salesrules.io.outputs import OutputContext

    frame = pl.DataFrame({"id": ["a" * 100], "stage_probability": [0.25], "deal_value": [1234.5], "score": [3]})
    context = OutputContext({}, "id", money_columns=("deal_value",))
    assert column_formats(frame, context) == {"stage_probability": "0%", "deal_value": "#,##0.00"}
    assert column_widths(frame) == {"id": 60 * 7 + 10, "stage_probability": 20 * 7 + 10,
                                    "deal_value": 13 * 7 + 10, "score": 8 * 7 + 10}
