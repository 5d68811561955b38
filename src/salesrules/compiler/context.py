"""The compiler's state as each section's compile phase sees it.

A :class:`Compiler` holds the plan being built: the steps (lists of polars expressions run one
after the other), the parts of every score, the manifest of those parts, and the helpers the
sections share: compiling an expression, a points expression, a text template.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from typing import Any

import polars as pl

from ..errors import ExpressionError, RulesetError, did_you_mean
from ..io import coerce
from ..language.expressions import MAX_TEXT_PARTS, Compiled, Scope, compile_expression
from ..language.lookups import looked_up
from ..model.columns import FIELD_SEP, RESERVED, SEP, SHOWN, UNKNOWN
from ..model.sections import Expr, FieldSpec
from ..model.types import INTEGER, NULL, Type
from .fields import effective_fields
from .manifest import Entry, Manifest

_UNREAD = object()  # a default not read yet


class Compiler:
    """A ruleset being compiled for one as-of date (see :func:`salesrules.compiler.plan.compile_ruleset`)."""

    def __init__(self, ruleset, as_of: dt.date, registry, every_error: bool = False, separator: str = SEP):
        self.ruleset = ruleset
        # What the reasons, gaps and actions' display texts are packed with (see compile_ruleset).
        self.separator = separator
        # With every_error, an expression or template that does not compile is recorded here and
        # stands in as null, so that one compilation finds every such error (``validate``).
        self.every_error = every_error
        self.errors: list[RulesetError] = []
        self.as_of = as_of
        self.registry = registry
        self.fields = effective_fields(ruleset)
        self.steps: list[list[pl.Expr]] = []
        # The points of every score, summed by the scores section; the manifest says which
        # of them a receipt shows. Each part is its column, its type and the largest magnitude
        # its points can have (None when they are computed: any value).
        self.score_parts: dict[str, list[tuple[pl.Expr, Type, int | None]]] = {s: [] for s in ruleset.scores}
        self.manifest = Manifest()
        self.scopes: dict[str, Scope] = {}
        # The text values templates show (see template), by column; those a step computes already.
        self.shown: dict[str, pl.Expr] = {}
        self.shown_done: set[str] = set()
        # Each field's default as read, by name, with the field (see check_names).
        self.defaults: dict[str, tuple[FieldSpec, Any]] = {}

    def check_names(self) -> None:
        """Fail when a field or grade takes the name of a result, or a field's default is no valid value."""
        rs = self.ruleset
        computed = RESERVED | {c.name for c in rs.classifications} | set(rs.scores)
        computed |= {f"{s}_band" for s in rs.scores}
        for grade in rs.grades:
            if grade.name in computed:
                self.fail(RulesetError(f"grade {grade.name!r} has the name of another result; rename it", grade.loc))
            computed.add(grade.name)
        looked_up = {n: s for lookup in rs.lookups for n, s in lookup.fields.items()}
        specs = {**looked_up, **rs.fields}
        # The defaults are read in one query (a query each costs a few milliseconds in all).
        with_default = [s for n, s in specs.items() if s.default is not None and n not in computed and not n.startswith("__")]
        read = coerce.read_defaults(with_default)
        read = dict(zip(map(id, with_default), read)) if read is not None else {}
        for name, spec in specs.items():
            if name in computed or name.startswith("__"):
                self.fail(RulesetError(f"field {name!r} has the name of a result; rename it", spec.loc))
            elif spec.default is not None:
                self.check_default(spec, read.get(id(spec), _UNREAD))

    def check_default(self, spec: FieldSpec, converted: Any = _UNREAD) -> None:
        """Fail when the default of ``spec`` does not convert to the field's type (``converted``:
        the default as read already, if it was)."""
        value = spec.default
        if converted is _UNREAD:
            try:
                frame = pl.DataFrame({"v": [value]})
                converted = frame.select(coerce.coerce_expr(pl.col("v"), spec, frame.schema["v"])).item()
            except (TypeError, ValueError, pl.exceptions.PolarsError):
                converted = None  # a list or mapping is no field value
        if converted is not None:
            self.defaults[spec.name] = (spec, converted)
        if converted is None:
            self.fail(RulesetError(f"field {spec.name!r}: default {value!r} is not a valid {coerce.describe_type(spec)}", spec.loc))

    def fail(self, error: RulesetError) -> None:
        """Raise ``error``, or with ``every_error`` record it and go on."""
        if not self.every_error:
            raise error
        self.errors.append(error)

    def expr(self, source: Expr | None, scope: Scope, expect: str):
        """``source`` compiled in ``scope``, checked to be of kind ``expect`` (see :func:`compile_expression`)."""
        if not self.every_error:
            return compile_expression(source, scope, expect)
        try:
            return compile_expression(source, scope, expect)
        except RulesetError as exc:
            self.errors.append(exc)
            return Compiled(pl.lit(None), NULL, 0)

    def points(self, source: Expr | None, scope: Scope) -> tuple[pl.Expr, Type]:
        """A points expression (never null; 0 without one) and its type, integer or number."""
        if source is None:
            return pl.lit(0, pl.Int64), INTEGER
        compiled = self.expr(source, scope, "numeric")
        t = compiled.type if compiled.type.name != "null" else INTEGER
        dtype = pl.Int64 if t.name == "integer" else pl.Float64
        if NUMBER_POINTS.fullmatch(source.text):  # most points are a number
            return pl.lit(int(source.text) if dtype == pl.Int64 else float(source.text), dtype), t
        return compiled.expr.cast(dtype).fill_null(0), t

    def score_of(self, name: str | None, loc) -> str:
        """The score an item adds its points to: the one it names, else the first."""
        target = name or self.ruleset.ranking_score
        if name is None:
            target = next(iter(self.ruleset.scores))
        if target not in self.ruleset.scores:
            raise RulesetError(f"unknown score {target!r}{did_you_mean(target, self.ruleset.scores)}", loc)
        return target

    def add_points(self, score: str, column: str, t: Type, bound: int | None = None) -> None:
        """Add the points in ``column`` to ``score``; they show on no receipt (see :meth:`add_part`).
        ``bound``: the largest magnitude the points can have, when they are whole constants."""
        self.score_parts[score].append((pl.col(column), t, bound))

    def add_part(self, entry: Entry, t: Type, bound: int | None = None) -> None:
        """Add a part of a score: its points go into the sum and it is a line of the receipt."""
        self.add_points(entry.score, entry.points, t, bound)
        self.manifest.add(entry)

    def template(self, text: str, scope: Scope, loc, only: pl.Expr) -> pl.Expr:
        """A text with ``{name}`` placeholders, filled per record where ``only`` (a boolean
        column) is true and null elsewhere, which saves rendering the values of every other record."""
        if not self.every_error:
            return self._template(text, scope, loc, only)
        try:
            return self._template(text, scope, loc, only)
        except RulesetError as exc:
            self.errors.append(exc)
            return pl.lit(None, pl.String)

    def _template(self, text: str, scope: Scope, loc, only: pl.Expr) -> pl.Expr:
        pieces, masked = [], False
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise RulesetError(f"bad template {text!r}: {exc}", loc) from None
        shown = sum(1 for _, name, _, _ in parsed if name is not None and name != "as_of")
        if shown > MAX_TEXT_PARTS:
            # Each placeholder repeats a value of the record: bounded, a text stays within
            # MAX_TEXT_PARTS times the longest value plus the template's own characters.
            raise RulesetError(f"a text shows at most {MAX_TEXT_PARTS} values of the record; this one "
                               f"shows {shown:,}", loc)
        for literal, name, spec, conversion in parsed:
            if literal:
                pieces.append(pl.lit(_unseparated(literal)))
            if name is None:
                continue
            if spec or conversion or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise RulesetError(f"template placeholder {{{name}}} must be a plain name", loc)
            if name == "as_of":
                pieces.append(pl.lit(self.as_of.isoformat()))
                continue
            if name not in scope.names:
                raise ExpressionError(f"unknown field {name!r} in text{did_you_mean(name, scope.names)}", loc)
            t, expr = scope.names[name]
            if t.name == "enum" and not _may_hold_separators(t, self.fields.get(name)):
                pieces.append(pl.when(only).then(expr.fill_null(UNKNOWN)))
            elif t.name in ("string", "enum"):
                # Text is shown as it is, but for the separators of packed lists, which
                # only text can hold; every template showing this value reads one column.
                pieces.append(pl.when(only).then(pl.col(self.shown_column(name, expr)).fill_null(UNKNOWN)))
            else:
                pieces.append(pl.when(only).then(pl.coalesce(render(pl.when(only).then(expr), t), pl.lit(UNKNOWN))))
            masked = True
        text = pl.concat_str(pieces) if len(pieces) > 1 else pieces[0] if pieces else pl.lit("")
        return text if masked else pl.when(only).then(text)  # masked: null where a piece is

    def shown_column(self, name: str, expr: pl.Expr) -> str:
        """The column holding text ``expr`` (the value of ``name``) as templates show it: its
        separators of packed lists replaced by spaces. The column is computed by the step
        that :meth:`shown_columns` gives next."""
        column = SHOWN + name
        k = 1
        while column in self.shown and not self.shown[column].meta.eq(expr):
            k += 1
            column = f"{SHOWN}{name}:{k}"
        self.shown[column] = expr
        return column

    def shown_columns(self) -> list[pl.Expr]:
        """The shown columns (see :meth:`shown_column`) no step computes yet."""
        separators = f"[{SEP}{FIELD_SEP}]"
        columns = []
        for column, expr in self.shown.items():
            if column not in self.shown_done:
                # The check is cheaper than the replacement, which runs only when some row
                # of the batch needs it.
                cleaned = pl.when(expr.str.contains(separators).any()).then(expr.str.replace_all(separators, " ")).otherwise(expr)
                columns.append(cleaned.alias(column))
                self.shown_done.add(column)
        return columns


# Points written as a number, and as a whole number.
NUMBER_POINTS = re.compile(r"\s*-?[0-9]+(\.[0-9]+)?\s*")
WHOLE_POINTS = re.compile(r"\s*-?[0-9]+\s*")


def points_bound(sources: list[Expr | None]) -> int | None:
    """The largest magnitude of the points written as ``sources`` (no points: 0) when each is a
    whole number, else None (points computed, or with decimals)."""
    bound = 0
    for source in sources:
        if source is None:
            continue
        if not WHOLE_POINTS.fullmatch(source.text):
            return None
        bound = max(bound, abs(int(source.text)))
    return bound


def points_of(value: pl.Expr, parts: list[tuple[str, pl.Expr]], dtype: pl.DataType) -> pl.Expr:
    """The points ``parts`` (name, points) give to the name in ``value``; 0 for other names and null.

    Constant points are looked up (one expression, however many names), others are chosen.
    """
    if all(points.meta.is_literal() for _, points in parts):
        constants = pl.select([points.cast(dtype).alias(str(i)) for i, (_, points) in enumerate(parts)]).row(0)
        return looked_up(value, [name for name, _ in parts], list(constants), dtype, default=0)
    # Points are never null, so the first name that matches gives them.
    chosen = [pl.when(value == name).then(points.cast(dtype)) for name, points in parts]
    return pl.coalesce([*chosen, pl.lit(0, dtype)])


def _may_hold_separators(t: Type, spec: FieldSpec | None) -> bool:
    """Whether a value of enum type ``t`` (of field ``spec``, if it is one) can hold the
    separators of packed lists: only if one of its names, or its default, does."""
    possible = [*(t.values or ()), *([str(spec.default)] if spec is not None and spec.default is not None else [])]
    return any(SEP in text or FIELD_SEP in text for text in possible)


def has_literal(template: str) -> bool:
    """Whether ``template`` (already checked) has text besides its placeholders, so it never renders empty."""
    return any(literal for literal, *_ in string.Formatter().parse(template))


def _unseparated(text: str) -> str:
    """``text`` with the separators of packed lists replaced by spaces."""
    return text.replace(SEP, " ").replace(FIELD_SEP, " ")


def render(expr: pl.Expr, t: Type) -> pl.Expr:
    """A value as display text: whole numbers without decimals, dates in ISO, booleans as yes/no."""
    if t.name in ("number", "money"):
        whole = expr.round(0) == expr
        return pl.when(whole).then(expr.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(expr.round(2).cast(pl.String))
    if t.name == "boolean":
        return pl.when(expr).then(pl.lit("yes")).when(~expr).then(pl.lit("no"))
    return expr.cast(pl.String)
