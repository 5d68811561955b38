"""The streaming evaluation: results kept in memory or spilled to temporary files give the
same bytes, lists packed in the plan unpack to what the frame-level functions built, the
rank, the progress reports, and nothing left behind.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
import os
import textwrap
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from polars.testing import assert_frame_equal

from salesrules.cli import cli
from salesrules.compiler import packing
from salesrules.errors import InputError, UsageError
from salesrules.io.outputs import text_frame
from salesrules.loader.load import load as load_ruleset
from salesrules.model import columns
from salesrules.runners import common, local

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 11, 22)


def ruleset_file(tmp_path: Path, body: str) -> Path:
    """A ruleset file named ``t`` with ``body`` (YAML, indented as written) after its header."""
    path = tmp_path / "r.yaml"
    path.write_text("salesrules: 1\nname: t\n" + textwrap.dedent(body))
    return path


def _generator():
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def prospects(tmp_path_factory) -> Path:
    """12,000 generated prospects: several batches of the streaming engine."""
    path = tmp_path_factory.mktemp("data") / "prospects.csv"
    _generator().write_csv(path, 12_000, 3, AS_OF)
    return path


@pytest.fixture(scope="module")
def standard():
    return load_ruleset("builtin:standard")


def outcome_frame(ruleset, data, **options) -> pl.DataFrame:
    with local.run(ruleset, data, as_of=AS_OF, **options) as outcome:
        return outcome.results.collect()


# ---------------------------------------------------------------- spilling changes nothing


@pytest.mark.parametrize("text", [None, "; "], ids=["lists", "text"])
def test_spilled_results_equal_results_in_memory(standard, prospects, monkeypatch, tmp_path, text):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # TMPDIR is read again
    kept = outcome_frame(standard, prospects, spill="never", lists_as_text=text)
    spilled = outcome_frame(standard, prospects, spill="always", lists_as_text=text)
    assert kept.height == 12_000
    assert_frame_equal(kept, spilled)
    assert os.listdir(tmp_path) == [], "the temporary files were not removed"


def test_the_cli_writes_the_same_bytes_whatever_the_spill_mode(prospects, tmp_path):
    runner = CliRunner()
    outputs = {}
    for mode in ("never", "always", "auto"):
        target = tmp_path / f"{mode}.csv"
        result = runner.invoke(
            cli, ["evaluate", str(prospects), "-r", "builtin:standard", "--as-of", "2026-11-22", "-o", str(target)],
            env={"SALESRULES_SPILL": mode},
        )
        assert result.exit_code == 0, result.output
        outputs[mode] = target.read_bytes()
    assert outputs["never"] == outputs["always"] == outputs["auto"]
    assert outputs["never"].count(b"\n") == 12_001


def test_skipped_rows_and_duplicates_are_handled_the_same_when_spilled(tmp_path):
    ruleset = ruleset_file(tmp_path, """\
        fields:
          id: {type: string, key: true}
          value: {type: money}
        factors:
          - {name: big, when: "value > 100", points: 10}
        scores:
          priority: {bands: [{name: A, min: 10}, {name: B}]}
        """)
    rows = [{"id": f"K{i % 700}", "value": "oops" if i % 997 == 0 else str(i)} for i in range(3_000)]
    data = pl.DataFrame(rows)
    rs = load_ruleset(ruleset)
    for duplicate in ("first", "last"):
        with local.run(rs, data, as_of=AS_OF, on_error="skip", on_duplicate=duplicate, spill="never") as a:
            kept, rejects = a.results.collect(), a.rejects
        with local.run(rs, data, as_of=AS_OF, on_error="skip", on_duplicate=duplicate, spill="always") as b:
            assert_frame_equal(kept, b.results.collect())
            assert_frame_equal(rejects, b.rejects)
        assert kept.height == 700
        assert rejects.get_column("row").to_list() == [1, 998, 1995, 2992]
        # K1 is in rows 2 (value 1, 0 points) ... 2802 (value 2801, 10 points).
        chosen = kept.filter(pl.col("id") == "K1").get_column("score").to_list()
        assert chosen == ([0] if duplicate == "first" else [10])


def test_a_bad_value_in_a_late_batch_names_its_row(standard, prospects, tmp_path):
    frame = pl.read_csv(prospects, infer_schema=False)
    broken = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 11_000).then(pl.lit("2026-13-45")).otherwise(pl.col("Close Date")).alias("Close Date")
    )
    path = tmp_path / "broken.csv"
    broken.write_csv(path)
    for mode in ("never", "always"):
        with pytest.raises(InputError) as caught:
            local.run(standard, path, as_of=AS_OF, spill=mode)
        assert str(caught.value) == f"{path}: row 11001, column 'Close Date': cannot read '2026-13-45' as date (YYYY-MM-DD)"


def test_an_unknown_spill_mode_is_a_usage_error(standard, prospects, monkeypatch):
    monkeypatch.setenv("SALESRULES_SPILL", "sometimes")
    with pytest.raises(UsageError, match="SALESRULES_SPILL must be one of auto, always, never, not 'sometimes'"):
        local.run(standard, prospects, as_of=AS_OF)


# ---------------------------------------------------------------- packed lists


def test_text_results_are_the_lists_as_text_frame_renders_them(standard, prospects):
    lists = outcome_frame(standard, prospects)
    text = outcome_frame(standard, prospects, lists_as_text="; ")
    assert_frame_equal(text_frame(lists, "; "), text)
    assert lists.schema["actions"] == pl.List(columns.ACTION_DTYPE)
    assert text.schema["actions"] == pl.String


def test_packed_lists_unpack_exactly(tmp_path):
    path = ruleset_file(tmp_path, """\
        fields:
          id: {type: string, key: true}
          note: {type: string}
          days: {type: integer, default: 0}
        factors:
          - {name: noted, when: "true", points: 1, reason: "{note}"}
          - {name: fixed, when: "days > 1", points: 2, reason: "Waited {days} days"}
        actions:
          - {name: call, text: "Call about {note}", due: "as_of + days"}
          - {name: write, text: "Write", when: "days > 5"}
        scores:
          priority: {bands: [{name: A}]}
        """)
    rs = load_ruleset(path)
    data = [
        {"id": "a", "note": "x\x1fy\x1ez", "days": 3},
        {"id": "b", "note": None, "days": 9},
        {"id": "c", "note": "plain", "days": 0},
    ]
    out = local.evaluate(rs, data, as_of=AS_OF)
    assert out["reasons"].to_list() == [["x y z", "Waited 3 days"], ["unknown", "Waited 9 days"], ["plain"]]
    assert out["actions"].to_list() == [
        [{"name": "call", "text": "Call about x y z", "due": dt.date(2026, 11, 25)}],
        [{"name": "call", "text": "Call about unknown", "due": dt.date(2026, 12, 1)},
         {"name": "write", "text": "Write", "due": None}],
        [{"name": "call", "text": "Call about plain", "due": AS_OF}],
    ]
    text = outcome_frame(rs, data, lists_as_text=" | ")
    assert text["actions"].to_list() == [
        "Call about x y z (due 2026-11-25)",
        "Call about unknown (due 2026-12-01) | Write",
        "Call about plain (due 2026-11-22)",
    ]
    assert text["gaps"].to_list() == [None, None, None]


# ---------------------------------------------------------------- rank


def test_rank_values_order_open_deals_by_score_then_key():
    frame = pl.DataFrame({
        "score": [5, 9, 5, 9, 1, 5],
        "id": ["b", "z", "a", None, "c", "a"],
        "__closed": [False, False, False, False, True, False],
    })
    assert common.rank_values(frame, "id").to_list() == [5, 1, 3, 2, None, 4]
    keep = pl.Series([True, True, False, True, True, True])
    assert common.rank_values(frame, "id", keep).to_list() == [4, 1, None, 2, None, 3]
    assert common.rank_values(frame.head(0), "id").to_list() == []


# ---------------------------------------------------------------- progress


class Recorder:
    """Records what the engine reports, in the shape of salesrules.progress.Progress."""

    def __init__(self):
        self.rows = 0
        self.phases = []

    def advance(self, rows):
        self.rows += rows

    def phase(self, description, total=None, counted=True):
        self.phases.append((description, total))


def test_progress_counts_every_row(standard, prospects, tmp_path):
    recorder = Recorder()
    with local.run(standard, prospects, as_of=AS_OF, progress=recorder) as outcome:
        assert outcome.rows == 12_000
    assert recorder.rows == 12_000
    assert recorder.phases == [("Evaluating", None), ("Ranking 12,000 rows", None)]
    parquet = tmp_path / "p.parquet"
    pl.read_csv(prospects, infer_schema=False).write_parquet(parquet)
    recorder = Recorder()
    local.run(standard, parquet, as_of=AS_OF, progress=recorder).close()
    assert recorder.phases[0] == ("Evaluating", 12_000)
    assert recorder.rows == 12_000


# ---------------------------------------------------------------- writers


@pytest.mark.parametrize("fmt", ["csv", "parquet", "json", "ndjson", "markdown", "xlsx", "table"])
def test_every_format_writes_the_same_from_the_engine_as_from_a_frame(standard, prospects, tmp_path, fmt):
    """The CLI hands writers a LazyFrame (to their sink, or collected) with lists as text when
    they ask; the bytes must be those of writing the list-valued DataFrame of evaluate()."""
    from salesrules.io.outputs import OutputContext, write_output
    from salesrules.plugins import get_registry

    writer = get_registry().output_formats[fmt]
    data = pl.read_csv(prospects, infer_schema=False).head(500)
    plain = local.evaluate_full(standard, data, as_of=AS_OF)
    context = OutputContext(plain.plan.provenance, plain.plan.key)
    write_output(plain.results, str(tmp_path / "frame.out"), fmt, context)
    with local.run(standard, data, as_of=AS_OF, lists_as_text=writer.lists_as_text) as outcome:
        write_output(outcome.results, str(tmp_path / "lazy.out"), fmt, context)
    if fmt == "xlsx":  # a zip archive with timestamps: compare the cells
        assert_frame_equal(pl.read_excel(tmp_path / "frame.out"), pl.read_excel(tmp_path / "lazy.out"))
    else:
        assert (tmp_path / "frame.out").read_bytes() == (tmp_path / "lazy.out").read_bytes()


def test_a_writer_without_a_sink_gets_a_collected_frame(tmp_path):
    from salesrules.io.outputs import OutputContext, _call_writer
    from salesrules.plugins import OutputFormat

    seen = []
    writer = OutputFormat("probe", lambda frame, stream, context: seen.append(type(frame).__name__), ".probe")
    _call_writer(writer, pl.LazyFrame({"a": [1]}), None, OutputContext({}, "a"))
    assert seen == ["DataFrame"]


from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 3), st.one_of(st.none(), st.sampled_from(["a", "b", "ab", "B", ""])),
                          st.booleans(), st.booleans()), max_size=40))
def test_rank_values_match_a_plain_sort(rows):
    frame = pl.DataFrame(
        {"score": [r[0] for r in rows], "id": [r[1] for r in rows], "__closed": [r[2] for r in rows]},
        schema={"score": pl.Int64, "id": pl.String, "__closed": pl.Boolean},
    )
    keep = pl.Series([r[3] for r in rows], dtype=pl.Boolean)
    ranked = [i for i, r in enumerate(rows) if not r[2] and r[3]]
    # Score descending, key ascending with missing keys last, then input order.
    ranked.sort(key=lambda i: (-rows[i][0], rows[i][1] is None, rows[i][1] or "", i))
    expected = [None] * len(rows)
    for place, i in enumerate(ranked, 1):
        expected[i] = place
    assert common.rank_values(frame, "id", keep).to_list() == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=3)), max_size=30))
def test_repeated_keys_are_always_noticed(keys):
    present = [k for k in keys if k is not None]
    repeated = len(present) != len(set(present))
    assert common._may_repeat(pl.Series(keys, dtype=pl.String)) is repeated


# ---------------------------------------------------------------- many batches


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 1,000 records, so that 12,000 prospects take twelve, several in flight."""
    monkeypatch.setattr(local, "BATCH_ROWS", 1_000)


def test_many_batches_give_the_results_of_one(standard, prospects, small_batches, monkeypatch):
    many = outcome_frame(standard, prospects, spill="always", lists_as_text="; ")
    monkeypatch.setattr(local, "BATCH_ROWS", 100_000)
    one = outcome_frame(standard, prospects, spill="never", lists_as_text="; ")
    assert_frame_equal(many, one)


def test_a_bad_value_stops_the_run_at_its_batch_among_many(standard, prospects, small_batches, tmp_path):
    frame = pl.read_csv(prospects, infer_schema=False)
    broken = frame.with_columns(
        pl.when(pl.int_range(pl.len()).is_in([9_500, 11_000])).then(pl.lit("lots")).otherwise(pl.col("Amount")).alias("Amount")
    )
    path = tmp_path / "broken.csv"
    broken.write_csv(path)
    with pytest.raises(InputError) as caught:
        local.run(standard, path, as_of=AS_OF)
    assert str(caught.value) == f"{path}: row 9501, column 'Amount': cannot read 'lots' as money"
    with local.run(standard, path, as_of=AS_OF, on_error="skip") as outcome:
        assert outcome.rejects.get_column("row").to_list() == [9501, 11001]
        assert outcome.rows == 11_998


@pytest.mark.parametrize("count", [0, 1, 64, 65, 200, 1100])
def test_many_parts_are_packed_in_groups_as_one_join_packs_them(count):
    """packed_steps joins many parts in groups, in two or three steps, exactly as packed does."""
    frame = pl.DataFrame({"i": range(40)})
    # Rows 30 and beyond get no part; the others some parts of some groups.
    parts = [pl.when((pl.col("i") < 30) & (pl.col("i") % (k % 7 + 2) == k % 3)).then(pl.lit(f"r{k}")) for k in range(count)]
    steps = packing.packed_steps(parts, "packed")
    assert len(steps) == (1 if count <= packing.PACK_FLAT else 2 if count <= packing.PACK_FLAT * packing.PACK_GROUP else 3)
    got = frame
    for step in steps:
        got = got.with_columns(step)
    want = frame.with_columns(packing.packed(parts).alias("packed"))["packed"].to_list()
    assert got["packed"].to_list() == want
    if count > 1:  # rows with no part and rows with several
        assert "" in want and max(len(text.split(columns.SEP)) for text in want) > 1


def test_enum_names_holding_list_separators_are_shown_without_them(tmp_path):
    """Templates show an enum's value as it is, unless one of its names holds a list separator."""
    path = ruleset_file(tmp_path, """\
        fields:
          id: {type: string, key: true}
          kind: {type: enum, values: {"odd\\x1fname": [odd], plain: []}}
          size: {type: enum, values: {small: [], large: []}, default: small}
        factors:
          - {name: kind, when: "true", points: 1, reason: "{kind} and {size}"}
        scores:
          priority: {bands: [{name: A}]}
        """)
    rs = load_ruleset(path)
    out = local.evaluate(rs, [{"id": "a", "kind": "odd"}, {"id": "b", "kind": "plain", "size": "large"}], as_of=AS_OF)
    assert out["reasons"].to_list() == [["odd name and small"], ["plain and large"]]
    assert rs.evaluate_one({"id": "a", "kind": "odd"}, as_of=AS_OF)["reasons"] == ["odd name and small"]


FLOAT_SCORES = st.one_of(st.floats(-1e3, 1e3), st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308]), st.none())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(FLOAT_SCORES, st.sampled_from(["a", "b", "c", "d"])), max_size=30))
def test_a_score_that_is_no_number_never_ranks_above_a_number(rows):
    """NaN and infinite scores rank after every finite one, as missing ones do (polars sorts NaN first)."""
    frame = pl.DataFrame({"score": [r[0] for r in rows], "id": [r[1] for r in rows], "__closed": [False] * len(rows)},
                         schema={"score": pl.Float64, "id": pl.String, "__closed": pl.Boolean})
    rank = common.rank_values(frame, "id").to_list()
    assert sorted(rank) == list(range(1, len(rows) + 1))
    finite = [i for i, r in enumerate(rows) if r[0] is not None and math.isfinite(r[0])]
    other = [i for i in range(len(rows)) if i not in finite]
    assert all(rank[i] < rank[j] for i in finite for j in other)
    by_rank = sorted(finite, key=lambda i: rank[i])
    assert [rows[i][0] for i in by_rank] == sorted((rows[i][0] for i in finite), reverse=True)


def test_a_nan_score_ranks_last():
    frame = pl.DataFrame({"score": [1.0, math.nan, 3.0, None, math.inf], "id": ["a", "b", "c", "d", "e"],
                          "__closed": [False] * 5})
    assert common.rank_values(frame, "id").to_list() == [2, 3, 1, 4, 5]  # unknown scores tie, then by key


# ---------------------------------------------------------------- parquet files, slice by slice


@pytest.fixture(scope="module")
def prospects_parquet(prospects, tmp_path_factory) -> Path:
    """The prospects as a parquet file of text columns in row groups of 1,500 rows, so that
    batches of 1,000 records straddle them."""
    path = tmp_path_factory.mktemp("parquet") / "prospects.parquet"
    pl.read_csv(prospects, infer_schema=False).write_parquet(path, row_group_size=1_500)
    return path


def test_a_parquet_file_read_in_slices_gives_the_results_of_its_frame(standard, prospects, prospects_parquet,
                                                                      small_batches, monkeypatch):
    sliced = outcome_frame(standard, prospects_parquet, spill="always", lists_as_text="; ")
    monkeypatch.setattr(local, "BATCH_ROWS", 100_000)
    whole = outcome_frame(standard, pl.read_csv(prospects, infer_schema=False), spill="never", lists_as_text="; ")
    assert sliced.height == 12_000
    assert_frame_equal(sliced, whole)


def test_a_parquet_file_in_slices_writes_the_bytes_of_its_frame(standard, prospects, prospects_parquet,
                                                                small_batches, tmp_path):
    written = []
    for name, data in (("sliced", prospects_parquet), ("whole", pl.read_csv(prospects, infer_schema=False))):
        out = tmp_path / f"{name}.parquet"
        with local.run(standard, data, as_of=AS_OF, spill="always") as outcome:
            outcome.results.sink_parquet(out)
        written.append(out.read_bytes())
    assert written[0] == written[1]


def test_a_parquet_file_in_slices_joins_its_lookups_and_numbers_its_rows(prospects, prospects_parquet,
                                                                         small_batches, tmp_path):
    (tmp_path / "sectors.csv").write_text("sector,weight\nsoftware,3\nretail,1\nhealthcare,4\n")
    ruleset = load_ruleset(str(ruleset_file(tmp_path, """
        fields:
          id: {type: string, key: true, aliases: ["Opportunity ID"]}
          industry: {type: string, aliases: [Industry]}
        lookups:
          sectors:
            file: sectors.csv
            key: sector
            on: industry
            fields:
              weight: {type: integer}
        factors:
          - {name: heavy, when: "weight > 2", points: 5}
          - {name: light, when: "weight == 1", points: 1}
        """)))
    frame = pl.read_csv(prospects, infer_schema=False)
    sliced = outcome_frame(ruleset, prospects_parquet, spill="always", with_input=True, lists_as_text="; ")
    whole = outcome_frame(ruleset, frame, spill="never", with_input=True, lists_as_text="; ")
    assert_frame_equal(sliced, whole)
    industry = frame.get_column("Industry")
    expected = (industry.is_in(["software", "healthcare"]).cast(pl.Int64) * 5
                + (industry == "retail").cast(pl.Int64)).to_list()
    assert sliced.get_column("score").to_list() == expected


def test_a_bad_value_in_a_late_slice_of_a_parquet_file_names_its_row(standard, prospects, small_batches, tmp_path):
    frame = pl.read_csv(prospects, infer_schema=False)
    path = tmp_path / "broken.parquet"
    frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 9_500).then(pl.lit("lots")).otherwise(pl.col("Amount")).alias("Amount")
    ).write_parquet(path, row_group_size=1_500)
    with pytest.raises(InputError) as caught:
        local.run(standard, path, as_of=AS_OF)
    assert str(caught.value) == f"{path}: row 9501, column 'Amount': cannot read 'lots' as money"


# ---------------------------------------------------------------- results in memory: one query


@pytest.fixture
def whole_queries(monkeypatch):
    """A sample of 500 records, batches of 1,000, and a count of the batches typed one by one."""
    monkeypatch.setattr(local, "SAMPLE_ROWS", 500)
    monkeypatch.setattr(local, "BATCH_ROWS", 1_000)
    typed = []
    batch = local.Plan.prepare_batch

    def counted(self, frame, source):
        typed.append(frame.height)
        return batch(self, frame, source)

    monkeypatch.setattr(local.Plan, "prepare_batch", counted)
    return typed


def test_results_in_memory_are_evaluated_in_one_query_with_the_results_of_batches(standard, prospects, whole_queries):
    batches = outcome_frame(standard, prospects, spill="always", lists_as_text="; ")
    assert len(whole_queries) == 12
    whole_queries.clear()
    for mode in ("auto", "never"):
        assert_frame_equal(outcome_frame(standard, prospects, spill=mode, lists_as_text="; "), batches)
    assert whole_queries == []  # the sample and the rest (auto), the whole input (never)


def test_a_value_only_the_general_readers_know_is_read_in_the_rest_of_the_input(standard, prospects, whole_queries, tmp_path):
    frame = pl.read_csv(prospects, infer_schema=False)
    odd = frame.with_columns(  # unusual spellings far past the sample: the rest is read again
        pl.when(pl.int_range(pl.len()) == 9_000).then(pl.lit(" $1,250.00 ")).otherwise(pl.col("Amount")).alias("Amount"),
        pl.when(pl.int_range(pl.len()) == 11_000).then(pl.lit(" yes")).otherwise(pl.col("Budget Confirmed")).alias("Budget Confirmed"),
    )
    path = tmp_path / "odd.csv"
    odd.write_csv(path)
    whole = outcome_frame(standard, path, internal=True)
    assert whole_queries == []
    assert whole.row(9_000, named=True)["deal_value"] == 1250.0
    assert whole.row(11_000, named=True)["budget_confirmed"] is True
    assert_frame_equal(whole, outcome_frame(standard, path, internal=True, spill="always"))


def test_yes_no_fields_are_read_by_the_spellings_of_the_sample_then_by_the_fast_and_general_readers(
        standard, prospects, whole_queries, monkeypatch, tmp_path):
    """The sample shows "Yes" and "No" only: the rest reads those two; a "TRUE" past the sample
    sends the field back to its fast reader, a " yes" to its general reader."""
    frame = pl.read_csv(prospects, infer_schema=False)
    assert set(frame.head(500).get_column("Budget Confirmed").drop_nulls()) == {"Yes", "No"}
    odd = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 9_000).then(pl.lit("TRUE"))
        .when(pl.int_range(pl.len()) == 11_000).then(pl.lit(" yes"))
        .otherwise(pl.col("Budget Confirmed")).alias("Budget Confirmed"),
    )
    path = tmp_path / "odd.csv"
    odd.write_csv(path)
    queries = []
    prepare = local.Plan.prepare_query

    def recorded(self, frame, source, general, seen=None):
        queries.append(("budget_confirmed" in general, (seen or {}).get("budget_confirmed")))
        return prepare(self, frame, source, general, seen)

    monkeypatch.setattr(local.Plan, "prepare_query", recorded)
    whole = outcome_frame(standard, path, internal=True)
    assert whole_queries == []
    # The sample and the rest by the two spellings; the rest by the fast reader; then the general one.
    assert queries == [(False, ("No", "Yes"))] * 2 + [(False, None), (True, None)]
    assert whole.row(9_000, named=True)["budget_confirmed"] is True
    assert whole.row(11_000, named=True)["budget_confirmed"] is True
    assert_frame_equal(whole, outcome_frame(standard, path, internal=True, spill="always"))


@pytest.mark.parametrize("row", [100, 9_000])  # in the sample, in the rest
def test_a_bad_value_in_a_whole_query_is_named_by_the_batches(standard, prospects, whole_queries, tmp_path, row):
    frame = pl.read_csv(prospects, infer_schema=False)
    broken = frame.with_columns(
        pl.when(pl.int_range(pl.len()).is_in([row, 11_000])).then(pl.lit("lots")).otherwise(pl.col("Amount")).alias("Amount")
    )
    path = tmp_path / "broken.csv"
    broken.write_csv(path)
    with pytest.raises(InputError) as caught:
        local.run(standard, path, as_of=AS_OF)
    assert str(caught.value) == f"{path}: row {row + 1}, column 'Amount': cannot read 'lots' as money"
    whole_queries.clear()
    with local.run(standard, path, as_of=AS_OF, on_error="skip", lists_as_text="; ") as outcome:
        assert outcome.rejects.get_column("row").to_list() == [row + 1, 11_001]
        skipped = outcome.results.collect()
    # The batches go on from the first row of the part holding the bad value: the first
    # row (the sample) or the first after the sample (the rest).
    assert whole_queries == ([1_000] * 12 if row < 500 else [1_000] * 11 + [500])
    clean = outcome_frame(standard, prospects, lists_as_text="; ")
    kept = clean.filter(~pl.int_range(pl.len()).is_in([row, 11_000]))
    assert_frame_equal(skipped.drop("rank"), kept.drop("rank"))


def test_reasons_shown_as_text_are_joined_by_the_plan_as_the_lists_would_be(tmp_path):
    """For text output the plan joins reasons, gaps and actions by the output's separator
    rather than by SEP; the text is that of the lists joined, separators in values and all."""
    path = ruleset_file(tmp_path, """\
        fields:
          id: {type: string, key: true}
          company: string
          stage: {type: enum, values: [open, won]}
          signed: {type: boolean, default: false}
        stages:
          - {name: open, probability: 0.5, entry: {signed_up: "signed"}}
          - {name: won, probability: 1, closed: won}
        factors:
          - {name: named, when: "company is not None", points: 1, reason: "Company {company}"}
          - {name: always, when: "true", points: 1}
        actions:
          - {name: call, when: "true", text: "Call {company}"}
          - {name: mail, when: "company is not None", text: "Mail {company}; twice"}
        scores:
          priority: {bands: [{name: A}]}
        """)
    rs = load_ruleset(path)
    records = [{"id": "a", "company": "One; Two\x1fThree", "stage": "open"}, {"id": "b", "stage": "open"},
               {"id": "c", "company": "Won Ltd", "stage": "won"}]
    lists = local.evaluate(rs, records, as_of=AS_OF)
    text = outcome_frame(rs, records, lists_as_text=" | ")
    assert_frame_equal(text_frame(lists, " | "), text)
    assert text["reasons"].to_list() == ["Company One; Two Three | always", "always", "Company Won Ltd | always"]
    assert text["actions"].to_list() == ["Call One; Two Three | Mail One; Two Three; twice", "Call unknown", None]
    assert text["gaps"].to_list() == ["signed_up", "signed_up", None]
