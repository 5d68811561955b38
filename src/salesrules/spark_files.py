"""``salesrules evaluate --engine spark``: Parquet or CSV files and folders read by Spark,
evaluated with :func:`salesrules.spark.evaluate`, and written by Spark as a folder of part
files.

A local output folder is written beside its place under a temporary name and renamed into
place at the end, so a failed run leaves nothing half written; the folder also holds
``_provenance.json`` (ruleset, version, hash, as-of date); CSV files carry it as four trailing
columns, as the csv output format writes them. Paths with a scheme (``s3://``,
``dbfs:/``, ``hdfs://``) are read and written by Spark as they are.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass

from .errors import InputError, Loc, UsageError

FORMATS = ("parquet", "csv")
# Lists as a CSV cell shows them, as the csv output format joins them.
CSV_LIST_SEPARATOR = "; "


@dataclass
class FileRun:
    """What a file evaluation wrote: the result and reject counts are not counted (that
    would cost a pass); ``rejects`` is the rejects path when some row was skipped."""

    output: str
    rejects: str | None
    skipped: int


def _remote(path: str) -> bool:
    return "://" in path or path.startswith("dbfs:")


def input_format(path: str, given: str | None) -> str:
    """parquet or csv: ``given``, else by the extension of the file or of the files in the folder."""
    if given is not None:
        if given not in FORMATS:
            raise UsageError(f"--engine spark reads parquet or csv, not {given!r}", Loc(path))
        return given
    names = [path]
    if not _remote(path):
        if not os.path.exists(path):
            raise InputError("file not found", Loc(path))
        if os.path.isdir(path):
            names = sorted(n for n in os.listdir(path) if not n.startswith(("_", ".")))
    for name in names:
        extension = os.path.splitext(name.lower())[1].lstrip(".")
        if extension in ("parquet", "pq"):
            return "parquet"
        if extension == "csv":
            return "csv"
    raise UsageError("cannot tell the input format from the name; pass --input-format parquet|csv", Loc(path))


def output_format(path: str, given: str | None) -> str:
    """parquet or csv: ``given``, else by the output's extension."""
    fmt = given or {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}.get(os.path.splitext(path.lower())[1])
    if fmt not in FORMATS:
        raise UsageError("--engine spark writes parquet or csv (a folder of part files); name -o *.parquet or *.csv, or pass -f",
                         Loc(path))
    return fmt


def read(spark, path: str, fmt: str, encoding: str | None = None):
    """The Spark DataFrame of a file or folder: CSV with a header, every column as text."""
    from pyspark.errors import AnalysisException

    try:
        if fmt == "csv":
            # RFC 4180 quoting: "" inside quotes is a quote, and a quoted value may span lines.
            return spark.read.csv(path, header=True, inferSchema=False, encoding=encoding or "UTF-8",
                                  quote='"', escape='"', multiLine=True)
        return spark.read.parquet(path)
    except AnalysisException as exc:
        raise InputError(f"cannot read {fmt}: {str(exc).splitlines()[0]}", Loc(path)) from None


def for_csv(frame, raw: bool = False):
    """``frame`` ready for Spark's CSV writer: arrays joined as the csv output format shows
    them, and, unless ``raw``, text a spreadsheet would run as a formula quoted."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, StringType

    from .io.formulas import _PLAIN_NUMBER, _RISKY, QUOTE
    from .runners.spark import column

    columns = []
    for field in frame.schema.fields:
        value = column(field.name)
        if isinstance(field.dataType, ArrayType):
            value = F.when(F.size(value) > 0, F.array_join(value.cast("array<string>"), CSV_LIST_SEPARATOR))
        if not raw and isinstance(field.dataType, (StringType, ArrayType)):
            risky = value.rlike(_RISKY) & ~value.rlike(_PLAIN_NUMBER)
            value = F.when(risky, F.concat(F.lit(QUOTE), value)).otherwise(value)
        columns.append(value.alias(field.name))
    return frame.select(*columns)


def write(frame, path: str, fmt: str, provenance: dict | None = None, csv_raw: bool = False) -> None:
    """Write ``frame`` as a folder of part files at ``path``: local folders atomically."""
    if fmt == "csv":
        frame = for_csv(frame, csv_raw)
        if provenance is not None:  # as the csv format writes it: four trailing columns
            from pyspark.sql import functions as F

            kept = [c for c in frame.columns if c not in provenance]
            frame = frame.select(*kept, *[F.lit("" if v is None else str(v)).alias(k) for k, v in provenance.items()])
    if _remote(path):
        _writer(frame, fmt).mode("overwrite").save(path)
        return
    target = os.path.realpath(path)
    if os.path.exists(target) and not os.path.isdir(target):
        raise UsageError("the output path is a file; --engine spark writes a folder", Loc(path))
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        raise UsageError(f"output directory {os.path.dirname(path)!r} does not exist", Loc(path))
    temporary = os.path.join(parent, f".{os.path.basename(target)}.salesrules-{os.getpid()}")
    shutil.rmtree(temporary, ignore_errors=True)
    try:
        _writer(frame, fmt).mode("error").save(temporary)
        if provenance is not None and fmt != "csv":
            with open(os.path.join(temporary, "_provenance.json"), "w", encoding="utf-8") as out:
                json.dump(provenance, out, indent=2)
        old = None
        if os.path.exists(target):
            old = temporary + ".old"
            os.rename(target, old)
        os.rename(temporary, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _writer(frame, fmt: str):
    writer = frame.write.format(fmt)
    if fmt != "csv":
        return writer
    # Quotes doubled inside quoted values (RFC 4180), as spreadsheets and the csv format write them.
    return writer.option("header", "true").option("quote", '"').option("escape", '"')


def evaluate_files(path: str, output: str, ruleset, *, fmt: str | None = None, master: str | None = None, as_of=None,
                   on_error: str = "error", on_duplicate: str = "error", rejects: str | None = None,
                   input_format_name: str | None = None, encoding: str | None = None, csv_raw: bool = False,
                   allow_missing: bool = False) -> FileRun:
    """Evaluate the Parquet or CSV file or folder ``path`` on Spark (``master``) and write the
    results to the folder ``output`` (and the skipped rows to ``rejects`` with ``on_error='skip'``)."""
    from .spark import evaluate, session

    fmt = output_format(output, fmt)
    source_format = input_format(path, input_format_name)
    if not _remote(output) and not _remote(path) and os.path.realpath(output) == os.path.realpath(path):
        raise UsageError("the output would overwrite the input", Loc(output))
    # The command line prints one line per problem: no progress bars, no warnings from Java,
    # nor pyspark's about pandas versions it has not been tested with.
    import warnings

    warnings.filterwarnings("ignore", message="PySpark does not yet fully support", category=FutureWarning)
    spark = session(master, config={"spark.ui.showConsoleProgress": "false"})
    spark.sparkContext.setLogLevel("ERROR")
    try:
        frame = read(spark, path, source_format, encoding)
        outcome = evaluate(frame, ruleset, as_of=as_of, on_error=on_error, on_duplicate=on_duplicate, source=path,
                           allow_missing=allow_missing)
        results, rejected = outcome if on_error == "skip" else (outcome, None)
        plan = ruleset.compile(as_of)
        skipped = 0
        target = None
        if rejected is not None:
            skipped = rejected.count()
            if skipped:
                target = rejects or f"{os.path.splitext(output)[0]}.rejects.csv"
                write(rejected, target, "csv", plan.provenance, csv_raw)
        write(results, output, fmt, plan.provenance, csv_raw)
    except Exception as exc:  # noqa: BLE001 - Spark's own failures (Java errors) are one line
        from py4j.protocol import Py4JError

        if not isinstance(exc, Py4JError):
            raise
        raise UsageError(f"Spark failed: {_java_reason(exc)}", Loc(path)) from None
    return FileRun(output, target, skipped)


def _java_reason(error) -> str:
    """The Java exception behind a Spark failure, on one line: a memory shortage said as such."""
    text = str(error)
    hint = "give it more memory (spark.driver.memory in local mode, spark.executor.memory on a cluster)"
    if "OutOfMemoryError" in text:
        return f"Spark ran out of memory; {hint}"
    if 'dagScheduler()" is null' in text:
        return f"Spark stopped while it ran (most often because it ran out of memory; {hint})"
    java = getattr(error, "java_exception", None)
    reason = str(java) if java is not None else text
    return " ".join(reason.split("\n")[0].split())[:300]
