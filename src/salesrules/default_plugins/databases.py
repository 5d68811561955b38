"""The built-in databases: SQLite (embedded, a file) and PostgreSQL, both through ADBC.

``sqlite:///prospects.db`` is the file ``prospects.db`` relative to the working directory and
``sqlite:////srv/data/prospects.db`` an absolute path; a path ending in ``.db``, ``.sqlite`` or
``.sqlite3`` is a SQLite database too. ``postgresql://`` URIs are libpq's own: the user,
password, host (a unix-socket directory with ``?host=/run/pg``), port and database may come
from the URI, or from libpq's environment (``PGHOST``, ``PGPASSWORD``...) and ``~/.pgpass``.

The drivers are the ``adbc-driver-sqlite`` and ``adbc-driver-postgresql`` packages
(``pip install 'salesrules[databases]'``), imported only when a database is used.
"""

from __future__ import annotations

import re

from salesrules.errors import InputError, Loc
from salesrules.hookspecs import hookimpl

SQLITE_EXTENSIONS = (".db", ".sqlite", ".sqlite3")


def sqlite_path(url: str) -> str:
    """The file a ``sqlite:`` URI names: ``sqlite:///a.db`` is ``a.db``, ``sqlite:////abs/a.db`` is ``/abs/a.db``."""
    match = re.match(r"(?i)^sqlite:(?://)?(.*)$", url)
    rest = match.group(1) if match else url
    if rest.startswith("/"):
        rest = rest[1:]  # the empty host of sqlite:///
    return rest.split("?", 1)[0]


def connect_sqlite(url: str):
    """An ADBC connection to the SQLite file of ``url`` (created when written to)."""
    import os

    import adbc_driver_sqlite.dbapi

    path = sqlite_path(url)
    if not path or path == ":memory:":
        raise InputError("a SQLite URI names a file: sqlite:///prospects.db", Loc(url))
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise InputError(f"directory {os.path.dirname(path)!r} does not exist", Loc(url))
    return adbc_driver_sqlite.dbapi.connect(path)


def retype_sqlite(connection, sql: str) -> tuple[str, int]:
    """``sql`` read so that each column has one type in every batch, and the rows to skip.

    SQLite's columns may hold values of several kinds, and the driver takes a column's type
    from its first values. One pass over the query finds each column's kinds: whole numbers
    mixed with decimals are read as decimals, any other mix as text (typed like CSV text). A
    first row of values of the right types (skipped when read) settles the types even when a
    column starts with nulls.
    """
    from salesrules.io.databases import quote

    cursor = connection.cursor()
    try:
        cursor.execute(f"SELECT * FROM ({sql}) LIMIT 0")
        names = [d[0] for d in cursor.description]
        if not names:
            return sql, 0
        kinds = ", ".join(f"group_concat(DISTINCT typeof({quote(n)}))" for n in names)
        cursor.execute(f"SELECT {kinds} FROM ({sql})")
        found = cursor.fetchone()
    finally:
        cursor.close()
    firsts, columns = [], []
    for i, (name, seen) in enumerate(zip(names, found)):
        types = set((seen or "").split(",")) - {"null", ""}
        kind = {frozenset({"integer"}): "INTEGER", frozenset({"real"}): "REAL", frozenset({"integer", "real"}): "REAL",
                frozenset({"blob"}): "BLOB"}.get(frozenset(types), "TEXT")
        first = {"INTEGER": "0", "REAL": "0.5", "BLOB": "x''", "TEXT": "''"}[kind]
        firsts.append(f"{first} AS {quote(name)}")
        columns.append(f"CAST(c{i} AS {kind})" if kind in ("TEXT", "REAL") else f"c{i}")
    renamed = ", ".join(f"{quote(n)} AS c{i}" for i, n in enumerate(names))
    typed = ", ".join(f"{c} AS {quote(n)}" for c, n in zip(columns, names))
    return f"SELECT {', '.join(firsts)} UNION ALL SELECT {typed} FROM (SELECT {renamed} FROM ({sql}))", 1


def connect_postgresql(url: str):
    """An ADBC connection to PostgreSQL; ``postgres://`` is accepted as ``postgresql://``."""
    import adbc_driver_postgresql.dbapi

    if url.lower().startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    return adbc_driver_postgresql.dbapi.connect(url)


@hookimpl
def register_databases(register):
    """Register ``sqlite`` (``sqlite:``, ``.db``, ``.sqlite``, ``.sqlite3``) and ``postgresql``."""
    register("sqlite", connect_sqlite, schemes=("sqlite",), extensions=SQLITE_EXTENSIONS, retype=retype_sqlite)
    register("postgresql", connect_postgresql, schemes=("postgresql", "postgres"))
