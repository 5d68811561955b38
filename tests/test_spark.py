"""The Spark runner against the local one: the same results, record for record, on generated data.

One Spark session (local[2], Java started once) serves every test of this file; pytest-xdist
sends a file's tests to one worker (``--dist loadfile``), so a run never starts two JVMs.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from salesrules.errors import InputError, UsageError
from salesrules.loader.load import load as load_ruleset
from salesrules.runners.local import evaluate_full
from salesrules.runners.partitions import PartitionPass, engine_dtype, evaluate_batch

pytest.importorskip("pyspark", reason="the [spark] extra is not installed")

AS_OF = dt.date(2026, 11, 22)
SEP = "\x1f"

RULESET = """\
salesrules: 1
name: spark-check
version: "1"
as_of: 2026-11-22
fields:
  id: {type: string, key: true, aliases: ["Deal ID"]}
  company: {type: string, aliases: [Account]}
  owner: string
  deal_value: {type: money, aliases: [Amount]}
  contacts: {type: integer, default: 0}
  budget_confirmed: {type: boolean, default: false}
  last_contact: date
lookups:
  accounts:
    file: accounts.csv
    key: account
    on: company
    fields:
      sector: {type: string}
      employees: {type: integer}
tiers:
  - {name: high, when: "deal_value > 1_000_000", points: 50}
  - {name: medium, when: "deal_value >= 500_000", points: 30}
  - {name: low, points: 10}
stages:
  - {name: discovery, probability: 0.1, points: 5, aliases: [Prospecting]}
  - {name: proposal, probability: 0.4, points: 20}
  - {name: won, closed: won}
  - {name: lost, closed: lost}
factors:
  - {name: budget, when: budget_confirmed, points: 10, reason: "Budget is confirmed"}
  - {name: big_account, when: "employees >= 1000", points: 7, reason: "A big account ({employees} people)"}
  - {name: software, when: "sector == 'software'", points: 3}
  - {name: stale, when: "days_since(last_contact) > 30", points: "-0.5 * contacts", reason: "No contact since {last_contact}"}
scores:
  priority:
    bands:
      - {name: A, min: 60}
      - {name: B, min: 30}
      - {name: C}
actions:
  - name: call
    when: "stage == 'proposal' and not budget_confirmed"
    text: "Confirm the budget of {company}"
    due: "as_of + 2"
"""

ACCOUNTS = "account,sector,employees\nAcme,software,2822\nBetatech,medical,\n Cancity ,retail,495\n"


def records(n: int, seed: int, *, bad: bool = True, duplicates: bool = True) -> pl.DataFrame:
    """``n`` CRM-like rows, all text: nulls and blanks, closed deals, repeated keys, bad amounts."""
    rng = random.Random(seed)

    def maybe(value, p=0.1):
        return None if rng.random() < p else value

    rows = []
    for i in range(n):
        key = f"D-{i:05d}"
        if duplicates and i > 10 and rng.random() < 0.02:
            key = f"D-{rng.randrange(i):05d}"
        if rng.random() < 0.005:
            key = None
        amount = maybe(rng.choice([f"{rng.randrange(1, 3_000_000)}", f"${rng.randrange(1, 3000):,}.50", " ", "1250000"]))
        if bad and rng.random() < 0.004:
            amount = rng.choice(["lots", "12..5", "$$"])
        rows.append({
            "Deal ID": key,
            "Account": maybe(rng.choice(["Acme", "Betatech", "Cancity", "Nowhere", " Acme "])),
            "owner": maybe(rng.choice(["ana", "bo", "cy"])),
            "Amount": amount,
            "stage": maybe(rng.choice(["discovery", "Prospecting", "proposal", "won", "lost", "Won"])),
            "contacts": maybe(str(rng.randrange(0, 20))),
            "budget_confirmed": maybe(rng.choice(["true", "false"])),
            "last_contact": maybe((AS_OF - dt.timedelta(days=rng.randrange(0, 90))).isoformat()),
        })
    return pl.DataFrame(rows, schema=dict.fromkeys(rows[0], pl.String))


@pytest.fixture(scope="module")
def spark():
    """The one Spark session of the test process: local[2], small shuffles, no UI."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from salesrules.spark import session

    return session("local[2]", config={
        "spark.sql.shuffle.partitions": "4",
        "spark.default.parallelism": "2",
        "spark.driver.memory": "1g",
        "spark.sql.execution.arrow.maxRecordsPerBatch": "2000",
    })


@pytest.fixture(scope="module")
def ruleset(tmp_path_factory):
    root = tmp_path_factory.mktemp("spark-ruleset")
    (root / "accounts.csv").write_text(ACCOUNTS)
    (root / "rules.yaml").write_text(RULESET)
    return load_ruleset(root / "rules.yaml")


def to_spark(spark, frame: pl.DataFrame, partitions: int = 4):
    return spark.createDataFrame(frame.to_arrow(compat_level=pl.CompatLevel.oldest())).repartition(partitions, "owner")


def collected(results) -> pl.DataFrame:
    """A Spark result as polars, lists as joined text (null when empty) as the local runner gives them."""
    return joined(pl.DataFrame(pl.from_arrow(results.toArrow())))


def joined(frame: pl.DataFrame) -> pl.DataFrame:
    """Lists as joined text (null when empty)."""
    lists = [n for n, t in frame.schema.items() if isinstance(t, pl.List)]
    return frame.with_columns(pl.when(pl.col(n).list.len() > 0).then(pl.col(n).list.join(SEP)).alias(n) for n in lists)


def ordered(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


def local_results(ruleset, data, **options):
    return evaluate_full(ruleset, data, as_of=AS_OF, lists_as_text=SEP, **options)


def test_spark_gives_the_local_results_record_for_record(spark, ruleset):
    on_duplicate = "first"
    data = records(10_000, seed=11)
    local = local_results(ruleset, data, on_error="skip", on_duplicate=on_duplicate)
    from salesrules.spark import evaluate

    # Spark's partitions hold the rows in another order than the input: numbered in input
    # order before they are shuffled, so first and last are those of the input.
    frame = spark.createDataFrame(data.to_arrow(compat_level=pl.CompatLevel.oldest()))
    results, rejects = evaluate(frame, ruleset, as_of=AS_OF, on_error="skip", on_duplicate=on_duplicate)
    got = collected(results)
    assert got.columns == local.results.columns
    assert got.height == local.results.height > 9_000
    assert_frame_equal(ordered(got), ordered(local.results), check_dtypes=False)
    assert got.filter(pl.col("rank").is_not_null()).height > 5_000
    assert sorted(got["rank"].drop_nulls().to_list()) == list(range(1, got["rank"].drop_nulls().len() + 1))
    # The same rows rejected, each for the same reason, the record named by its key.
    spark_rejects = pl.DataFrame(pl.from_arrow(rejects.toArrow()))
    assert spark_rejects.columns == ["reason", *data.columns]
    mine = sorted((r["Deal ID"], r["reason"].split(", ", 1)[1]) for r in spark_rejects.iter_rows(named=True))
    theirs = sorted((r["Deal ID"], r["reason"].split(", ", 1)[1]) for r in local.rejects.iter_rows(named=True))
    assert mine == theirs and len(mine) > 10
    first = spark_rejects.row(0, named=True)
    assert first["reason"].startswith(f"record {first['Deal ID']!r}, column 'Amount': cannot read")


def test_the_last_record_of_a_key_is_kept_in_the_frames_order(spark, ruleset):
    data = records(3_000, seed=5)
    local = local_results(ruleset, data, on_error="skip", on_duplicate="last")
    from salesrules.spark import evaluate

    frame = spark.createDataFrame(data.to_arrow(compat_level=pl.CompatLevel.oldest()))
    results, _ = evaluate(frame, ruleset, as_of=AS_OF, on_error="skip", on_duplicate="last")
    assert_frame_equal(ordered(collected(results)), ordered(local.results), check_dtypes=False)


def test_repartitioned_input_gives_the_same_results(spark, ruleset):
    data = records(3_000, seed=5, duplicates=False)
    local = local_results(ruleset, data, on_error="skip")
    from salesrules.spark import evaluate

    results, _ = evaluate(to_spark(spark, data, 5), ruleset, as_of=AS_OF, on_error="skip")
    assert_frame_equal(ordered(collected(results)), ordered(local.results), check_dtypes=False)


def test_a_bad_value_is_the_located_error_of_its_record(spark, ruleset):
    data = records(500, seed=3, bad=False, duplicates=False).with_columns(
        pl.when(pl.col("Deal ID") == "D-00321").then(pl.lit("lots")).otherwise(pl.col("Amount")).alias("Amount")
    )
    from salesrules.spark import evaluate

    with pytest.raises(InputError) as info:
        evaluate(spark.createDataFrame(data.to_arrow()), ruleset, as_of=AS_OF, source="deals.parquet")
    assert str(info.value) == "deals.parquet: record 'D-00321', column 'Amount': cannot read 'lots' as money"
    with pytest.raises(InputError) as local:
        local_results(ruleset, data)
    assert str(local.value) == "<frame>: row 322, column 'Amount': cannot read 'lots' as money"


def test_duplicate_keys_are_an_error_naming_them(spark, ruleset):
    data = records(300, seed=4, bad=False, duplicates=False).with_columns(
        pl.when(pl.col("Deal ID").is_in(["D-00007", "D-00200"])).then(pl.lit("D-00100")).otherwise(pl.col("Deal ID")).alias("Deal ID")
    )
    from salesrules.spark import evaluate

    with pytest.raises(InputError) as info:
        evaluate(spark.createDataFrame(data.to_arrow()), ruleset, as_of=AS_OF)
    assert str(info.value) == "<spark>: duplicate key 'D-00100' (3 records); use --on-duplicate first|last to keep one"


def test_rows_without_a_key_are_numbered_as_the_local_runner_numbers_them(spark, tmp_path):
    path = tmp_path / "plain.yaml"
    path.write_text(textwrap.dedent("""\
        salesrules: 1
        name: plain
        fields:
          deal_value: money
        tiers:
          - {name: high, when: "deal_value > 100", points: 5}
          - {name: low, points: 1}
        """))
    ruleset = load_ruleset(path)
    data = pl.DataFrame({"deal_value": [str(v % 250) if v % 17 else None for v in range(1, 2_001)]})
    from salesrules.spark import evaluate

    results = evaluate(to_spark(spark, data.with_columns(owner=pl.lit("x")), 3).drop("owner"), ruleset, as_of=AS_OF)
    got = collected(results)
    local = local_results(ruleset, data).results
    assert got["row"].sort().to_list() == list(range(1, 2_001))
    assert_frame_equal(got.sort("row"), local, check_dtypes=False)


def test_rulesets_extending_others_reach_the_workers(spark, tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "parent.yaml").write_text(textwrap.dedent("""\
        salesrules: 1
        name: parent
        extends: [builtin:standard]
        tiers:
          - {name: high, when: "deal_value > 5_000", points: 50}
        """))
    (tmp_path / "child.yaml").write_text("salesrules: 1\nname: child\nextends: [base/parent.yaml]\n")
    ruleset = load_ruleset(tmp_path / "child.yaml")
    from salesrules.spark import RulesetText, evaluate

    text = RulesetText.of(ruleset)
    assert len(text.texts) == 3 and text.load().hash == ruleset.hash
    data = pl.DataFrame({"id": ["a", "b", "c"], "deal_value": ["9000", "10", None], "stage": ["lead", "won", None]})
    got = collected(evaluate(spark.createDataFrame(data.to_arrow()), ruleset, as_of=AS_OF)).sort("id")
    assert got["tier"].to_list() == ["high", "low", "unknown"]
    assert_frame_equal(got, local_results(ruleset, data).results, check_dtypes=False)


def test_the_workers_python_is_the_drivers_unless_set(spark, monkeypatch):
    from salesrules.spark import session

    monkeypatch.delenv("PYSPARK_PYTHON", raising=False)
    assert session("local[2]") is spark
    assert os.environ["PYSPARK_PYTHON"] == sys.executable
    monkeypatch.setenv("PYSPARK_PYTHON", "/opt/python/bin/python3")
    session("local[2]")
    assert os.environ["PYSPARK_PYTHON"] == "/opt/python/bin/python3"


def test_evaluate_refuses_what_is_no_spark_frame(ruleset):
    from salesrules.spark import evaluate

    with pytest.raises(UsageError, match="needs a Spark DataFrame, not DataFrame"):
        evaluate(pl.DataFrame({"a": [1]}), ruleset)


# ------------------------------------------------------------------ the command line


def test_cli_evaluates_a_parquet_folder_into_a_parquet_folder(spark, ruleset, tmp_path, cli_runner):
    from salesrules.cli import cli

    data = records(2_000, seed=8, bad=False, duplicates=False)
    folder = tmp_path / "deals"
    folder.mkdir()
    data.head(1200).write_parquet(folder / "part-0.parquet")
    data.tail(800).write_parquet(folder / "part-1.parquet")
    out = tmp_path / "ranked.parquet"
    result = cli_runner.invoke(cli, ["evaluate", str(folder), "-r", ruleset.path, "--as-of", "2026-11-22",
                                     "--engine", "spark", "--spark-master", "local[2]", "-o", str(out)])
    assert result.exit_code == 0, result.output
    written = joined(pl.read_parquet(out / "*.parquet"))
    expected = local_results(ruleset, data).results
    assert_frame_equal(ordered(written), ordered(expected), check_dtypes=False)
    import json

    assert json.loads((out / "_provenance.json").read_text())["ruleset_hash"] == ruleset.hash
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_cli_writes_csv_as_the_csv_format_does(spark, ruleset, tmp_path, cli_runner):
    from salesrules.cli import cli

    data = records(400, seed=9, bad=True, duplicates=False).with_columns(
        pl.when(pl.col("Deal ID") == "D-00003").then(pl.lit("=HYPERLINK(1)")).otherwise(pl.col("owner")).alias("owner"),
        pl.when(pl.col("Deal ID") == "D-00004").then(pl.lit('D-00004 "big",\nsecond line'))
        .when(pl.col("Deal ID") == "D-00005").then(pl.lit("=HYPERLINK(2)")).otherwise(pl.col("Deal ID")).alias("Deal ID"),
    )
    source = tmp_path / "deals.csv"
    data.write_csv(source)
    local_out = tmp_path / "local.csv"
    args = ["evaluate", str(source), "-r", ruleset.path, "--as-of", "2026-11-22", "--on-error", "skip"]
    assert cli_runner.invoke(cli, [*args, "-o", str(local_out)]).exit_code == 0
    result = cli_runner.invoke(cli, [*args, "--engine", "spark", "-o", str(tmp_path / "spark.csv")])
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output and "spark.rejects.csv" in result.output
    written = pl.read_csv(tmp_path / "spark.csv" / "*.csv", infer_schema=False)
    expected = pl.read_csv(local_out, infer_schema=False)
    assert_frame_equal(ordered(written), ordered(expected))
    assert {"'=HYPERLINK(2)", 'D-00004 "big",\nsecond line'} <= set(written["id"])
    rejects = pl.read_csv(tmp_path / "spark.rejects.csv" / "*.csv", infer_schema=False)
    assert rejects.height == pl.read_csv(tmp_path / "local.rejects.csv").height > 0


def test_cli_errors_are_one_line(spark, ruleset, tmp_path, cli_runner):
    from salesrules.cli import cli

    base = ["evaluate", "-r", ruleset.path, "--engine", "spark"]
    result = cli_runner.invoke(cli, [*base[:1], str(tmp_path / "missing.parquet"), *base[1:], "-o", str(tmp_path / "o.parquet")])
    assert result.exit_code == 2 and result.output.strip().endswith("missing.parquet: file not found")
    data = tmp_path / "d.csv"
    data.write_text("Deal ID,Amount\nD-1,lots\n")
    result = cli_runner.invoke(cli, [*base[:1], str(data), *base[1:], "-o", str(tmp_path / "o.parquet")])
    assert result.exit_code == 2
    assert result.output.strip() == (f"error: {data}: no column for field 'company' (looked for 'company', 'Account'); add the "
                                     "column, give the field a default, mark it optional: true, or use --allow-missing")
    data.write_text("Deal ID,Account,stage,last_contact,Amount\nD-1,Acme,Prospecting,,lots\n")
    result = cli_runner.invoke(cli, [*base[:1], str(data), *base[1:], "-o", str(tmp_path / "o.parquet")])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {data}: record 'D-1', column 'Amount': cannot read 'lots' as money"
    assert not (tmp_path / "o.parquet").exists()
    result = cli_runner.invoke(cli, [*base[:1], str(data), *base[1:]])
    assert result.exit_code == 2 and "give it with -o" in result.output


# ------------------------------------------------------------------ the partition pass, without Spark


@settings(max_examples=15, deadline=None)
@given(cuts=st.lists(st.integers(min_value=1, max_value=399), max_size=6), seed=st.integers(0, 1000))
def test_batches_cut_anywhere_give_the_per_record_results_of_one_frame(ruleset, cuts, seed):
    data = records(400, seed=seed, duplicates=False).with_row_index("__row", offset=1).with_columns(pl.col("__row").cast(pl.Int64))
    plan = ruleset.compile(AS_OF)
    whole = evaluate_batch(plan, data.drop(*[c for c in data.columns if c.startswith("__lookup")]), "<t>")
    bounds = [0, *sorted(set(cuts)), 400]
    parts = [evaluate_batch(plan, data.slice(a, b - a), "<t>") for a, b in zip(bounds, bounds[1:]) if b > a]
    assert_frame_equal(pl.concat(parts), whole)


def test_partition_pass_compiles_once_per_process_and_keeps_the_arrow_schema(ruleset):
    import pyarrow as pa

    calls = []

    def compile():
        calls.append(1)
        return ruleset.compile(AS_OF)

    data = records(50, seed=1, bad=False, duplicates=False).with_row_index("__row", offset=1).with_columns(pl.col("__row").cast(pl.Int64))
    sample = evaluate_batch(ruleset.compile(AS_OF), data.head(0), "<t>")
    schema = pa.schema([pa.field(n, t) for n, t in zip(sample.columns, sample.to_arrow(compat_level=pl.CompatLevel.oldest()).schema.types)])
    step = PartitionPass(compile, ("test-once", id(calls)), "<t>", "evaluate", schema)
    batches = data.to_arrow().to_batches(max_chunksize=20)
    out = list(step(iter(batches))) + list(step(iter(batches)))
    assert len(calls) == 1
    assert all(b.schema == schema for b in out) and sum(b.num_rows for b in out) == 100


def test_engine_dtypes_are_what_arrow_engines_accept():
    assert engine_dtype(pl.UInt32) == pl.Int64
    assert engine_dtype(pl.UInt64) == pl.Decimal(20, 0)
    assert engine_dtype(pl.Int128) == pl.Decimal(38, 0)
    assert engine_dtype(pl.Categorical()) == pl.String
    assert engine_dtype(pl.Null) == pl.String
    assert engine_dtype(pl.Datetime("ns", "UTC")) == pl.Datetime("us", "UTC")
    assert engine_dtype(pl.List(pl.UInt8)) == pl.List(pl.Int16)
    assert engine_dtype(pl.Struct({"a": pl.Enum(["x"])})) == pl.Struct({"a": pl.String})
    assert engine_dtype(pl.Date) == pl.Date and engine_dtype(pl.Float64) == pl.Float64


# ------------------------------------------------------------------ the report


def test_the_report_on_spark_is_the_local_report(spark, tmp_path):
    import json

    from salesrules.spark import report

    ruleset = load_ruleset("builtin:standard")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        from generate import generate_frame
    finally:
        sys.path.pop(0)
    data = generate_frame(6_000, seed=21, as_of=AS_OF)
    quotas = tmp_path / "quotas.csv"
    owners = data["Owner"].drop_nulls().unique().sort().to_list()
    quotas.write_text("owner,quota\n" + "".join(f"{o},{1_000_000 + 10_000 * i}\n" for i, o in enumerate(owners)))
    local = ruleset.report(data, as_of=AS_OF, quotas=str(quotas), on_duplicate="first")
    frame = spark.createDataFrame(data.to_arrow(compat_level=pl.CompatLevel.oldest())).repartition(3)
    got = report(frame, ruleset, as_of=AS_OF, quotas=str(quotas), on_duplicate="first")
    assert got.pipeline.height == len(owners)
    assert_frame_equal(got.pipeline, local.pipeline)
    assert_frame_equal(got.total, local.total)
    assert_frame_equal(got.stages, local.stages)
    assert_frame_equal(got.recommendations, local.recommendations)
    assert got.settings == local.settings and got.provenance == local.provenance
    assert_frame_equal(got.accounts, local.accounts)
    assert_frame_equal(got.territories, local.territories)
    assert_frame_equal(got.segments, local.segments)
    assert json.dumps(got.to_dict(), default=str) == json.dumps(local.to_dict(), default=str)


def test_a_spark_failure_is_said_in_one_line():
    from salesrules.spark_files import _java_reason

    assert _java_reason(Exception("An error occurred\njava.lang.OutOfMemoryError: Java heap space")) == (
        "Spark ran out of memory; give it more memory (spark.driver.memory in local mode, "
        "spark.executor.memory on a cluster)")
    stopped = Exception('java.lang.NullPointerException: Cannot invoke "x" because the return value of '
                        '"org.apache.spark.SparkContext.dagScheduler()" is null')
    assert _java_reason(stopped).startswith("Spark stopped while it ran (most often because it ran out of memory")
    assert _java_reason(Exception("org.apache.spark.SparkException: Job aborted\n  at x")) == (
        "org.apache.spark.SparkException: Job aborted")


def test_a_local_spark_gets_half_the_memory_up_to_8_gb():
    from salesrules.spark import local_memory

    gigabytes = int(local_memory().removesuffix("g"))
    assert 1 <= gigabytes <= 8
