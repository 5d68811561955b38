"""Write results through the output formats that plugins register.

:func:`write_output` sends a results frame to standard output or, atomically, to a file:
the writer fills a temporary file in the target's directory, which replaces the target
only once it is complete and synced, so an interrupted or failing run leaves an existing
file as it was. The helpers below are shared by the built-in writers: every text format
renders lists, actions and other nested values the same way.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import math
import os
import re
import stat
import sys
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

import polars as pl

from ..errors import Loc, PluginError, SalesrulesError, UsageError
from .output_arguments import writer_arguments

PROVENANCE_KEYS = ("ruleset", "ruleset_version", "ruleset_hash", "as_of")
STDOUT = "-"

# Extensions that select a format besides the one each format registers.
EXTENSION_ALIASES = {".jsonl": ".ndjson"}

_OS_REASONS = {
    errno.ENOSPC: "no space left on device",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "read-only file system",
    errno.EISDIR: "is a directory",
    errno.ENOENT: "no such file or directory",
}


@dataclass
class OutputContext:
    """What writers need besides the frame.

    ``provenance`` holds ``ruleset``, ``ruleset_version``, ``ruleset_hash`` and ``as_of``
    (an ISO date); ``key`` names the key column; ``is_terminal`` and ``width`` describe
    the console for the table writer; ``csv_raw`` lets text that a spreadsheet would run as a formula into CSV as it is (see
    :mod:`salesrules.io.formulas`). ``total_rows`` and ``closed_rows``, when set, say how many
    records the evaluation had and how many of them are closed deals: the frame may then hold
    only the first of them (the table shows the top of the ranking). ``notes`` are lines a
    format for people may show under the results (how to see the rest). ``money_columns`` name
    the result columns that hold money, for formats that show amounts as such. ``ruleset``, a
    :class:`~salesrules.io.output_arguments.RulesetInfo`, describes the ruleset when known.
    """

    provenance: dict
    key: str
    is_terminal: bool = False
    width: int | None = None
    csv_raw: bool = False
    total_rows: int | None = None
    closed_rows: int | None = None
    notes: tuple[str, ...] = ()
    money_columns: tuple[str, ...] = ()
    ruleset: Any = None


def format_for_path(path: str | None, default: str) -> str:
    """The output format for ``path`` by its extension; ``default`` for standard output."""
    if path is None or path == STDOUT:
        return default
    by_extension = _formats_by_extension()
    extension = os.path.splitext(path)[1].lower()
    extension = EXTENSION_ALIASES.get(extension, extension)
    if extension in by_extension:
        return by_extension[extension]
    known = ", ".join(sorted({*by_extension, *EXTENSION_ALIASES}))
    what = f"unknown output file extension {extension!r}" if extension else "no file extension"
    raise UsageError(f"{what}; known: {known}; or pass --format", Loc(path))


def write_output(
    frame: pl.DataFrame | pl.LazyFrame,
    path: str | None,
    format: str,
    context: OutputContext,
    inputs: Sequence[str] = (),
) -> None:
    """Write ``frame`` as ``format`` to ``path`` (``None`` or ``-``: standard output).

    A file is replaced atomically and never when it is one of ``inputs``. A LazyFrame goes
    to the format's ``sink`` when it has one (memory stays bounded), else it is collected.
    """
    writer = _output_format(format)
    if isinstance(frame, pl.LazyFrame) and writer.sink is None:
        frame = frame.collect()  # before any file is opened, so an interruption leaves none
    if path is None or path == STDOUT:
        _write_stdout(frame, writer, context)
    else:
        _write_file(frame, path, writer, context, inputs)


def write_document(document, path: str | None, writer, context: OutputContext, inputs: Sequence[str] = ()) -> None:
    """Write ``document`` (a report, say) with ``writer`` (a registered format whose
    ``write(document, stream, context)`` takes it) to ``path`` or standard output, as
    :func:`write_output` writes results: atomically, never over one of ``inputs``."""
    if path is None or path == STDOUT:
        _write_stdout(document, writer, context)
    else:
        _write_file(document, path, writer, context, inputs)


# --- Shared by the writers -----------------------------------------------------------------


def provenance(context: OutputContext) -> dict[str, Any]:
    """The four provenance entries, in order, as JSON-ready values (None when missing)."""
    return {key: json_value(context.provenance.get(key)) for key in PROVENANCE_KEYS}


def provenance_text(context: OutputContext) -> dict[str, str]:
    """The provenance entries as text ('' when missing)."""
    return {key: "" if value is None else str(value) for key, value in provenance(context).items()}


def with_provenance_columns(frame: pl.DataFrame | pl.LazyFrame, context: OutputContext, shown=None):
    """``frame`` with the provenance as four trailing String columns (replacing same-named ones);
    ``shown(text)``, when given, is applied to each text value."""
    columns = [pl.lit(shown(v) if shown and isinstance(v, str) else v, pl.String).alias(k)
               for k, v in provenance(context).items()]
    kept = [name for name in _schema(frame).names() if name not in PROVENANCE_KEYS]
    return frame.select(*kept, *columns)


def text_frame(frame: pl.DataFrame | pl.LazyFrame, separator: str = "; "):
    """``frame`` with every nested or exotic column turned into text; other columns as they are.

    Lists of strings are joined with ``separator``; actions (lists of structs with a
    ``text`` field) give ``text (due YYYY-MM-DD)`` or ``text``, joined the same way; an
    empty list gives null (an empty cell). Other nested values become compact JSON;
    durations, binary and Python objects become their JSON text form. A LazyFrame stays lazy.
    """
    replaced = []
    for name, dtype in _schema(frame).items():
        if _is_string_list(dtype):
            replaced.append(_unless_empty(name, pl.col(name).cast(pl.List(pl.String)).list.join(separator)))
        elif _is_actions(dtype):
            replaced.append(_unless_empty(name, _actions_text(name, dtype, separator)))
        elif dtype.is_nested() or isinstance(dtype, (pl.Duration, pl.Binary, pl.Object)):
            replaced.append(pl.col(name).map_batches(_python_text, return_dtype=pl.String))
    return frame.with_columns(replaced) if replaced else frame


def _schema(frame: pl.DataFrame | pl.LazyFrame) -> pl.Schema:
    return frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema


def json_value(value: Any) -> Any:
    """A Python value from a frame as JSON: ISO dates, NaN as null, decimals as text."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        seconds = f"{value.total_seconds():.6f}".rstrip("0").rstrip(".")
        return f"PT{seconds}S"
    if isinstance(value, Decimal):
        return str(value)  # as text, so no digit is lost to a float
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _is_string_list(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.List) and dtype.inner in (pl.String, pl.Null)


def _is_actions(dtype: pl.DataType) -> bool:
    return (
        isinstance(dtype, pl.List)
        and isinstance(dtype.inner, pl.Struct)
        and "text" in {field.name for field in dtype.inner.fields}
    )


def _unless_empty(name: str, joined: pl.Expr) -> pl.Expr:
    return pl.when(pl.col(name).list.len() > 0).then(joined).alias(name)


def _actions_text(name: str, dtype: pl.List, separator: str) -> pl.Expr:
    text = pl.element().struct.field("text").cast(pl.String).fill_null("")
    rendered = text
    if "due" in {field.name for field in dtype.inner.fields}:
        due = pl.element().struct.field("due")
        with_due = pl.format("{} (due {})", text, due.cast(pl.String))
        rendered = pl.when(due.is_null()).then(text).otherwise(with_due)
    return pl.col(name).list.eval(rendered).list.join(separator)


def _python_text(series: pl.Series) -> pl.Series:
    def render(value):
        if value is None:
            return None
        value = json_value(value)
        if isinstance(value, (list, dict)):
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return str(value)

    return pl.Series(series.name, [render(v) for v in series.to_list()], dtype=pl.String)


# --- Format lookup ---------------------------------------------------------------------------


def _formats():
    from ..plugins import get_registry

    return get_registry().output_formats


def _formats_by_extension() -> dict[str, str]:
    from ..plugins import by_extension

    return by_extension(_formats())


def _output_format(name: str):
    from ..plugins import named_format

    return named_format(_formats(), name, "output")


# --- Writing ---------------------------------------------------------------------------------

def _call_writer(writer, frame: pl.DataFrame | pl.LazyFrame, stream, context: OutputContext) -> None:
    """Run a writer; an unexpected exception becomes a one-line PluginError (OSError passes)."""
    streaming = isinstance(frame, pl.LazyFrame) and writer.sink is not None
    try:
        frame = frame.collect() if isinstance(frame, pl.LazyFrame) and not streaming else frame
        frame, extra = writer_arguments(writer, frame, context, streaming)
        (writer.sink if streaming else writer.write)(frame, stream, context, **extra)
    except (SalesrulesError, OSError):
        raise
    except Exception as exc:
        from .inputs import first_line

        code = _os_errno(exc)
        if code is not None:  # polars wraps I/O errors (a full disk) in its own errors
            raise OSError(code, os.strerror(code)) from exc
        raise PluginError(
            f"output format {writer.name!r} ({writer.plugin}) failed: {type(exc).__name__}: {first_line(exc)}"
        ) from exc


def _write_stdout(frame: pl.DataFrame, writer, context: OutputContext) -> None:
    if writer.binary and _is_terminal(sys.stdout):
        raise UsageError(
            f"refusing to write binary {writer.name} output to a terminal; pass an output file or redirect"
        )
    stream = sys.stdout.buffer if writer.binary else sys.stdout
    try:
        _call_writer(writer, frame, stream, context)
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        if _os_errno(exc) == errno.EPIPE:  # the reader went away (| head): not an error
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE)) from None
        raise _os_error("<stdout>", exc) from None


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def check_output_path(path: str | None, inputs: Sequence[str] = ()) -> None:
    """Raise the UsageError that writing to ``path`` would raise for its place: it is one of
    ``inputs``, its directory does not exist, or it is a directory. Standard output is fine."""
    if path is None or path == STDOUT:
        return
    _refuse_inputs(path, inputs)
    if _is_special(path):
        return
    target = os.path.realpath(path)
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        parent = os.path.dirname(path)
        if parent and os.path.exists(parent) and not os.path.isdir(parent):
            raise UsageError(f"{parent!r} is not a directory", Loc(path))
        raise UsageError(f"output directory {parent!r} does not exist", Loc(path))
    if os.path.isdir(target):
        raise UsageError("the output path is a directory", Loc(path))


def _write_file(
    frame: pl.DataFrame | pl.LazyFrame | None, path: str, writer, context: OutputContext, inputs: Sequence[str]
) -> None:
    check_output_path(path, inputs)
    if _is_special(path):
        _write_special(frame, path, writer, context)
        return
    target = os.path.realpath(path)  # through a symlink, so the link stays a link
    directory = os.path.dirname(target)
    mode = _file_mode(target)
    # The process id in the name lets the clean-up find the file even when an interruption
    # comes inside mkstemp, after the file exists but before its name is returned.
    prefix = f".{os.path.basename(target)}.{os.getpid()}."
    failure = None
    try:
        try:
            fd, temp = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=".tmp")
        except OSError as exc:
            raise _os_error(path, exc) from None
        with _open_stream(fd, writer.binary) as stream:
            _call_writer(writer, frame, stream, context)
            _sync(stream, temp)
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException as exc:  # KeyboardInterrupt too: never leave a temporary file behind
        failure = exc
        # Clean up inside the except block: while an interruption is being handled the
        # SIGTERM handler only records a signal instead of raising, and the loop absorbs the
        # Ctrl-C that polars raises once more after stopping a query.
        while True:
            try:
                _remove_temporaries(directory, prefix)
                break
            except KeyboardInterrupt:
                continue
    if failure is not None:
        if isinstance(failure, OSError):
            raise _os_error(path, failure) from None
        raise failure
    _sync_directory(directory)


def _is_special(path: str) -> bool:
    """Whether ``path`` exists and is neither a regular file nor a directory: a named pipe,
    a device such as /dev/null or /dev/stdout. Renaming a file over it would replace it."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _write_special(frame: pl.DataFrame, path: str, writer, context: OutputContext) -> None:
    """Write straight into a pipe or device; there is no file to replace atomically."""
    try:
        stream = open(path, "wb") if writer.binary else open(path, "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise _os_error(path, exc) from None
    try:
        with stream:
            if writer.binary and _is_terminal(stream):
                raise UsageError(f"refusing to write binary {writer.name} output to a terminal", Loc(path))
            _call_writer(writer, frame, stream, context)
            stream.flush()
    except OSError as exc:
        raise _os_error(path, exc) from None


def _refuse_inputs(path: str, inputs: Sequence[str]) -> None:
    """Refuse ``path`` when it is one of the files the run reads, compared by identity (device and
    inode), so another name, a link or a relative path is caught; ``-`` stands for whatever file
    standard input was redirected from."""
    for source in inputs:
        if not source:
            continue
        if source == "-":
            if _is_stdin_file(path):
                raise UsageError(
                    "the output would overwrite the file standard input is read from; choose another output path",
                    Loc(path),
                )
        elif _same_file(path, source):
            raise UsageError(
                f"the output would overwrite the input file {source}; choose another output path", Loc(path)
            )


def _is_stdin_file(path: str) -> bool:
    """Whether standard input is redirected from the regular file at ``path``."""
    try:
        stdin = os.fstat(0)
        target = os.stat(path)
    except (OSError, ValueError):
        return False
    return stat.S_ISREG(stdin.st_mode) and (stdin.st_dev, stdin.st_ino) == (target.st_dev, target.st_ino)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return os.path.realpath(a) == os.path.realpath(b)


def _file_mode(target: str) -> int:
    """The mode of the file being replaced, else 0o644 less the umask (mkstemp's 0o600 is too strict)."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o644 & ~umask


def _open_stream(fd: int, binary: bool):
    try:
        if binary:
            return os.fdopen(fd, "wb")
        return os.fdopen(fd, "w", encoding="utf-8", newline="")
    except BaseException:
        os.close(fd)
        raise


def _sync(stream, temp: str) -> None:
    """Flush and fsync the temporary file (reopened if the writer closed the stream)."""
    if not stream.closed:
        stream.flush()
        os.fsync(stream.fileno())
        return
    fd = os.open(temp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_directory(directory: str) -> None:
    """Make the rename durable; not every platform can open a directory, which is fine."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _remove_temporaries(directory: str, prefix: str) -> None:
    """Remove the temporary files ``prefix*.tmp`` in ``directory``."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix) and name.endswith(".tmp"):
            _remove_quietly(os.path.join(directory, name))


def _os_errno(error: BaseException) -> int | None:
    """The errno of an OSError, or the ``(os error N)`` that polars writes into its messages."""
    if isinstance(error, OSError) and error.errno is not None:
        return error.errno
    found = re.search(r"\(os error (\d+)\)|\[Errno (\d+)\]", str(error))
    return int(found.group(1) or found.group(2)) if found else None


def _os_error(path: str, error: OSError) -> UsageError:
    code = _os_errno(error)
    reason = _OS_REASONS.get(code) or (os.strerror(code) if code is not None else None) or error.strerror or str(error)
    return UsageError(f"cannot write the output: {' '.join(str(reason).split())}", Loc(path))


def atomic_write_text(path: str, text: str, inputs: Sequence[str] = ()) -> None:
    """Write ``text`` to ``path`` atomically (temporary file, then rename), never over ``inputs``.

    It goes the way of every output (see :func:`write_output`), as a format that writes ``text``.
    """
    from ..plugins import OutputFormat

    writer = OutputFormat("text", lambda _frame, stream, _context: stream.write(text), binary=False)
    _write_file(None, path, writer, OutputContext({}, ""), inputs)
