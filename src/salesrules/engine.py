"""The engine: a ruleset compiled into one lazy polars plan, and evaluation of records.

Per record the plan computes, in order: the typed fields (from the input columns matched
by name or alias, coerced, converted to the base currency, filled from lookup files, defaults
filled), the stage (recorded, else inferred from entry evidence) and the days in it, the
classifications (tiers first), the factors (with their recency decay), the scores (sums of
their parts, clamped), their bands and grades, and the actions. Values that depend on other records (the rank)
come from a frame-level pass afterwards. No per-record Python runs anywhere.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import string
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from . import coerce
from .errors import ExpressionError, InputError, Loc, RulesetError, UsageError, did_you_mean
from .expressions import Scope, compile_expression
from .lookups import LOOKUP, join_lookups
from .model import Expr, FieldSpec
from .types import BOOLEAN, DATE, INTEGER, NUMBER, STRING, Type, named
from .types import polars_dtype as polars_type

STAGE = "stage"
ROW = "__row"
BAD = "__bad"
IN = "in:"
VALUE = "__value:"
READ = "__read:"  # a field's values typed in Python, see read_in_python
SHOWN = "__shown:"  # a text value as templates show it, see _Compiler.template
UNKNOWN = "unknown"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
ACTION_DTYPE = pl.Struct({"name": pl.String, "text": pl.String, "due": pl.Date})
# The per-record plan keeps lists of fired items (reasons, gaps, actions) packed: their texts
# joined by SEP, and an action's name, text and due date joined by FIELD_SEP. Polars builds
# lists row by row far more slowly than it joins strings, and a packed list becomes a list
# or display text with elementwise operations only, so the whole pass streams. Placeholder
# values have these two characters replaced by spaces.
SEP = "\x1f"
FIELD_SEP = "\x1e"
REASONS, GAPS, ACTIONS, ACTIONS_TEXT = "__reasons", "__gaps", "__actions", "__actions_text"
ACTIONS_FIRED = "__actions_fired"
PACKED = (REASONS, GAPS, ACTIONS, ACTIONS_TEXT, ACTIONS_FIRED)
RESERVED = {
    "tier", "tier_points", "stage_source", "stage_conflict", "stage_probability", "score", "band",
    "rank", "reasons", "actions", "gaps", "as_of", "row", "days_in_stage", "stage_overdue",
}



# ---------------------------------------------------------------- compiling


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
    score_dtype: dict[str, pl.DataType] = field(default_factory=dict)
    # The names each phase of the ruleset sees, for tools that compile parts of its rules.
    scopes: dict[str, Scope] = field(default_factory=dict)
    preparations: dict[tuple, "Preparation"] = field(default_factory=dict, repr=False)
    # For read_in_python: each enum field's mapping, and which column feeds each field per set of columns.
    enum_mappings: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)
    matches: dict[tuple, dict[str, str | None]] = field(default_factory=dict, repr=False)

    def prepare(self, frame: pl.LazyFrame, source: str, *, strict_columns: bool = False, lookups: bool = True) -> "Prepared":
        """:func:`prepare` for this plan's fields, with the typing built once per input schema
        (``lookups``: see :func:`salesrules.coerce.coerce_expr`)."""
        schema = frame.collect_schema()
        key = (tuple(schema.items()), strict_columns, lookups)
        if key not in self.preparations:
            self.preparations[key] = preparation(self.fields, schema, source, strict_columns=strict_columns, lookups=lookups)
        return self.preparations[key].apply(frame)

    def apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """Add the per-record results to a frame of typed fields."""
        for step in self.steps:
            frame = frame.with_columns(step)
        return frame

    def finish(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The frame-level pass: the actions as lists of records, and the rank of open deals."""
        # Without a key field the key is the row number, held in the ``__row`` column.
        return rank(unpack(frame), ROW if self.key == "row" else self.key)

    @property
    def provenance(self) -> dict:
        """Ruleset name, version, content hash and the as-of date."""
        return {
            "ruleset": self.ruleset.name,
            "ruleset_version": self.ruleset.version,
            "ruleset_hash": self.ruleset.hash,
            "as_of": self.as_of.isoformat(),
        }


def packed(parts: list[pl.Expr]) -> pl.Expr:
    """The non-null texts of ``parts`` joined by SEP, in order; "" when there are none.

    Every part must be null or non-empty text (an empty item would vanish when unpacked).
    """
    if not parts:
        return pl.lit("", pl.String)
    return pl.concat_str(parts, separator=SEP, ignore_nulls=True)


# packed_steps joins up to PACK_FLAT parts in one expression, and more PACK_GROUP at a time.
PACK_FLAT, PACK_GROUP = 64, 16


def packed_steps(parts: list[pl.Expr], name: str) -> list[list[pl.Expr]]:
    """Plan steps that leave the :func:`packed` ``parts`` in column ``name``.

    Up to :data:`PACK_FLAT` parts are joined by one expression. More are joined in groups,
    all in the first step (so that polars computes them in parallel), then the groups in
    the next: planning and computing one join of a thousand parts costs more than linear
    time (2,000 reasons took 2.8 times as long to plan as 1,000), groups cost linear time.
    """
    if len(parts) <= PACK_FLAT:
        return [[packed(parts).alias(name)]]
    step, groups = [], []
    for start in range(0, len(parts), PACK_GROUP):
        group = f"__pack:{name}:{start // PACK_GROUP}"
        joined = packed(parts[start : start + PACK_GROUP])
        step.append(pl.when(joined != "").then(joined).alias(group))  # null, not "", when empty
        groups.append(pl.col(group))
    return [step, *packed_steps(groups, name)]


def unpacked(column: str) -> pl.Expr:
    """The packed texts of ``column`` as a list of strings."""
    text = pl.col(column)
    return pl.when(text == "").then(pl.lit([], pl.List(pl.String))).otherwise(text.str.split(SEP))


def unpacked_actions(column: str = ACTIONS) -> pl.Expr:
    """The packed actions of ``column`` as a list of ``{name, text, due}`` records."""
    item = pl.element().str.split_exact(FIELD_SEP, 2).struct.rename_fields(["name", "text", "due"])
    due = pl.when(pl.field("due") != "").then(pl.field("due")).str.to_date("%Y-%m-%d")
    return unpacked(column).list.eval(item.struct.with_fields(due.alias("due"))).cast(pl.List(ACTION_DTYPE))


def packed_text(column: str, separator: str) -> pl.Expr:
    """The packed texts of ``column`` joined by ``separator``; null when there are none
    (as :func:`salesrules.outputs.text_frame` renders an empty list)."""
    text = pl.col(column)
    return pl.when(text != "").then(text.str.replace_all(SEP, separator, literal=True))


def unpack(frame: pl.DataFrame | pl.LazyFrame):
    """``frame`` with the packed reasons, gaps and actions as the lists ``reasons``, ``gaps``
    and ``actions`` (records of name, text and due date); the packed columns are dropped."""
    return frame.with_columns(
        unpacked(REASONS).alias("reasons"), unpacked(GAPS).alias("gaps"), unpacked_actions().alias("actions")
    ).drop(PACKED, strict=False)


def rank_values(frame: pl.DataFrame, key: str, keep: pl.Series | None = None) -> pl.Series:
    """The rank of each row: open deals (of the rows ``keep`` marks) numbered 1..n by score
    descending, then key ascending; closed deals and rows not kept get null."""
    ranked = ~frame.get_column("__closed")
    if keep is not None:
        ranked = ranked & keep
    # Keys are sorted once on their own and replaced by their place in that order (ties
    # share one, rows without a key come last), so the sort of every row by rank compares
    # numbers only: less memory than sorting the key text with the score.
    keys = frame.get_column(key)
    place = keys.rank("dense") if keys.dtype != pl.Null else keys
    place = place.fill_null(keys.len() + 1)
    # Two stable sorts of single columns, five times faster than one sort by three: by key,
    # then by score (descending), the rows not ranked last. Rows that tie on score and key
    # (rows without a key) keep their order. No filtered copy of any column.
    by_key = pl.DataFrame([place]).select(pl.arg_sort_by(place.name, maintain_order=True)).to_series()
    scores = pl.DataFrame([ranked.alias("ranked"), frame.get_column("score")]).select(
        pl.when(pl.col("ranked")).then(pl.col("score"))
    ).to_series().gather(by_key)
    by_score = pl.DataFrame([scores]).select(
        pl.arg_sort_by(scores.name, descending=True, nulls_last=True, maintain_order=True)
    ).to_series()
    order = by_key.gather(by_score)
    count = int(ranked.sum())
    rank = pl.repeat(None, frame.height, dtype=pl.Int64, eager=True).alias("rank")
    if count:
        rank.scatter(order.head(count), pl.int_range(1, count + 1, dtype=pl.Int64, eager=True))
    return rank


def rank(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """``frame`` with the ``rank`` column (see :func:`rank_values`)."""
    return frame.with_columns(rank_values(frame, key))


def effective_fields(ruleset) -> dict[str, FieldSpec]:
    """The declared fields, the looked-up ones and the implicit ``stage`` field whose values are the stage names.

    Money fields carry the rates that convert them to the base currency, and the fields
    holding currency codes the codes they may hold.
    """
    from .lookups import looked_up_fields

    fields = looked_up_fields(ruleset, with_currencies(ruleset, dict(ruleset.fields)))
    if ruleset.stages:
        declared = fields.get(STAGE)
        values = {s.name: s.aliases for s in ruleset.stages}
        fields[STAGE] = FieldSpec(
            name=STAGE,
            type="enum",
            aliases=declared.aliases if declared else (),
            values=values,
            default=declared.default if declared else None,
            required=declared.required if declared else False,
            description=declared.description if declared else "The recorded stage of the sales cycle",
            loc=declared.loc if declared else None,
        )
    return fields


def with_currencies(ruleset, fields: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
    """``fields`` with the currency rates set on money fields and on the fields holding their codes."""
    from dataclasses import replace

    currencies = ruleset.currencies
    for name, spec in list(fields.items()):
        if spec.currency_field is None and (currencies is None or spec.currency is None):
            continue
        if spec.type != "money":
            raise RulesetError(f"field {name!r}: only a money field has a currency", spec.loc)
        if currencies is None:
            raise RulesetError(
                f"field {name!r}: currency_field needs a currencies section with the base currency and the rates", spec.loc
            )
        table = currencies.table()
        codes = [code for code, _ in table]
        if spec.currency is not None and spec.currency not in codes:
            raise RulesetError(
                f"field {name!r}: currency {spec.currency!r} has no rate in currencies (known: {', '.join(codes)})", spec.loc
            )
        if spec.currency_field is not None:
            holder = fields.get(spec.currency_field)
            if holder is None:
                raise RulesetError(
                    f"field {name!r}: currency_field {spec.currency_field!r} is not a field"
                    f"{did_you_mean(spec.currency_field, fields)}",
                    spec.loc,
                )
            if holder.type not in ("string", "enum"):
                raise RulesetError(f"field {name!r}: currency_field {holder.name!r} must be a string field, not {holder.type}", spec.loc)
            fields[holder.name] = replace(holder, rates=table)
        fields[name] = replace(spec, rates=table)
    return fields


def field_type(spec: FieldSpec) -> Type:
    """The expression-language type of a field."""
    if spec.type == "enum":
        return Type("enum", tuple(spec.values or ()))
    return named(spec.type)


def compile_ruleset(ruleset, as_of: dt.date | None = None) -> Plan:
    """Compile ``ruleset`` into a :class:`Plan`; every expression is type-checked here."""
    as_of = _as_date(as_of or ruleset.as_of or dt.date.today())
    cache = ruleset.__dict__.setdefault("_plans", {})
    if as_of not in cache:
        cache[as_of] = _Compiler(ruleset, as_of).compile()
    return cache[as_of]


def _as_date(value) -> dt.date:
    """An as-of date from a date, a datetime (its date) or ISO text; anything else is a usage error."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise UsageError(f"as_of must be a date (YYYY-MM-DD), not {value!r}")


class _Compiler:
    def __init__(self, ruleset, as_of: dt.date):
        from .plugins import get_registry

        self.ruleset = ruleset
        self.as_of = as_of
        self.registry = get_registry()
        self.fields = effective_fields(ruleset)
        self.steps: list[list[pl.Expr]] = []
        self.score_parts: dict[str, list[tuple[pl.Expr, Type]]] = {s: [] for s in ruleset.scores}
        # The text values templates show (see template), by column; those a step computes already.
        self.shown: dict[str, pl.Expr] = {}
        self.shown_done: set[str] = set()

    def check_names(self):
        rs = self.ruleset
        computed = RESERVED | {c.name for c in rs.classifications} | set(rs.scores)
        computed |= {f"{s}_band" for s in rs.scores}
        for grade in rs.grades:
            if grade.name in computed:
                raise RulesetError(f"grade {grade.name!r} has the name of another result; rename it", grade.loc)
            computed.add(grade.name)
        looked_up = {n: s for lookup in rs.lookups for n, s in lookup.fields.items()}
        for name, spec in {**looked_up, **rs.fields}.items():
            if name in computed or name.startswith("__"):
                raise RulesetError(f"field {name!r} has the name of a result; rename it", spec.loc)
            if spec.default is not None:
                self.check_default(spec)

    def check_default(self, spec: FieldSpec):
        value = spec.default
        try:
            frame = pl.DataFrame({"v": [value]})
            converted = frame.select(coerce.coerce_expr(pl.col("v"), spec, frame.schema["v"])).item()
        except (TypeError, ValueError, pl.exceptions.PolarsError):
            converted = None  # a list or mapping is no field value
        if converted is None:
            raise RulesetError(f"field {spec.name!r}: default {value!r} is not a valid {coerce.describe_type(spec)}", spec.loc)

    def expr(self, source: Expr | None, scope: Scope, expect: str):
        return compile_expression(source, scope, expect)

    def points(self, source: Expr | None, scope: Scope) -> tuple[pl.Expr, Type]:
        if source is None:
            return pl.lit(0, pl.Int64), INTEGER
        compiled = self.expr(source, scope, "numeric")
        t = compiled.type if compiled.type.name != "null" else INTEGER
        dtype = pl.Int64 if t.name == "integer" else pl.Float64
        if re.fullmatch(r"\s*-?[0-9]+(\.[0-9]+)?\s*", source.text):  # most points are a number
            return pl.lit(int(source.text) if dtype == pl.Int64 else float(source.text), dtype), t
        return compiled.expr.cast(dtype).fill_null(0), t

    def score_of(self, name: str | None, loc) -> str:
        target = name or self.ruleset.ranking_score
        if name is None:
            target = next(iter(self.ruleset.scores))
        if target not in self.ruleset.scores:
            raise RulesetError(f"unknown score {target!r}{did_you_mean(target, self.ruleset.scores)}", loc)
        return target

    def compile(self) -> Plan:
        self.check_names()
        rs = self.ruleset
        functions = self.registry.functions
        names = {n: (field_type(s), pl.col(n)) for n, s in self.fields.items()}
        hints = {c.name: "is a result and cannot be used before it is computed" for c in rs.classifications}
        scope = Scope(names, functions, self.as_of, hints)
        scope = self.compile_signals(scope)
        self.scopes = {"fields": scope}

        stage_scope = scope
        scope = self.compile_stages(scope)
        self.scopes["rules"] = scope
        for classification in rs.classifications:
            scope = self.compile_classification(classification, scope)
        if not any(c.name == "tier" for c in rs.classifications):
            # Like the stage columns, the tier columns are always there: without tiers every
            # record's tier is unknown and worth 0 points.
            self.steps.append([pl.lit(None, pl.String).alias("tier"), pl.lit(0, pl.Int64).alias("tier_points")])
        scope = self.compile_factors(scope)
        self.scopes["factors"] = scope
        scope = self.compile_scores(scope)
        scope = self.compile_grades(scope)
        self.scopes["actions"] = scope
        self.compile_actions(scope, stage_scope)
        key = rs.key or "row"
        output = [key, "tier", "tier_points"] + [c.name for c in rs.classifications if c.name != "tier"]
        output += ["stage", "stage_source", "stage_conflict", "stage_probability", "score", "band"]
        if len(rs.scores) > 1:
            for s in rs.scores:
                output += [s, f"{s}_band"]
        output += [g.name for g in rs.grades]
        output += ["rank", "reasons", "actions", "gaps"]
        return Plan(rs, self.as_of, self.fields, self.steps, output, key,
                    [s.name for s in rs.stages if s.closed], scopes=self.scopes)

    def compile_signals(self, scope: Scope) -> Scope:
        """Compute the plugins' signals whose input fields the ruleset declares with fitting types."""
        from .errors import PluginError
        from .types import accepts

        exprs, extra, hints = [], {}, dict(scope.hints)
        for signal in self.registry.signals.values():
            if signal.name in self.fields:
                continue
            unmet = []
            for name, wanted in signal.inputs.items():
                spec = self.fields.get(name)
                if spec is None:
                    unmet.append(f"a field {name!r} ({wanted})")
                elif not accepts(wanted, field_type(spec)):
                    unmet.append(f"field {name!r} to be {wanted}, not {spec.type}")
            if unmet:
                hints[signal.name] = f"is a signal of plugin {signal.plugin!r} that needs {', '.join(unmet)}"
                continue
            try:
                expr = signal.impl({n: pl.col(n) for n in signal.inputs})
            except Exception as exc:
                raise PluginError(f"plugin {signal.plugin!r} failed in signal {signal.name!r}: {type(exc).__name__}: {exc}") from exc
            exprs.append(expr.cast(polars_type(named(signal.returns))).alias(signal.name))
            extra[signal.name] = (named(signal.returns), pl.col(signal.name))
        if exprs:
            self.steps.append(exprs)
        result = scope.child(extra)
        result.hints = hints
        return result

    # -- stages

    def compile_stages(self, scope: Scope) -> Scope:
        rs = self.ruleset
        if not rs.stages:
            self.steps.append([
                pl.lit(None, pl.String).alias("stage"),
                pl.lit(None, pl.String).alias("stage_source"),
                pl.lit(False).alias("stage_conflict"),
                pl.lit(None, pl.Float64).alias("stage_probability"),
                pl.lit("").alias(GAPS),
                pl.lit(False).alias("__closed"),
                pl.lit(False).alias("__won"),
                pl.lit(False).alias("__lost"),
                pl.lit(0, pl.Int64).alias("__stage_points"),
            ])
            self.score_parts[self.score_of(None, None)].append((pl.col("__stage_points"), INTEGER))
            return scope.child({"stage": (Type("enum", ()), pl.col("stage"))})
        recorded = pl.col(STAGE)
        conditions = {}
        for stage in rs.stages:
            for cname, cexpr in stage.entry.items():
                conditions[(stage.name, cname)] = self.expr(cexpr, scope, "boolean").expr.fill_null(False)
        inferred = pl.lit(None, pl.String)
        for stage in rs.stages:  # later stages win: build the chain so the last one is checked first
            if stage.entry:
                holds = pl.all_horizontal([conditions[(stage.name, c)] for c in stage.entry])
                inferred = pl.when(holds).then(pl.lit(stage.name)).otherwise(inferred)
        gaps = [
            pl.when((recorded == stage.name) & ~conditions[(stage.name, c)]).then(pl.lit(c))
            for stage in rs.stages
            for c in stage.entry
        ]
        gaps_expr = packed(gaps)
        self.steps.append([pl.coalesce([recorded, inferred]).alias("__stage"), gaps_expr.alias(GAPS)])
        stage_col = pl.col("__stage")
        probabilities = {s.name: s.probability for s in rs.stages if s.probability is not None}
        closed = [s.name for s in rs.stages if s.closed]
        won = [s.name for s in rs.stages if s.closed == "won"]
        lost = [s.name for s in rs.stages if s.closed == "lost"]
        stage_type = Type("enum", tuple(s.name for s in rs.stages))
        point_scope = scope.child({"stage": (stage_type, stage_col)})
        per_score: dict[str, list] = {}
        types: dict[str, list] = {}
        for stage in rs.stages:
            if stage.points is None:
                continue
            target = self.score_of(stage.score, stage.loc)
            pts, t = self.points(stage.points, point_scope)
            per_score.setdefault(target, []).append((stage.name, pts))
            types.setdefault(target, []).append(t)
        step = [
            stage_col.alias("stage"),
            # Not recorded, the stage is inferred where there is one.
            pl.when(recorded.is_not_null()).then(pl.lit("recorded"))
            .when(stage_col.is_not_null()).then(pl.lit("inferred")).alias("stage_source"),
            (pl.col(GAPS) != "").alias("stage_conflict"),
            stage_col.replace_strict(list(probabilities), list(probabilities.values()), default=None, return_dtype=pl.Float64).alias("stage_probability")
            if probabilities else pl.lit(None, pl.Float64).alias("stage_probability"),
            stage_col.is_in(closed).fill_null(False).alias("__closed"),
            stage_col.is_in(won).fill_null(False).alias("__won"),
            stage_col.is_in(lost).fill_null(False).alias("__lost"),
        ]
        for target, parts in per_score.items():
            t = INTEGER if all(x.name == "integer" for x in types[target]) else NUMBER
            dtype = pl.Int64 if t == INTEGER else pl.Float64
            column = f"__stage_points:{target}"
            step.append(_points_of(stage_col, parts, dtype).alias(column))
            self.score_parts[target].append((pl.col(column), t))
        self.steps.append(step)
        names = {
            "stage": (stage_type, pl.col("stage")),
            "stage_probability": (NUMBER, pl.col("stage_probability")),
            "stage_conflict": (BOOLEAN, pl.col("stage_conflict")),
        }
        entered = self.stage_entered_field()
        if entered is None:
            why = "needs a date field recording when a deal entered its stage: declare stage_entered or name one with stage_entered: FIELD"
            result = scope.child(names)
            result.hints = {**scope.hints, "days_in_stage": why, "stage_overdue": why}
            return result
        # Gaps so far are the unmet entry conditions, which stage_conflict is about; a deal
        # over its stage's max_days adds a gap of its own afterwards.
        days = (pl.lit(self.as_of, pl.Date) - pl.col(entered)).dt.total_days()
        limited = [stage for stage in rs.stages if stage.max_days is not None]
        names_limited = [stage.name for stage in limited]
        # Each stage's limit and gap looked up by name: null for the stages without one.
        limit = stage_col.replace_strict(names_limited, [s.max_days for s in limited], default=None, return_dtype=pl.Int64)
        text = stage_col.replace_strict(names_limited, [f"{s.name}: over {s.max_days} days in stage" for s in limited],
                                        default=None, return_dtype=pl.String)
        overdue = (days > limit).fill_null(False) if limited else pl.lit(False)
        self.steps.append([days.alias("days_in_stage"), overdue.alias("stage_overdue")])
        if limited:
            self.steps.append([
                pl.when(pl.col("stage_overdue"))
                .then(packed([pl.when(pl.col(GAPS) != "").then(pl.col(GAPS)), text]))
                .otherwise(pl.col(GAPS)).alias(GAPS),
            ])
        names["days_in_stage"] = (INTEGER, pl.col("days_in_stage"))
        names["stage_overdue"] = (BOOLEAN, pl.col("stage_overdue"))
        return scope.child(names)

    def stage_entered_field(self) -> str | None:
        """The date field recording when a deal entered its stage: ``stage_entered: FIELD``, else a field of that name."""
        rs = self.ruleset
        name = rs.stage_entered
        if name is None:
            name = "stage_entered" if "stage_entered" in self.fields else None
        limited = next((s for s in rs.stages if s.max_days is not None), None)
        if name is None:
            if limited is not None:
                raise RulesetError(
                    f"stage {limited.name!r} has max_days, but no field records when a deal entered its stage; "
                    "declare a date field stage_entered or name one with stage_entered: FIELD",
                    limited.loc,
                )
            return None
        loc = rs.locs.get("stage_entered")
        spec = self.fields.get(name)
        if spec is None:
            raise RulesetError(f"stage_entered: {name!r} is not a field{did_you_mean(name, self.fields)}", loc)
        if spec.type != "date":
            if rs.stage_entered is None and limited is None:
                return None  # a field that happens to be called stage_entered, not a date: no timing
            raise RulesetError(f"stage_entered: field {name!r} must be a date, not {spec.type}", loc if rs.stage_entered else spec.loc)
        return name

    # -- classifications

    def compile_classification(self, classification, scope: Scope) -> Scope:
        levels = classification.levels
        name = classification.name
        for i, level in enumerate(levels[:-1]):
            if level.when is None:
                raise RulesetError(
                    f"{name} level {level.name!r} has no condition, so the levels after it can never match; "
                    "only the last level may be a catch-all",
                    level.loc,
                )
        conditions = [self.expr(lv.when, scope, "boolean").expr if lv.when is not None else None for lv in levels]
        # The first level whose condition holds: a coalesce of one when/then per level, built
        # in linear time (a chain of .when() calls copies the whole chain at every level).
        choices = [pl.lit(lv.name) if cond is None else pl.when(cond).then(pl.lit(lv.name)) for lv, cond in zip(levels, conditions)]
        value = choices[0] if len(choices) == 1 else pl.coalesce(choices)
        value_col = pl.col(name)
        self.steps.append([value.alias(name)])
        scored = [lv for lv in levels if lv.points is not None]
        level_scope = scope.child({name: (Type("enum", tuple(lv.name for lv in levels)), value_col)})
        if scored or name == "tier":
            targets: dict[str, list] = {}
            for level in scored:
                target = self.score_of(level.score, level.loc)
                targets.setdefault(target, []).append(level)
            if not targets:
                targets[self.score_of(None, None)] = []
            point_cols = []
            for target, tlevels in targets.items():
                parts = [(lv.name, *self.points(lv.points, level_scope)) for lv in tlevels]
                t = INTEGER if all(p[2].name == "integer" for p in parts) else NUMBER
                dtype = pl.Int64 if t == INTEGER else pl.Float64
                expr = _points_of(value_col, [(lname, pts) for lname, pts, _ in parts], dtype) if parts else pl.lit(0, dtype)
                column = f"__{name}_points:{target}"
                point_cols.append(expr.alias(column))
                self.score_parts[target].append((pl.col(column), t))
            self.steps.append(point_cols)
            if name == "tier":
                columns = [pl.col(c.meta.output_name()) for c in point_cols]
                self.steps.append([pl.sum_horizontal(columns).alias("tier_points")])
        extra = {name: (Type("enum", tuple(lv.name for lv in levels)), value_col)}
        if name == "tier":
            extra["tier_points"] = (NUMBER, pl.col("tier_points"))
        hints = dict(scope.hints)
        hints.pop(name, None)
        new = scope.child(extra)
        new.hints = hints
        return new

    # -- factors and scores

    def compile_factors(self, scope: Scope) -> Scope:
        conditions, points, reasons = [], [], []
        self.factor_columns = []
        for i, factor in enumerate(self.ruleset.factors):
            column = f"__factor:{factor.name}"
            cond = self.expr(factor.when, scope, "boolean").expr.fill_null(False)
            conditions.append(cond.alias(column))
            target = self.score_of(factor.score, factor.loc)
            pts, t = self.points(factor.points, scope)
            dtype = pl.Int64 if t.name == "integer" else pl.Float64
            points.append(pl.when(pl.col(column)).then(pts).otherwise(pl.lit(0, dtype)).alias(f"__points:{factor.name}"))
            self.score_parts[target].append((pl.col(f"__points:{factor.name}"), t))
            if factor.decay is not None:
                # The undecayed points stay in __points:NAME and the decay is a part of its own,
                # so a receipt shows both and still adds up.
                adjustment, dt_ = self.decay(factor.decay, pts, scope)
                zero = pl.lit(0, pl.Int64 if dt_.name == "integer" else pl.Float64)
                points.append(pl.when(pl.col(column)).then(adjustment).otherwise(zero).alias(f"__decay:{factor.name}"))
                self.score_parts[target].append((pl.col(f"__decay:{factor.name}"), dt_))
            reason = factor.reason or factor.name.replace("_", " ")
            # The text is null where the factor did not fire; a reason that renders empty is left out.
            text = self.template(reason, scope, factor.loc, only=pl.col(column))
            reasons.append(text if _has_literal(reason) else pl.when(text != "").then(text))
            self.factor_columns.append((factor, column))
        if conditions:
            self.steps.append(conditions + self.shown_columns())
            first, *rest = packed_steps(reasons, REASONS)
            self.steps += [points + first, *rest]
        else:
            self.steps.append([pl.lit("").alias(REASONS)])
        return scope

    def decay(self, decay, points: pl.Expr, scope: Scope) -> tuple[pl.Expr, Type]:
        """The amount a factor's points change by with the days since ``decay.since`` (0 when unknown)."""
        since = self.expr(decay.since, scope, "date").expr.cast(pl.Date)
        # A date after as-of has not started to decay.
        days = (pl.lit(self.as_of, pl.Date) - since).dt.total_days().clip(lower_bound=0)
        if decay.half_life is not None:
            factor = pl.lit(0.5) ** (days.cast(pl.Float64) / float(decay.half_life)) - 1
            return (points.cast(pl.Float64) * factor).fill_null(0.0), NUMBER
        whole = all(float(p).is_integer() for _, p in decay.steps)
        dtype = pl.Int64 if whole else pl.Float64
        chain = None
        for after, step_points in reversed(decay.steps):  # the last step reached wins
            value = pl.lit(int(step_points) if whole else float(step_points), dtype)
            chain = pl.when(days > after).then(value) if chain is None else chain.when(days > after).then(value)
        return chain.otherwise(pl.lit(0, dtype)).fill_null(0), INTEGER if whole else NUMBER

    def compile_scores(self, scope: Scope) -> Scope:
        rs = self.ruleset
        sums, scored = [], []
        extra = {}
        for name, score in rs.scores.items():
            parts = self.score_parts[name]
            integer = all(t.name == "integer" for _, t in parts) and all(
                v is None or float(v).is_integer() for v in (score.min, score.max)
            )
            dtype = pl.Int64 if integer else pl.Float64
            if not parts:
                raw = pl.lit(0, dtype)
            elif integer:
                # Summed in Int128 and held within Int64, so that huge points cannot wrap around.
                raw = pl.sum_horizontal([p.cast(pl.Int128) for p, _ in parts]).clip(INT64_MIN, INT64_MAX)
            else:
                raw = pl.sum_horizontal([p.cast(dtype) for p, _ in parts])
            sums.append(raw.cast(dtype).alias(f"__raw:{name}"))
            # The score and its bands read the sum from its column (the next step).
            total = pl.col(f"__raw:{name}")
            if score.min is not None or score.max is not None:
                lower = None if score.min is None else pl.lit(score.min, dtype)
                upper = None if score.max is None else pl.lit(score.max, dtype)
                total = total.clip(lower, upper)
            scored.append(total.cast(dtype).alias(f"__score:{name}"))
            band = None
            for b in score.bands[:-1]:
                if b.min is None:  # the bands after it could never be reached
                    raise RulesetError(
                        f"score {name!r}: band {b.name!r} has no min, so the bands after it can never match; "
                        "only the last band may be a catch-all",
                        b.loc,
                    )
            for b in score.bands:
                if b.min is None:
                    band = band.otherwise(pl.lit(b.name)) if band is not None else pl.lit(b.name)
                    break
                cond = total >= b.min
                band = pl.when(cond).then(pl.lit(b.name)) if band is None else band.when(cond).then(pl.lit(b.name))
            if band is None:
                band = pl.lit(None, pl.String)
            scored.append(band.alias(f"__band:{name}"))
            t = INTEGER if integer else NUMBER
            extra[name] = (t, pl.col(f"__score:{name}"))
            extra[f"{name}_band"] = (Type("enum", tuple(b.name for b in score.bands)), pl.col(f"__band:{name}"))
        self.steps.append(sums)
        self.steps.append(scored)
        ranking = rs.ranking_score
        renames = [pl.col(f"__score:{ranking}").alias("score"), pl.col(f"__band:{ranking}").alias("band")]
        if len(rs.scores) > 1:
            for name in rs.scores:
                renames += [pl.col(f"__score:{name}").alias(name), pl.col(f"__band:{name}").alias(f"{name}_band")]
        self.steps.append(renames)
        extra["score"] = extra[ranking]
        extra["band"] = extra[f"{ranking}_band"]
        return scope.child(extra)

    def compile_grades(self, scope: Scope) -> Scope:
        """Each grade: the band of its ``rows`` score followed by that of its ``columns`` score."""
        rs = self.ruleset
        columns, extra = [], {}
        for grade in rs.grades:
            axes = []
            for axis in (grade.rows, grade.columns):
                score = rs.scores.get(axis)
                if score is None:
                    raise RulesetError(f"grade {grade.name!r}: unknown score {axis!r}{did_you_mean(axis, rs.scores)}", grade.loc)
                if not score.bands:
                    raise RulesetError(f"grade {grade.name!r}: score {axis!r} has no bands to combine", grade.loc)
                axes.append(score)
            rows, cols = axes
            # Null when either band is: a grade needs both.
            columns.append(pl.concat_str([pl.col(f"__band:{rows.name}"), pl.col(f"__band:{cols.name}")]).alias(grade.name))
            values = tuple(dict.fromkeys(r.name + c.name for r in rows.bands for c in cols.bands))
            extra[grade.name] = (Type("enum", values), pl.col(grade.name))
        if columns:
            self.steps.append(columns)
        return scope.child(extra)

    # -- actions

    def compile_actions(self, scope: Scope, stage_scope: Scope):
        applies = {
            "open": ~pl.col("__closed"),
            "closed": pl.col("__closed"),
            "won": pl.col("__won"),
            "lost": pl.col("__lost"),
            "all": pl.lit(True),
        }
        conditions, parts, items, displays = [], [], [], []
        for i, action in enumerate(self.ruleset.actions):
            cond = applies[action.applies_to]
            if action.when is not None:
                cond = cond & self.expr(action.when, scope, "boolean").expr.fill_null(False)
            due = self.expr(action.due, scope, "date").expr.cast(pl.Date) if action.due is not None else pl.lit(None, pl.Date)
            # The condition, text and due date are columns of their own, computed once for
            # both the packed records and the display text.
            fired, text, due_text = f"__action:{i}", f"__action_text:{i}", f"__action_due:{i}"
            conditions.append(cond.alias(fired))
            parts += [self.template(action.text, scope, action.loc, only=pl.col(fired)).alias(text), due.cast(pl.String).alias(due_text)]
            text, due_text = pl.col(text), pl.col(due_text)
            # Both are null where the action did not fire, as its text is.
            items.append(pl.concat_str([pl.lit(action.name + FIELD_SEP), text, pl.lit(FIELD_SEP), due_text.fill_null("")]))
            # As people read it: "text (due 2026-11-24)", or the text alone without a due date.
            displays.append(pl.coalesce(pl.concat_str([text, pl.lit(" (due "), due_text, pl.lit(")")]), text))
        if parts:
            self.steps.append(conditions + self.shown_columns())
            self.steps.append(parts)
        fired_any = pl.any_horizontal([pl.col(f"__action:{i}") for i in range(len(self.ruleset.actions))]) if parts else pl.lit(False)
        self.steps.append([packed(items).alias(ACTIONS), packed(displays).alias(ACTIONS_TEXT), fired_any.alias(ACTIONS_FIRED)])

    def template(self, text: str, scope: Scope, loc, only: pl.Expr) -> pl.Expr:
        """A text with ``{name}`` placeholders, filled per record where ``only`` (a boolean
        column) is true and null elsewhere, which saves rendering the values of every other record."""
        pieces, masked = [], False
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise RulesetError(f"bad template {text!r}: {exc}", loc) from None
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


def _points_of(value: pl.Expr, parts: list[tuple[str, pl.Expr]], dtype: pl.DataType) -> pl.Expr:
    """The points ``parts`` (name, points) give to the name in ``value``; 0 for other names and null.

    Constant points are looked up (one expression, however many names), others are chosen.
    """
    if all(points.meta.is_literal() for _, points in parts):
        constants = pl.select([points.cast(dtype).alias(str(i)) for i, (_, points) in enumerate(parts)]).row(0)
        return value.replace_strict([name for name, _ in parts], list(constants), default=0, return_dtype=dtype).fill_null(0)
    # Points are never null, so the first name that matches gives them.
    chosen = [pl.when(value == name).then(points.cast(dtype)) for name, points in parts]
    return pl.coalesce([*chosen, pl.lit(0, dtype)])


def _may_hold_separators(t: Type, spec: FieldSpec | None) -> bool:
    """Whether a value of enum type ``t`` (of field ``spec``, if it is one) can hold the
    separators of packed lists: only if one of its names, or its default, does."""
    possible = [*(t.values or ()), *([str(spec.default)] if spec is not None and spec.default is not None else [])]
    return any(SEP in text or FIELD_SEP in text for text in possible)


def _has_literal(template: str) -> bool:
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


# ---------------------------------------------------------------- preparing input


def _normal(name: str) -> str:
    """A column name compared ignoring case, spaces, ``-``, ``.`` and ``_``, as the docs promise:
    ``Deal Value``, ``deal_value``, ``DealValue`` and ``dealvalue`` (HubSpot's internal name
    style) all match. Separators are dropped, not just unified."""
    return re.sub(r"[\s\-_.]+", "", str(name).strip().lower())


def match_columns(fields: dict[str, FieldSpec], columns: list[str], source: str) -> dict[str, str | None]:
    """Which input column feeds each field: its name or an alias, exactly, else ignoring case and separators."""
    normal: dict[str, list[str]] = {}
    for column in columns:
        normal.setdefault(_normal(column), []).append(column)
    mapping = {}
    for name, spec in fields.items():
        candidates = (name, *spec.aliases)
        found = next((c for c in candidates if c in columns), None)
        if found is None:
            matches = sorted({col for c in candidates for col in normal.get(_normal(c), [])})
            if len(matches) > 1:
                raise InputError(f"columns {matches} all match field {name!r}; rename one or set aliases", Loc(source))
            found = matches[0] if matches else None
        mapping[name] = found
    used: dict[str, str] = {}
    for name, column in mapping.items():
        if column is None:
            continue
        if column in used:
            raise InputError(f"column {column!r} matches both field {used[column]!r} and field {name!r}", Loc(source))
        used[column] = name
    for name, spec in fields.items():
        if spec.required and mapping[name] is None:
            looked = ", ".join(repr(c) for c in (name, *spec.aliases))
            raise InputError(f"missing column for required field {name!r} (looked for {looked})", Loc(source))
    return mapping


@dataclass
class Prepared:
    """Input columns renamed ``in:NAME``, the typed fields, the row number and the bad-row flag."""

    frame: pl.LazyFrame
    mapping: dict[str, str | None]
    input_columns: list[str]
    flags: dict[str, pl.Expr]


def prepare(fields: dict[str, FieldSpec], frame: pl.LazyFrame, source: str, *, strict_columns: bool = False) -> Prepared:
    """Typed field columns from an input frame, with a ``__bad`` flag on rows whose values do not convert.

    Money is converted to the base currency; a field with a looked-up value (a ``__lookup:``
    column the lookup step added) takes it where the input has none; then defaults fill nulls.
    """
    return preparation(fields, frame.collect_schema(), source, strict_columns=strict_columns).apply(frame)


@dataclass
class Preparation:
    """How to type the columns of one input schema (see :func:`prepare`); it can be applied
    to every frame of that schema, such as the batches of a big input."""

    numbered: bool
    selection: list[pl.Expr]
    stages: list[list[pl.Expr]]
    mapping: dict[str, str | None]
    input_columns: list[str]
    flags: dict[str, pl.Expr]

    def apply(self, frame: pl.LazyFrame) -> Prepared:
        """The typed columns of ``frame``."""
        # Number the rows before selecting: a select of no columns (an empty record) has no rows.
        frame = (frame if self.numbered else frame.with_row_index(ROW, offset=1)).select(self.selection)
        for stage in self.stages:
            frame = frame.with_columns(stage)
        return Prepared(frame, self.mapping, self.input_columns, self.flags)


def preparation(fields: dict[str, FieldSpec], schema: pl.Schema, source: str, *, strict_columns: bool = False, lookups: bool = True) -> Preparation:
    """The :class:`Preparation` of input columns ``schema`` for ``fields``; see :func:`prepare`."""
    numbered = ROW in schema  # rows numbered already, as the batches of a bigger input are
    looked_up = [c for c in schema.names() if c.startswith(LOOKUP)]
    read_before = [c for c in schema.names() if c.startswith(READ)]
    columns = [c for c in schema.names() if not c.startswith((LOOKUP, READ)) and c != ROW]
    mapping = match_columns(fields, columns, source)
    if strict_columns:
        known = {c for c in mapping.values() if c is not None}
        for column in columns:
            if column not in known:
                raise InputError(f"unknown field {column!r}{did_you_mean(column, fields)}", Loc(source))
    selection = [pl.col(ROW), *[pl.col(c).alias(IN + c) for c in columns], *[pl.col(c) for c in looked_up + read_before]]

    def read(name: str) -> pl.Expr:
        spec, column = fields[name], mapping[name]
        if column is None:
            return pl.lit(None, coerce.polars_dtype(spec))
        return coerce.coerce_expr(pl.col(IN + column), spec, schema[column], lookups=lookups)

    # Each field is read once, into a column of its own, so that its flag and its value
    # share the reading whatever the query optimizer does.
    values = [read(name).alias(VALUE + name) for name, column in mapping.items() if column is not None and READ + name not in schema]
    typed, flags = [], {}
    for name, spec in fields.items():
        column = mapping[name]
        if column is None:
            value = read(name)
        elif READ + name in schema:
            value = pl.col(READ + name)  # typed in Python: every value was read
        else:
            value = pl.col(VALUE + name)
            flag = _unread(pl.col(IN + column), value, schema[column], spec)
            if flag is not None:
                flags[name] = flag
        if spec.rates is not None and spec.type == "money":
            rate = _rate(spec, fields, read)
            # Converted amounts are rounded to cents; amounts in the base currency stay as they are.
            value = pl.when(rate == 1).then(value).otherwise((value * rate).round(2, mode="half_away_from_zero"))
        elif spec.rates is not None:
            # A field holding currency codes: a code without a rate is a bad value.
            flags[name] = flags.get(name, pl.lit(False)) | (_code(value).is_in([c for c, _ in spec.rates]).not_() & value.is_not_null())
        if LOOKUP + name in looked_up:
            value = pl.coalesce(value, pl.col(LOOKUP + name))
        if spec.default is not None:
            value = value.fill_null(pl.lit(spec.default).cast(coerce.polars_dtype(spec), strict=False))
        if spec.required:
            flags[name] = flags.get(name, pl.lit(False)) | value.is_null()
        typed.append(value.alias(name))
    bad = pl.any_horizontal(list(flags.values())).alias(BAD) if flags else pl.lit(False).alias(BAD)
    stages = [stage for stage in (values, typed, [bad]) if stage]
    return Preparation(numbered, selection, stages, mapping, columns, flags)


def _unread(source: pl.Expr, value: pl.Expr, dtype: pl.DataType, spec: FieldSpec) -> pl.Expr | None:
    """True where ``source`` holds a value (not null, not blank) that did not convert; None
    when that cannot happen (text read as text is null only when it is blank)."""
    if dtype == pl.String and spec.type == "string":
        return None
    missed = value.is_null() & source.is_not_null()
    if dtype != pl.String:
        return missed
    # Blank text reads as null and is no bad value. Trimming every value costs more than
    # the rest of the check, so it runs only when some row of the batch needs it.
    return pl.when(missed.any()).then(missed & (source.str.strip_chars() != "")).otherwise(pl.lit(False))


def _code(value: pl.Expr) -> pl.Expr:
    """A currency code as compared: trimmed, upper case."""
    return value.cast(pl.String).str.strip_chars().str.to_uppercase()


def _rate(spec: FieldSpec, fields: dict[str, FieldSpec], read) -> pl.Expr:
    """Units of the base currency per unit of a money field's value, per record.

    The record's code in ``currency_field``, else the field's fixed ``currency``, else the
    base currency; an unknown code gives null (the code field flags the row).
    """
    codes = [c for c, _ in spec.rates]
    rates = [r for _, r in spec.rates]
    fallback = pl.lit(dict(spec.rates)[spec.currency] if spec.currency else 1.0, pl.Float64)
    if spec.currency_field is None:
        return fallback
    holder = fields[spec.currency_field]
    code = read(holder.name)
    if holder.default is not None:
        code = code.fill_null(pl.lit(holder.default).cast(pl.String, strict=False))
    code = _code(code)
    return pl.when(code.is_null()).then(fallback).otherwise(code.replace_strict(codes, rates, default=None, return_dtype=pl.Float64))


def describe_bad_rows(prepared: Prepared, fields: dict[str, FieldSpec], source: str, rows: pl.DataFrame | None = None, limit: int = 1) -> list[InputError]:
    """One error per bad row (the first ``limit`` of them), naming the row, column and value."""
    flagged = prepared.frame.filter(pl.col(BAD)).head(limit)
    checks = [f.alias(f"__flag:{n}") for n, f in prepared.flags.items()]
    found = flagged.with_columns(checks).collect()
    errors = []
    for row in found.iter_rows(named=True):
        for name in prepared.flags:
            if row[f"__flag:{name}"]:
                errors.append(bad_value_error(name, fields[name], prepared.mapping[name], row, source))
                break
    return errors


def bad_value_error(name: str, spec: FieldSpec, column: str | None, row: dict, source: str) -> InputError:
    """The error for one value that does not convert, or a required value that is missing."""
    where = f"row {row[ROW]}, column {column or name!r}"
    value = row.get(IN + column) if column else None
    if value is None or (isinstance(value, str) and not value.strip()):
        return InputError(f"{where}: a value is required for field {name!r}", Loc(source))
    codes = [c for c, _ in spec.rates or ()]
    if spec.type != "money" and codes and str(value).strip().upper() not in codes:
        return InputError(
            f"{where}: unknown currency {str(value).strip()!r} (known: {', '.join(codes)}){did_you_mean(str(value).strip().upper(), codes)}",
            Loc(source),
        )
    hint = ""
    if spec.type == "enum":
        spellings = [v for canon, alts in (spec.values or {}).items() for v in (canon, *alts)]
        hint = did_you_mean(str(value).strip(), spellings)
    return InputError(f"{where}: cannot read {str(value)!r} as {coerce.describe_type(spec)}{hint}", Loc(source))


# ---------------------------------------------------------------- evaluating


def to_lazy(data, options: dict) -> tuple[pl.LazyFrame, str]:
    """A lazy frame and a source name from a path, a polars or pandas frame, or a list of dicts."""
    from pathlib import Path

    if isinstance(data, pl.LazyFrame):
        return data, "<frame>"
    if isinstance(data, pl.DataFrame):
        return data.lazy(), "<frame>"
    if isinstance(data, (str, Path)):
        from .inputs import ReadOptions, read_table

        read = ReadOptions(encoding=options.get("encoding") or "utf-8")
        return read_table(str(data), read, options.get("input_format")), str(data)
    if isinstance(data, list):
        return records_frame(data).lazy(), "<records>"
    if type(data).__module__.startswith("pandas"):
        return pl.from_pandas(data).lazy(), "<pandas>"
    raise UsageError(f"cannot evaluate {type(data).__name__}: pass a path, a polars or pandas frame, or a list of dicts")


def records_frame(records: list[dict]) -> pl.DataFrame:
    """A frame from dicts; a column whose values have mixed types is read as text."""
    columns: dict[str, list] = {}
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise UsageError(f"record {i + 1} is a {type(record).__name__}, not a dict")
        for k in record:
            columns.setdefault(str(k), [None] * len(records))
    if columns and all(type(k) is str and (v is None or type(v) is str) for r in records for k, v in r.items()):
        # Text only, as a CRM export gives it: built by rows, which is faster for a few records.
        return pl.from_dicts(records, schema=dict.fromkeys(columns, pl.String))
    for i, record in enumerate(records):
        for k, v in record.items():
            columns[str(k)][i] = v
    series = []
    for name, values in columns.items():
        kinds = {type(v) for v in values if v is not None}
        if len(kinds) > 1 and not kinds <= {int, float}:
            values = [None if v is None else str(v) for v in values]
        try:
            series.append(pl.Series(name, values, strict=False))
        except (TypeError, pl.exceptions.PolarsError):
            series.append(pl.Series(name, [None if v is None else str(v) for v in values]))
    # Records without any keys still count: a frame of no columns keeps its height.
    return pl.DataFrame(series, height=len(records)) if series else pl.DataFrame(height=len(records))


@dataclass
class Evaluation:
    """The results of one evaluation, and the rows rejected with ``on_error='skip'``."""

    results: pl.DataFrame
    rejects: pl.DataFrame | None
    plan: Plan


def _check_modes(on_error: str, on_duplicate: str) -> None:
    if on_error not in ("error", "skip"):
        raise UsageError(f"on_error must be 'error' or 'skip', not {on_error!r}")
    if on_duplicate not in ("error", "first", "last"):
        raise UsageError(f"on_duplicate must be 'error', 'first' or 'last', not {on_duplicate!r}")


def evaluate_full(
    ruleset,
    data,
    *,
    as_of: dt.date | None = None,
    on_error: str = "error",
    on_duplicate: str = "error",
    with_input: bool = False,
    encoding: str | None = None,
    input_format: str | None = None,
    internal: bool = False,
    explain: bool = False,
) -> Evaluation:
    """Evaluate ``data`` and return the results with the rejected rows (see :func:`evaluate`).

    With ``internal`` the results keep every column the plan computed (the parts of each
    score, the fired factors...), for the tools that explain and compare evaluations.
    """
    options = dict(as_of=as_of, on_error=on_error, on_duplicate=on_duplicate, encoding=encoding, input_format=input_format)
    if internal:
        return _evaluate_internal(ruleset, data, **options)
    with run(ruleset, data, with_input=with_input, explain=explain, spill="never", **options) as outcome:
        return Evaluation(outcome.results.collect(), outcome.rejects, outcome.plan)


def _evaluate_internal(ruleset, data, *, as_of, on_error, on_duplicate, encoding, input_format) -> Evaluation:
    _check_modes(on_error, on_duplicate)
    plan = compile_ruleset(ruleset, as_of)
    frame, source = to_lazy(data, {"encoding": encoding, "input_format": input_format})
    prepared = plan.prepare(join_lookups(plan, frame, source), source)
    try:
        collected = plan.apply(prepared.frame).collect(engine="streaming")
    except pl.exceptions.PolarsError as exc:
        raise _read_error(exc, data, source, encoding, input_format) from None
    rejects = None
    if collected.height and collected[BAD].any():
        if on_error == "error":
            raise describe_bad_rows(prepared, plan.fields, source)[0]
        rejects = _rejects(collected.filter(pl.col(BAD)), prepared, plan.fields, source)
        collected = collected.filter(~pl.col(BAD))
    collected = _deduplicate(collected, plan.key, on_duplicate, source)
    return Evaluation(plan.finish(collected), rejects, plan)


def _read_error(exc: Exception, data, source: str, encoding: str | None, input_format: str | None) -> InputError:
    """The located error for polars failing to read the input."""
    if isinstance(data, (str, Path)):
        from .inputs import ReadOptions, diagnose

        return diagnose(str(data), ReadOptions(encoding=encoding or "utf-8"), input_format, exc)
    return InputError(f"cannot read input: {str(exc).splitlines()[0]}", Loc(source))


# Results in memory beyond this size go to temporary files (SALESRULES_SPILL=auto).
SPILL_BYTES = 64 << 20
# Records are read, typed and evaluated this many at a time, on up to WORKERS threads.
BATCH_ROWS = 100_000
WORKERS = 2
SPILL_MODES = ("auto", "always", "never")


class _Store:
    """The per-record results, batch by batch: in memory up to a size, then in temporary Arrow IPC files."""

    def __init__(self, mode: str, schema: pl.Schema):
        self.limit = {"never": None, "always": 0, "auto": SPILL_BYTES}[mode]
        self.schema = schema
        self.batches: list[pl.DataFrame] = []
        self.size = 0
        self.files: list[str] = []
        self.rows: list[int] = []
        self.count = 0
        self.directory: str | None = None
        self.started = False  # whether a temporary directory was asked for

    def add(self, batch: pl.DataFrame) -> None:
        self.count += batch.height
        self.batches.append(batch)
        self.size += batch.estimated_size()
        if self.limit is not None and self.size > self.limit:
            self._spill()

    def _spill(self) -> None:
        import tempfile

        if not self.batches:
            return
        if self.directory is None:
            self.started = True
            self.directory = tempfile.mkdtemp(prefix=_spill_prefix())
        path = str(Path(self.directory) / f"{len(self.files):06d}.arrow")
        frame = pl.concat(self.batches, how="vertical")
        frame.write_ipc(path, compression="lz4")
        self.files.append(path)
        self.rows.append(frame.height)
        self.batches, self.size = [], 0

    def frame(self) -> pl.LazyFrame:
        """All the batches added, in order."""
        if self.files:
            self._spill()
            return pl.scan_ipc(self.files)
        return self._kept().lazy()

    def _kept(self) -> pl.DataFrame:
        """The batches kept in memory as one frame (joined once)."""
        if len(self.batches) != 1:
            self.batches = [pl.concat(self.batches, how="vertical") if self.batches else pl.DataFrame(schema=self.schema)]
        return self.batches[0]

    def beside(self, side: pl.DataFrame) -> pl.LazyFrame:
        """All the batches with the columns of ``side`` (one row per row) added.

        Spilled results are joined to ``side`` file by file, so that writing them reads one
        file at a time.
        """
        if not self.files:
            return pl.concat([self._kept(), side], how="horizontal").lazy()
        self._spill()  # the batches added since the last file
        pieces, offset = [], 0
        for path, rows in zip(self.files, self.rows):
            pieces.append(pl.concat([pl.scan_ipc(path), side.slice(offset, rows).lazy()], how="horizontal"))
            offset += rows
        return pl.concat(pieces, how="vertical")

    @property
    def spilled(self) -> bool:
        """Whether some of the results went to temporary files."""
        return bool(self.files)

    def close(self) -> None:
        """Remove the temporary files (also when interrupted again meanwhile)."""
        import shutil
        import tempfile

        self.batches = []
        while self.started:
            try:
                # By name too: an interruption inside mkdtemp leaves a directory whose name
                # was never returned.
                parent = tempfile.gettempdir()
                for name in os.listdir(parent):
                    if name.startswith(_spill_prefix()):
                        shutil.rmtree(os.path.join(parent, name), ignore_errors=True)
                self.directory, self.started = None, False
            except KeyboardInterrupt:
                continue
            except OSError:
                self.directory, self.started = None, False


def _spill_prefix() -> str:
    """The name prefix of this process's temporary directories of spilled results."""
    return f"salesrules-{os.getpid()}-"


@dataclass
class Outcome:
    """A finished evaluation whose results are ready to be written: use it as a context manager
    (the results may live in temporary files until it closes)."""

    plan: Plan
    results: pl.LazyFrame
    rejects: pl.DataFrame | None
    rows: int
    store: _Store

    def __enter__(self) -> "Outcome":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Remove the temporary files holding the results."""
        self.store.close()


def spill_mode(value: str | None = None) -> str:
    """The spill mode: ``value``, else the SALESRULES_SPILL environment variable, else auto."""
    mode = (value or os.environ.get("SALESRULES_SPILL") or "auto").strip().lower()
    if mode not in SPILL_MODES:
        raise UsageError(f"SALESRULES_SPILL must be one of {', '.join(SPILL_MODES)}, not {mode!r}")
    return mode


def run(
    ruleset,
    data,
    *,
    as_of: dt.date | None = None,
    on_error: str = "error",
    on_duplicate: str = "error",
    with_input: bool = False,
    encoding: str | None = None,
    input_format: str | None = None,
    explain: bool = False,
    lists_as_text: str | None = None,
    spill: str | None = None,
    progress=None,
) -> Outcome:
    """Evaluate ``data`` batch by batch and return an :class:`Outcome` to write from.

    The records are read, typed and evaluated :data:`BATCH_ROWS` at a time; a value that cannot be read stops
    the run at the batch holding it (or, with ``on_error='skip'``, its row is set aside).
    The results stay in memory up to :data:`SPILL_BYTES` and go to temporary files beyond
    (``spill``: auto, always or never; default from SALESRULES_SPILL), so memory stays
    bounded however many records there are. A second, narrow pass over the key, score and
    stage columns finds duplicate keys and ranks the open deals. With ``lists_as_text`` the
    reasons, gaps and actions are display text joined by that separator, as
    :func:`salesrules.outputs.text_frame` renders them, instead of lists.
    """
    from .progress import NULL

    progress = progress or NULL
    _check_modes(on_error, on_duplicate)
    plan = compile_ruleset(ruleset, as_of)
    frame, source = to_lazy(data, {"encoding": encoding, "input_format": input_format})
    frame = join_lookups(plan, frame, source).with_row_index(ROW, offset=1)
    whole = plan.prepare(frame, source)  # checks the columns before any row is read
    input_columns = whole.input_columns if with_input else []
    output = _result_columns(plan, lists_as_text, explain, input_columns)
    columns = [e for name, e in output if name != "rank"]

    def evaluated(prepared: Prepared) -> pl.LazyFrame:
        lazy = plan.apply(prepared.frame)
        if explain:
            from types import SimpleNamespace

            from .explain import compact_reasons

            parts = SimpleNamespace(columns=lazy.collect_schema().names())
            lazy = lazy.with_columns(compact_reasons(parts, plan).alias("__explain"))
        return lazy.select(pl.col(ROW), pl.col(BAD), pl.col("__closed"), *columns)

    store = _Store(spill_mode(spill), evaluated(whole).collect_schema())
    try:
        progress.phase("Evaluating", total=_known_rows(data, frame, input_format))
        seen: dict[str, Any] = {"failure": None, "rejects": []}
        # Batches are evaluated on worker threads (polars releases the GIL), a few at a
        # time, and settled in their order.
        workers = max(1, min(WORKERS, pl.thread_pool_size()))
        pending: deque = deque()

        def settle(prepared: Prepared, future) -> bool:
            """Keep one evaluated batch; true when the run must stop at it."""
            results = future.result()
            if results.height and results[BAD].any():
                if on_error == "error":
                    seen["failure"] = describe_bad_rows(prepared, plan.fields, source)[0]
                    return True
                rejected = prepared.frame.filter(pl.col(BAD)).collect()
                seen["rejects"].append(_rejects(rejected, prepared, plan.fields, source))
            store.add(results)
            progress.advance(results.height)
            return False

        def take(batch: pl.DataFrame) -> bool | None:
            # Each batch is typed and evaluated in memory: polars then skips the costly
            # readers of values no row of the batch needs (see salesrules.coerce).
            prepared = plan.prepare(batch.lazy(), source)
            pending.append((prepared, executor.submit(evaluated(prepared).collect)))
            while len(pending) > workers:
                if settle(*pending.popleft()):
                    return True  # stop reading: the run fails at this batch
            return None

        executor = ThreadPoolExecutor(workers, thread_name_prefix="salesrules-batch")
        try:
            try:
                # sink_batches, unlike iterating collect_batches, raises KeyboardInterrupt
                # on Ctrl-C instead of ending early as if the input were complete.
                frame.sink_batches(take, chunk_size=BATCH_ROWS)
            except pl.exceptions.PolarsError as exc:
                raise _read_error(exc, data, source, encoding, input_format) from None
            while pending and seen["failure"] is None:
                settle(*pending.popleft())
        finally:
            pending.clear()
            executor.shutdown(wait=False, cancel_futures=True)
        if seen["failure"] is not None:
            raise seen["failure"]
        rejects = pl.concat(seen["rejects"]) if seen["rejects"] else None
        core = store.frame()
        progress.phase(f"Ranking {store.count:,} rows", counted=False)
        # Only the columns ranking needs are read back; the row numbers only for an error.
        key = ROW if plan.key == "row" else plan.key
        wanted = ["__closed", "score", key] + ([BAD] if rejects is not None else [])
        narrow = core.select(pl.col(c) for c in dict.fromkeys(wanted)).collect()
        keep = ~narrow.get_column(BAD) if rejects is not None else pl.repeat(True, narrow.height, eager=True)

        def rows(indices: pl.Series) -> pl.Series:
            return core.select(pl.col(ROW)).collect().get_column(ROW).gather(indices)

        keep = _kept_by_key(narrow, plan.key, on_duplicate, source, keep, rows)
        side = pl.DataFrame([rank_values(narrow, key, keep), keep.alias("__keep")])
        del narrow
        joined = store.beside(side)
        if not keep.all():  # a filter copies every column, so only when some row goes
            joined = joined.filter(pl.col("__keep"))
        results = joined.select([pl.col(name) for name, _ in output])
        return Outcome(plan, results, rejects, int(side.get_column("__keep").sum()), store)
    except BaseException:
        store.close()
        raise


def _known_rows(data, frame: pl.LazyFrame, input_format: str | None) -> int | None:
    """The number of input records when it costs nothing to know: a frame in memory or a parquet file."""
    if isinstance(data, pl.DataFrame):
        return data.height
    if isinstance(data, list):
        return len(data)
    if isinstance(data, (str, Path)):
        name = str(data).lower()
        if input_format == "parquet" or (input_format is None and name.endswith((".parquet", ".pq"))):
            try:
                return pl.scan_parquet(str(data)).select(pl.len()).collect().item()
            except (pl.exceptions.PolarsError, OSError):
                return None
    return None


def _result_columns(plan: Plan, lists_as_text: str | None, explain: bool, input_columns: list[str]) -> list[tuple[str, pl.Expr]]:
    """The output columns, in order, as computed from the per-record plan (``rank`` comes later)."""
    unknown_filled = {"tier", "stage"} | {c.name for c in plan.ruleset.classifications}
    columns = []
    for name in plan.output:
        if name == "row" and plan.key == "row":
            expr = pl.col(ROW).alias("row")
        elif name in unknown_filled:
            expr = pl.col(name).fill_null(UNKNOWN)
        elif name in ("reasons", "gaps"):
            packed_column = REASONS if name == "reasons" else GAPS
            expr = packed_text(packed_column, lists_as_text) if lists_as_text is not None else unpacked(packed_column)
        elif name == "actions":
            if lists_as_text is None:
                expr = unpacked_actions()
            else:
                expr = pl.when(pl.col(ACTIONS_FIRED)).then(pl.col(ACTIONS_TEXT).str.replace_all(SEP, lists_as_text, literal=True))
        else:
            expr = pl.col(name)
        columns.append((name, expr.alias(name)))
        if name == "reasons" and explain:
            columns.append(("explain", pl.col("__explain").alias("explain")))
    taken = set(plan.output)
    for c in input_columns:
        name = c if c not in taken else f"input.{c}"
        columns.append((name, pl.col(IN + c).alias(name)))
    return columns


def _rejects(bad: pl.DataFrame, prepared: Prepared, fields, source) -> pl.DataFrame:
    checks = [f.alias(f"__flag:{n}") for n, f in prepared.flags.items()]
    # The flags read the input columns, which ``bad`` still holds under their in: names.
    flagged = bad.with_columns(checks)
    reasons = []
    for row in flagged.iter_rows(named=True):
        for name in prepared.flags:
            if row[f"__flag:{name}"]:
                reasons.append(bad_value_error(name, fields[name], prepared.mapping[name], row, source).message)
                break
    return flagged.select(
        pl.col(ROW).alias("row"),
        pl.Series("reason", reasons, dtype=pl.String),
        *[pl.col(IN + c).alias(c) for c in prepared.input_columns],
    )


def _deduplicate(frame: pl.DataFrame, key: str, mode: str, source: str) -> pl.DataFrame:
    """``frame`` without the records whose key repeats an earlier (``first``) or later (``last``) one."""
    if key == "row" or frame.height == 0:
        return frame
    return frame.filter(_kept_by_key(frame, key, mode, source, pl.repeat(True, frame.height, eager=True)))


def _may_repeat(keys: pl.Series) -> bool:
    """Whether some non-null key may occur twice: false only when none does.

    The common case, every key once, is checked on sorted 64-bit hashes of the keys, which
    takes a fraction of the memory of a hash table of the keys themselves; equal hashes
    (a repeated key, or rarely two keys with one hash) send the caller to the exact check.
    """
    hashes = keys.drop_nulls().hash(seed=0).sort()
    return bool(hashes.len() > 1 and (hashes.slice(1) == hashes.slice(0, hashes.len() - 1)).any())


def _kept_by_key(frame: pl.DataFrame, key: str, mode: str, source: str, keep: pl.Series, rows=None) -> pl.Series:
    """``keep`` less the rows whose key repeats that of another kept row (the first or the
    last one stays); with mode ``error`` a repeated key is an error naming its rows.

    ``rows(indices)`` gives the row numbers of rows by index (default: the ``__row`` column).
    """
    if key == "row" or frame.height == 0:
        return keep
    if not _may_repeat(frame.get_column(key)):
        return keep
    live = frame.select(pl.col(key)).with_row_index("__index").filter(pl.lit(keep) & pl.col(key).is_not_null())
    dupes = live.filter(pl.col(key).is_duplicated())
    if dupes.height == 0:
        return keep
    if mode == "error":
        first = dupes[key][0]
        indices = dupes.filter(pl.col(key) == first)["__index"]
        numbers = (rows(indices) if rows is not None else frame.get_column(ROW).gather(indices)).to_list()
        shown = ", ".join(map(str, numbers[:5])) + (" ..." if len(numbers) > 5 else "")
        more = dupes[key].n_unique() - 1
        extra = f" (and {more} more duplicated key{'s' if more != 1 else ''})" if more else ""
        raise InputError(
            f"duplicate key {first!r} in rows {shown}{extra}; use --on-duplicate first|last to keep one",
            Loc(source),
        )
    # Rows without a key are not duplicates of each other (the check above skips them too),
    # so they are all kept; ``unique`` would have collapsed them into one row.
    chosen = pl.col(key).is_first_distinct() if mode == "first" else pl.col(key).is_last_distinct()
    dropped = dupes.filter(~chosen).get_column("__index")
    mask = keep.clone()
    mask.scatter(dropped, False)
    return mask


def evaluate(ruleset, data, *, as_of: dt.date | None = None, **options) -> pl.DataFrame:
    """Evaluate records with ``ruleset`` and return the results as a polars DataFrame.

    ``data`` is a path (csv, json, ndjson, parquet, xlsx), a polars DataFrame or LazyFrame, a
    pandas DataFrame, or a list of dicts. Options: ``on_error`` ("error" or "skip"),
    ``on_duplicate`` ("error", "first", "last"), ``with_input``, ``encoding``, ``input_format``.
    """
    return evaluate_full(ruleset, data, as_of=as_of, **options).results


def evaluate_one(ruleset, record: dict, *, as_of: dt.date | None = None) -> dict:
    """Evaluate one record with the same plan as :func:`evaluate`; ``rank`` stays None."""
    if not isinstance(record, dict):
        raise UsageError(f"evaluate_one takes a dict, not {type(record).__name__}")
    plan = compile_ruleset(ruleset, as_of)
    prepared, collected = evaluate_records_frame(plan, [record])
    if collected[BAD].any():
        raise describe_bad_rows(prepared, plan.fields, "<record>")[0]
    return record_result(plan, unpack_row(collected.row(0, named=True)))


def unpack_row(row: dict) -> dict:
    """One row of the plan with its packed reasons, gaps and actions as the lists :func:`unpack`
    makes of them (for a single record, Python does it faster than a query)."""

    def texts(packed_text: str) -> list[str]:
        return packed_text.split(SEP) if packed_text else []

    actions = []
    for item in texts(row[ACTIONS]):
        name, text, due = item.split(FIELD_SEP, 2)
        actions.append({"name": name, "text": text, "due": dt.date.fromisoformat(due) if due else None})
    return {**row, "reasons": texts(row[REASONS]), "gaps": texts(row[GAPS]), "actions": actions}


def evaluate_records_frame(plan: Plan, records: list[dict]) -> tuple[Prepared, pl.DataFrame]:
    """Records (dicts naming fields or aliases only) through the plan, as :func:`evaluate_one` runs them.

    A lookup is joined only when some record gives its key, so a record without one keeps
    its own values. The frame still holds the ``__bad`` flags and the internal columns.
    """
    frame = records_frame(records) if any(records) else pl.DataFrame(height=len(records))
    frame = read_in_python(plan, frame, "<record>")
    lazy = join_lookups(plan, frame.lazy(), "<record>", only_keyed=True)
    prepared = plan.prepare(lazy, "<record>", strict_columns=True, lookups=False)
    # For a few records, planning the query costs more than running it: no optimizer passes.
    return prepared, plan.apply(prepared.frame).collect(engine="in-memory", optimizations=pl.QueryOptFlags.none())


def read_in_python(plan: Plan, frame: pl.DataFrame, source: str) -> pl.DataFrame:
    """``frame`` with a ``__read:NAME`` column of typed values for each text column of a field
    whose every value :func:`salesrules.coerce.read_text_value` reads.

    The preparation then takes those values as they are: for a few records, reading them in
    Python costs microseconds where planning the polars readers costs milliseconds. The
    values are the same either way; the polars readers get the rest, with their errors.
    """
    schema = frame.schema
    columns = tuple(frame.columns)
    if columns not in plan.matches:
        plan.matches[columns] = match_columns(plan.fields, list(columns), source)
    values, dtypes = {}, {}
    for name, column in plan.matches[columns].items():
        if column is None or schema[column] != pl.String:
            continue
        spec = plan.fields[name]
        mapping = None
        if spec.type == "enum":
            if name not in plan.enum_mappings:
                plan.enum_mappings[name] = coerce.enum_mapping(spec.values or {})
            mapping = plan.enum_mappings[name]
        read = [coerce.read_text_value(text, spec, mapping) for text in frame.get_column(column).to_list()]
        if not any(v is coerce.NOT_READ for v in read):
            values[READ + name], dtypes[READ + name] = read, coerce.polars_dtype(spec)
    if not values:
        return frame
    # Built by rows: for a record or a few, several times faster than by columns.
    return frame.hstack(pl.DataFrame(list(zip(*values.values())), schema=dtypes, orient="row"))


def record_result(plan: Plan, row: dict) -> dict:
    """One evaluated record as :func:`evaluate_one` returns it: unknowns named, ``rank`` None, ``row`` 1."""
    unknown_filled = {"tier", "stage"} | {c.name for c in plan.ruleset.classifications}
    out = {}
    for column in plan.output:
        # A record evaluated on its own is row 1, whichever row of a batch it was.
        value = 1 if column == "row" and plan.key == "row" else row.get(column)
        out[column] = UNKNOWN if column in unknown_filled and value is None else value
    out["rank"] = None
    return out
