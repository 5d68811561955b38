"""The compiled plan of a ruleset: the steps every record goes through, and what they compute.

:func:`compile_ruleset` runs the compile phase of every section in order (see
:mod:`salesrules.compiler.sections`); each adds steps of polars expressions and records the
parts of the scores it adds in the plan's :class:`~salesrules.compiler.manifest.Manifest`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from ..errors import ErrorList
from ..io.preparation import Preparation, Prepared, preparation
from ..language.expressions import Scope
from ..model.columns import SEP
from ..model.dates import as_of_date
from ..model.sections import FieldSpec
from .context import Compiler
from .fields import field_type
from .manifest import Manifest
from .sections import SECTIONS

# The result columns after those the sections add: rank comes from a frame-level pass.
LIST_COLUMNS = ["rank", "reasons", "actions", "gaps"]


@dataclass
class Plan:
    """A ruleset compiled for one as-of date."""

    ruleset: Any
    as_of: dt.date
    fields: dict[str, FieldSpec]
    steps: list[list[pl.Expr]]
    output: list[str]
    key: str
    closed_names: list[str]
    # Which column holds what: the parts of every score, the scores' columns, the factors'.
    manifest: Manifest = field(default_factory=Manifest)
    # The names each phase of the ruleset sees, for tools that compile parts of its rules.
    scopes: dict[str, Scope] = field(default_factory=dict)
    preparations: dict[tuple, "Preparation"] = field(default_factory=dict, repr=False)
    # The plugin calls of the rules (see Scope.calls), to name the plugin of a run-time error.
    calls: list = field(default_factory=list, repr=False)
    # For read_in_python: each enum field's mapping, and which column feeds each field per set of columns.
    enum_mappings: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)
    matches: dict[tuple, dict[str, str | None]] = field(default_factory=dict, repr=False)
    # The fields the rules read (see read_fields): a tabular input must give them a column.
    reads: frozenset = frozenset()
    # The plans computing only some columns (see narrowed), by those columns.
    narrowings: dict[frozenset, "Plan"] = field(default_factory=dict, repr=False)
    # What the reasons, gaps and actions' display texts are joined with (see compile_ruleset).
    separator: str = SEP
    # Each field's default as read when the ruleset was checked, by name, with the field.
    defaults: dict[str, tuple] = field(default_factory=dict, repr=False)

    def prepare(self, frame: pl.LazyFrame, source: str, *, strict_columns: bool = False, lookups: bool = True) -> "Prepared":
        """:func:`~salesrules.io.preparation.prepare` for this plan's fields, with the typing built
        once per input schema (``lookups``: see :func:`salesrules.io.coerce.coerce_expr`)."""
        return self._preparation(frame.collect_schema(), source, strict_columns, lookups).apply(frame)

    def prepare_batch(self, batch: pl.DataFrame, source: str) -> "Prepared":
        """:meth:`prepare` for a batch of records in memory, typed more cheaply (see
        :meth:`~salesrules.io.preparation.Preparation.apply_batch`)."""
        return self._preparation(batch.schema, source).apply_batch(batch)

    def prepare_query(self, frame: pl.LazyFrame, source: str, general: set[str], seen: dict | None = None) -> "Prepared":
        """:meth:`prepare` in one query, by the fast readers but for the fields in ``general``
        and ``seen`` (see :meth:`~salesrules.io.preparation.Preparation.apply_query`)."""
        return self._preparation(frame.collect_schema(), source).apply_query(frame, general, seen)

    def seen_spellings(self, records: pl.DataFrame, source: str) -> dict[str, tuple[str, ...]]:
        """The few spellings of each boolean field in ``records``, the first records of an input
        (see :meth:`~salesrules.io.preparation.Preparation.seen_spellings`)."""
        return self._preparation(records.schema, source).seen_spellings(records)

    def _preparation(self, schema: pl.Schema, source: str, strict_columns: bool = False, lookups: bool = True) -> "Preparation":
        """The typing of input columns ``schema``, built once per schema and options."""
        key = (tuple(schema.items()), strict_columns, lookups)
        if key not in self.preparations:
            self.preparations[key] = preparation(self.fields, schema, source, strict_columns=strict_columns, lookups=lookups,
                                                 defaults=self.defaults)
        return self.preparations[key]

    def narrowed(self, columns) -> "Plan":
        """This plan computing only ``columns`` (names of its columns) and what they need.

        The steps are followed back from ``columns``: only the expressions whose results
        they read, directly or through other results, are kept, and only the fields those
        expressions read (with the key, the fields lookups join on and the currency code
        fields of the money fields kept) are typed and checked. Returns the plan itself when
        an expression does not name its result. Narrowed plans are kept on the plan by columns.
        """
        if frozenset(columns) not in self.narrowings:
            self.narrowings[frozenset(columns)] = self._narrowed(set(columns))
        return self.narrowings[frozenset(columns)]

    def _narrowed(self, needed: set) -> "Plan":
        steps: list[list[pl.Expr]] = []
        for step in reversed(self.steps):
            kept, made = [], set()
            for expr in step:
                try:
                    name = expr.meta.output_name()
                except pl.exceptions.PolarsError:
                    return self
                if expr.meta.has_multiple_outputs():  # reads columns it does not name
                    return self
                if name in needed:
                    kept.append(expr)
                    made.add(name)
            # The expressions of a step read the columns as they were before it.
            needed = (needed - made) | {root for expr in kept for root in expr.meta.root_names()}
            if kept:
                steps.append(kept)
        read = needed_fields(self.ruleset, self.fields, needed & set(self.fields))
        fields = {name: spec for name, spec in self.fields.items() if name in read}
        return replace(self, fields=fields, steps=steps[::-1], reads=self.reads & read, preparations={}, narrowings={})

    def apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """Add the per-record results to a frame of typed fields."""
        for step in self.steps:
            frame = frame.with_columns(step)
        return frame

    @property
    def provenance(self) -> dict:
        """Ruleset name, version, content hash and the as-of date."""
        return {
            "ruleset": self.ruleset.name,
            "ruleset_version": self.ruleset.version,
            "ruleset_hash": self.ruleset.hash,
            "as_of": self.as_of.isoformat(),
        }


def compile_ruleset(ruleset, as_of: dt.date | None = None, *, every_error: bool = False, separator: str = SEP) -> Plan:
    """Compile ``ruleset`` into a :class:`Plan`; every expression is type-checked here.

    The first error stops the compilation; with ``every_error`` every expression, template and
    name is checked and the errors are raised together as an :class:`~salesrules.errors.ErrorList`
    (an error in the structure of a section still stops it). Plans are kept on the ruleset by
    as-of date, so evaluating twice compiles once.

    The reasons, gaps and actions are packed by SEP, so that they can be split into lists.
    With another ``separator`` they are joined by it, as display text only: the plan of an
    output that shows them joined by ``"; "`` need not replace SEP in every text.
    """
    as_of = as_of_date(as_of or ruleset.as_of or dt.date.today())
    cache = ruleset.__dict__.setdefault("_plans", {})
    if (as_of, separator) not in cache:
        cache[(as_of, separator)] = _compile(ruleset, as_of, every_error, separator)
    return cache[(as_of, separator)]


def _compile(ruleset, as_of: dt.date, every_error: bool = False, separator: str = SEP) -> Plan:
    from ..plugins import get_registry

    registry = get_registry()
    compiler = Compiler(ruleset, as_of, registry, every_error, separator)
    compiler.check_names()
    names = {n: (field_type(s), pl.col(n)) for n, s in compiler.fields.items()}
    hints = {c.name: "is a result and cannot be used before it is computed" for c in ruleset.classifications}
    scope = Scope(names, registry.functions, as_of, hints)
    for section in SECTIONS:
        if section.scope is not None:
            compiler.scopes[section.scope] = scope
        if section.compile is not None:
            scope = section.compile(compiler, scope)
    if compiler.errors:
        raise ErrorList(sorted(compiler.errors, key=_place))
    key = ruleset.key or "row"
    placed = sorted((s for s in SECTIONS if s.outputs is not None), key=lambda s: s.output_place)
    output = [key] + [name for s in placed for name in s.outputs(ruleset)] + LIST_COLUMNS
    closed = [s.name for s in ruleset.stages if s.closed]
    return Plan(ruleset, as_of, compiler.fields, compiler.steps, output, key, closed,
                manifest=compiler.manifest, scopes=compiler.scopes, calls=scope.calls,
                reads=read_fields(ruleset, compiler.fields, compiler.steps), separator=separator,
                defaults=compiler.defaults)


def read_fields(ruleset, fields: dict[str, FieldSpec], steps: list[list[pl.Expr]]) -> frozenset:
    """The fields the compiled rules read: those any step's expression starts from (conditions,
    points, stage evidence, templates...), the key, the fields lookups join on and the currency
    code fields of the money fields read."""
    roots = {name for step in steps for expr in step for name in expr.meta.root_names()}
    return frozenset(needed_fields(ruleset, fields, {name for name in fields if name in roots}))


def needed_fields(ruleset, fields: dict[str, FieldSpec], read: set) -> set:
    """The fields ``read`` with those every evaluation reads besides: the key, the fields
    lookups join on and the currency code fields of the money fields read."""
    read = set(read)
    if ruleset.key in fields:
        read.add(ruleset.key)
    read |= {lookup.on for lookup in ruleset.lookups if lookup.on in fields}
    read |= {fields[name].currency_field for name in list(read) if fields[name].currency_field in fields}
    return read


def _place(error) -> tuple:
    """Errors in the order of their files, lines and columns."""
    loc = error.loc
    if loc is None:
        return ("", 0, 0)
    return (str(loc.file or ""), loc.line or 0, loc.col or 0)


def evaluation_error(plan: Plan, error: Exception):
    """The PluginError for an error polars raised while evaluating ``plan``, naming the plugin
    function or signal whose expression failed (polars quotes it); None when no plugin call's
    expression is in the message (the error is then the engine's own)."""
    from ..errors import PluginError

    message = str(error)
    first = " ".join(message.split("\n")[0].split())
    for plugin, what, loc, text in sorted(plan.calls, key=lambda c: -len(c[3])):
        if text and text in message:
            return PluginError(f"{what} of plugin {plugin!r} failed on the records: {type(error).__name__}: {first}", loc)
    return None
