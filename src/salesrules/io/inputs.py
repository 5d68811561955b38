"""Read prospect files into polars LazyFrames.

:func:`read_table` picks a reader (an input format registered through the
``register_input_formats`` hook) by explicit name or by file extension, checks the
problems every format shares (missing file, directory, permission, empty file) and turns
whatever a reader raises into an :class:`~salesrules.errors.InputError` with a one-line
message. ``-`` reads standard input.

Readers report problems with ``Loc(path, line)`` and messages that do not repeat the
path, so errors for standard input can be relabelled ``<stdin>``.
"""

from __future__ import annotations

import atexit
import codecs
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass

import polars as pl

from ..errors import InputError, Loc, SalesrulesError, UsageError

STDIN = "-"
STDIN_NAME = "<stdin>"
DEFAULT_STDIN_FORMAT = "csv"


@dataclass
class ReadOptions:
    """How to read a prospect file: its text ``encoding`` and, for workbooks, the ``sheet`` name."""

    encoding: str = "utf-8"
    sheet: str | None = None


def read_table(path: str, options: ReadOptions | None = None, format: str | None = None) -> pl.LazyFrame:
    """Read ``path`` (``-`` for standard input) as a LazyFrame.

    ``format`` names an input format; without it the file extension decides (standard
    input defaults to csv). Every problem is raised as an :class:`InputError` (or a
    :class:`UsageError` for an unknown format or encoding).
    """
    options = options or ReadOptions()
    _check_encoding(options.encoding)
    if path == STDIN:
        return _read_stdin(options, format or DEFAULT_STDIN_FORMAT)
    _check_file(path)
    name = format or input_format_for(path)
    return _run_reader(name, path, options)


def input_format_for(path: str) -> str:
    """The input format that reads ``path``, by its extension (case-insensitive)."""
    if path == STDIN:
        return DEFAULT_STDIN_FORMAT
    by_extension = _formats_by_extension()
    extension = os.path.splitext(path)[1].lower()
    if extension in by_extension:
        return by_extension[extension]
    known = ", ".join(f"{ext} ({name})" for ext, name in by_extension.items())
    what = f"unknown file extension {extension!r}" if extension else "no file extension"
    raise InputError(f"{what}; known input formats: {known}; or pass --input-format", Loc(path))


def temporary_path(suffix: str = "") -> str:
    """A new empty temporary file, removed when the interpreter exits.

    LazyFrames read their file when collected, long after the reader returned, so a
    temporary source cannot be removed by the reader itself.
    """
    fd, path = tempfile.mkstemp(prefix="salesrules-", suffix=suffix)
    os.close(fd)
    _TEMPORARY_FILES.append(path)
    return path


_TEMPORARY_FILES: list[str] = []


@atexit.register
def remove_temporary_files() -> None:
    """Remove every file made by :func:`temporary_path` (called at exit)."""
    while _TEMPORARY_FILES:
        try:
            os.remove(_TEMPORARY_FILES.pop())
        except OSError:
            pass


def _formats_by_extension() -> dict[str, str]:
    from ..plugins import by_extension, get_registry

    return by_extension(get_registry().input_formats)


def _check_encoding(encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UsageError(f"unknown encoding {encoding!r} (try utf-8, latin-1, cp1252 or utf-16)") from None


def _check_file(path: str) -> None:
    """Raise the InputError that every format shares: not found, directory, unreadable, empty."""
    if os.path.isdir(path):
        raise InputError("is a directory, not a file", Loc(path))
    try:
        with open(path, "rb") as stream:
            empty = stream.read(1) == b""
    except FileNotFoundError:
        raise InputError("file not found", Loc(path)) from None
    except PermissionError:
        raise InputError("permission denied", Loc(path)) from None
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", Loc(path)) from None
    if empty:
        raise InputError("file is empty (0 bytes)", Loc(path))


def _read_stdin(options: ReadOptions, name: str) -> pl.LazyFrame:
    """Copy standard input to a temporary file (readers take paths) and read that."""
    reader = _input_format(name)
    suffix = reader.extensions[0] if reader.extensions else ""
    path = temporary_path(suffix)
    with open(path, "wb") as copy:
        shutil.copyfileobj(sys.stdin.buffer, copy)
    if os.path.getsize(path) == 0:
        raise InputError("standard input is empty", Loc(STDIN_NAME))
    try:
        return _run_reader(name, path, options)
    except SalesrulesError as exc:
        raise _relabel(exc, path, STDIN_NAME) from None


def _relabel(error: SalesrulesError, path: str, label: str) -> SalesrulesError:
    """The same error, pointing at ``label`` instead of the temporary ``path``."""
    if error.loc is None or error.loc.file != path:
        return error
    return type(error)(error.message.replace(path, label), Loc(label, error.loc.line, error.loc.col))


def _input_format(name: str):
    from ..plugins import get_registry, named_format

    return named_format(get_registry().input_formats, name, "input")


def _run_reader(name: str, path: str, options: ReadOptions) -> pl.LazyFrame:
    """Call the reader of format ``name``; anything but our own errors becomes one InputError line."""
    reader = _input_format(name)
    try:
        frame = reader.read(path, options)
    except SalesrulesError:
        raise
    except MemoryError:
        raise InputError(f"not enough memory to read as {name}", Loc(path)) from None
    except Exception as exc:
        raise InputError(f"cannot read as {name}: {first_line(exc)}", Loc(path)) from None
    return frame.lazy() if isinstance(frame, pl.DataFrame) else frame


def diagnose(path: str, options: ReadOptions | None, format: str | None, error: Exception) -> InputError:
    """The error for a failure that surfaced only while the data was collected, located where possible."""
    options = options or ReadOptions()
    if path != STDIN:
        reader = _input_format(format or input_format_for(path))
        if reader.diagnose is not None:
            try:
                return reader.diagnose(path, options, error)
            except SalesrulesError as exc:
                return exc
    return InputError(f"cannot read input: {first_line(error)}", Loc(path))


def first_line(error: BaseException) -> str:
    """The first non-empty line of an exception's message (library errors span many lines)."""
    for line in str(error).splitlines():
        if line.strip():
            return line.strip()
    return type(error).__name__
