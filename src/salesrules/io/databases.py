"""Records from database tables or queries, and results written back as tables.

A database is named by a URI (``sqlite:///prospects.db``, ``postgresql://user@host/db``) or by
a file path with a database extension (``prospects.db``); ``database:`` stands for the URI in
``SALESRULES_DATABASE_URL``. The databases that plugins register (``register_databases``)
provide a DB-API connection with the ADBC extensions; reading and writing go through it:

* :func:`read_database` reads a table or a query lazily, in batches, with the database's column
  types where it has them (SQLite columns holding values of several kinds are read as text, to
  be typed like CSV text);
* :func:`write_table` writes a frame in one transaction: ``fail`` refuses an existing table,
  ``append`` adds to it, ``replace`` fills a new table and swaps it in, so a failed or
  interrupted run leaves the table exactly as it was.

A password never leaves this module: :func:`masked` shows a URI with ``***`` in its place and
every message from a driver is scrubbed of it.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from dataclasses import dataclass
from typing import Iterator

import polars as pl

from ..errors import InputError, Loc, SalesrulesError, UsageError, did_you_mean

ENVIRONMENT_URL = "SALESRULES_DATABASE_URL"
ENVIRONMENT_REF = "database:"
IF_EXISTS = ("fail", "replace", "append")
BATCH_ROWS = 100_000
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_MASK = "***"


@dataclass(frozen=True)
class DatabaseRef:
    """A database as a command names it: ``url`` (credentials included, never shown),
    ``shown`` (the same with the password masked) and the registered ``database``."""

    url: str
    shown: str
    database: object

    @property
    def secrets(self) -> tuple[str, ...]:
        """The texts that must not appear in a message: the password, raw and decoded."""
        return _secrets(self.url)


@dataclass(frozen=True)
class DatabaseSource:
    """Records to read from a database: a ``table`` or a ``query`` (exactly one)."""

    ref: DatabaseRef
    table: str | None = None
    query: str | None = None

    @property
    def name(self) -> str:
        """How messages name the source: the masked URI and the table (or ``query``)."""
        return f"{self.ref.shown} table {self.table}" if self.table else f"{self.ref.shown} query"


def _databases() -> dict:
    from ..plugins import get_registry

    return get_registry().databases


def database_for(text: str | None):
    """The registered database that ``text`` (a URI or a path) names, or None for a file."""
    if not text or text == "-":
        return None
    if text == ENVIRONMENT_REF:
        url = os.environ.get(ENVIRONMENT_URL)
        if not url:
            raise UsageError(f"{ENVIRONMENT_REF} names the database in {ENVIRONMENT_URL}, which is not set")
        return database_for(url)
    match = _SCHEME.match(text)
    databases = [item for _, item in _databases().every()]
    if match and len(match.group(1)) > 1:  # one letter is a Windows drive
        scheme = match.group(1).lower()
        for database in databases:
            if scheme in database.schemes:
                return database
        if text[match.end():].startswith("//"):
            known = sorted(s for d in databases for s in d.schemes)
            raise UsageError(f"unknown database scheme {scheme!r}{did_you_mean(scheme, known)}; known: {', '.join(known)}")
        return None
    extension = os.path.splitext(text)[1].lower()
    for database in databases:
        if extension and extension in database.extensions:
            return database
    return None


def is_database(text: str | None) -> bool:
    """Whether ``text`` names a database rather than a file."""
    return database_for(text) is not None


def resolve(text: str) -> DatabaseRef:
    """The :class:`DatabaseRef` that ``text`` names (a UsageError when it names none)."""
    database = database_for(text)
    if database is None:
        raise UsageError(f"{masked(text)!r} is not a database URI")
    url = os.environ[ENVIRONMENT_URL] if text == ENVIRONMENT_REF else text
    if not _SCHEME.match(url) or len(_SCHEME.match(url).group(1)) == 1:
        url = f"{database.schemes[0]}:///{url}"  # a path with a database extension
    return DatabaseRef(url, masked(url), database)


def masked(url: str) -> str:
    """``url`` with its password (in the user part or a ``password=`` parameter) shown as ``***``."""
    text = re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://[^/@?#]*?:)[^/@?#]*@", lambda m: m.group(1) + _MASK + "@", url)
    return re.sub(r"(?i)([?&]password=)[^&#]*", lambda m: m.group(1) + _MASK, text)


def _secrets(url: str) -> tuple[str, ...]:
    found = []
    user = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/@?#]*?:([^/@?#]*)@", url)
    if user and user.group(1):
        found.append(user.group(1))
    found += re.findall(r"(?i)[?&]password=([^&#]*)", url)
    decoded = [urllib.parse.unquote(s) for s in found]
    return tuple(s for s in dict.fromkeys(found + decoded) if s)


def scrub(message: str, ref: DatabaseRef) -> str:
    """``message`` with the URI masked and every trace of the password replaced by ``***``."""
    message = message.replace(ref.url, ref.shown)
    for secret in sorted(ref.secrets, key=len, reverse=True):
        message = message.replace(secret, _MASK)
    return message


def _first_line(error: BaseException) -> str:
    for line in str(error).splitlines():
        if line.strip():
            return line.strip()
    return type(error).__name__


def database_error(ref: DatabaseRef, error: BaseException, what: str, where: str | None = None) -> InputError:
    """One line for a driver's ``error``: what failed, the driver's reason, without the password."""
    reason = scrub(_first_line(error), ref)
    reason = re.sub(r"^(?:[A-Z_]+: )?\[[^\]]*\]\s*", "", reason)  # the driver's own tags, "IO: [libpq]"
    return InputError(f"{what}: {reason}", Loc(where or ref.shown))


def connect(ref: DatabaseRef):
    """An open DB-API connection to ``ref``, autocommit off; every failure as one masked InputError."""
    try:
        return ref.database.connect(ref.url)
    except SalesrulesError as exc:
        raise type(exc)(scrub(exc.message, ref), exc.loc) from None
    except ImportError as exc:
        raise UsageError(
            f"the {ref.database.name} database needs the {exc.name or 'driver'} package: "
            "pip install 'salesrules[databases]'"
        ) from None
    except Exception as exc:
        raise database_error(ref, exc, "cannot connect") from None


# --- Reading -----------------------------------------------------------------------------------


def quote(name: str) -> str:
    """``name`` as an SQL identifier, quoted (``"my table"``): a table of exactly that name, as
    the bulk insert names it too (a table in another schema is read with ``--query``)."""
    return '"' + name.replace('"', '""') + '"'


def source_query(source: DatabaseSource) -> str:
    """The SQL that reads ``source``."""
    if source.query is not None:
        return source.query.strip().rstrip(";")
    return f"SELECT * FROM {quote(source.table)}"


def read_database(source: DatabaseSource, batch_rows: int = BATCH_ROWS) -> pl.LazyFrame:
    """``source`` as a LazyFrame that reads it batch by batch when collected.

    The columns and their types are settled here, once: a table that does not exist or a
    query that fails is an InputError now, not later.
    """
    from polars.io.plugins import register_io_source

    ref = source.ref
    sql, skip = _typed_query(source)
    with _connection(ref) as connection:
        schema = _schema(connection, sql, source)

    def batches(with_columns, predicate, n_rows, batch_size) -> Iterator[pl.DataFrame]:
        with _connection(ref) as connection:
            cursor = connection.cursor()
            try:
                cursor.execute(sql)
                reader = cursor.fetch_record_batch()
                left, skipped = n_rows, skip
                for batch in reader:
                    frame = pl.DataFrame(pl.from_arrow(_plain(batch)))
                    if skipped:
                        frame, skipped = frame.slice(skipped), max(0, skipped - frame.height)
                    if frame.schema != schema:
                        frame = _conform(frame, schema, source)
                    if with_columns is not None:
                        frame = frame.select(with_columns)
                    if predicate is not None:
                        frame = frame.filter(predicate)
                    if left is not None:
                        frame = frame.head(left)
                        left -= frame.height
                    yield frame
                    if left is not None and left <= 0:
                        break
            except SalesrulesError:
                raise
            except Exception as exc:
                raise database_error(ref, exc, f"cannot read {'table ' + repr(source.table) if source.table else 'the query'}") from None
            finally:
                cursor.close()

    return register_io_source(batches, schema=schema)


class _connection:
    """A connection as a context manager that closes it (and rolls back what was not committed)."""

    def __init__(self, ref: DatabaseRef):
        self.ref = ref
        self.connection = None

    def __enter__(self):
        self.connection = connect(self.ref)
        return self.connection

    def __exit__(self, *exc):
        try:
            self.connection.rollback()
        except Exception:
            pass
        try:
            self.connection.close()
        except Exception:
            pass


def _typed_query(source: DatabaseSource) -> tuple[str, int]:
    """The query, rewritten by the database plugin where its column types need it (SQLite),
    and the number of leading rows it adds."""
    sql = source_query(source)
    retype = getattr(source.ref.database, "retype", None)
    if retype is None:
        return sql, 0
    with _connection(source.ref) as connection:
        try:
            return retype(connection, sql)
        except Exception as exc:
            raise _read_failure(source, exc) from None


def _schema(connection, sql: str, source: DatabaseSource) -> pl.Schema:
    cursor = connection.cursor()
    # The types of the first row: a driver may take them from the values (SQLite's does), and the
    # whole result is not needed to learn them.
    sql = f"SELECT * FROM ({sql}) AS salesrules_query LIMIT 1"
    try:
        cursor.execute(sql)
        reader = cursor.fetch_record_batch()
        arrow = reader.schema
    except Exception as exc:
        raise _read_failure(source, exc) from None
    finally:
        cursor.close()
    return pl.DataFrame(pl.from_arrow(_plain(arrow.empty_table()))).schema


def _conform(frame: pl.DataFrame, schema: pl.Schema, source: DatabaseSource) -> pl.DataFrame:
    """``frame`` with the column types of the first rows; a value that does not fit is an error,
    never a silent null."""
    for name, dtype in schema.items():
        if frame.schema[name] == dtype:
            continue
        try:
            frame = frame.with_columns(pl.col(name).cast(dtype, strict=True))
        except pl.exceptions.PolarsError:
            raise InputError(
                f"column {name!r} holds {frame.schema[name]} values where its first rows were {dtype}; "
                "cast it to one type in --query", Loc(source.name)
            ) from None
    return frame


def _plain(data):
    """Arrow data with extension columns (PostgreSQL's ``numeric``) as their storage (text)."""
    import pyarrow as pa

    if not any(isinstance(f.type, pa.ExtensionType) for f in data.schema):
        return data
    columns = [c.storage if isinstance(c.type, pa.ExtensionType) else c for c in data.columns]
    if isinstance(data, pa.RecordBatch):
        return pa.RecordBatch.from_arrays(columns, names=data.schema.names)
    columns = [pa.chunked_array([a.storage for a in c.chunks], type=c.type.storage_type)
               if isinstance(c.type, pa.ExtensionType) else c for c in data.columns]
    return pa.Table.from_arrays(columns, names=data.schema.names)


def _read_failure(source: DatabaseSource, exc: Exception) -> InputError:
    if source.table is not None and re.search(r"no such table|does not exist", str(exc), re.I):
        return InputError(f"no table {source.table!r}", Loc(source.ref.shown))
    return database_error(source.ref, exc, f"cannot read {'table ' + repr(source.table) if source.table else 'the query'}")


# --- Writing -----------------------------------------------------------------------------------


def table_exists(connection, table: str) -> bool:
    """Whether ``table`` exists in the database of ``connection``."""
    try:
        connection.adbc_get_table_schema(table)
        return True
    except Exception:
        connection.rollback()  # a failed statement spoils the transaction on PostgreSQL
        return False


def check_table(ref: DatabaseRef, table: str, if_exists: str) -> None:
    """Refuse, before any work, to write ``table`` when it exists and ``if_exists`` is ``fail``."""
    if if_exists not in IF_EXISTS:
        raise UsageError(f"--if-exists must be one of {', '.join(IF_EXISTS)}, not {if_exists!r}")
    if if_exists != "fail":
        return
    with _connection(ref) as connection:
        if table_exists(connection, table):
            raise _exists_error(ref, table)


def _exists_error(ref: DatabaseRef, table: str) -> UsageError:
    return UsageError(
        f"table {table!r} already exists; pass --if-exists replace or --if-exists append", Loc(ref.shown)
    )


def write_table(ref: DatabaseRef, table: str, frame: pl.DataFrame | pl.LazyFrame, if_exists: str = "fail") -> int:
    """Write ``frame`` to ``table`` in one transaction and return the number of rows written.

    ``fail``: an existing table is an error; ``append``: rows are added (the table is created
    when missing); ``replace``: a new table is filled under another name, then the old one is
    dropped and the new one renamed, all before the one commit.
    """
    return write_tables(ref, {table: frame}, if_exists)


def write_tables(ref: DatabaseRef, tables: dict[str, pl.DataFrame | pl.LazyFrame], if_exists: str = "fail") -> int:
    """Write several tables in one transaction (see :func:`write_table`); the rows written in all."""
    if if_exists not in IF_EXISTS:
        raise UsageError(f"--if-exists must be one of {', '.join(IF_EXISTS)}, not {if_exists!r}")
    written = 0
    with _connection(ref) as connection:
        cursor = connection.cursor()
        try:
            # Every check before the first write: a failed check may roll the transaction back.
            existing = {name for table in tables for name in (table, _new_name(table)) if table_exists(connection, name)}
            for table in tables:
                if table in existing and if_exists == "fail":
                    raise _exists_error(ref, table)
            for table, frame in tables.items():
                exists = table in existing
                target = _new_name(table) if exists and if_exists == "replace" else table
                if target != table and target in existing:
                    cursor.execute(f"DROP TABLE {quote(target)}")
                mode = "append" if exists and if_exists == "append" else "create"
                written += _ingest(cursor, target, frame, mode)
                if target != table:
                    cursor.execute(f"DROP TABLE {quote(table)}")
                    cursor.execute(f"ALTER TABLE {quote(target)} RENAME TO {quote(table)}")
            connection.commit()
        except SalesrulesError:
            raise
        except Exception as exc:
            raise database_error(ref, exc, f"cannot write table {', '.join(map(repr, tables))}") from None
        finally:
            cursor.close()
    return written


def _new_name(table: str) -> str:
    """The name a replacing table is filled under before it is swapped in."""
    return f"{table}__salesrules_new"


def _ingest(cursor, table: str, frame: pl.DataFrame | pl.LazyFrame, mode: str) -> int:
    """Stream ``frame`` into ``table`` batch by batch (bulk copy where the driver has one)."""
    import pyarrow as pa

    lazy = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    schema = _arrow_schema(lazy.collect_schema())
    count = [0]

    def arrow_batches():
        for batch in lazy.collect_batches(chunk_size=BATCH_ROWS):
            count[0] += batch.height
            table_ = batch.to_arrow(compat_level=pl.CompatLevel.oldest()).cast(schema)
            yield from table_.to_batches()

    reader = pa.RecordBatchReader.from_batches(schema, arrow_batches())
    cursor.adbc_ingest(table, reader, mode=mode)
    return count[0]


def _arrow_schema(schema: pl.Schema):
    """The Arrow schema a table is created with: a column of nulls only becomes text."""
    kept = {name: pl.String if dtype == pl.Null else dtype for name, dtype in schema.items()}
    return pl.DataFrame(schema=kept).to_arrow(compat_level=pl.CompatLevel.oldest()).schema


def results_table(frame: pl.DataFrame | pl.LazyFrame, context) -> pl.DataFrame | pl.LazyFrame:
    """Results as a table stores them: lists as text joined by ``; `` (as in CSV), the
    provenance as four trailing columns."""
    from .outputs import text_frame, with_provenance_columns

    return with_provenance_columns(text_frame(frame, "; "), context)



def report_tables(report, prefix: str, context) -> dict[str, pl.DataFrame]:
    """A report's sections as tables named ``PREFIX_SECTION``, each with the provenance columns."""
    from .outputs import with_provenance_columns

    return {f"{prefix}_{name}": with_provenance_columns(frame, context) for name, frame in report.sections().items()}
