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
import re
import string
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
UNKNOWN = "unknown"
ACTION_DTYPE = pl.Struct({"name": pl.String, "text": pl.String, "due": pl.Date})
# Lists of fired items are built as text joined by this separator and split once: polars
# builds lists row by row far more slowly than it joins strings.
SEP = "\x1f"
ACTION_PARTS = ("__action_names", "__action_texts", "__action_dues")
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

    def apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """Add the per-record results to a frame of typed fields."""
        for step in self.steps:
            frame = frame.with_columns(step)
        return frame

    def finish(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The frame-level pass: the actions as lists of records, and the rank of open deals."""
        # Without a key field the key is the row number, held in the ``__row`` column.
        return rank(assemble_actions(frame), ROW if self.key == "row" else self.key)

    @property
    def provenance(self) -> dict:
        """Ruleset name, version, content hash and the as-of date."""
        return {
            "ruleset": self.ruleset.name,
            "ruleset_version": self.ruleset.version,
            "ruleset_hash": self.ruleset.hash,
            "as_of": self.as_of.isoformat(),
        }


def string_list(parts: list[pl.Expr]) -> pl.Expr:
    """A list of the non-null texts of ``parts``, in order."""
    if not parts:
        return pl.lit([], pl.List(pl.String))
    joined = pl.concat_str(parts, separator=SEP, ignore_nulls=True)
    return joined.str.split(SEP).list.filter(pl.element() != "")


def assemble_actions(frame: pl.DataFrame) -> pl.DataFrame:
    """Turn the joined names, texts and due dates of fired actions into ``actions`` records."""
    names, texts, dues = ACTION_PARTS
    index = "__actions_index"
    base = frame.with_row_index(index)
    fired = (
        base.filter(pl.col(names) != "")
        .select(
            index,
            pl.col(names).str.split(SEP).alias("name"),
            pl.col(texts).str.split(SEP).alias("text"),
            pl.col(dues).str.split(SEP).alias("due"),
        )
        .explode(["name", "text", "due"])
        .with_columns(pl.when(pl.col("due") != "").then(pl.col("due")).str.to_date("%Y-%m-%d").alias("due"))
        .group_by(index, maintain_order=True)
        .agg(pl.struct("name", "text", "due").alias("actions"))
    )
    return (
        base.drop("actions", strict=False)
        .join(fired, on=index, how="left", maintain_order="left")
        .with_columns(pl.col("actions").fill_null(pl.lit([], pl.List(ACTION_DTYPE))))
        .drop(index, *ACTION_PARTS)
    )


def rank(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """Number open deals 1..n by score descending, then key ascending; closed deals get null."""
    index = "__rank_index"
    order = (
        frame.select(pl.col("score"), pl.col(key), pl.col("__closed"))
        .with_row_index(index)
        .filter(~pl.col("__closed"))
        # A stable sort, so rows that tie on score and key (rows without a key) keep their order.
        .sort(["score", key], descending=[True, False], nulls_last=True, maintain_order=True)
        .with_row_index("rank", offset=1)
        .select(index, pl.col("rank").cast(pl.Int64))
    )
    return (
        frame.with_row_index(index)
        .join(order, on=index, how="left")
        .sort(index)
        .drop(index)
    )


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
                pl.lit([], pl.List(pl.String)).alias("gaps"),
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
        gaps_expr = string_list(gaps)
        self.steps.append([
            pl.coalesce([recorded, inferred]).alias("__stage"),
            pl.when(recorded.is_not_null()).then(pl.lit("recorded"))
            .when(inferred.is_not_null()).then(pl.lit("inferred")).alias("stage_source"),
            gaps_expr.alias("gaps"),
        ])
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
            (pl.col("gaps").list.len() > 0).alias("stage_conflict"),
            stage_col.replace_strict(list(probabilities), list(probabilities.values()), default=None, return_dtype=pl.Float64).alias("stage_probability")
            if probabilities else pl.lit(None, pl.Float64).alias("stage_probability"),
            stage_col.is_in(closed).fill_null(False).alias("__closed"),
            stage_col.is_in(won).fill_null(False).alias("__won"),
            stage_col.is_in(lost).fill_null(False).alias("__lost"),
        ]
        for target, parts in per_score.items():
            chain = pl.when(stage_col == parts[0][0]).then(parts[0][1])
            for name, pts in parts[1:]:
                chain = chain.when(stage_col == name).then(pts)
            t = INTEGER if all(x.name == "integer" for x in types[target]) else NUMBER
            dtype = pl.Int64 if t == INTEGER else pl.Float64
            column = f"__stage_points:{target}"
            step.append(chain.otherwise(pl.lit(0)).cast(dtype).alias(column))
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
        overdue, text = pl.lit(False), pl.lit(None, pl.String)
        limited = [stage for stage in rs.stages if stage.max_days is not None]
        for stage in limited:
            here = stage_col == stage.name
            overdue = pl.when(here).then(days > stage.max_days).otherwise(overdue)
            text = pl.when(here).then(pl.lit(f"{stage.name}: over {stage.max_days} days in stage")).otherwise(text)
        self.steps.append([days.alias("days_in_stage"), overdue.fill_null(False).alias("stage_overdue")])
        if limited:
            self.steps.append([
                pl.when(pl.col("stage_overdue")).then(pl.col("gaps").list.concat(pl.concat_list([text])))
                .otherwise(pl.col("gaps")).alias("gaps"),
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
        value = None
        for level, cond in zip(levels, conditions):
            if cond is None:
                value = (value.otherwise(pl.lit(level.name)) if value is not None else pl.lit(level.name))
            elif value is None:
                value = pl.when(cond).then(pl.lit(level.name))
            else:
                value = value.when(cond).then(pl.lit(level.name))
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
                expr = pl.lit(0, dtype)
                if parts:
                    chain = pl.when(value_col == parts[0][0]).then(parts[0][1])
                    for lname, pts, _ in parts[1:]:
                        chain = chain.when(value_col == lname).then(pts)
                    expr = chain.otherwise(pl.lit(0)).cast(dtype)
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
            reasons.append(pl.when(pl.col(column)).then(self.template(reason, scope, factor.loc)))
            self.factor_columns.append((factor, column))
        if conditions:
            self.steps.append(conditions)
            self.steps.append(points + [string_list(reasons).alias("reasons")])
        else:
            self.steps.append([pl.lit([], pl.List(pl.String)).alias("reasons")])
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
        sums, bands = [], []
        extra = {}
        for name, score in rs.scores.items():
            parts = self.score_parts[name]
            integer = all(t.name == "integer" for _, t in parts) and all(
                v is None or float(v).is_integer() for v in (score.min, score.max)
            )
            dtype = pl.Int64 if integer else pl.Float64
            total = pl.sum_horizontal([p.cast(dtype) for p, _ in parts]) if parts else pl.lit(0, dtype)
            raw = total.cast(dtype)
            if score.min is not None or score.max is not None:
                lower = None if score.min is None else pl.lit(score.min, dtype)
                upper = None if score.max is None else pl.lit(score.max, dtype)
                total = total.clip(lower, upper)
            sums.append(raw.alias(f"__raw:{name}"))
            sums.append(total.cast(dtype).alias(f"__score:{name}"))
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
                cond = pl.col(f"__score:{name}") >= b.min
                band = pl.when(cond).then(pl.lit(b.name)) if band is None else band.when(cond).then(pl.lit(b.name))
            if band is None:
                band = pl.lit(None, pl.String)
            bands.append(band.alias(f"__band:{name}"))
            t = INTEGER if integer else NUMBER
            extra[name] = (t, pl.col(f"__score:{name}"))
            extra[f"{name}_band"] = (Type("enum", tuple(b.name for b in score.bands)), pl.col(f"__band:{name}"))
        self.steps.append(sums)
        self.steps.append(bands)
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
        names, texts, dues = [], [], []
        for action in self.ruleset.actions:
            cond = applies[action.applies_to]
            if action.when is not None:
                cond = cond & self.expr(action.when, scope, "boolean").expr.fill_null(False)
            due = self.expr(action.due, scope, "date").expr.cast(pl.Date) if action.due is not None else pl.lit(None, pl.Date)
            text = self.template(action.text, scope, action.loc)
            names.append(pl.when(cond).then(pl.lit(action.name)))
            texts.append(pl.when(cond).then(text))
            dues.append(pl.when(cond).then(due.dt.to_string("%Y-%m-%d").fill_null("")))
        self.steps.append([
            pl.concat_str(parts, separator=SEP, ignore_nulls=True).alias(column) if parts else pl.lit("").alias(column)
            for parts, column in zip((names, texts, dues), ACTION_PARTS)
        ])

    def template(self, text: str, scope: Scope, loc) -> pl.Expr:
        """A text with ``{name}`` placeholders, filled per record."""
        pieces = []
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise RulesetError(f"bad template {text!r}: {exc}", loc) from None
        for literal, name, spec, conversion in parsed:
            if literal:
                pieces.append(pl.lit(literal))
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
            pieces.append(render(expr, t).fill_null(UNKNOWN).str.replace_all(SEP, " ", literal=True))
        if not pieces:
            return pl.lit("")
        return pl.concat_str(pieces) if len(pieces) > 1 else pieces[0]


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
    schema = frame.collect_schema()
    looked_up = [c for c in schema.names() if c.startswith(LOOKUP)]
    columns = [c for c in schema.names() if not c.startswith(LOOKUP)]
    mapping = match_columns(fields, columns, source)
    if strict_columns:
        known = {c for c in mapping.values() if c is not None}
        for column in columns:
            if column not in known:
                raise InputError(f"unknown field {column!r}{did_you_mean(column, fields)}", Loc(source))
    # Number the rows before selecting: a select of no columns (an empty record) has no rows.
    renamed = frame.with_row_index(ROW, offset=1).select(
        pl.col(ROW), *[pl.col(c).alias(IN + c) for c in columns], *[pl.col(c) for c in looked_up]
    )

    def read(name: str) -> pl.Expr:
        spec, column = fields[name], mapping[name]
        if column is None:
            return pl.lit(None, coerce.polars_dtype(spec))
        return coerce.coerce_expr(pl.col(IN + column), spec, schema[column])

    typed, flags = [], {}
    for name, spec in fields.items():
        column = mapping[name]
        value = read(name)
        if column is not None:
            src = pl.col(IN + column)
            present = src.is_not_null()
            if schema[column] == pl.String:
                present = present & (src.str.strip_chars() != "")
            flags[name] = present & value.is_null()
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
    return Prepared(renamed.with_columns(typed).with_columns(bad), mapping, columns, flags)


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
    """Evaluate ``data`` and return the results with the rejected rows (see :func:`evaluate`)."""
    if on_error not in ("error", "skip"):
        raise UsageError(f"on_error must be 'error' or 'skip', not {on_error!r}")
    if on_duplicate not in ("error", "first", "last"):
        raise UsageError(f"on_duplicate must be 'error', 'first' or 'last', not {on_duplicate!r}")
    plan = compile_ruleset(ruleset, as_of)
    frame, source = to_lazy(data, {"encoding": encoding, "input_format": input_format})
    frame = join_lookups(plan, frame, source)
    prepared = prepare(plan.fields, frame, source)
    lazy = plan.apply(prepared.frame)
    try:
        collected = lazy.collect(engine="streaming")
    except pl.exceptions.PolarsError as exc:
        if isinstance(data, (str, Path)):
            from .inputs import ReadOptions, diagnose

            raise diagnose(str(data), ReadOptions(encoding=encoding or "utf-8"), input_format, exc) from None
        raise InputError(f"cannot read input: {str(exc).splitlines()[0]}", Loc(source)) from None
    rejects = None
    if collected.height and collected[BAD].any():
        if on_error == "error":
            raise describe_bad_rows(prepared, plan.fields, source)[0]
        rejects = _rejects(collected.filter(pl.col(BAD)), prepared, plan.fields, source)
        collected = collected.filter(~pl.col(BAD))
    collected = _deduplicate(collected, plan.key, on_duplicate, source)
    results = plan.finish(collected)
    if internal:
        return Evaluation(results, rejects, plan)
    columns = [pl.col(c) for c in plan.output]
    for c in ("tier", "stage") + tuple(cl.name for cl in ruleset.classifications):
        if c in plan.output:
            columns[plan.output.index(c)] = pl.col(c).fill_null(UNKNOWN)
    if explain:
        from .explain import compact_reasons

        columns.insert(plan.output.index("reasons") + 1, compact_reasons(results, plan).alias("explain"))
    if plan.key == "row":
        columns[0] = pl.col(ROW).alias("row")
    if with_input:
        taken = set(plan.output)
        columns += [pl.col(IN + c).alias(c if c not in taken else f"input.{c}") for c in prepared.input_columns]
    return Evaluation(results.select(columns), rejects, plan)


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
    if key == "row" or frame.height == 0:
        return frame
    dupes = frame.filter(pl.col(key).is_duplicated() & pl.col(key).is_not_null())
    if dupes.height == 0:
        return frame
    if mode == "error":
        first = dupes[key][0]
        rows = dupes.filter(pl.col(key) == first)[ROW].to_list()
        shown = ", ".join(map(str, rows[:5])) + (" ..." if len(rows) > 5 else "")
        more = dupes[key].n_unique() - 1
        extra = f" (and {more} more duplicated key{'s' if more != 1 else ''})" if more else ""
        raise InputError(
            f"duplicate key {first!r} in rows {shown}{extra}; use --on-duplicate first|last to keep one",
            Loc(source),
        )
    # Rows without a key are not duplicates of each other (the check above skips them too),
    # so they are all kept; ``unique`` would have collapsed them into one row.
    keep = pl.col(key).is_first_distinct() if mode == "first" else pl.col(key).is_last_distinct()
    return frame.filter(keep | pl.col(key).is_null())


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
    return record_result(plan, assemble_actions(collected).row(0, named=True))


def evaluate_records_frame(plan: Plan, records: list[dict]) -> tuple[Prepared, pl.DataFrame]:
    """Records (dicts naming fields or aliases only) through the plan, as :func:`evaluate_one` runs them.

    A lookup is joined only when some record gives its key, so a record without one keeps
    its own values. The frame still holds the ``__bad`` flags and the internal columns.
    """
    frame = records_frame(records) if any(records) else pl.DataFrame(height=len(records))
    lazy = join_lookups(plan, frame.lazy(), "<record>", only_keyed=True)
    prepared = prepare(plan.fields, lazy, "<record>", strict_columns=True)
    return prepared, plan.apply(prepared.frame).collect()


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
