"""The ``tiers`` and ``classifications`` sections: first-match lists that give each record a
named level (a value tier, a lead status, a channel...), with points for a score.

Tiers are the built-in classification named ``tier``: its columns are always there, so
without tiers every record's tier is unknown and worth 0 points.
"""

from __future__ import annotations

import polars as pl

from ...errors import RulesetError
from ...language.lookups import COMPARED_NAMES
from ...model.sections import Classification, Level
from ...model.types import INTEGER, NUMBER, Type
from ..context import points_bound, points_of
from ..manifest import Entry
from .schema import IDENTIFIER, LEVELS

NAME = "classifications"
SCOPE = "rules"
OUTPUT_PLACE = 10
TIER = "tier"
SCHEMA = {
    "tiers": LEVELS,
    "classifications": {
        "type": "object",
        "propertyNames": IDENTIFIER,
        "additionalProperties": {"oneOf": [LEVELS, {"type": "null"}]},
    },
}


def build(ctx) -> dict:
    """The tiers, then the other classifications, each a list of levels."""
    classifications = []
    lists = [(TIER, ctx.data.get("tiers"), ("tiers",))] + [
        (cname, levels, ("classifications", cname)) for cname, levels in (ctx.data.get("classifications") or {}).items()
    ]
    for cname, levels, path in lists:
        if not levels:
            continue
        classifications.append(Classification(
            name=cname,
            levels=tuple(
                Level(
                    name=str(lv["name"]),
                    when=ctx.expr(lv.get("when"), *path, lv["name"], "when"),
                    points=ctx.expr(lv.get("points"), *path, lv["name"], "points"),
                    score=lv.get("score"),
                    reason=lv.get("reason"),
                    loc=ctx.loc(*path, lv["name"]),
                    cost=float(lv["cost"]) if lv.get("cost") is not None else None,
                )
                for lv in levels
            ),
            loc=ctx.loc(*path),
        ))
    return {"classifications": classifications}


def expressions(ruleset):
    """Each level's condition and points."""
    for c in ruleset.classifications:
        for level in c.levels:
            yield level.when
            yield level.points


def outputs(ruleset) -> list[str]:
    """The tier and its points, then the other classifications."""
    return [TIER, "tier_points"] + [c.name for c in ruleset.classifications if c.name != TIER]


def compile(compiler, scope):
    """Every classification in order, each seeing the ones before it."""
    for classification in compiler.ruleset.classifications:
        scope = _compile_one(compiler, classification, scope)
    if not any(c.name == TIER for c in compiler.ruleset.classifications):
        compiler.steps.append([pl.lit(None, pl.String).alias(TIER), pl.lit(0, pl.Int64).alias("tier_points")])
    return scope


def _compile_one(compiler, classification, scope):
    levels = classification.levels
    name = classification.name
    for level in levels[:-1]:
        if level.when is None:
            raise RulesetError(
                f"{name} level {level.name!r} has no condition, so the levels after it can never match; "
                "only the last level may be a catch-all",
                level.loc,
            )
    conditions = [compiler.expr(lv.when, scope, "boolean").expr if lv.when is not None else None for lv in levels]
    # The first level whose condition holds: a chain of when/then for a few levels (it takes
    # polars half as long as a coalesce), else a coalesce of one when/then per level, built in
    # linear time (a chain of .when() calls copies the whole chain at every level).
    if len(levels) <= COMPARED_NAMES:
        chain = pl
        for lv, cond in zip(levels, conditions):
            if cond is None:
                break
            chain = chain.when(cond).then(pl.lit(lv.name))
        catch_all = pl.lit(levels[-1].name) if conditions[-1] is None else pl.lit(None, pl.String)
        value = catch_all if chain is pl else chain.otherwise(catch_all)
    else:
        choices = [pl.lit(lv.name) if cond is None else pl.when(cond).then(pl.lit(lv.name)) for lv, cond in zip(levels, conditions)]
        value = choices[0] if len(choices) == 1 else pl.coalesce(choices)
    value_col = pl.col(name)
    compiler.steps.append([value.alias(name)])
    scored = [lv for lv in levels if lv.points is not None]
    level_type = Type("enum", tuple(lv.name for lv in levels))
    level_scope = scope.child({name: (level_type, value_col)})
    if scored or name == TIER:
        targets: dict[str, list] = {}
        for level in scored:
            targets.setdefault(compiler.score_of(level.score, level.loc), []).append(level)
        if not targets:
            targets[compiler.score_of(None, None)] = []
        point_cols = []
        kind, item = (TIER, TIER) if name == TIER else ("classification", f"classification:{name}")
        for target, tlevels in targets.items():
            parts = [(lv.name, *compiler.points(lv.points, level_scope)) for lv in tlevels]
            t = INTEGER if all(p[2].name == "integer" for p in parts) else NUMBER
            dtype = pl.Int64 if t == INTEGER else pl.Float64
            expr = points_of(value_col, [(lname, pts) for lname, pts, _ in parts], dtype) if parts else pl.lit(0, dtype)
            column = f"__{name}_points:{target}"
            point_cols.append(expr.alias(column))
            compiler.add_part(Entry(kind, item, target, column, name=name, source=classification), t,
                              points_bound([lv.points for lv in tlevels]))
        compiler.steps.append(point_cols)
        if name == TIER:
            columns = [pl.col(c.meta.output_name()) for c in point_cols]
            compiler.steps.append([pl.sum_horizontal(columns).alias("tier_points")])
    extra = {name: (level_type, value_col)}
    if name == TIER:
        extra["tier_points"] = (NUMBER, pl.col("tier_points"))
    hints = dict(scope.hints)
    hints.pop(name, None)
    new = scope.child(extra)
    new.hints = hints
    return new
