"""Writing results: each format's exact content, round trips, and atomic file replacement."""

from __future__ import annotations

import datetime as dt
import errno
import io
import json
import os
import sys

import polars as pl
import pytest

from salesrules.errors import PluginError, UsageError
from salesrules.io import outputs
from salesrules.io.inputs import read_table
from salesrules.io.outputs import (
    OutputContext,
    format_for_path,
    text_frame,
    write_output,
)
from salesrules.plugins import OutputFormat, get_registry

ACTIONS = pl.List(pl.Struct({"name": pl.String, "text": pl.String, "due": pl.Date}))
PROVENANCE = {"ruleset": "meddic", "ruleset_version": "1.2.0", "ruleset_hash": "abc123", "as_of": "2026-11-20"}


@pytest.fixture
def results() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": ["P-1", "P|2"],
            "tier": ["A", None],
            "tier_points": [30, 0],
            "stage": ["Proposal", "Lead"],
            "stage_source": ["recorded", None],
            "stage_conflict": [False, True],
            "stage_probability": [0.6, None],
            "score": [72, 15],
            "band": ["hot", "cold"],
            "rank": [1, None],
            "reasons": [["budget confirmed", "champion, named"], []],
            "actions": [
                [
                    {"name": "call", "text": "Call the champion", "due": dt.date(2026, 11, 24)},
                    {"name": "deck", "text": "Send deck", "due": None},
                ],
                [],
            ],
            "gaps": [[], ["no budget"]],
        },
        schema_overrides={"actions": ACTIONS, "rank": pl.Int64},
    )


@pytest.fixture
def context() -> OutputContext:
    return OutputContext(provenance=dict(PROVENANCE), key="id")


def written(tmp_path, frame, name, fmt, context) -> str:
    path = str(tmp_path / name)
    write_output(frame, path, fmt, context)
    return path


# --- CSV ------------------------------------------------------------------------------------

CSV = (
    "id,tier,tier_points,stage,stage_source,stage_conflict,stage_probability,score,band,rank,"
    "reasons,actions,gaps,ruleset,ruleset_version,ruleset_hash,as_of\n"
    'P-1,A,30,Proposal,recorded,false,0.6,72,hot,1,"budget confirmed; champion, named",'
    "Call the champion (due 2026-11-24); Send deck,,meddic,1.2.0,abc123,2026-11-20\n"
    "P|2,,0,Lead,,true,,15,cold,,,,no budget,meddic,1.2.0,abc123,2026-11-20\n"
)


def test_csv_exact(tmp_path, results, context):
    path = written(tmp_path, results, "out.csv", "csv", context)
    assert open(path, encoding="utf-8", newline="").read() == CSV


def test_csv_round_trip(tmp_path, results, context):
    path = written(tmp_path, results, "out.csv", "csv", context)
    back = read_table(path).collect()
    assert back.columns == [*results.columns, "ruleset", "ruleset_version", "ruleset_hash", "as_of"]
    assert back.row(0) == (
        "P-1", "A", "30", "Proposal", "recorded", "false", "0.6", "72", "hot", "1",
        "budget confirmed; champion, named", "Call the champion (due 2026-11-24); Send deck", None,
        "meddic", "1.2.0", "abc123", "2026-11-20",
    )  # fmt: skip
    assert back.row(1) == (
        "P|2", None, "0", "Lead", None, "true", None, "15", "cold", None, None, None, "no budget",
        "meddic", "1.2.0", "abc123", "2026-11-20",
    )  # fmt: skip


def test_csv_other_nested_columns_become_json(tmp_path, context):
    frame = pl.DataFrame({"id": ["a"], "scores": [[1, 2]], "meta": [{"k": "v", "d": dt.date(2026, 1, 2)}]})
    path = written(tmp_path, frame, "out.csv", "csv", context)
    assert open(path).read().splitlines()[1] == 'a,"[1,2]","{""k"":""v"",""d"":""2026-01-02""}",meddic,1.2.0,abc123,2026-11-20'


def test_csv_with_input_columns_of_any_type(tmp_path, context):
    frame = pl.DataFrame({"id": ["a"], "waited": [dt.timedelta(seconds=90)], "raw": [b"\x01\xff"]})
    path = written(tmp_path, frame, "out.csv", "csv", context)
    assert open(path).read().splitlines()[1] == "a,PT90S,01ff,meddic,1.2.0,abc123,2026-11-20"


def test_text_frame_action_without_due(results):
    table = text_frame(results, " / ")
    assert table["actions"].to_list() == ["Call the champion (due 2026-11-24) / Send deck", None]
    assert table["reasons"].to_list() == ["budget confirmed / champion, named", None]


# --- JSON and NDJSON --------------------------------------------------------------------------

RECORDS = [
    {
        "id": "P-1", "tier": "A", "tier_points": 30, "stage": "Proposal", "stage_source": "recorded",
        "stage_conflict": False, "stage_probability": 0.6, "score": 72, "band": "hot", "rank": 1,
        "reasons": ["budget confirmed", "champion, named"],
        "actions": [
            {"name": "call", "text": "Call the champion", "due": "2026-11-24"},
            {"name": "deck", "text": "Send deck", "due": None},
        ],
        "gaps": [],
    },
    {
        "id": "P|2", "tier": None, "tier_points": 0, "stage": "Lead", "stage_source": None,
        "stage_conflict": True, "stage_probability": None, "score": 15, "band": "cold", "rank": None,
        "reasons": [], "actions": [], "gaps": ["no budget"],
    },
]  # fmt: skip


def test_json_document(tmp_path, results, context):
    path = written(tmp_path, results, "out.json", "json", context)
    text = open(path, encoding="utf-8").read()
    assert json.loads(text) == {"provenance": PROVENANCE, "records": RECORDS}
    assert text.startswith('{\n  "provenance": {\n    "ruleset": "meddic",\n')
    assert text.endswith("}\n")


def test_json_keeps_key_order_and_turns_nan_into_null(tmp_path, context):
    frame = pl.DataFrame({"id": ["a"], "score": [float("nan")], "when": [dt.datetime(2026, 1, 2, 3, 4, 5)]})
    path = written(tmp_path, frame, "out.json", "json", context)
    record = json.loads(open(path).read())["records"][0]
    assert list(record) == ["id", "score", "when"]
    assert record == {"id": "a", "score": None, "when": "2026-01-02T03:04:05"}


def test_ndjson_lines(tmp_path, results, context):
    path = written(tmp_path, results, "out.jsonl", "ndjson", context)
    lines = open(path, encoding="utf-8").read().splitlines()
    assert [json.loads(line) for line in lines] == [{**record, **PROVENANCE} for record in RECORDS]
    assert list(json.loads(lines[0]))[-4:] == ["ruleset", "ruleset_version", "ruleset_hash", "as_of"]


def test_ndjson_round_trip(tmp_path, results, context):
    path = written(tmp_path, results, "out.ndjson", "ndjson", context)
    back = read_table(path).collect()
    assert back["id"].to_list() == ["P-1", "P|2"]
    assert back["reasons"].to_list() == [["budget confirmed", "champion, named"], []]
    assert back["rank"].to_list() == [1, None]
    assert back["as_of"].to_list() == ["2026-11-20", "2026-11-20"]


# --- Markdown and table -----------------------------------------------------------------------

MARKDOWN = """<!-- ruleset meddic 1.2.0 (hash abc123), as of 2026-11-20 -->

| id | tier | tier_points | stage | stage_source | stage_conflict | stage_probability | score | band | rank | reasons | actions | gaps |
| --- | --- | ---: | --- | --- | --- | ---: | ---: | --- | ---: | --- | --- | --- |
| P-1 | A | 30 | Proposal | recorded | false | 0.6 | 72 | hot | 1 | budget confirmed; champion, named | Call the champion (due 2026-11-24); Send deck |  |
| P\\|2 |  | 0 | Lead |  | true |  | 15 | cold |  |  |  | no budget |
"""


def test_markdown_exact(tmp_path, results, context):
    path = written(tmp_path, results, "out.md", "markdown", context)
    assert open(path, encoding="utf-8").read() == MARKDOWN


def test_markdown_keeps_each_record_on_one_line(tmp_path, context):
    frame = pl.DataFrame({"id": ["a"], "note": ["two\nlines"]})
    path = written(tmp_path, frame, "out.md", "markdown", context)
    assert open(path).read().splitlines()[-1] == "| a | two<br>lines |"


def test_table_without_terminal(tmp_path, results, context):
    context.width = 200
    path = written(tmp_path, results, "out.txt", "table", context)
    text = open(path, encoding="utf-8").read()
    assert "\x1b" not in text
    lines = text.splitlines()
    assert lines[0].strip() == "meddic 1.2.0"
    assert lines[-1].strip() == "hash abc123, as of 2026-11-20"
    assert all(len(line) <= 200 for line in lines)
    row_one = next(i for i, line in enumerate(lines) if "P-1" in line)
    # One line per record: list items joined with "; ".
    assert "budget confirmed; champion, named" in lines[row_one]
    assert "Call the champion (due 2026-11-24); Send deck" in lines[row_one]
    assert any("P|2" in line and "no budget" in line for line in lines)


def test_table_does_not_interpret_markup(tmp_path, context):
    frame = pl.DataFrame({"id": ["[bold]x[/bold]"]})
    text = open(written(tmp_path, frame, "out.txt", "table", context)).read()
    assert "[bold]x[/bold]" in text


def test_table_colours_only_on_a_terminal(results, context):
    stream = io.StringIO()
    context.is_terminal = True
    get_registry().output_formats["table"].write(results, stream, context)
    assert "\x1b[" in stream.getvalue()


# --- xlsx and parquet -------------------------------------------------------------------------


def test_xlsx_round_trip(tmp_path, results, context):
    path = written(tmp_path, results, "out.xlsx", "xlsx", context)
    sheet = pl.read_excel(path, sheet_name="results")
    assert sheet.columns == results.columns
    assert sheet.row(0) == (
        "P-1", "A", 30, "Proposal", "recorded", False, 0.6, 72, "hot", 1,
        "budget confirmed; champion, named", "Call the champion (due 2026-11-24); Send deck", None,
    )  # fmt: skip
    assert sheet.row(1) == ("P|2", None, 0, "Lead", None, True, None, 15, "cold", None, None, None, "no budget")
    provenance = pl.read_excel(path, sheet_name="provenance")
    assert provenance.rows() == list(PROVENANCE.items())


def test_parquet_round_trip_keeps_types_and_metadata(tmp_path, results, context):
    path = written(tmp_path, results, "out.parquet", "parquet", context)
    assert pl.read_parquet(path).equals(results)
    metadata = pl.read_parquet_metadata(path)
    assert {k: v for k, v in metadata.items() if k.startswith("salesrules.")} == {
        "salesrules.ruleset": "meddic",
        "salesrules.ruleset_version": "1.2.0",
        "salesrules.ruleset_hash": "abc123",
        "salesrules.as_of": "2026-11-20",
    }


@pytest.mark.parametrize("fmt, name", [
    ("csv", "e.csv"), ("json", "e.json"), ("ndjson", "e.ndjson"), ("markdown", "e.md"),
    ("table", "e.txt"), ("xlsx", "e.xlsx"), ("parquet", "e.parquet"),
])  # fmt: skip
def test_zero_rows(tmp_path, results, context, fmt, name):
    path = written(tmp_path, results.clear(), name, fmt, context)
    content = open(path, "rb").read()
    if fmt == "csv":
        assert content.decode() == CSV.splitlines(keepends=True)[0]
    elif fmt == "json":
        assert json.loads(content) == {"provenance": PROVENANCE, "records": []}
    elif fmt == "ndjson":
        assert content == b""
    elif fmt == "markdown":
        assert content.decode() == "".join(MARKDOWN.splitlines(keepends=True)[:4])
    elif fmt == "xlsx":
        assert pl.read_excel(path, sheet_name="results").columns == results.columns
    elif fmt == "parquet":
        assert pl.read_parquet(path).schema == results.schema
    else:
        assert "meddic 1.2.0" in content.decode()


# --- Choosing the format ----------------------------------------------------------------------


def test_format_for_path():
    assert format_for_path(None, "table") == "table"
    assert format_for_path("-", "csv") == "csv"
    assert format_for_path("a/out.CSV", "table") == "csv"
    assert format_for_path("out.json", "table") == "json"
    assert format_for_path("out.ndjson", "table") == "ndjson"
    assert format_for_path("out.jsonl", "table") == "ndjson"
    assert format_for_path("out.md", "table") == "markdown"
    assert format_for_path("out.xlsx", "table") == "xlsx"
    assert format_for_path("out.parquet", "table") == "parquet"


def test_format_for_unknown_extension():
    with pytest.raises(UsageError) as caught:
        format_for_path("out.docx", "table")
    assert str(caught.value) == (
        "out.docx: unknown output file extension '.docx'; "
        "known: .csv, .json, .jsonl, .md, .ndjson, .parquet, .xlsx; or pass --format"
    )


def test_unknown_output_format(tmp_path, results, context):
    with pytest.raises(UsageError, match=r"unknown output format 'jsn' \(did you mean 'json'\?\)"):
        write_output(results, str(tmp_path / "x"), "jsn", context)


# --- Atomic replacement -----------------------------------------------------------------------


@pytest.fixture
def failing_format(monkeypatch):
    """Register a ``broken`` format that writes half its output, then raises ``exception``."""

    def install(exception: BaseException):
        def write(frame, stream, context):
            stream.write(b"half written")
            stream.flush()
            raise exception

        monkeypatch.setitem(get_registry().output_formats, "broken", OutputFormat("broken", write, ".x", True, "test"))

    return install


def leftovers(directory) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


@pytest.mark.parametrize("exception, raised", [
    (RuntimeError("boom"), PluginError),
    (KeyboardInterrupt(), KeyboardInterrupt),
    (OSError(errno.ENOSPC, "No space left on device"), UsageError),
])  # fmt: skip
def test_failed_write_leaves_target_untouched(tmp_path, results, context, failing_format, exception, raised):
    failing_format(exception)
    target = tmp_path / "out.csv"
    target.write_bytes(b"previous results\n")
    with pytest.raises(raised):
        write_output(results, str(target), "broken", context)
    assert target.read_bytes() == b"previous results\n"
    assert leftovers(tmp_path) == []


def test_failure_messages(tmp_path, results, context, failing_format):
    path = str(tmp_path / "out.csv")
    failing_format(OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(UsageError) as caught:
        write_output(results, path, "broken", context)
    assert str(caught.value) == f"{path}: cannot write the output: no space left on device"
    failing_format(RuntimeError("boom\nmore detail"))
    with pytest.raises(PluginError) as caught:
        write_output(results, path, "broken", context)
    assert str(caught.value) == "output format 'broken' (test) failed: RuntimeError: boom"


def test_unwritable_directory(tmp_path, results, context, monkeypatch):
    def denied(**kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(outputs.tempfile, "mkstemp", denied)
    path = str(tmp_path / "out.csv")
    with pytest.raises(UsageError) as caught:
        write_output(results, path, "csv", context)
    assert str(caught.value) == f"{path}: cannot write the output: permission denied"


def test_successful_write_replaces_target_and_keeps_its_mode(tmp_path, results, context):
    target = tmp_path / "out.csv"
    target.write_text("old")
    os.chmod(target, 0o640)
    write_output(results, str(target), "csv", context)
    assert target.read_text() == CSV
    assert os.stat(target).st_mode & 0o777 == 0o640
    assert leftovers(tmp_path) == []


def test_new_file_mode_follows_umask(tmp_path, results, context):
    previous = os.umask(0o027)
    try:
        path = written(tmp_path, results, "out.csv", "csv", context)
    finally:
        os.umask(previous)
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_output_over_input_is_refused(tmp_path, results, context):
    source = tmp_path / "prospects.csv"
    source.write_text("id\n1\n")
    spelled_differently = os.path.join(str(tmp_path), ".", "prospects.csv")
    with pytest.raises(UsageError) as caught:
        write_output(results, spelled_differently, "csv", context, inputs=["-", str(source)])
    assert str(caught.value) == (
        f"{spelled_differently}: the output would overwrite the input file {source}; choose another output path"
    )
    assert source.read_text() == "id\n1\n"


def test_output_through_symlink_to_input_is_refused(tmp_path, results, context):
    source = tmp_path / "prospects.csv"
    source.write_text("id\n1\n")
    link = tmp_path / "link.csv"
    link.symlink_to(source)
    with pytest.raises(UsageError, match="would overwrite the input file"):
        write_output(results, str(link), "csv", context, inputs=[str(source)])


def test_missing_output_directory(tmp_path, results, context):
    path = str(tmp_path / "no" / "such" / "out.csv")
    with pytest.raises(UsageError) as caught:
        write_output(results, path, "csv", context)
    assert str(caught.value) == f"{path}: output directory '{tmp_path / 'no' / 'such'}' does not exist"


def test_output_path_is_a_directory(tmp_path, results, context):
    with pytest.raises(UsageError, match="the output path is a directory"):
        write_output(results, str(tmp_path), "csv", context)


# --- Standard output --------------------------------------------------------------------------


class FakeStdout(io.TextIOWrapper):
    def __init__(self, terminal: bool = False):
        super().__init__(io.BytesIO(), encoding="utf-8", newline="")
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal

    def content(self) -> bytes:
        self.flush()
        return self.buffer.getvalue()


@pytest.mark.parametrize("path", [None, "-"])
def test_text_to_stdout(monkeypatch, results, context, path):
    stdout = FakeStdout()
    monkeypatch.setattr(sys, "stdout", stdout)
    write_output(results, path, "csv", context)
    assert stdout.content().decode() == CSV


def test_markdown_to_stdout(monkeypatch, results, context):
    stdout = FakeStdout()
    monkeypatch.setattr(sys, "stdout", stdout)
    write_output(results, None, "markdown", context)
    assert stdout.content().decode() == MARKDOWN


def test_binary_to_piped_stdout(monkeypatch, results, context):
    stdout = FakeStdout()
    monkeypatch.setattr(sys, "stdout", stdout)
    write_output(results, "-", "parquet", context)
    assert pl.read_parquet(io.BytesIO(stdout.content())).equals(results)


def test_binary_to_terminal_is_refused(monkeypatch, results, context):
    monkeypatch.setattr(sys, "stdout", FakeStdout(terminal=True))
    with pytest.raises(UsageError) as caught:
        write_output(results, None, "xlsx", context)
    assert str(caught.value) == "refusing to write binary xlsx output to a terminal; pass an output file or redirect"


def test_table_is_the_ranked_view():
    from salesrules.default_plugins.output_table import ranked_view

    frame = pl.DataFrame({
        "id": ["a", "b", "c", "d"],
        "tier": ["low", "high", "medium", "high"],
        "tier_points": [10, 50, 30, 50],
        "stage": ["lead", "evaluation", "won", "presentation"],
        "stage_source": ["recorded", "inferred", "recorded", "recorded"],
        "stage_conflict": [False, False, False, True],
        "stage_probability": [0.05, 0.5, 1.0, 0.35],
        "score": [10, 75, 40, 75],
        "band": ["C", "A", "C", "A"],
        "rank": [3, 2, None, 1],
        "reasons": [[], [], [], []],
        "actions": [[], [], [], []],
        "gaps": [[], [], [], ["demo"]],
        "Amount": ["1", "2", "3", "4"],
    })
    view = ranked_view(frame, OutputContext(provenance={}, key="id"))
    assert view.columns == ["rank", "id", "tier", "stage", "score", "band", "reasons", "actions", "gaps"]
    assert view["id"].to_list() == ["d", "b", "a", "c"]
    assert view["stage"].to_list() == ["presentation", "evaluation (inferred)", "lead", "won"]
