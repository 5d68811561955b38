"""Built-in readers of prospect files: csv, tsv, json, ndjson, parquet and xlsx.

CSV and TSV are scanned lazily with every column read as text (``pl.String``): the
engine coerces types itself and quotes the original text in its error messages. Polars
accepts some broken files silently or fails with messages that name no row, so the
readers check what polars does not:

* duplicate headers (polars renames the second ``id`` to ``id_duplicated_0``) are read
  from the header row with Python's csv module;
* the whole file is parsed once, streaming, when it is opened; when polars fails
  (too many fields in a row, an unterminated quote, invalid UTF-8) the file is parsed
  again with Python's csv module to find and name the row;
* blank lines become all-null rows in polars; they are dropped.

Text in another encoding than UTF-8 is transcoded in chunks to a temporary UTF-8 file
that lives until the interpreter exits (a LazyFrame reads its file only when
collected, so the reader cannot remove it); see :func:`salesrules.inputs.temporary_path`.
"""

from __future__ import annotations

import codecs
import csv
import json

import polars as pl

from salesrules.errors import InputError, Loc, shown
from salesrules.hookspecs import hookimpl
from salesrules.io.inputs import ReadOptions, first_line, temporary_path
from salesrules.io.line_ends import CHUNK_SIZE, SNIFF_SIZE, cr_line_ends, lone_carriage_return

ENCODING_HINT = "pass the file's encoding with --encoding (for example --encoding cp1252)"

# Files that are clearly not text, by their first bytes.
_SIGNATURES = (
    (b"PK\x03\x04", "a zip archive (an xlsx workbook?)"),
    (b"PAR1", "a parquet file"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel (xls) or other OLE file"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
)


def read_csv(path: str, options: ReadOptions) -> pl.LazyFrame:
    """Read a comma-separated file, every column as text."""
    return _read_delimited(path, options, ",")


def read_tsv(path: str, options: ReadOptions) -> pl.LazyFrame:
    """Read a tab-separated file, every column as text."""
    return _read_delimited(path, options, "\t")


def read_json(path: str, options: ReadOptions) -> pl.LazyFrame:
    """Read a JSON array of objects, one record per object."""
    return _read_json_text(path, options, _expect_json_array, pl.read_json, _json_error)


def read_ndjson(path: str, options: ReadOptions) -> pl.LazyFrame:
    """Read newline-delimited JSON: one object per line."""
    return _read_json_text(path, options, _expect_json_data, pl.read_ndjson, _ndjson_error)


def read_parquet(path: str, options: ReadOptions) -> pl.LazyFrame:
    """Scan a parquet file lazily, with its own column types."""
    try:
        # The footer is read here, so that a broken file fails at once, not later. (Not by
        # asking the scan for its schema: polars then reads a head of the file, such as the
        # first records salesrules evaluates first, ten times slower.)
        pl.read_parquet_schema(path)
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"not a readable parquet file: {first_line(exc)}", Loc(path)) from None
    return pl.scan_parquet(path, glob=False)


def read_xlsx(path: str, options: ReadOptions) -> pl.LazyFrame:
    """Read one worksheet of an xlsx workbook (``options.sheet`` by name, else the first)."""
    import logging

    import fastexcel

    from salesrules.io.workbooks import check_workbook, locate_big_number

    # fastexcel logs a warning for every empty column ("Could not determine dtype ... falling
    # back to string"); without logging set up Python prints it on stderr, next to our one
    # error line. Text is what salesrules wants anyway. A level set by the application stays.
    quiet = logging.getLogger("fastexcel")
    if quiet.level == logging.NOTSET:
        quiet.setLevel(logging.ERROR)

    check_workbook(path)  # a cell far from the data or a zip bomb would abort the reader
    try:
        workbook = fastexcel.read_excel(path)
    except Exception as exc:  # fastexcel raises its own error classes
        raise InputError(f"not a readable xlsx workbook: {first_line(exc)}", Loc(path)) from None
    sheet = _pick_sheet(workbook.sheet_names, options.sheet, path)
    header = workbook.load_sheet(sheet, header_row=None, n_rows=1).to_polars()
    if header.height == 0:
        raise InputError(f"sheet {shown(sheet)} is empty (no header row)", Loc(path))
    _check_unique_headers([_cell_text(v) for v in header.row(0)], path, None, f"in sheet {shown(sheet)} ")
    try:
        return pl.read_excel(path, engine="calamine", sheet_name=sheet).lazy()
    except Exception as exc:
        located = locate_big_number(path, sheet, exc)
        if located is None:
            raise
        raise located from None


@hookimpl
def register_input_formats(register):
    """Register the built-in readers and the extensions that select them."""
    register("csv", read_csv, extensions=(".csv",), diagnose=diagnose_csv)
    register("tsv", read_tsv, extensions=(".tsv",), diagnose=diagnose_tsv)
    register("json", read_json, extensions=(".json",))
    register("ndjson", read_ndjson, extensions=(".ndjson", ".jsonl"))
    register("parquet", read_parquet, extensions=(".parquet", ".pq"))
    register("xlsx", read_xlsx, extensions=(".xlsx",))


# --- CSV and TSV ------------------------------------------------------------------------


_BLANK = "__blank_line"


def _read_delimited(path: str, options: ReadOptions, separator: str) -> pl.LazyFrame:
    _check_text(path, options.encoding)
    source = _utf8_source(path, options.encoding)
    _read_header(source, path, separator)
    frame = pl.scan_csv(source, separator=separator, infer_schema=False, glob=False)
    # polars reads a blank line as a row of nulls; such rows are not records. The flag is a
    # column of its own so that the filter stays out of the scan: pushed into it, a filter over
    # every column takes time quadratic in the number of columns (a minute for 1,000).
    flag = _BLANK
    while flag in frame.collect_schema():  # never the name of a column of the file
        flag += "_"
    blank = pl.all_horizontal(pl.all().is_null()).alias(flag)
    return frame.with_columns(blank).filter(~pl.col(flag)).drop(flag)


def diagnose_csv(path: str, options: ReadOptions, error: Exception) -> InputError:
    """Locate a row polars failed on while reading (too many fields, an unterminated quote...)."""
    return _diagnose_delimited(path, options, error, ",")


def diagnose_tsv(path: str, options: ReadOptions, error: Exception) -> InputError:
    """Locate a row polars failed on while reading a tab-separated file."""
    return _diagnose_delimited(path, options, error, "\t")


def _diagnose_delimited(path: str, options: ReadOptions, error: Exception, separator: str) -> InputError:
    source = _utf8_source(path, options.encoding)
    width = len(_read_header(source, path, separator))
    return _locate_csv_problem(source, path, separator, width, error)


def _read_header(source: str, path: str, separator: str) -> list[str]:
    """The first non-blank record, checked for duplicate names; polars skips blank lines before it too."""
    with open(source, encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream, delimiter=separator, strict=True)
        try:
            header = next((record for record in reader if record), None)
        except csv.Error as exc:
            raise InputError(f"malformed header row: {exc}", Loc(path, reader.line_num)) from None
        except UnicodeDecodeError:
            raise _decode_error(path, "utf-8") from None
    if header is None:
        raise InputError("no header row (the file holds only blank lines)", Loc(path))
    _check_unique_headers(header, path, reader.line_num)
    return header


def _check_unique_headers(names: list[str], path: str, line: int | None, where: str = "") -> None:
    seen: dict[str, int] = {}
    for number, name in enumerate(names, 1):
        if name in seen:
            raise InputError(
                f"duplicate column header {shown(name)} {where}(columns {seen[name]} and {number})",
                Loc(path, line),
            )
        seen[name] = number


def _locate_csv_problem(source: str, path: str, separator: str, width: int, error: Exception) -> InputError:
    """Find the row polars failed on by parsing the file with Python's csv module."""
    row = 0
    try:
        with open(source, encoding="utf-8-sig", newline="") as stream:
            reader = csv.reader(stream, delimiter=separator, strict=True)
            header_seen = False
            while True:
                start = reader.line_num + 1
                try:
                    record = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    return _csv_error(exc, path, start, row + 1 if header_seen else 0)
                if not record:
                    continue
                if not header_seen:
                    header_seen = True
                    continue
                row += 1
                if len(record) > width:
                    return InputError(
                        f"data row {row} has {len(record)} fields but the header has {width}",
                        Loc(path, start),
                    )
    except UnicodeDecodeError:
        return _decode_error(path, "utf-8")
    lone = lone_carriage_return(source)
    if lone is not None:
        return InputError("a line ends in a carriage return alone, others in a line feed: mixed line "
                          "endings; save the file with one kind of line end", Loc(path, lone))
    return InputError(f"cannot parse as CSV: {first_line(error)}", Loc(path))


def _csv_error(error: csv.Error, path: str, line: int, row: int) -> InputError:
    what = f"data row {row}" if row else "the header row"
    message = str(error)
    if "unexpected end of data" in message:
        message = f"unterminated quoted field: a quote opened in {what} is never closed"
        return InputError(message, Loc(path, line))
    if "field larger than field limit" in message:
        return InputError(
            f"a field in {what} is longer than {csv.field_size_limit()} characters (an unterminated quote?)",
            Loc(path, line),
        )
    return InputError(f"malformed {what}: {message}", Loc(path, line))


# --- Encodings ----------------------------------------------------------------------------


def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def _check_text(path: str, encoding: str) -> None:
    """Reject files whose first bytes show they are not text in ``encoding``."""
    with open(path, "rb") as stream:
        head = stream.read(SNIFF_SIZE)
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            message = f"looks like {what}, not {encoding} text; pass --input-format if it is xlsx or parquet"
            raise InputError(message, Loc(path))
    if _is_utf8(encoding) and head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError("starts with a UTF-16 byte order mark; pass --encoding utf-16", Loc(path))
    wide = codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
    if b"\x00" in head and not wide:
        message = f"looks like a binary file (it contains NUL bytes), not {encoding} text; {ENCODING_HINT}"
        raise InputError(message, Loc(path))


def _utf8_source(path: str, encoding: str) -> str:
    """``path`` itself when it is UTF-8 with LF or CRLF line ends, else a temporary UTF-8 copy
    with LF line ends: polars reads a file whose lines end in CR alone (the old Mac "CSV
    (Macintosh)" export) as one line, a header without records."""
    cr_only = cr_line_ends(path)
    if _is_utf8(encoding) and not cr_only:
        return path
    return _transcode(path, encoding, cr_only)


def _transcode(path: str, encoding: str, cr_only: bool = False) -> str:
    """Copy ``path`` to a temporary UTF-8 file chunk by chunk, dropping a leading BOM; with
    ``cr_only``, each CR becomes a line feed."""
    target = temporary_path(".utf8")
    decoder = codecs.getincrementaldecoder(encoding)()
    at_start = True
    try:
        with open(path, "rb") as source, open(target, "w", encoding="utf-8", newline="") as copy:
            while chunk := source.read(CHUNK_SIZE):
                text = decoder.decode(chunk)
                if at_start and text:
                    text, at_start = text.removeprefix("\ufeff"), False
                copy.write(text.replace("\r", "\n") if cr_only else text)
            copy.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        raise _decode_error(path, encoding) from None
    return target


def _decode_error(path: str, encoding: str) -> InputError:
    """The InputError for the first undecodable byte of ``path``, with its line."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with open(path, "rb") as stream:
        while piece := stream.readline(SNIFF_SIZE):
            try:
                line += decoder.decode(piece).count("\n")
            except UnicodeDecodeError as exc:
                bad = " ".join(f"0x{byte:02x}" for byte in exc.object[exc.start : exc.end])
                message = f"cannot decode byte {bad} as {encoding} text; {ENCODING_HINT}"
                return InputError(message, Loc(path, line))
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            message = f"the file ends inside a {encoding} character; {ENCODING_HINT}"
            return InputError(message, Loc(path, line))
    return InputError(f"not valid {encoding} text; {ENCODING_HINT}", Loc(path))


# --- JSON -----------------------------------------------------------------------------------


def _read_json_text(path: str, options: ReadOptions, expect, read, locate) -> pl.LazyFrame:
    """Read with the polars reader ``read`` once ``expect`` has checked how the text starts.

    Where polars fails, ``locate`` parses the text again with Python to say where and why.
    """
    source = _utf8_source(path, options.encoding)
    expect(source, path)
    try:
        frame = read(source, infer_schema_length=None)
    except pl.exceptions.PolarsError as exc:
        raise locate(source, path, exc) from None
    return frame.lazy()


def _expect_json_data(source: str, path: str) -> bytes:
    """The first bytes of the JSON text; an error when there are none but whitespace."""
    with open(source, "rb") as stream:
        head = stream.read(SNIFF_SIZE).removeprefix(codecs.BOM_UTF8).lstrip()
        while not head:
            chunk = stream.read(CHUNK_SIZE)
            if not chunk:
                raise InputError("no JSON data (the file holds only whitespace)", Loc(path))
            head = chunk.lstrip()
    return head


def _expect_json_array(source: str, path: str) -> None:
    head = _expect_json_data(source, path)
    if not head.startswith(b"["):
        raise InputError(
            "expected a JSON array of objects ([{...}, ...]); use --format ndjson for one object per line",
            Loc(path, 1),
        )


class _BadNumber(ValueError):
    """A JSON number or constant that polars cannot hold (1e400, NaN, Infinity)."""


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _BadNumber(f"the number {text} is out of range")
    return value


def _parse_constant(text: str):
    raise _BadNumber(f"{text} is not valid JSON (write null or a number)")


def _loads(text: str):
    return json.loads(text, parse_float=_parse_float, parse_constant=_parse_constant)


def _json_error(source: str, path: str, error: Exception) -> InputError:
    """Locate what polars rejected by parsing with Python's json module (failures only)."""
    try:
        with open(source, encoding="utf-8-sig") as stream:
            data = _loads(stream.read())
    except json.JSONDecodeError as exc:
        return InputError(f"invalid JSON: {exc.msg}", Loc(path, exc.lineno, exc.colno))
    except _BadNumber as exc:
        return InputError(str(exc), Loc(path))
    except UnicodeDecodeError:
        return _decode_error(path, "utf-8")
    items = data if isinstance(data, list) else []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            return InputError(f"item {number} of the array is {_json_kind(item)}, not an object", Loc(path))
    conflict = _first_conflict((f"item {number}", item) for number, item in enumerate(items, 1))
    if conflict:
        return InputError(conflict, Loc(path))
    return InputError(f"cannot read JSON: {first_line(error)}", Loc(path))


def _ndjson_error(source: str, path: str, error: Exception) -> InputError:
    records = []
    try:
        with open(source, encoding="utf-8-sig") as stream:
            for number, line in enumerate(stream, 1):
                if not line.strip():
                    continue
                try:
                    item = _loads(line)
                except json.JSONDecodeError as exc:
                    return InputError(f"invalid JSON: {exc.msg}", Loc(path, number, exc.colno))
                except _BadNumber as exc:
                    return InputError(str(exc), Loc(path, number))
                if not isinstance(item, dict):
                    return InputError(f"line holds {_json_kind(item)}, not a JSON object", Loc(path, number))
                records.append((number, item))
    except UnicodeDecodeError:
        return _decode_error(path, "utf-8")
    lines = {f"line {number}": number for number, _ in records}
    conflict = _first_conflict((f"line {number}", item) for number, item in records)
    if conflict:
        where = conflict.split(":", 1)[0]
        return InputError(conflict.split(": ", 1)[1], Loc(path, lines.get(where)))
    return InputError(f"cannot read NDJSON: {first_line(error)}", Loc(path))


def _json_kind(value) -> str:
    kinds = {list: "an array", str: "a string", bool: "a boolean", type(None): "null", dict: "an object"}
    return kinds.get(type(value), "a number")


def _shape(value):
    """What polars needs to agree on across records: the kind of a value, and of what it holds."""
    if value is None:
        return None
    if isinstance(value, list):
        inner = next((s for s in map(_shape, value) if s is not None), None)
        return ("an array", inner)
    if isinstance(value, dict):
        return ("an object", None)
    return (_json_kind(value), None)


def _compatible(a, b) -> bool:
    if a is None or b is None or a == b:
        return True
    if a[0] == b[0] == "an array":
        return _compatible(a[1], b[1])
    scalars = {"a string", "a number", "a boolean"}
    # polars reads a column of text mixed with numbers or booleans as text.
    return a[0] in scalars and b[0] in scalars and "a string" in (a[0], b[0])


def _describe_shape(shape) -> str:
    if shape is None:
        return "null"
    kind, inner = shape
    if inner is None:
        return kind
    return f"{kind} of {inner[0].removeprefix('a ').removeprefix('an ')}s"


def _first_conflict(records) -> str | None:
    """``"<where>: ..."`` for the first record whose value for a key cannot share a column with an earlier one."""
    seen: dict = {}
    for where, record in records:
        for key, value in record.items():
            shape = _shape(value)
            if shape is None:
                continue
            if key not in seen:
                seen[key] = (where, shape)
                continue
            first_where, first_shape = seen[key]
            if not _compatible(first_shape, shape):
                return (f"{where}: {shown(key)} is {_describe_shape(shape)} here but {_describe_shape(first_shape)} "
                        f"in {first_where}; a column must hold one kind of value")
    return None


# --- XLSX -----------------------------------------------------------------------------------


def _pick_sheet(names: list[str], wanted: str | None, path: str) -> str:
    if not names:
        raise InputError("the workbook has no worksheets", Loc(path))
    if wanted is None:
        return names[0]
    if wanted not in names:
        raise InputError(f"no sheet named {wanted!r}; sheets: {', '.join(map(shown, names))}", Loc(path))
    return wanted


def _cell_text(value) -> str:
    return "" if value is None else str(value)
