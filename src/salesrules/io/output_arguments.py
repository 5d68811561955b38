"""What an output format may ask for besides the results: the input fields and the ruleset.

A writer ``write(frame, stream, context)`` may also name the parameters ``fields`` and
``ruleset`` (as pluggy lets a hook implementation take some of a hook's arguments): it then
gets the typed input fields, one row per result row, under their canonical names, and a
:class:`RulesetInfo`. The input fields are carried through an evaluation only for a writer
that names ``fields`` (see :func:`wants_fields`), as hidden ``__field:NAME`` columns of the
results that :func:`writer_arguments` splits off; a streaming sink gets them as a LazyFrame,
so that results bigger than memory stay streamed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from ..model.columns import FIELD


@dataclass(frozen=True)
class RulesetInfo:
    """The ruleset an output was evaluated with, as an output format sees it.

    ``key`` is the key field (None when the ruleset has none: the records are then numbered in
    the ``row`` column); ``fields`` maps every field the rules read, by its canonical name, to
    its type (``string``, ``integer``, ``number``, ``money``, ``boolean``, ``date``, ``enum``),
    and ``values`` each enum field to its values; ``stages`` are the stage names in order,
    ``closed_stages`` maps each closed stage to ``won`` or ``lost``; ``classifications`` and
    ``scores`` are the names of the ruleset's classifications (``tier`` among them when it has
    tiers) and scores, the result columns of the same names, ``ranking_score`` the score that
    ranks; ``currency`` is the base currency of money fields, when the ruleset converts.
    """

    name: str
    version: str
    key: str | None
    fields: dict[str, str]
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stages: tuple[str, ...] = ()
    closed_stages: dict[str, str] = field(default_factory=dict)
    classifications: tuple[str, ...] = ()
    scores: tuple[str, ...] = ()
    ranking_score: str = "score"
    currency: str | None = None


def ruleset_info(plan) -> RulesetInfo:
    """The :class:`RulesetInfo` of a compiled plan (:class:`salesrules.compiler.plan.Plan`)."""
    ruleset = plan.ruleset
    currencies = getattr(ruleset, "currencies", None)
    return RulesetInfo(
        name=ruleset.name,
        version=ruleset.version,
        key=None if plan.key == "row" else plan.key,
        fields={name: spec.type for name, spec in plan.fields.items()},
        values={name: tuple(spec.values or ()) for name, spec in plan.fields.items() if spec.type == "enum"},
        stages=tuple(stage.name for stage in ruleset.stages),
        closed_stages={stage.name: stage.closed for stage in ruleset.stages if stage.closed},
        classifications=tuple(c.name for c in ruleset.classifications),
        scores=tuple(ruleset.scores),
        ranking_score=ruleset.ranking_score,
        currency=currencies.base if currencies is not None else None,
    )


def wants_fields(writer) -> bool:
    """Whether ``writer`` (a registered output format) takes the input fields, in ``write`` or in ``sink``."""
    return writer.takes("fields") or (writer.sink is not None and writer.takes("fields", streaming=True))


def field_columns(plan) -> list[pl.Expr]:
    """The typed input fields of ``plan`` as the hidden columns the results carry them in."""
    return [pl.col(name).alias(FIELD + name) for name in plan.fields]


def split_fields(frame: pl.DataFrame | pl.LazyFrame):
    """``frame`` without the hidden field columns, and those columns under the fields' names
    (None when it has none)."""
    names = frame.collect_schema().names() if isinstance(frame, pl.LazyFrame) else frame.columns
    hidden = [name for name in names if name.startswith(FIELD)]
    if not hidden:
        return frame, None
    fields = frame.select(pl.col(name).alias(name.removeprefix(FIELD)) for name in hidden)
    return frame.drop(hidden), fields


def writer_arguments(writer, frame, context, streaming: bool) -> tuple[object, dict]:
    """The frame for ``writer`` (its ``sink`` when ``streaming``) and the optional arguments it
    names: ``fields`` (the input fields, None when the results carry none) and ``ruleset``
    (``context.ruleset``)."""
    results, fields = split_fields(frame) if isinstance(frame, (pl.DataFrame, pl.LazyFrame)) else (frame, None)
    takes = getattr(writer, "takes", None)  # a report format takes neither
    extra = {}
    if takes is not None and takes("fields", streaming):
        extra["fields"] = fields
    if takes is not None and takes("ruleset", streaming):
        extra["ruleset"] = getattr(context, "ruleset", None)
    return results, extra
