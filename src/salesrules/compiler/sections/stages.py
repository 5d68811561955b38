"""The ``stages`` section: the stages of the sales cycle, their entry evidence, probability,
points and time limits, and ``stage_entered``, the field recording when a deal entered its stage.

Without a recorded stage, a record's stage is the latest one whose entry holds; with one, its
unmet entry conditions are the record's gaps.
"""

from __future__ import annotations

import polars as pl

from ...errors import RulesetError, did_you_mean
from ...language.lookups import looked_up, one_of
from ...model.columns import CLOSED, GAPS, LOST, STAGE, WON
from ...model.sections import Stage
from ...model.types import BOOLEAN, INTEGER, NUMBER, Type
from ..context import points_bound, points_of
from ..manifest import Entry
from ..packing import packed
from .schema import EXPRESSION, IDENTIFIER, POINTS, REMOVE, named_list

NAME = "stages"
SCOPE = "fields"
OUTPUT_PLACE = 20
SCHEMA = {
    "stage_entered": {
        "type": "string",
        "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
        "maxLength": 64,
        "description": "The date field recording when a deal entered its current stage (default: a field named stage_entered)",
    },
    "stage_status": {
        "type": "object",
        "additionalProperties": False,
        "required": ["field"],
        "properties": {
            "field": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "maxLength": 64},
            "won": {"type": "array", "items": {"type": "string", "minLength": 1}},
            "lost": {"type": "array", "items": {"type": "string", "minLength": 1}},
        },
        "description": "A field whose value says a deal is won or lost whatever its recorded stage (a CRM "
                       "that keeps the status apart from the stage): its won and lost spellings",
    },
    "stages": named_list(
        {
            "name": {"type": "string", "minLength": 1, "maxLength": 64},
            "probability": {"type": "number", "minimum": 0, "maximum": 1},
            "points": POINTS,
            "score": IDENTIFIER,
            "aliases": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "description": "Other spellings: column names or values a CRM export uses",
            },
            "entry": {
                "type": "object",
                "additionalProperties": {"oneOf": [EXPRESSION, {"type": "null"}]},
                "description": "Named conditions: the evidence the stage needs",
            },
            "closed": {"enum": ["won", "lost"]},
            "forecast": {
                "enum": ["pipeline", "best_case", "commit", "omitted"],
                "description": "The forecast category of the deals in this open stage, for the pipeline report",
            },
            "max_days": {
                "type": "integer",
                "minimum": 0,
                "description": "Days a deal may stay in this open stage; longer is a gap and makes stage_overdue true",
            },
            "description": {"type": "string"},
            "remove": REMOVE,
        }
    ),
}


def build(ctx) -> dict:
    """The stages, in order; a closed stage has no time limit."""
    stages = [
        Stage(
            name=str(st["name"]),
            probability=st.get("probability"),
            points=ctx.expr(st.get("points"), "stages", st["name"], "points"),
            score=st.get("score"),
            aliases=tuple(str(a) for a in st.get("aliases") or ()),
            entry={
                str(k): ctx.expr(v, "stages", st["name"], "entry", k)
                for k, v in (st.get("entry") or {}).items()
                if v is not None
            },
            closed=st.get("closed"),
            max_days=st.get("max_days"),
            forecast=st.get("forecast"),
            loc=ctx.loc("stages", st["name"]),
        )
        for st in ctx.data.get("stages") or []
    ]
    for stage in stages:
        for key, value in (("max_days", stage.max_days), ("forecast", stage.forecast)):
            if stage.closed and value is not None:
                raise RulesetError(
                    f"stage {stage.name!r} is closed; {key} applies to open stages only", ctx.loc("stages", stage.name, key)
                )
    return {
        "stages": stages,
        "stage_entered": ctx.data.get("stage_entered"),
        "stage_status": ctx.data.get("stage_status"),
        "locs": {"stage_entered": ctx.loc("stage_entered"), "stage_status": ctx.loc("stage_status")},
    }


def expressions(ruleset):
    """Each stage's points and entry conditions."""
    for stage in ruleset.stages:
        yield stage.points
        yield from stage.entry.values()


def outputs(ruleset) -> list[str]:
    """The stage, where it comes from, whether its evidence is missing, and its probability;
    nothing for a ruleset without stages."""
    if not ruleset.stages:
        return []
    return ["stage", "stage_source", "stage_conflict", "stage_probability"]


def compile(compiler, scope):
    """The stage (recorded, else inferred), its gaps, probability, points and days in stage."""
    rs = compiler.ruleset
    if not rs.stages:
        compiler.steps.append([
            pl.lit(None, pl.String).alias("stage"),
            pl.lit(None, pl.String).alias("stage_source"),
            pl.lit(False).alias("stage_conflict"),
            pl.lit(None, pl.Float64).alias("stage_probability"),
            pl.lit("").alias(GAPS),
            pl.lit(False).alias(CLOSED),
            pl.lit(False).alias(WON),
            pl.lit(False).alias(LOST),
        ])
        # No stage part on any receipt: a ruleset without stages says nothing of stages.
        return scope.child({"stage": (Type("enum", ()), pl.col("stage"))})
    recorded = _with_status(compiler, pl.col(STAGE))
    conditions = {}
    for stage in rs.stages:
        for cname, cexpr in stage.entry.items():
            conditions[(stage.name, cname)] = compiler.expr(cexpr, scope, "boolean").expr.fill_null(False)
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
    compiler.steps.append([pl.coalesce([recorded, inferred]).alias("__stage"), packed(gaps, compiler.separator).alias(GAPS)])
    stage_col = pl.col("__stage")
    probabilities = {s.name: s.probability for s in rs.stages if s.probability is not None}
    closed = [s.name for s in rs.stages if s.closed]
    won = [s.name for s in rs.stages if s.closed == "won"]
    lost = [s.name for s in rs.stages if s.closed == "lost"]
    stage_type = Type("enum", tuple(s.name for s in rs.stages))
    point_scope = scope.child({"stage": (stage_type, stage_col)})
    per_score: dict[str, list] = {}
    written: dict[str, list] = {}  # the points as written, by score
    types: dict[str, list] = {}
    for stage in rs.stages:
        if stage.points is None:
            continue
        target = compiler.score_of(stage.score, stage.loc)
        pts, t = compiler.points(stage.points, point_scope)
        per_score.setdefault(target, []).append((stage.name, pts))
        written.setdefault(target, []).append(stage.points)
        types.setdefault(target, []).append(t)
    step = [
        stage_col.alias("stage"),
        # Not recorded, the stage is inferred where there is one.
        pl.when(recorded.is_not_null()).then(pl.lit("recorded"))
        .when(stage_col.is_not_null()).then(pl.lit("inferred")).alias("stage_source"),
        (pl.col(GAPS) != "").alias("stage_conflict"),
        looked_up(stage_col, list(probabilities), list(probabilities.values()), pl.Float64).alias("stage_probability"),
        one_of(stage_col, closed).alias(CLOSED),
        one_of(stage_col, won).alias(WON),
        one_of(stage_col, lost).alias(LOST),
    ]
    for target, parts in per_score.items():
        t = INTEGER if all(x.name == "integer" for x in types[target]) else NUMBER
        dtype = pl.Int64 if t == INTEGER else pl.Float64
        column = f"__stage_points:{target}"
        step.append(points_of(stage_col, parts, dtype).alias(column))
        compiler.add_part(Entry("stage", "stage", target, column, name="stage"), t, points_bound(written[target]))
    compiler.steps.append(step)
    names = {
        "stage": (stage_type, pl.col("stage")),
        "stage_probability": (NUMBER, pl.col("stage_probability")),
        "stage_conflict": (BOOLEAN, pl.col("stage_conflict")),
    }
    entered = stage_entered_field(compiler)
    if entered is None:
        why = "needs a date field recording when a deal entered its stage: declare stage_entered or name one with stage_entered: FIELD"
        result = scope.child(names)
        result.hints = {**scope.hints, "days_in_stage": why, "stage_overdue": why}
        return result
    # Gaps so far are the unmet entry conditions, which stage_conflict is about; a deal
    # over its stage's max_days adds a gap of its own afterwards.
    days = (pl.lit(compiler.as_of, pl.Date) - pl.col(entered)).dt.total_days()
    limited = [stage for stage in rs.stages if stage.max_days is not None]
    names_limited = [stage.name for stage in limited]
    # Each stage's limit and gap looked up by name: null for the stages without one.
    limit = looked_up(stage_col, names_limited, [s.max_days for s in limited], pl.Int64)
    text = looked_up(stage_col, names_limited, [f"{s.name}: over {s.max_days} days in stage" for s in limited], pl.String)
    overdue = (days > limit).fill_null(False) if limited else pl.lit(False)
    compiler.steps.append([days.alias("days_in_stage"), overdue.alias("stage_overdue")])
    if limited:
        compiler.steps.append([
            pl.when(pl.col("stage_overdue"))
            .then(packed([pl.when(pl.col(GAPS) != "").then(pl.col(GAPS)), text], compiler.separator))
            .otherwise(pl.col(GAPS)).alias(GAPS),
        ])
    names["days_in_stage"] = (INTEGER, pl.col("days_in_stage"))
    names["stage_overdue"] = (BOOLEAN, pl.col("stage_overdue"))
    return scope.child(names)


def stage_entered_field(compiler) -> str | None:
    """The date field recording when a deal entered its stage: ``stage_entered: FIELD``, else a field of that name."""
    rs = compiler.ruleset
    name = rs.stage_entered
    if name is None:
        name = "stage_entered" if "stage_entered" in compiler.fields else None
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
    spec = compiler.fields.get(name)
    if spec is None:
        raise RulesetError(f"stage_entered: {name!r} is not a field{did_you_mean(name, compiler.fields)}", loc)
    if spec.type != "date":
        if rs.stage_entered is None and limited is None:
            return None  # a field that happens to be called stage_entered, not a date: no timing
        raise RulesetError(f"stage_entered: field {name!r} must be a date, not {spec.type}", loc if rs.stage_entered else spec.loc)
    return name


def _with_status(compiler, recorded: pl.Expr) -> pl.Expr:
    """The recorded stage, or the won or lost stage where the ``stage_status`` field says so."""
    rs = compiler.ruleset
    status = getattr(rs, "stage_status", None)
    if not status:
        return recorded
    loc = rs.locs.get("stage_status")
    name = status["field"]
    spec = compiler.fields.get(name)
    if spec is None:
        raise RulesetError(f"stage_status: {name!r} is not a field{did_you_mean(name, compiler.fields)}", loc)
    if spec.type != "string":
        raise RulesetError(f"stage_status: field {name!r} must be a string, not {spec.type}", loc)
    value = pl.col(name).str.strip_chars().str.to_lowercase()
    for kind in ("won", "lost"):
        spellings = [str(s).strip().lower() for s in status.get(kind) or ()]
        target = next((s.name for s in rs.stages if s.closed == kind), None)
        if spellings and target is None:
            raise RulesetError(f"stage_status: {kind} needs a stage with closed: {kind}", loc)
        if spellings:
            recorded = pl.when(value.is_in(spellings)).then(pl.lit(target)).otherwise(recorded)
    return recorded
