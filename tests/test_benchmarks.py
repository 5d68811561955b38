"""Tests for the benchmarks: the benchmark ruleset, the per-record loop engine, the hand-written polars
version and the runner's helpers."""

import csv
import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path

import polars as pl
import pytest

import salesrules
from salesrules.analysis.lint import lint
from salesrules.analysis.testing import run_tests
from salesrules.cli import cli

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
RULESET = BENCHMARKS / "ruleset.yaml"
AS_OF = dt.date(2026, 11, 22)
ROWS = 3_000
SEED = 3


def _load(name):
    # benchmarks/ is not a package, so import the scripts from their paths.
    spec = importlib.util.spec_from_file_location(f"salesrules_benchmark_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


gen = _load("generate")
loop_engine = _load("loop_engine")
handwritten = _load("handwritten")
record_engine = _load("record_engine")
run = _load("run")


@pytest.fixture(scope="module")
def ruleset():
    return salesrules.load(RULESET)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """3,000 generated rows as CSV and Parquet, and salesrules' CSV results for the CSV."""
    from click.testing import CliRunner

    folder = tmp_path_factory.mktemp("bench")
    source = folder / "prospects.csv"
    gen.write_csv(source, ROWS, SEED, AS_OF)
    gen.write_parquet(folder / "prospects.parquet", ROWS, SEED, AS_OF)
    out = folder / "salesrules.csv"
    result = CliRunner().invoke(
        cli, ["evaluate", str(source), "-r", str(RULESET), "--as-of", AS_OF.isoformat(), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    return folder


# --- the benchmark ruleset --------------------------------------------------------------


def test_benchmark_ruleset_meets_its_spec(ruleset):
    tiers = next(c for c in ruleset.classifications if c.name == "tier")
    assert [level.name for level in tiers.levels] == ["strategic", "high", "medium", "low"]
    assert len(ruleset.stages) == 9
    assert [s.closed for s in ruleset.stages if s.closed] == ["won", "lost"]
    assert all(s.probability is not None for s in ruleset.stages)
    assert sum(1 for s in ruleset.stages if s.entry) >= 4
    assert sum(1 for s in ruleset.stages if s.max_days is not None) >= 5
    assert ruleset.stage_entered == "stage_entered"
    assert len(ruleset.factors) >= 15
    assert len(ruleset.scores) == 1
    assert [b.name for b in ruleset.scores["priority"].bands] == ["A", "B", "C"]
    assert len(ruleset.actions) >= 3
    for action in ruleset.actions:
        assert action.due is not None and "{" in action.text, action.name


def test_benchmark_factors_use_dates_enums_booleans_and_arithmetic(ruleset):
    whens = [str(f.when) for f in ruleset.factors]
    points = [str(f.points) for f in ruleset.factors]
    assert any("days_since(" in w for w in whens) and any("days_until(" in w for w in whens)
    assert any("industry in" in w for w in whens) and any("lead_source ==" in w for w in whens)
    assert "merger_pending" in whens and "budget_confirmed" in whens
    assert "-5 * (decision_makers - 1)" in points


def test_benchmark_ruleset_is_clean_and_passes_its_tests(ruleset):
    assert lint(ruleset) == []
    results = run_tests(ruleset)
    assert len(results) >= 10
    assert all(r.passed for r in results), [r.describe() for r in results if not r.passed]


def test_every_generated_stage_is_a_stage(ruleset):
    spellings = {" ".join(n.split()).lower() for s in ruleset.stages for n in (s.name, *s.aliases)}
    assert {stage.lower() for stage in gen.STAGES} <= spellings


def test_benchmark_ruleset_declares_only_generated_columns(ruleset):
    # Every declared field is read from a column the generator writes.
    normal = {c.lower().replace(" ", "_") for c in gen.COLUMNS}
    for name, spec in ruleset.fields.items():
        assert name in normal or any(a in gen.COLUMNS for a in spec.aliases), name


# --- the loop engine --------------------------------------------------------------------


def test_loop_engine_writes_exactly_what_salesrules_writes(generated, ruleset):
    out = generated / "loop.csv"
    assert loop_engine.main([str(generated / "prospects.csv"), str(out), "--as-of", AS_OF.isoformat(),
                             "--ruleset-hash", ruleset.hash]) == 0
    expected = (generated / "salesrules.csv").read_bytes()
    assert out.read_bytes() == expected


def test_the_comparison_covers_every_rule(generated, ruleset):
    # The byte comparison means something only if the data exercises the rules.
    with open(generated / "salesrules.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == ROWS
    assert list(rows[0]) == list(loop_engine.HEADER)
    assert {r["tier"] for r in rows} == {"strategic", "high", "medium", "low"}
    assert {r["stage"] for r in rows} >= {s.name for s in ruleset.stages}
    assert {r["stage_source"] for r in rows} >= {"recorded", "inferred"}
    assert {r["band"] for r in rows} == {"A", "B", "C"}
    assert {r["stage_conflict"] for r in rows} == {"true", "false"}
    assert any(r["rank"] == "" for r in rows) and any(r["rank"] == "1" for r in rows)
    assert any("over 45 days in stage" in r["gaps"] for r in rows)
    reasons = "\n".join(r["reasons"] for r in rows)
    for factor in ruleset.factors:
        first_words = (factor.reason or factor.name.replace("_", " ")).split("{")[0].strip()
        if first_words:
            assert first_words in reasons, factor.name
    actions = "\n".join(r["actions"] for r in rows)
    for action in ruleset.actions:
        assert action.text.split("{")[0] in actions, action.name
    assert {r["ruleset_hash"] for r in rows} == {ruleset.hash}


# Rows that take the rarer paths, over generated rows: (row, column overrides).
EDGE_CASES = [
    # No stage and no evidence at all: the stage is unknown.
    (0, {"Stage": "", "Last Contact": "", **{c: "No" for c in gen.FLAG_COLUMNS}}),
    # Odd spellings, spacing and case of enums and checkboxes; defaults for empty counts.
    (1, {"Stage": "  closed   WON ", "Industry": "health care", "Lead Source": "trade show",
         "Budget Confirmed": "TRUE", "Need Identified": "0", "Demo Requested": "y", "Decision Makers": "",
         "Contacts": ""}),
    (2, {"Stage": "NEEDS ANALYSIS", "Need Identified": "off", "Stage Entered": "", "Created Date": "2025-01-01"}),
    # A strategic A deal without a close date: the briefing has no due date.
    (3, {"Amount": "$3,000,000.00", "Stage": "Negotiation", "Budget Confirmed": "Yes",
         "Decision Maker Confirmed": "Yes", "Close Date": "", "Next Step Date": "2026-12-01",
         "Stage Entered": "2026-11-01", "Merger Pending": "No", "Budget Available From": "",
         "Supplier Contract Until": "", "Decision Makers": "1"}),
    # A stalled B deal without an amount: its value reads "unknown".
    (4, {"Amount": "", "Stage": "Presentation", "Stage Entered": "2026-08-01", "Created Date": "2026-07-01",
         "Budget Confirmed": "Yes", "Decision Maker Confirmed": "Yes", "Need Identified": "Yes",
         "Last Contact": "2026-11-20", "Next Step Date": "2026-12-01", "Close Date": "2027-03-01",
         "Decision Makers": "1", "Contacts": "3", "Industry": "Retail", "Lead Source": "Website",
         "New Buyer": "No", "Merger Pending": "No", "Budget Available From": "", "Supplier Contract Until": ""}),
    # A public-sector deal without a country.
    (5, {"Industry": "Gov", "Amount": "$1,500,000.50", "Country": ""}),
    # Dates on the limits: 45 days in evaluation is not overdue, 46 is; an appointment tomorrow.
    (6, {"Stage": "Evaluation", "Demo Requested": "Yes", "Stage Entered": "2026-10-08",
         "Next Appointment": "2026-11-23"}),
    (7, {"Stage": "Evaluation", "Demo Requested": "Yes", "Stage Entered": "2026-10-07", "Close Date": "2026-11-22"}),
    # Two deals with the same score rank by key.
    (8, {"Opportunity ID": "OPP-A"}),
    (9, {"Opportunity ID": "OPP-B"}),
]


def write_edge_cases(source: Path, skipped: tuple[int, ...] = ()) -> None:
    """Twelve generated rows with EDGE_CASES applied (but for the rows in ``skipped``) as CSV."""
    rows = gen.generate_frame(12, SEED, AS_OF).to_dicts()
    for index, overrides in EDGE_CASES:
        if index not in skipped:
            rows[index].update(overrides)
    rows[9] = {**rows[8], "Opportunity ID": "OPP-B"}
    with open(source, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, gen.COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v.isoformat() if isinstance(v, dt.date) else v
                             for k, v in row.items()})


def test_loop_engine_agrees_on_rare_paths(tmp_path, cli_runner, ruleset):
    source = tmp_path / "edge.csv"
    write_edge_cases(source)
    expected, actual = tmp_path / "salesrules.csv", tmp_path / "loop.csv"
    result = cli_runner.invoke(cli, ["evaluate", str(source), "-r", str(RULESET), "--as-of", AS_OF.isoformat(),
                                     "-o", str(expected)])
    assert result.exit_code == 0, result.output
    loop_engine.evaluate_file(source, actual, AS_OF, ruleset.hash)
    assert actual.read_text() == expected.read_text()
    text = expected.read_text()
    for fragment in (",unknown,,false,,", "worth unknown", "Brief the", "over 45 days", "in unknown:",
                     "Open for unknown days", "tomorrow's appointment"):
        assert fragment in text, fragment


def test_parquet_input_gives_the_same_results(generated, cli_runner):
    out = generated / "from-parquet.csv"
    result = cli_runner.invoke(cli, ["evaluate", str(generated / "prospects.parquet"), "-r", str(RULESET),
                                     "--as-of", AS_OF.isoformat(), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == (generated / "salesrules.csv").read_bytes()


def test_loop_engine_takes_the_hash_salesrules_computes(ruleset):
    assert loop_engine.ruleset_hash() == ruleset.hash
    assert (loop_engine.RULESET_NAME, loop_engine.RULESET_VERSION) == (ruleset.name, ruleset.version)


def test_loop_engine_reads_values_like_salesrules():
    assert loop_engine.money("$1,250,000.00") == 1_250_000.0
    assert loop_engine.money(" ") is None
    assert loop_engine.boolean("Yes") is True and loop_engine.boolean("off") is False
    assert loop_engine.boolean("") is False
    assert loop_engine.enum("Health  Care", loop_engine._INDUSTRY) == "healthcare"
    assert loop_engine.enum("Closed Won", loop_engine._STAGE) == "won"
    assert loop_engine.day("2026-11-22") == AS_OF.toordinal()
    assert loop_engine.shown_money(873923.92) == "873923.92"
    assert loop_engine.shown_money(5910.0) == "5910"
    with pytest.raises(loop_engine.BadValue, match="cannot read 'lots' as money"):
        loop_engine.money("lots")
    with pytest.raises(loop_engine.BadValue, match="as date"):
        loop_engine.day("22/11/2026")


# --- the hand-written polars version ----------------------------------------------------


def _salesrules(cli_runner, source, out, *options):
    result = cli_runner.invoke(cli, ["evaluate", str(source), "-r", str(RULESET), "--as-of", AS_OF.isoformat(),
                                     "-o", str(out), *options])
    assert result.exit_code == 0, result.output
    return out.read_bytes()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_handwritten_writes_exactly_what_salesrules_writes(generated, ruleset, cli_runner, fmt):
    source = generated / f"prospects.{fmt}"
    expected = _salesrules(cli_runner, source, generated / f"salesrules-all.{fmt}")
    out = generated / f"handwritten.{fmt}"
    assert handwritten.main([str(source), str(out), "--as-of", AS_OF.isoformat(), "--ruleset-hash", ruleset.hash]) == 0
    assert out.read_bytes() == expected
    if fmt == "csv":  # checking every value changes nothing on the generator's output
        checked = generated / "handwritten-checked.csv"
        assert handwritten.main([str(source), str(checked), "--as-of", AS_OF.isoformat(), "--ruleset-hash",
                                 ruleset.hash, "--checked"]) == 0
        assert checked.read_bytes() == expected


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_handwritten_writes_only_the_columns_asked_for(generated, ruleset, cli_runner, fmt):
    source = generated / f"prospects.{fmt}"
    expected = _salesrules(cli_runner, source, generated / f"salesrules-4.{fmt}", "--columns", "id,tier,score,band")
    out = generated / f"handwritten-4.{fmt}"
    assert handwritten.main([str(source), str(out), "--as-of", AS_OF.isoformat(), "--ruleset-hash", ruleset.hash,
                             "--columns", "id,tier,score,band"]) == 0
    assert out.read_bytes() == expected
    if fmt == "csv":
        assert out.read_text().splitlines()[0] == "id,tier,score,band,ruleset,ruleset_version,ruleset_hash,as_of"
        checked = generated / "handwritten-4-checked.csv"
        assert handwritten.main([str(source), str(checked), "--as-of", AS_OF.isoformat(), "--ruleset-hash",
                                 ruleset.hash, "--columns", "id,tier,score,band", "--checked"]) == 0
        assert checked.read_bytes() == expected


@pytest.mark.parametrize(("column", "value"), [
    ("Close Date", "2026/11/22"), ("Close Date", "2026-1-5"), ("Created Date", "2026-02-30"),
    ("Budget Confirmed", "Maybe"), ("Amount", "$1,2,3"), ("Decision Makers", "two"), ("Industry", "Mining"),
    ("Stage", "Closing"), ("Lead Source", "Radio"), ("Opportunity ID", "repeated"),
])
def test_handwritten_checked_stops_at_a_bad_value_or_a_repeated_key_as_salesrules_does(
        generated, ruleset, cli_runner, tmp_path, column, value):
    frame = pl.read_csv(generated / "prospects.csv", infer_schema=False)
    if value == "repeated":
        value = frame.get_column(column)[0]
    broken = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 6).then(pl.lit(value)).otherwise(pl.col(column)).alias(column))
    source, out = tmp_path / "broken.csv", tmp_path / "out.csv"
    broken.write_csv(source)
    with pytest.raises(SystemExit) as caught:
        handwritten.evaluate_file(source, out, AS_OF, ruleset.hash, ["id", "tier", "score", "band"], check=True)
    assert str(caught.value).startswith(f"{source}: row 7: ")
    assert not out.exists()
    result = cli_runner.invoke(cli, ["evaluate", str(source), "-r", str(RULESET), "--as-of", AS_OF.isoformat(),
                                     "-o", str(tmp_path / "salesrules.csv"), "--columns", "id,tier,score,band"])
    assert result.exit_code != 0 and ("row 7" in result.output or "rows 1, 7" in result.output)


def test_handwritten_checks_csv_input_only(generated, ruleset, tmp_path):
    with pytest.raises(SystemExit, match="CSV input only"):
        handwritten.evaluate_file(generated / "prospects.parquet", tmp_path / "out.parquet", AS_OF, ruleset.hash,
                                  check=True)


def test_handwritten_agrees_on_rare_paths(tmp_path, cli_runner, ruleset):
    # The rare paths of the loop engine's test, in the generator's spellings (the hand-written
    # version reads only those): no stage, no amount, no close date or country, dates on the limits.
    source = tmp_path / "edge.csv"
    write_edge_cases(source, skipped=(1, 2))  # rows 1 and 2: odd spellings
    for number, options in enumerate(([], ["--columns", "id,tier,score,band"], ["--columns", "rank,actions,id"])):
        expected = _salesrules(cli_runner, source, tmp_path / f"salesrules-{number}.csv", *options)
        actual = tmp_path / f"handwritten-{number}.csv"
        handwritten.evaluate_file(source, actual, AS_OF, ruleset.hash, options[1].split(",") if options else None)
        assert actual.read_bytes() == expected, options
        handwritten.evaluate_file(source, actual, AS_OF, ruleset.hash, options[1].split(",") if options else None,
                                  check=True)
        assert actual.read_bytes() == expected, (options, "checked")
    text = (tmp_path / "salesrules-0.csv").read_text()
    for fragment in (",unknown,,false,,", "worth unknown", "Brief the", "over 45 days", "in unknown:",
                     "tomorrow's appointment"):
        assert fragment in text, fragment


def test_handwritten_takes_the_ruleset_salesrules_reads(ruleset):
    assert handwritten.ruleset_hash() == ruleset.hash
    assert (handwritten.RULESET_NAME, handwritten.RULESET_VERSION) == (ruleset.name, ruleset.version)
    assert list(handwritten.OUTPUT) == list(loop_engine.HEADER[:13])


# --- the per-record rules engine ----------------------------------------------------------


def test_record_engine_gives_the_results_salesrules_gives(generated, capsys):
    pytest.importorskip("zen", reason="the [bench] extra is not installed")
    assert record_engine.main([str(generated / "prospects.csv"), "--as-of", AS_OF.isoformat(), "--rows", "800",
                               "--check", str(generated / "salesrules.csv"), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert (figures["engine"], figures["rows"], figures["same"]) == ("zen-engine", 800, True)
    results, *_ = record_engine.evaluate_file(generated / "prospects.csv", AS_OF, 50)
    assert results == record_engine.expected_results(generated / "salesrules.csv", 50)
    assert {band for *_, band in results} <= {"A", "B", "C"}


def test_record_engine_says_when_it_is_not_installed(generated, monkeypatch, capsys):
    monkeypatch.setattr(record_engine, "engine_available", lambda: False)
    assert record_engine.main([str(generated / "prospects.csv"), "--as-of", AS_OF.isoformat()]) == record_engine.MISSING
    assert "zen-engine is not installed" in capsys.readouterr().err


def test_record_engine_has_every_factor_of_the_ruleset(ruleset):
    assert [name for name, *_ in record_engine.FACTORS] == [f.name for f in ruleset.factors]


# --- the runner's helpers ---------------------------------------------------------------


def test_median():
    assert run.median([3.0, 1.0, 2.0]) == 2.0
    assert run.median([4, 1, 3, 2]) == 2.5
    assert run.median([7]) == 7
    with pytest.raises(ValueError):
        run.median([])


def test_format_table():
    text = run.format_table(["format", "time", "ratio"], [["csv", "1.50 s", "1.20x"], ["parquet", "0.75 s", "1.05x"]],
                            title="End to end")
    assert text == (
        "End to end\n"
        "format     time  ratio\n"
        "-------  ------  -----\n"
        "csv      1.50 s  1.20x\n"
        "parquet  0.75 s  1.05x"
    )
    assert run.format_table(["a", "b"], [["x", ""]]) == "a  b\n-  -\nx"
    with pytest.raises(ValueError):
        run.format_table(["a", "b"], [["only one"]])


def test_figures_carry_their_units():
    assert run.fmt_seconds(12.345) == "12.35 s"
    assert run.fmt_ms(0.0031416) == "3.14 ms"
    assert run.fmt_us(0.000512) == "512.0 µs"
    assert run.fmt_rate(1_000_000, 10.52) == "95,057 rows/s"
    assert run.fmt_ratio(1.254) == "1.25x"
    assert run.fmt_mib(512 * 2**20) == "512 MiB"
    assert run.fmt_mib(3 * 2**30) == "3,072 MiB"
    assert run.fmt_rows(1_000_000) == "1,000,000 rows"
    assert (run.verdict(True), run.verdict(False)) == ("PASS", "FAIL")


def test_parse_counts():
    assert run.parse_counts("100000,300_000, 1000000") == [100_000, 300_000, 1_000_000]
    for bad in ("", "0", "10,-1", "ten"):
        with pytest.raises(ValueError):
            run.parse_counts(bad)


def test_choose_sections():
    assert run.choose_sections(None, None, False) == ["e2e", "loop", "factors", "latency", "report"]
    assert run.choose_sections(None, 10_000_000, True) == ["e2e", "factors", "latency", "report", "huge"]
    assert run.choose_sections("latency,e2e", None, False) == ["e2e", "latency"]
    assert run.choose_sections("rows,loop", None, True) == ["rows"]
    assert run.choose_sections("columns,handwritten,e2e", None, False) == ["e2e", "handwritten", "columns"]
    with pytest.raises(ValueError, match="unknown sections: speed"):
        run.choose_sections("e2e,speed", None, False)


def test_handwritten_command_passes_the_hash_and_the_columns(tmp_path):
    bench = run.Bench(run.parser().parse_args(["--workdir", str(tmp_path)]))
    bench.__dict__["hash"] = "0123456789ab"  # as computed once by the runner
    command = run.handwritten_command(bench, tmp_path / "in.csv", tmp_path / "out.csv", run.FOUR_COLUMNS)
    assert command[1:] == [str(run.HANDWRITTEN), str(tmp_path / "in.csv"), str(tmp_path / "out.csv"), "--as-of",
                           run.AS_OF, "--ruleset-hash", "0123456789ab", "--columns", "id,tier,score,band"]
    assert "--columns" not in run.handwritten_command(bench, tmp_path / "in.csv", tmp_path / "out.csv")


def test_input_name():
    assert run.input_name(1_000_000, 1, "parquet") == "salesrules-bench-1000000-seed1.parquet"


def test_targets_table():
    table = run.targets_table([run.Target("CSV ratio to the floor", "≤ 1.3x", "1.25x", True),
                               run.Target("evaluate_one", "< 5 ms", "7.00 ms", False)])
    assert table.text() == (
        "Targets\n"
        "target                   limit  measured  result\n"
        "----------------------  ------  --------  ------\n"
        "CSV ratio to the floor  ≤ 1.3x     1.25x    PASS\n"
        "evaluate_one            < 5 ms   7.00 ms    FAIL"
    )


def test_generated_factor_rulesets_load_with_every_factor(tmp_path):
    from salesrules.loader.schema import read_source

    data = run.factor_ruleset(read_source(RULESET), 35)
    assert "tests" not in data and data["name"] == "benchmark-35-factors"
    path = tmp_path / "factors.yaml"
    path.write_text(json.dumps(data, default=str), encoding="utf-8")
    loaded = salesrules.load(path)
    assert len(loaded.factors) == 35
    assert len({f.name for f in loaded.factors}) == 35
    assert [s.name for s in loaded.stages] == [s.name for s in salesrules.load(RULESET).stages]
    result = loaded.evaluate_one(run.RECORD, as_of=AS_OF)
    assert result["tier"] == "medium" and result["stage"] == "presentation"


def test_the_latency_record_reads(ruleset):
    result = ruleset.evaluate_one(run.RECORD, as_of=AS_OF)
    assert (result["tier"], result["stage"], result["band"]) == ("medium", "presentation", "B")
