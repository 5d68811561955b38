"""Reading prospect files: every format, encodings, and a clean error for each bad input."""

from __future__ import annotations

import datetime as dt
import io
import os
import sys

import polars as pl
import pytest
import xlsxwriter

from salesrules.errors import InputError, UsageError
from salesrules.io import inputs
from salesrules.io.inputs import ReadOptions, diagnose, input_format_for, read_table


@pytest.fixture
def write(tmp_path):
    """Write bytes (or UTF-8 text) to a file in tmp_path and return its path as str."""

    def write(name: str, content: bytes | str) -> str:
        path = tmp_path / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return str(path)

    return write


def rows(path: str, **kwargs) -> list[tuple]:
    return read_table(path, **kwargs).collect().rows()


def error(path: str, **kwargs) -> str:
    with pytest.raises(InputError) as caught:
        try:
            read_table(path, **kwargs).collect()
        except pl.exceptions.PolarsError as exc:
            # Lazy readers fail only when collected; the format then locates the problem.
            raise diagnose(path, kwargs.get("options"), kwargs.get("format"), exc) from None
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# --- CSV ------------------------------------------------------------------------------------


def test_csv_reads_every_column_as_text(write):
    path = write("p.csv", "id,amount,won\n1,2.50,true\n")
    frame = read_table(path).collect()
    assert frame.schema == pl.Schema({"id": pl.String, "amount": pl.String, "won": pl.String})
    assert frame.rows() == [("1", "2.50", "true")]


def test_read_table_returns_a_lazy_frame(write):
    assert isinstance(read_table(write("p.csv", "id\n1\n")), pl.LazyFrame)


def test_csv_with_bom_and_crlf(write):
    path = write("p.csv", b"\xef\xbb\xbfid,name\r\n1,Acme\r\n2,Beta\r\n")
    frame = read_table(path).collect()
    assert frame.columns == ["id", "name"]
    assert frame.rows() == [("1", "Acme"), ("2", "Beta")]


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_csv_with_cr_line_ends_is_read_record_by_record(write, encoding):
    """The old Mac "CSV (Macintosh)" export ends lines with CR alone: every record is read."""
    text = 'id,name,note\r1,Caf\u00e9,"two\rlines"\r2,Beta,\r3,Gamma,x\r'
    path = write("mac.csv", text.encode(encoding))
    options = ReadOptions(encoding=encoding)
    assert rows(path, options=options) == [("1", "Caf\u00e9", "two\nlines"), ("2", "Beta", None), ("3", "Gamma", "x")]


def test_a_bad_value_in_a_cr_only_file_names_its_row(write, tmp_path):
    import salesrules

    path = write("mac.csv", "Opportunity ID,Amount\r1,10\r2,20\r3,lots\r")
    with pytest.raises(InputError) as caught:
        salesrules.load("builtin:standard").evaluate(path, as_of=dt.date(2026, 11, 22))
    assert str(caught.value) == f"{path}: row 3, column 'Amount': cannot read 'lots' as money"


def test_csv_quoted_fields_keep_commas_newlines_and_quotes(write):
    path = write("p.csv", 'id,note\r\n1,"a, b"\r\n2,"line one\nline two"\r\n3,"say ""hi"""\r\n')
    assert rows(path) == [("1", "a, b"), ("2", "line one\nline two"), ("3", 'say "hi"')]


def test_csv_empty_unquoted_field_is_null_and_quoted_empty_is_text(write):
    assert rows(write("p.csv", 'id,name\n1,\n2,""\n')) == [("1", None), ("2", "")]


def test_csv_header_only_gives_zero_rows(write):
    frame = read_table(write("p.csv", "id,name\r\n")).collect()
    assert frame.columns == ["id", "name"]
    assert frame.height == 0


def test_csv_blank_lines_are_dropped(write):
    assert rows(write("p.csv", "\nid,name\n\n1,a\n\n2,b\n\n")) == [("1", "a"), ("2", "b")]


def test_a_file_of_ten_thousand_columns_is_read_and_evaluated(write):
    # The blank-row filter reads every column; pushed into the CSV scan it took minutes here.
    columns = ["Opportunity ID", "Amount"] + [f"extra {i}" for i in range(10_000)]
    lines = [",".join(columns), ",".join(["A", "300000"] + ["x"] * 10_000), "", ",".join(["B", "10"] + [""] * 10_000)]
    path = write("wide.csv", "\n".join(lines) + "\n")
    frame = read_table(path)
    assert "Csv SCAN" in frame.explain() and "SELECTION" not in frame.explain().split("Csv SCAN")[1]
    assert frame.select("Opportunity ID").collect().to_series().to_list() == ["A", "B"]
    import salesrules

    ruleset = salesrules.load("builtin:standard")
    narrow = write("narrow.csv", "Opportunity ID,Amount\nA,300000\nB,10\n")
    results = ruleset.evaluate(path, as_of=dt.date(2026, 11, 22))
    assert results["id"].to_list() == ["A", "B"]
    assert results.equals(ruleset.evaluate(narrow, as_of=dt.date(2026, 11, 22)))


def test_csv_short_rows_are_padded_with_nulls(write):
    assert rows(write("p.csv", "id,name,city\n1,a\n")) == [("1", "a", None)]


def test_tsv(write):
    path = write("p.tsv", "id\tname\n1\tAcme, Inc\n")
    assert rows(path) == [("1", "Acme, Inc")]


def test_latin1_with_encoding(write):
    path = write("p.csv", "id,name\n1,Café Müller\n".encode("latin-1"))
    assert rows(path, options=ReadOptions(encoding="latin-1")) == [("1", "Café Müller")]


def test_cp1252_and_utf16_with_encoding(write):
    cp1252 = write("a.csv", "id,price\n1,€5\n".encode("cp1252"))
    utf16 = write("b.csv", "id,name\r\n1,Zoë\r\n".encode("utf-16"))
    assert rows(cp1252, options=ReadOptions(encoding="cp1252")) == [("1", "€5")]
    assert rows(utf16, options=ReadOptions(encoding="utf-16")) == [("1", "Zoë")]


def test_transcoded_copy_is_removed_at_exit(write, monkeypatch):
    made = []
    monkeypatch.setattr(inputs, "_TEMPORARY_FILES", made)
    read_table(write("p.csv", "id\n\xe9\n".encode("latin-1")), ReadOptions(encoding="latin-1"))
    assert len(made) == 1 and os.path.exists(made[0])
    copy = made[0]
    inputs.remove_temporary_files()
    assert not os.path.exists(copy) and made == []


def test_explicit_format_overrides_the_extension(write):
    assert rows(write("p.txt", "id\n7\n"), format="csv") == [("7",)]


def test_input_format_for_is_case_insensitive():
    assert input_format_for("a.CSV") == "csv"
    assert input_format_for("a.Tsv") == "tsv"
    assert input_format_for("a.jsonl") == "ndjson"
    assert input_format_for("a.pq") == "parquet"
    assert input_format_for("a.XLSX") == "xlsx"
    assert input_format_for("-") == "csv"


# --- Bad input --------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = str(tmp_path / "nope.csv")
    assert error(path) == f"{path}: file not found"


def test_directory(tmp_path):
    assert error(str(tmp_path)) == f"{tmp_path}: is a directory, not a file"


def test_permission_denied(write, monkeypatch):
    path = write("p.csv", "id\n1\n")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(inputs, "open", denied, raising=False)
    assert error(path) == f"{path}: permission denied"


def test_unknown_extension(write):
    path = write("p.txt", "id\n1\n")
    assert error(path) == (
        f"{path}: unknown file extension '.txt'; known input formats: .csv (csv), .tsv (tsv), "
        ".json (json), .ndjson (ndjson), .jsonl (ndjson), .parquet (parquet), .pq (parquet), "
        ".xlsx (xlsx); or pass --input-format"
    )


def test_unknown_format_and_encoding_are_usage_errors(write):
    path = write("p.csv", "id\n1\n")
    with pytest.raises(UsageError, match=r"unknown input format 'cvs' \(did you mean 'csv'\?\)"):
        read_table(path, format="cvs")
    with pytest.raises(UsageError, match="unknown encoding 'latin-9000'"):
        read_table(path, ReadOptions(encoding="latin-9000"))


def test_empty_file(write):
    path = write("p.csv", b"")
    assert error(path) == f"{path}: file is empty (0 bytes)"


def test_blank_lines_only(write):
    path = write("p.csv", "\n\r\n")
    assert error(path) == f"{path}: no header row (the file holds only blank lines)"


def test_duplicate_header(write):
    path = write("p.csv", "id,name,ID,name\n1,a,b,c\n")
    assert error(path) == f"{path}:1: duplicate column header 'name' (columns 2 and 4)"


def test_ragged_row_names_the_row_and_line(write):
    path = write("p.csv", 'id,name\n1,a\n\n2,"two\nlines"\n3,c,extra\n4,d\n')
    assert error(path) == f"{path}:6: data row 3 has 3 fields but the header has 2"


def test_trailing_comma_is_a_ragged_row(write):
    path = write("p.csv", "id,name\n1,a,\n")
    assert error(path) == f"{path}:2: data row 1 has 3 fields but the header has 2"


def test_unterminated_quote(write):
    path = write("p.csv", 'id,name\n1,a\n2,"open\n3,c\n')
    assert error(path) == f"{path}:3: unterminated quoted field: a quote opened in data row 2 is never closed"


def test_text_after_closing_quote(write):
    path = write("p.csv", 'id,name\n1,"a"b\n')
    assert error(path) == f"{path}:2: malformed data row 1: ',' expected after '\"'"


def test_invalid_utf8_names_line_and_suggests_encoding(write):
    path = write("p.csv", "id,name\n1,a\n2,Caf\xe9\n".encode("latin-1"))
    assert error(path) == (
        f"{path}:3: cannot decode byte 0xe9 as utf-8 text; "
        "pass the file's encoding with --encoding (for example --encoding cp1252)"
    )


def test_undecodable_in_the_given_encoding(write):
    path = write("p.csv", b"id\n1\n\x81\n")
    assert error(path, options=ReadOptions(encoding="cp1252")) == (
        f"{path}:3: cannot decode byte 0x81 as cp1252 text; "
        "pass the file's encoding with --encoding (for example --encoding cp1252)"
    )


def test_binary_garbage(write):
    path = write("p.csv", bytes(range(256)) * 8)
    assert error(path) == (
        f"{path}: looks like a binary file (it contains NUL bytes), not utf-8 text; "
        "pass the file's encoding with --encoding (for example --encoding cp1252)"
    )


def test_workbook_named_csv(write):
    path = write("p.csv", b"PK\x03\x04" + bytes(100))
    assert error(path) == (
        f"{path}: looks like a zip archive (an xlsx workbook?), not utf-8 text; pass --input-format if it is xlsx or parquet"
    )


def test_utf16_without_encoding(write):
    path = write("p.csv", "id\n1\n".encode("utf-16"))
    assert error(path) == f"{path}: starts with a UTF-16 byte order mark; pass --encoding utf-16"


# --- JSON and NDJSON --------------------------------------------------------------------------


def test_json_array_of_objects(write):
    path = write("p.json", '[{"id": 1, "name": "a"}, {"id": 2, "name": null, "tags": ["x"]}]')
    frame = read_table(path).collect()
    assert frame.columns == ["id", "name", "tags"]
    assert frame.rows() == [(1, "a", None), (2, None, ["x"])]


def test_json_empty_array(write):
    assert read_table(write("p.json", "[]")).collect().shape == (0, 0)


def test_json_syntax_error_has_line_and_column(write):
    path = write("p.json", '[\n  {"id": 1,\n   "name": }\n]')
    assert error(path) == f"{path}:3:12: invalid JSON: Expecting value"


def test_json_must_be_an_array(write):
    path = write("p.json", '{"id": 1}')
    assert error(path) == (
        f"{path}:1: expected a JSON array of objects ([{{...}}, ...]); use --format ndjson for one object per line"
    )


def test_json_items_must_be_objects(write):
    path = write("p.json", '[{"id": 1}, "two"]')
    assert error(path) == f"{path}: item 2 of the array is a string, not an object"


def test_json_latin1_with_encoding(write):
    path = write("p.json", '[{"name": "Café"}]'.encode("latin-1"))
    assert rows(path, options=ReadOptions(encoding="latin-1")) == [("Café",)]


def test_ndjson(write):
    path = write("p.jsonl", '{"id": 1}\n\n{"id": 2, "x": "b"}\n')
    assert rows(path) == [(1, None), (2, "b")]


def test_ndjson_bad_line(write):
    path = write("p.ndjson", '{"id": 1}\n{"id": }\n')
    assert error(path) == f"{path}:2:8: invalid JSON: Expecting value"


# --- Parquet and xlsx -------------------------------------------------------------------------


def test_parquet_keeps_types(tmp_path):
    path = str(tmp_path / "p.parquet")
    source = pl.DataFrame({"id": ["a"], "amount": [1.5], "closed": [dt.date(2026, 1, 2)]})
    source.write_parquet(path)
    assert read_table(path).collect().equals(source)


def test_parquet_garbage(write):
    path = write("p.parquet", b"not a parquet file at all")
    message = error(path)
    assert message.startswith(f"{path}: not a readable parquet file: ")


@pytest.fixture
def workbook(tmp_path):
    path = str(tmp_path / "book.xlsx")
    with xlsxwriter.Workbook(path) as book:
        first = book.add_worksheet("Leads")
        first.write_row(0, 0, ["id", "amount"])
        first.write_row(1, 0, ["L1", 100])
        second = book.add_worksheet("Deals")
        second.write_row(0, 0, ["id", "stage"])
        second.write_row(1, 0, ["D1", "Proposal"])
        dup = book.add_worksheet("Dup")
        dup.write_row(0, 0, ["id", "id"])
        book.add_worksheet("Blank")
    return path


def test_xlsx_first_sheet_by_default(workbook):
    assert rows(workbook) == [("L1", 100)]


def test_xlsx_sheet_by_name(workbook):
    assert rows(workbook, options=ReadOptions(sheet="Deals")) == [("D1", "Proposal")]


def test_xlsx_missing_sheet(workbook):
    assert error(workbook, options=ReadOptions(sheet="Nope")) == (
        f"{workbook}: no sheet named 'Nope'; sheets: 'Leads', 'Deals', 'Dup', 'Blank'"
    )


def test_xlsx_duplicate_header_and_empty_sheet(workbook):
    assert error(workbook, options=ReadOptions(sheet="Dup")) == (
        f"{workbook}: duplicate column header 'id' in sheet 'Dup' (columns 1 and 2)"
    )
    assert error(workbook, options=ReadOptions(sheet="Blank")) == f"{workbook}: sheet 'Blank' is empty (no header row)"


def test_xlsx_garbage(write):
    path = write("p.xlsx", b"garbage")
    assert error(path).startswith(f"{path}: not a readable xlsx workbook: ")


# --- Standard input ---------------------------------------------------------------------------


def fake_stdin(monkeypatch, content: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(content)))


def test_stdin_defaults_to_csv(monkeypatch):
    fake_stdin(monkeypatch, b"id,name\n1,a\n")
    assert rows("-") == [("1", "a")]


def test_stdin_with_format(monkeypatch):
    fake_stdin(monkeypatch, b'[{"id": 1}]')
    assert rows("-", format="json") == [(1,)]


def test_stdin_errors_name_stdin(monkeypatch):
    fake_stdin(monkeypatch, b"id,id\n")
    assert error("-") == "<stdin>:1: duplicate column header 'id' (columns 1 and 2)"
    fake_stdin(monkeypatch, b"")
    assert error("-") == "<stdin>: standard input is empty"
