"""The options of an evaluation, in one object every runner and tool takes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, replace

from ..errors import UsageError

ON_ERROR = ("error", "skip")
ON_DUPLICATE = ("error", "first", "last")
SORTS = ("input", "rank")


@dataclass(frozen=True)
class EvaluateOptions:
    """How to evaluate records.

    - ``as_of``: the date rules are evaluated as of (default: the ruleset's, else today).
    - ``on_error``: ``error`` stops at the first value that cannot be read; ``skip`` sets its
      row aside as a reject.
    - ``on_duplicate``: ``error`` on a repeated key, or keep the ``first`` or ``last`` record.
    - ``with_input``: carry the input columns through to the results.
    - ``with_fields``: carry the typed input fields through too, as hidden ``__field:NAME``
      columns, for an output format that takes them (see :mod:`salesrules.io.output_arguments`).
    - ``encoding``, ``input_format``: how to read a file (default: UTF-8, by its extension).
    - ``explain``: add the compact receipt as the ``explain`` column.
    - ``internal``: keep every column the plan computed (the parts of each score, the fired
      factors...), for the tools that explain and compare evaluations (see the plan's manifest).
    - ``columns``: with ``internal``, keep only these of the plan's columns (and the record
      number and rank): the tools that aggregate a few columns need no more in memory.
      Otherwise the result columns to write, in this order; the columns not asked for are
      not computed (the plan's steps that only they need are pruned before any row is read).
    - ``sort``: ``input`` keeps the records in the order they were read; ``rank`` puts the
      ranked open deals first, by rank, then the closed ones by score.
    - ``lists_as_text``: reasons, gaps and actions as display text joined by this separator,
      as :func:`salesrules.io.outputs.text_frame` renders them, instead of lists.
    - ``table``, ``query``: when ``data`` names a database (``sqlite:///prospects.db``,
      ``postgresql://...``), the table or the SQL query to read.
    - ``allow_missing``: a field the rules read that no column of a tabular input provides
      (and that has no default and is not optional) is an error; with ``allow_missing`` its
      values are unknown (null), with a :class:`~salesrules.errors.MissingColumnWarning`.
      Records given as dicts (a list of them) treat a missing key as null either way.
    - ``spill``: ``auto``, ``always`` or ``never`` keep results in temporary files beyond a
      size (default from SALESRULES_SPILL, else auto).
    """

    as_of: dt.date | str | None = None
    on_error: str = "error"
    on_duplicate: str = "error"
    with_input: bool = False
    with_fields: bool = False
    encoding: str | None = None
    input_format: str | None = None
    explain: bool = False
    internal: bool = False
    columns: tuple[str, ...] | None = None
    lists_as_text: str | None = None
    spill: str | None = None
    table: str | None = None
    query: str | None = None
    sort: str = "input"
    allow_missing: bool = False

    def __post_init__(self):
        if self.on_error not in ON_ERROR:
            raise UsageError(f"on_error must be 'error' or 'skip', not {self.on_error!r}")
        if self.on_duplicate not in ON_DUPLICATE:
            raise UsageError(f"on_duplicate must be 'error', 'first' or 'last', not {self.on_duplicate!r}")
        if self.sort not in SORTS:
            raise UsageError(f"sort must be 'input' or 'rank', not {self.sort!r}")

    @classmethod
    def of(cls, options: "EvaluateOptions | None" = None, **keywords) -> "EvaluateOptions":
        """``options`` (default: all defaults) with ``keywords`` set; an unknown keyword is a TypeError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(keywords) - known)
        if unknown:
            raise TypeError(f"unknown evaluate option {unknown[0]!r} (known: {', '.join(sorted(known))})")
        return replace(options or cls(), **keywords)
