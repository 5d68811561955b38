"""What ``evaluate`` and ``report`` check before writing to a database: the table may be written."""

from __future__ import annotations

from ..errors import Loc, UsageError


def check_database_output(output: str | None, output_table: str, if_exists: str, file: str, table: str | None,
                          fmt: str | None):
    """The :class:`~salesrules.io.databases.DatabaseRef` that ``-o`` names, or None for a file.

    Refuses, before any work: a ``--format`` with a database, a table the run would read from,
    an existing table with ``--if-exists fail``.
    """
    from ..io.databases import check_table, is_database, resolve

    if not is_database(output):
        return None
    ref = resolve(output)
    if fmt is not None:
        raise UsageError(f"-o {ref.shown} is a database: results go to a table, not a --format")
    if table is not None and table == output_table and is_database(file) and resolve(file).url == ref.url:
        raise UsageError(f"the output would overwrite the input table {table!r}; choose another --output-table",
                         Loc(ref.shown))
    check_table(ref, output_table, if_exists)
    return ref
