"""salesrules on Spark: the same compiled plan on every partition of a Spark DataFrame.

``evaluate(frame, ruleset)`` returns a Spark DataFrame with the columns and values of
``Ruleset.evaluate``; ``report(frame, ruleset)`` the pipeline report, summed by Spark.
The workers compile the plan themselves from the ruleset's text and the as-of date, so only
text crosses the network. pyspark is imported on first use: ``pip install 'salesrules[spark]'``.
See docs/spark.md.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError
from .runners.options import EvaluateOptions

__all__ = ["RulesetText", "evaluate", "report", "session"]


@dataclass(frozen=True)
class RulesetText:
    """A ruleset as the workers receive it: the text of its file and of every file it extends,
    by absolute path. ``builtin:`` and plugin rulesets it extends are read from the worker's
    own installation."""

    path: str
    texts: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, ruleset) -> "RulesetText":
        """The text of ``ruleset`` (a loaded :class:`~salesrules.loader.ruleset.Ruleset`) and its parents."""
        from .loader.extends import _resolve

        resolved, _ = _resolve(Path(ruleset.path), ())
        texts = tuple(sorted((str(Path(f).resolve()), Path(f).read_text(encoding="utf-8")) for f in resolved.files))
        return cls(str(Path(ruleset.path).resolve()), texts)

    @property
    def digest(self) -> str:
        """A digest of the texts, naming this version of the ruleset in the workers' cache."""
        return hashlib.sha256(repr(self.texts).encode()).hexdigest()[:16]

    def load(self):
        """The ruleset, loaded from the texts written under a temporary directory (relative
        ``extends`` resolve there as they did beside the original files)."""
        import tempfile

        from .loader.load import load_unchecked

        root = Path(tempfile.mkdtemp(prefix="salesrules-ruleset-"))
        for path, text in self.texts:
            target = root / Path(path).relative_to(Path(path).anchor)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return load_unchecked(root / Path(self.path).relative_to(Path(self.path).anchor))


def _compile_text(text: RulesetText, as_of: str):
    """The plan of ``text`` as of ``as_of`` (ISO date): what every worker runs."""
    from .compiler.plan import compile_ruleset

    return compile_ruleset(text.load(), dt.date.fromisoformat(as_of))


def _ruleset(ruleset):
    """A loaded ruleset from a :class:`Ruleset`, a path or ``builtin:NAME``."""
    if isinstance(ruleset, (str, Path)):
        from .loader.load import load

        return load(ruleset)
    return ruleset


def evaluate(frame, ruleset, *, as_of=None, on_error: str = "error", on_duplicate: str = "error", source: str | None = None,
             allow_missing: bool = False):
    """Evaluate the records of the Spark DataFrame ``frame`` with ``ruleset`` (a ruleset, a path
    or ``builtin:NAME``) and return a Spark DataFrame of results.

    The columns and values are those of ``Ruleset.evaluate``, the reasons, gaps and actions as
    arrays of text (an action as its display text); the rank, duplicate keys and lookups are
    computed by Spark across partitions. A value that cannot be read raises the located
    :class:`~salesrules.errors.InputError` (the record named by its key). With
    ``on_error='skip'`` the result is a pair ``(results, rejects)``: the rejects hold the
    reason and the input columns of every row that could not be read. ``on_duplicate``:
    ``error``, or keep the ``first`` or ``last`` record of a key, in input order.
    ``source`` names the input in error messages (default ``<spark>``); ``allow_missing`` as
    for ``Ruleset.evaluate``.
    """
    from .compiler.plan import compile_ruleset
    from .runners.spark import SOURCE, run

    _check_frame(frame)
    options = EvaluateOptions(as_of=as_of, on_error=on_error, on_duplicate=on_duplicate)
    ruleset = _ruleset(ruleset)
    plan = compile_ruleset(ruleset, options.as_of)
    compile, ident = _workers_plan(ruleset, plan.as_of)
    outcome = run(frame, plan, compile, ident, on_error=on_error, on_duplicate=on_duplicate, source=source or SOURCE,
                  allow_missing=allow_missing)
    return (outcome.results, outcome.rejects) if on_error == "skip" else outcome.results


def report(frame, ruleset, *, as_of=None, by=None, quotas=None, period=None, on_error: str = "error",
           on_duplicate: str = "error", source: str | None = None, allow_missing: bool = False):
    """The pipeline report (a :class:`~salesrules.reports.model.Report`, as ``Ruleset.report``
    gives it) of the records of the Spark DataFrame ``frame``.

    The records are evaluated on the partitions, and Spark sums them per group, stage and
    state; only those sums reach the driver. ``by``, ``quotas`` (a file read on the driver)
    and ``period`` as for ``Ruleset.report``; ``on_error`` and ``on_duplicate`` as for
    :func:`evaluate` (with ``on_error='skip'`` the result is a pair ``(report, rejects)``), and
    ``allow_missing`` as for ``Ruleset.evaluate``.
    """
    from .reports.spark import report as spark_report

    _check_frame(frame)
    EvaluateOptions(as_of=as_of, on_error=on_error, on_duplicate=on_duplicate)
    ruleset = _ruleset(ruleset)
    compile, ident = _workers_plan(ruleset, as_of)
    outcome, rejects = spark_report(frame, ruleset, compile, ident, as_of=as_of, by=by, quotas=quotas, period=period,
                                    on_error=on_error, on_duplicate=on_duplicate, source=source,
                                    allow_missing=allow_missing)
    return (outcome, rejects) if on_error == "skip" else outcome


def _workers_plan(ruleset, as_of):
    """The picklable callable that compiles ``ruleset`` on a worker, and its name in their cache."""
    from .compiler.plan import compile_ruleset

    plan = compile_ruleset(ruleset, as_of)
    text = RulesetText.of(ruleset)
    compile = functools.partial(_compile_text, text, plan.as_of.isoformat())
    return compile, (ruleset.hash, plan.as_of.isoformat(), text.digest)


def _check_frame(frame) -> None:
    if not (type(frame).__module__.startswith("pyspark") and hasattr(frame, "mapInArrow")):
        raise UsageError(f"salesrules.spark needs a Spark DataFrame, not {type(frame).__name__}")


def local_memory() -> str:
    """The driver memory of a local Spark: half of the machine's memory, at most 8 GB."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "2g"
    return f"{max(1, min(8, total // 2 // 1024**3))}g"


def session(master: str | None = None, app_name: str = "salesrules", config: dict | None = None):
    """A Spark session (the active one when there is one already) for ``master``; by default the
    master ``spark-submit`` was given, else ``local[*]``.

    The workers run the Python that runs this (PYSPARK_PYTHON, unless set already), so they
    find salesrules and its plugins; the Spark UI is off. A local master gets half the machine's
    memory (at most 8 GB) unless ``config`` sets ``spark.driver.memory``.
    """
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # spark-submit starts Java first and passes its port: its --master then holds.
    if master is None and "PYSPARK_GATEWAY_PORT" not in os.environ:
        master = "local[*]"
    builder = SparkSession.builder.appName(app_name).config("spark.ui.enabled", "false")
    if master is not None:
        builder = builder.master(master)
    if master is not None and master.startswith("local") and "spark.driver.memory" not in (config or {}):
        # In local mode the driver's heap is all of Spark's memory; its 1 GB default runs out
        # on a few million records. A memory set for spark-submit or in spark-defaults holds.
        builder = builder.config("spark.driver.memory", local_memory())
    for key, value in (config or {}).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
