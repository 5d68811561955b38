"""Hostile data files: bad values deep inside large files, broken CSV structure, wrong encodings,
garbage, directories, missing files; and awkward files that are valid and must just work.

A failure is exit 2 and one ``error:`` line naming the file and the place: ``FILE:LINE: ...``
for the structure of a file, ``FILE: row N, column 'C': ...`` for a value (with the value).
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import polars as pl
import pytest
from hostile_helpers import RULESET, fails, run

ROWS = 100_000
BAD_ROW = 70_000  # 1-based data row: line 70,001 of a CSV file


def frame(rows: int = ROWS) -> pl.DataFrame:
    """A valid prospect export with the columns the catalogue ruleset reads (every value as text)."""
    k = pl.int_range(0, rows)
    return pl.select(
        ("OPP-" + (k + 1).cast(pl.String).str.zfill(6)).alias("Opportunity ID"),
        ((k * 7919) % 3_000_000).cast(pl.String).alias("Amount"),
        pl.format("2026-{}-{}", ((k % 12) + 1).cast(pl.String).str.zfill(2),
                  ((k % 28) + 1).cast(pl.String).str.zfill(2)).alias("Created Date"),
        pl.when(k % 2 == 0).then(pl.lit("Yes")).otherwise(pl.lit("No")).alias("Budget Confirmed"),
        pl.lit(pl.Series(["Software", "Manufacturing", "SaaS", "software"] * (rows // 4 + 1))[:rows]).alias("Industry"),
        ("Company " + k.cast(pl.String)).alias("Account Name"),
    )


@pytest.fixture(scope="module")
def base() -> pl.DataFrame:
    return frame()


def with_value(data: pl.DataFrame, column: str, value, row: int = BAD_ROW) -> pl.DataFrame:
    index = pl.int_range(0, data.height)
    return data.with_columns(pl.when(index == row - 1).then(pl.lit(value, pl.String)).otherwise(pl.col(column)).alias(column))


def write(data: pl.DataFrame, path: Path) -> Path:
    {".csv": lambda: data.write_csv(path), ".tsv": lambda: data.write_csv(path, separator="\t"),
     ".ndjson": lambda: data.write_ndjson(path), ".json": lambda: data.write_json(path),
     ".parquet": lambda: data.write_parquet(path), ".xlsx": lambda: data.write_excel(path)}[path.suffix]()
    return path


# ---------------------------------------------------------------- values deep inside a large file


@pytest.mark.parametrize("column, value, message", [
    ("Amount", "12abc", "cannot read '12abc' as money"),
    ("Amount", "$1,2,3.4.5", "cannot read '$1,2,3.4.5' as money"),
    ("Created Date", "2026-02-30", "cannot read '2026-02-30' as date (YYYY-MM-DD)"),
    ("Created Date", "yesterday", "cannot read 'yesterday' as date"),
    ("Budget Confirmed", "maybe", "cannot read 'maybe' as boolean"),
    ("Industry", "Retail", "cannot read 'Retail' as one of: software, manufacturing"),
    ("Amount", "", "a value is required for field 'amount'"),
    ("Amount", "   ", "a value is required for field 'amount'"),
])
def test_a_bad_value_in_row_70000_is_named(ws, base, column, value, message):
    data = write(with_value(base, column, value), ws.root / "big.csv")
    ws.fails(2, f"{data}: row {BAD_ROW}, column '{column}': ", message, data=data)


@pytest.mark.parametrize("suffix", [".tsv", ".ndjson", ".json", ".parquet"])
def test_a_bad_value_in_row_70000_in_other_formats(ws, base, suffix):
    data = write(with_value(base, "Amount", "12abc"), ws.root / f"big{suffix}")
    ws.fails(2, f"{data}: row {BAD_ROW}, column 'Amount': ", "cannot read '12abc' as money", data=data)


def test_a_bad_value_in_row_70000_of_a_workbook(ws, base):
    data = write(with_value(base.head(BAD_ROW), "Budget Confirmed", "perhaps"), ws.root / "big.xlsx")
    ws.fails(2, f"{data}: row {BAD_ROW}, column 'Budget Confirmed': ", "cannot read 'perhaps' as boolean", data=data)


def test_a_duplicate_key_names_both_rows(ws, base):
    data = write(with_value(base, "Opportunity ID", "OPP-000001"), ws.root / "big.csv")
    ws.fails(2, f"{data}: ", f"duplicate key 'OPP-000001' in rows 1, {BAD_ROW}", "--on-duplicate", data=data)


def test_on_error_skip_writes_the_bad_row_to_the_rejects(ws, base):
    data = write(with_value(base, "Amount", "12abc"), ws.root / "big.csv")
    out = ws.root / "results.csv"
    outcome = run("evaluate", data, "-r", ws.ruleset, "-o", out, "--on-error", "skip", protect=ws.protected(data))
    assert outcome.code == 0 and outcome.lines == [f"skipped 1 row(s) that could not be read; see {ws.root / 'results.rejects.csv'}"]
    rejects = pl.read_csv(ws.root / "results.rejects.csv", infer_schema=False)
    assert rejects["row"].to_list() == [str(BAD_ROW)] and "12abc" in rejects["reason"][0]
    assert pl.read_csv(out).height == ROWS - 1


# ---------------------------------------------------------------- the structure of a file


def test_a_missing_required_column(ws):
    data = ws.write("p.csv", "Opportunity ID,Created Date\nA,2026-01-01\n")
    ws.fails(2, f"{data}: ", "missing column for required field 'amount' (looked for 'amount', 'Amount')", data=data)


def test_two_columns_matching_one_field(ws):
    data = ws.write("p.csv", "Opportunity ID,AMOUNT,a_mount\nA,1,2\n")
    ws.fails(2, f"{data}: ", "columns ['AMOUNT', 'a_mount'] all match field 'amount'", data=data)


def test_a_ragged_row_deep_in_a_file(ws, base):
    data = write(base, ws.root / "big.csv")
    lines = data.read_text().splitlines(keepends=True)
    lines[BAD_ROW] = lines[BAD_ROW].rstrip("\n") + ",extra\n"
    data.write_text("".join(lines))
    ws.fails(2, f"{data}:{BAD_ROW + 1}: ", f"data row {BAD_ROW} has 7 fields but the header has 6", data=data)


def test_an_unterminated_quote_deep_in_a_file(ws, base):
    data = write(base, ws.root / "big.csv")
    lines = data.read_text().splitlines(keepends=True)
    lines[BAD_ROW] = lines[BAD_ROW].replace(",Company", ',"Company', 1)
    data.write_text("".join(lines))
    # The quote swallows the rest of the file: the row where it opened is named.
    ws.fails(2, f"{data}:{BAD_ROW + 1}: ", f"data row {BAD_ROW}", "unterminated quote", data=data)


@pytest.mark.parametrize("name, content, where, fragment", [
    ("duplicate headers", "Opportunity ID,Amount,Amount\nA,1,2\n", ":1: ", "duplicate column header 'Amount' (columns 2 and 3)"),
    ("duplicate headers after blank lines", "\n\nOpportunity ID,Amount,Opportunity ID\n", ":3: ", "duplicate column header"),
    ("text after a closing quote", 'Opportunity ID,Amount\n"A"x,1\n', ":2: ", "malformed data row 1"),
    ("a malformed header", '"Opportunity ID,Amount\n', ":1: ", "malformed header row"),
    ("an empty file", b"", ": ", "file is empty (0 bytes)"),
    ("blank lines only", "\n\n\n", ": ", "no header row (the file holds only blank lines)"),
    ("binary garbage", bytes(range(256)) * 4, ": ", "looks like a binary file (it contains NUL bytes)"),
    ("high bytes garbage", b"Opportunity ID,Amount\nA,1\n" + bytes(range(128, 256)), ":3: ", "cannot decode byte 0x80 as utf-8 text"),
    ("latin-1 without --encoding", "Opportunity ID,Amount,Account Name\nA,1,Caf\xe9\n".encode("latin-1"), ":2: ",
     "cannot decode byte 0xe9 as utf-8 text; pass the file's encoding with --encoding"),
    ("UTF-16 without --encoding", "Opportunity ID,Amount\nA,1\n".encode("utf-16"), ": ",
     "starts with a UTF-16 byte order mark; pass --encoding utf-16"),
    ("a workbook named .csv", b"PK\x03\x04" + bytes(100), ": ", "looks like a zip archive (an xlsx workbook?)"),
    ("a PDF named .csv", b"%PDF-1.7\n" + bytes(100), ": ", "looks like a PDF document"),
    ("a gzip file named .csv", b"\x1f\x8b\x08\x00" + bytes(100), ": ", "looks like a gzip archive"),
])
def test_a_broken_csv_file(ws, name, content, where, fragment):
    data = ws.write("p.csv", content)
    ws.fails(2, f"{data}{where}", fragment, data=data)


@pytest.mark.parametrize("name, filename, content, where, fragment", [
    ("JSON syntax error", "p.json", '[{"Opportunity ID": "A", "Amount": }]', ":1:36: ", "invalid JSON: Expecting value"),
    ("JSON object instead of an array", "p.json", '{"Opportunity ID": "A"}', ":1: ", "expected a JSON array of objects"),
    ("JSON item that is not an object", "p.json", '[{"Amount": 1}, 2]', ": ", "item 2 of the array is a number, not an object"),
    ("JSON only whitespace", "p.json", "   \n ", ": ", "no JSON data (the file holds only whitespace)"),
    ("JSON values of two kinds", "p.json", '[{"Amount": 1}, {"Amount": {"x": 1}}]', ": ",
     "item 2: 'Amount' is an object here but a number in item 1"),
    ("JSON number out of range", "p.json", '[{"Amount": 1e999}]', ": ", "the number 1e999 is out of range"),
    ("NDJSON bad line", "p.ndjson", '{"Amount": 1}\n{"Amount": 2,}\n', ":2:14: ", "invalid JSON"),
    ("NDJSON line that is not an object", "p.ndjson", '{"Amount": 1}\n[1, 2]\n', ":2: ", "line holds an array, not a JSON object"),
    ("NDJSON values of two kinds", "p.ndjson", '{"Amount": 1}\n\n{"Amount": [1, 2]}\n', ":3: ",
     "'Amount' is an array of numbers here but a number in line 1; a column must hold one kind of value"),
    ("NDJSON number and boolean", "p.ndjson", '{"Amount": 1}\n{"Amount": true}\n', ":2: ", "'Amount' is a boolean here but a number"),
    ("NDJSON NaN", "p.ndjson", '{"Amount": NaN}\n', ":1: ", "NaN is not valid JSON"),
    ("NDJSON only blank lines", "p.ndjson", "\n\n\n", ": ", "no JSON data (the file holds only whitespace)"),
    ("parquet garbage", "p.parquet", b"PAR1 this is not parquet PAR1", ": ", "not a readable parquet file"),
    ("xlsx garbage", "p.xlsx", b"not a workbook at all", ": ", "not a readable xlsx workbook"),
    ("unknown extension", "p.txt", "Opportunity ID,Amount\n", ": ", "unknown file extension '.txt'; known input formats:"),
    ("no extension", "prospects", "Opportunity ID,Amount\n", ": ", "no file extension; known input formats:"),
])
def test_a_broken_file_of_another_format(ws, name, filename, content, where, fragment):
    data = ws.write(filename, content)
    ws.fails(2, f"{data}{where}", fragment, data=data)


def test_a_directory(ws):
    (ws.root / "dir.csv").mkdir()
    ws.fails(2, f"{ws.root / 'dir.csv'}: ", "is a directory, not a file", data=ws.root / "dir.csv")


def test_a_missing_file(ws):
    ws.fails(2, f"{ws.root / 'nope.csv'}: ", "file not found", data=ws.root / "nope.csv")


def test_a_missing_ruleset(ws):
    ws.fails(2, f"{ws.root / 'nope.yaml'}: ", "ruleset file not found", ruleset=ws.root / "nope.yaml")


def test_a_ruleset_that_is_a_directory(ws):
    ws.fails(2, f"{ws.root}: ", "is a directory, not a ruleset file", ruleset=ws.root)


def test_a_bad_value_on_standard_input(ws):
    fails(2, "evaluate", "-", "-r", ws.ruleset, "-o", ws.out, input="Opportunity ID,Amount\nA,1\nB,12abc\n",
          where="<stdin>: row 2, column 'Amount': ", fragments=["cannot read '12abc' as money"],
          protect=ws.protected(), dirs=[ws.root])


def test_empty_standard_input(ws):
    fails(2, "evaluate", "-", "-r", ws.ruleset, "-o", ws.out, input="", where="<stdin>: standard input is empty",
          protect=ws.protected(), dirs=[ws.root])


@pytest.mark.parametrize("option, value, fragment", [
    ("--encoding", "klingon", "unknown encoding 'klingon'"),
    ("--input-format", "csvv", "unknown input format 'csvv' (did you mean 'csv'?)"),
])
def test_unknown_encodings_and_formats_are_usage_errors(ws, option, value, fragment):
    ws.fails(2, None, fragment, extra=(option, value))


# ---------------------------------------------------------------- awkward but valid


def results(ws, data, *extra) -> pl.DataFrame:
    outcome = ws.evaluate(data, None, *extra)
    assert outcome.code == 0, outcome.output
    assert outcome.stderr == ""
    return pl.read_csv(ws.root / "results.csv", infer_schema=False)


HEADER = "Opportunity ID,Amount,Created Date,Budget Confirmed,Industry,Account Name"


def test_a_header_only_gives_zero_results(ws):
    table = results(ws, ws.write("p.csv", HEADER + "\n"))
    assert table.height == 0 and table.columns[:2] == ["id", "tier"]


def test_a_header_without_a_newline(ws):
    assert results(ws, ws.write("p.csv", HEADER)).height == 0


def test_a_byte_order_mark(ws):
    table = results(ws, ws.write("p.csv", codecs.BOM_UTF8 + (HEADER + "\nA,5,2026-01-01,Yes,SaaS,Acme\n").encode()))
    assert table["id"].to_list() == ["A"] and table["score"].to_list() == ["20"]


def test_crlf_line_ends(ws):
    table = results(ws, ws.write("p.csv", (HEADER + "\r\nA,5,2026-01-01,Yes,SaaS,Acme\r\nB,2000000,,No,,\r\n").encode()))
    assert table["id"].to_list() == ["A", "B"] and table["tier"].to_list() == ["low", "high"]


def test_bom_crlf_and_a_quoted_newline(ws):
    text = HEADER + '\r\nA,"$1,500,000.00",2026-01-01,yes,Software,"Acme\r\nEurope, Ltd"\r\n'
    table = results(ws, ws.write("p.csv", codecs.BOM_UTF8 + text.encode()), "--with-input")
    assert table["Account Name"].to_list() == ["Acme\r\nEurope, Ltd"] and table["tier"].to_list() == ["high"]


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_latin1_works_with_encoding(ws, encoding):
    data = ws.write("p.csv", (HEADER + "\nA,5,2026-01-01,Yes,SaaS,Café Müller\n").encode(encoding))
    table = results(ws, data, "--encoding", encoding, "--with-input")
    assert table["Account Name"].to_list() == ["Café Müller"]


def test_utf16_works_with_encoding(ws):
    data = ws.write("p.csv", (HEADER + "\nA,5,2026-01-01,Yes,SaaS,Zoë\n").encode("utf-16"))
    assert results(ws, data, "--encoding", "utf-16", "--with-input")["Account Name"].to_list() == ["Zoë"]


def test_blank_lines_short_rows_and_extra_columns(ws):
    text = HEADER + ",Notes\n\nA,5\n\n\nB,7,2026-01-01,,,,ignored\n\n"
    assert results(ws, ws.write("p.csv", text))["id"].to_list() == ["A", "B"]


def test_a_large_valid_file(ws, base):
    assert results(ws, write(base, ws.root / "big.csv")).height == ROWS


def test_json_and_ndjson_with_nulls_and_mixed_numbers(ws):
    records = [{"Opportunity ID": "A", "Amount": 5}, {"Opportunity ID": "B", "Amount": "2000000", "Industry": None}]
    assert results(ws, ws.write("p.json", json.dumps(records))).height == 2
    assert results(ws, ws.write("p.ndjson", "\n".join(map(json.dumps, records)) + "\n\n")).height == 2


def test_the_ruleset_itself_unchanged_after_every_run(ws):
    before = ws.ruleset.read_text()
    results(ws, ws.data)
    assert ws.ruleset.read_text() == before == RULESET
