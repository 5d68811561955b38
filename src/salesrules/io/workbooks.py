"""Checks of an xlsx workbook before a reader loads it.

A workbook is a zip archive of XML parts, and a reader sizes its grid of cells by the sheet's
used range. A single cell far away (``XFD1048576``) or a zip bomb (a few kilobytes that
uncompress to gigabytes) would make it allocate more memory than the machine has and abort the
process. Both are found here from the archive's directory and the sheet's declared dimension,
without reading the cells, and refused with a one-line error.
"""

from __future__ import annotations

import re
import zipfile

from ..errors import InputError, Loc

# The cells a sheet may span: a million rows of 50 columns.
MAX_CELLS = 50_000_000
# What the parts of a workbook may uncompress to, in all.
MAX_UNCOMPRESSED = 4 * 1024**3

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?"')


def check_workbook(path: str, sheet_part: str | None = None) -> None:
    """Refuse a workbook that would take unbounded memory to read: parts that uncompress to
    more than :data:`MAX_UNCOMPRESSED`, or a sheet whose declared used range spans more than
    :data:`MAX_CELLS` cells. ``sheet_part`` is the sheet's part (default: every sheet)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip archive: the reader says what is wrong with it
    with archive:
        parts = archive.infolist()
        total = sum(part.file_size for part in parts)
        if total > MAX_UNCOMPRESSED:
            raise InputError(
                f"the workbook uncompresses to {total:,} bytes (more than {MAX_UNCOMPRESSED:,}); "
                "refusing to read it", Loc(path)
            )
        sheets = [p.filename for p in parts if p.filename.startswith("xl/worksheets/") and p.filename.endswith(".xml")]
        for name in sheets if sheet_part is None else [sheet_part]:
            if name in archive.namelist():
                _check_dimension(archive, name, path)


def _check_dimension(archive: zipfile.ZipFile, name: str, path: str) -> None:
    with archive.open(name) as stream:
        head = stream.read(64 * 1024)  # the dimension comes before the cells
    found = _DIMENSION.search(head)
    if not found or not found.group(3):
        return
    first_col, first_row, last_col, last_row = (g.decode("ascii") if g else None for g in found.groups())
    rows = int(last_row) - int(first_row or 1) + 1
    columns = column_number(last_col) - column_number(first_col or "A") + 1
    cells = max(rows, 0) * max(columns, 0)
    if cells > MAX_CELLS:
        span = f"{first_col or 'A'}{first_row or 1}:{last_col}{last_row}"
        raise InputError(
            f"sheet {name.rsplit('/', 1)[-1].removesuffix('.xml')!r} spans {span}, {cells:,} cells (more than "
            f"{MAX_CELLS:,}): is there a cell far from the data? Delete it, or export the sheet as CSV",
            Loc(path),
        )


def column_number(letters: str) -> int:
    """``A`` is 1, ``Z`` 26, ``AA`` 27, ``XFD`` 16,384."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


_TOO_BIG = re.compile(r"conversion from `f64` to `i64` failed in column '(.+?)'")


def locate_big_number(path: str, sheet: str, error: Exception) -> InputError | None:
    """The located error for a whole number beyond 64 bits that a reader could not convert
    (``1e300`` in a column of whole numbers), naming its row and column; None for other errors."""
    import polars as pl

    found = _TOO_BIG.search(str(error))
    if not found:
        return None
    column = found.group(1)
    try:
        values = pl.read_excel(path, engine="calamine", sheet_name=sheet, columns=[column],
                               schema_overrides={column: pl.Float64})[column]
    except Exception:
        return None
    beyond = (values.abs() >= 2.0**63).arg_true()
    if beyond.len() == 0:
        return None
    row = int(beyond[0]) + 1
    return InputError(
        f"row {row:,}, column {column!r}: the number {values[row - 1]:g} is beyond what 64 bits hold", Loc(path)
    )
