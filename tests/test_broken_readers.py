"""Data that breaks the readers is one located line and exit 2: never a traceback, a panic or an
abort of the process (a cell far from the data, a zip bomb, a number beyond 64 bits, mixed line
ends, a bad thread count)."""

import os
import subprocess
import sys
import zipfile

import pytest
import xlsxwriter

STANDARD = ["-r", "builtin:standard", "--as-of", "2026-11-22", "-f", "csv"]


def salesrules(*args, env=None, cwd=None):
    """Run the command line in a process of its own: an abort must not take the tests with it."""
    done = subprocess.run([sys.executable, "-m", "salesrules", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd, timeout=120)
    return done.returncode, done.stdout, done.stderr


def one_line(code, stderr):
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_cell_far_from_the_data_is_refused_before_the_sheet_is_read(tmp_path):
    path = tmp_path / "far.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Opportunity ID", "Amount"])
    sheet.write_row(1, 0, ["A", 100])
    sheet.write(1048575, 16383, "x")  # XFD1048576
    book.close()
    assert one_line(*salesrules("evaluate", str(path), *STANDARD)[::2]) == (
        f"error: {path}: sheet 'sheet1' spans A1:XFD1048576, 17,179,869,184 cells (more than 50,000,000): "
        "is there a cell far from the data? Delete it, or export the sheet as CSV"
    )


def test_a_workbook_that_uncompresses_beyond_the_limit_is_refused(tmp_path, monkeypatch, cli_runner):
    # The limit is 4 GiB; a smaller one here keeps the bomb small and quick to build.
    from salesrules.cli import cli
    from salesrules.io import workbooks

    monkeypatch.setattr(workbooks, "MAX_UNCOMPRESSED", 16 << 20)
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for i in range(3):
            archive.writestr(f"xl/media/part{i}.bin", b" " * (8 << 20))
    assert path.stat().st_size < 200_000
    result = cli_runner.invoke(cli, ["evaluate", str(path), *STANDARD])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path}: the workbook uncompresses to {3 * (8 << 20) + 8:,} bytes (more than {16 << 20:,}); "
        "refusing to read it\n"
    )


def test_a_number_beyond_64_bits_names_its_row(tmp_path):
    path = tmp_path / "big.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Opportunity ID", "Amount"])
    for row, value in enumerate([100, 200, 1e300], 1):
        sheet.write_row(row, 0, [f"A{row}", value])
    book.close()
    assert one_line(*salesrules("evaluate", str(path), *STANDARD)[::2]) == (
        f"error: {path}: row 3, column 'Amount': the number 1e+300 is beyond what 64 bits hold"
    )


def test_mixed_line_ends_name_the_line(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"Opportunity ID,Amount\r\nA,1\r\nB,2\rC,3\nD,4\n")
    assert one_line(*salesrules("evaluate", str(path), *STANDARD)[::2]) == (
        f"error: {path}:3: a line ends in a carriage return alone, others in a line feed: mixed line endings; "
        "save the file with one kind of line end"
    )


@pytest.mark.parametrize("value", ["0", "abc", "-1", ""])
def test_a_bad_thread_count_is_one_line_not_a_panic(value):
    code, _, stderr = salesrules("evaluate", "examples/prospects.csv", *STANDARD, env={"POLARS_MAX_THREADS": value},
                                 cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert one_line(code, stderr) == (
        f"error: POLARS_MAX_THREADS={value!r}: the number of threads must be a whole number of at least 1"
    )
