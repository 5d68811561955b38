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

_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3}\d+):([A-Z]{1,3}\d+)"')


def check_workbook(path: str) -> None:
    """Refuse a workbook that would take unbounded memory to read: parts that uncompress to
    more than :data:`MAX_UNCOMPRESSED`, or a sheet whose declared used range spans more than
    :data:`MAX_CELLS` cells."""
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
        for part in parts:
            if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
                _check_dimension(archive, part.filename, path)


def _check_dimension(archive: zipfile.ZipFile, name: str, path: str) -> None:
    from xlsxwriter.utility import xl_cell_to_rowcol

    with archive.open(name) as stream:
        head = stream.read(64 * 1024)  # the dimension comes before the cells
    found = _DIMENSION.search(head)
    if not found:
        return  # a single cell, or no dimension: nothing declared to size a grid by
    first, last = (cell.decode("ascii") for cell in found.groups())
    (top, left), (bottom, right) = xl_cell_to_rowcol(first), xl_cell_to_rowcol(last)
    cells = max(bottom - top + 1, 0) * max(right - left + 1, 0)
    if cells > MAX_CELLS:
        raise InputError(
            f"sheet {name.rsplit('/', 1)[-1].removesuffix('.xml')!r} spans {first}:{last}, {cells:,} cells (more than "
            f"{MAX_CELLS:,}): is there a cell far from the data? Delete it, or export the sheet as CSV",
            Loc(path),
        )


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
