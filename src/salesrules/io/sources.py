"""What can be evaluated: a path, a polars or pandas frame, or a list of dicts, as a lazy frame."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..errors import InputError, Loc, UsageError


def to_lazy(data, options: dict) -> tuple[pl.LazyFrame, str]:
    """A lazy frame and a source name from a path, a polars or pandas frame, or a list of dicts."""
    from pathlib import Path

    if isinstance(data, pl.LazyFrame):
        return data, "<frame>"
    if isinstance(data, pl.DataFrame):
        return data.lazy(), "<frame>"
    if isinstance(data, (str, Path)) and (options.get("table") or options.get("query") or _is_database(str(data))):
        from .databases import read_database

        source = database_source(str(data), options.get("table"), options.get("query"))
        return read_database(source), source.name
    if isinstance(data, (str, Path)):
        from .inputs import ReadOptions, read_table

        read = ReadOptions(encoding=options.get("encoding") or "utf-8")
        return read_table(str(data), read, options.get("input_format")), str(data)
    if isinstance(data, list):
        return records_frame(data).lazy(), "<records>"
    if type(data).__module__.startswith("pandas"):
        return pl.from_pandas(data).lazy(), "<pandas>"
    raise UsageError(f"cannot evaluate {type(data).__name__}: pass a path, a polars or pandas frame, or a list of dicts")


def _is_database(text: str) -> bool:
    from .databases import is_database

    return is_database(text)


def database_source(uri: str, table: str | None, query: str | None):
    """The :class:`~salesrules.io.databases.DatabaseSource` of ``uri`` with ``--table`` or ``--query``."""
    from .databases import DatabaseSource, resolve

    if not _is_database(uri):
        raise UsageError(f"--table and --query read a database; {uri!r} is a file (pass sqlite:///... or postgresql://...)")
    ref = resolve(uri)
    if (table is None) == (query is None):
        raise UsageError(f"reading the database {ref.shown} needs --table NAME or --query SQL (one of them)")
    return DatabaseSource(ref, table=table, query=query)


def records_frame(records: list[dict]) -> pl.DataFrame:
    """A frame from dicts; a column whose values have mixed types is read as text."""
    columns: dict[str, list] = {}
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise UsageError(f"record {i + 1} is a {type(record).__name__}, not a dict")
        for k in record:
            columns.setdefault(str(k), [None] * len(records))
    if columns and all(type(k) is str and (v is None or type(v) is str) for r in records for k, v in r.items()):
        # Text only, as a CRM export gives it: built by rows, which is faster for a few records.
        return pl.from_dicts(records, schema=dict.fromkeys(columns, pl.String))
    for i, record in enumerate(records):
        for k, v in record.items():
            columns[str(k)][i] = v
    series = []
    for name, values in columns.items():
        kinds = {type(v) for v in values if v is not None}
        if len(kinds) > 1 and not kinds <= {int, float}:
            values = [None if v is None else str(v) for v in values]
        try:
            series.append(pl.Series(name, values, strict=False))
        except (TypeError, pl.exceptions.PolarsError):
            series.append(pl.Series(name, [None if v is None else str(v) for v in values]))
    # Records without any keys still count: a frame of no columns keeps its height.
    return pl.DataFrame(series, height=len(records)) if series else pl.DataFrame(height=len(records))


def _read_error(exc: Exception, data, source: str, encoding: str | None, input_format: str | None) -> InputError:
    """The located error for polars failing to read the input."""
    if isinstance(data, (str, Path)) and _is_database(str(data)):
        from .databases import database_error, resolve

        return database_error(resolve(str(data)), exc, "cannot read", source)
    if isinstance(data, (str, Path)):
        from .inputs import ReadOptions, diagnose

        return diagnose(str(data), ReadOptions(encoding=encoding or "utf-8"), input_format, exc)
    return InputError(f"cannot read input: {str(exc).splitlines()[0]}", Loc(source))


def _known_rows(data, frame: pl.LazyFrame, input_format: str | None) -> int | None:
    """The number of input records when it costs nothing to know: a frame in memory or a parquet file."""
    if isinstance(data, pl.DataFrame):
        return data.height
    if isinstance(data, list):
        return len(data)
    if isinstance(data, (str, Path)):
        name = str(data).lower()
        if input_format == "parquet" or (input_format is None and name.endswith((".parquet", ".pq"))):
            try:
                return pl.scan_parquet(str(data)).select(pl.len()).collect().item()
            except (pl.exceptions.PolarsError, OSError):
                return None
    return None
