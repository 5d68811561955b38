"""The compiled plan of a ruleset and the compiler that builds it, section by section."""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ..errors import ExpressionError, RulesetError, UsageError, did_you_mean
from ..io import coerce
from ..io.preparation import Preparation, Prepared, preparation
from ..language.expressions import Scope, compile_expression
from ..model.columns import (
    ACTIONS,
    ACTIONS_FIRED,
    ACTIONS_TEXT,
    FIELD_SEP,
    GAPS,
    INT64_MAX,
    INT64_MIN,
    REASONS,
    RESERVED,
    SEP,
    SHOWN,
    STAGE,
    UNKNOWN,
)
from ..model.sections import Expr, FieldSpec
from ..model.types import BOOLEAN, INTEGER, NUMBER, Type, named
from ..model.types import polars_dtype as polars_type
from .fields import effective_fields, field_type
from .packing import packed, packed_steps


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
        (``lookups``: see :func:`salesrules.io.coerce.coerce_expr`)."""
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

    @property
    def provenance(self) -> dict:
        """Ruleset name, version, content hash and the as-of date."""
        return {
            "ruleset": self.ruleset.name,
            "ruleset_version": self.ruleset.version,
            "ruleset_hash": self.ruleset.hash,
            "as_of": self.as_of.isoformat(),
        }


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
        from ..plugins import get_registry

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
        from ..errors import PluginError
        from ..model.types import accepts

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
