"""The ``factors`` section: additive factors; every one that holds adds its points (possibly
decaying with the days since a date) and its reason."""

from __future__ import annotations

import polars as pl

from ...errors import RulesetError
from ...model.columns import REASONS
from ...model.sections import Decay, Factor
from ...model.types import INTEGER, NUMBER, Type
from ..context import has_literal, points_bound
from ..manifest import Entry
from ..packing import packed_steps
from .schema import EXPRESSION, IDENTIFIER, POINTS, REMOVE, named_list

NAME = "factors"
SCOPE = "factors"
SCHEMA = {
    "factors": named_list(
        {
            "name": IDENTIFIER,
            "when": EXPRESSION,
            "points": POINTS,
            "decay": {
                "type": "object",
                "description": "Recency decay of the points, by the days since a date: a half_life, or steps added after some days (one of the two)",
                "additionalProperties": False,
                "required": ["since"],
                "properties": {
                    "since": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 4000,
                        "description": "A date: a field or a date expression",
                    },
                    "half_life": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "description": "Days after which the points are halved",
                    },
                    "steps": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["after", "points"],
                            "properties": {
                                "after": {
                                    "type": "integer",
                                    "minimum": 0,
                                    "description": "Days since the date after which this step applies",
                                },
                                "points": {
                                    "type": "number",
                                    "description": "Points added to the factor's points (usually negative)",
                                },
                            },
                        },
                    },
                },
            },
            "score": IDENTIFIER,
            "reason": {"type": "string"},
            "description": {"type": "string"},
            "remove": REMOVE,
        }
    )
}


def build(ctx) -> dict:
    """The factors, in order."""
    factors = [
        Factor(
            name=str(fc["name"]),
            when=ctx.expr(fc.get("when", True), "factors", fc["name"], "when"),
            points=ctx.expr(fc.get("points", 0), "factors", fc["name"], "points"),
            score=fc.get("score"),
            reason=fc.get("reason"),
            decay=_decay(ctx, fc.get("decay"), ("factors", fc["name"], "decay")),
            loc=ctx.loc("factors", fc["name"]),
        )
        for fc in ctx.data.get("factors") or []
    ]
    return {"factors": factors}


def _decay(ctx, spec, path: tuple) -> Decay | None:
    """The recency decay of a factor; steps must grow in ``after``."""
    if not spec:
        return None
    if ("half_life" in spec) == ("steps" in spec):
        raise RulesetError("decay needs either half_life or steps, not both", ctx.loc(*path))
    steps = tuple((float(s["after"]), s["points"]) for s in spec.get("steps") or ())
    afters = [a for a, _ in steps]
    if afters != sorted(set(afters)):
        raise RulesetError("decay steps must be ordered by 'after', each a different number of days", ctx.loc(*path))
    return Decay(
        since=ctx.expr(spec["since"], *path, "since"),
        half_life=spec.get("half_life"),
        steps=steps,
        loc=ctx.loc(*path),
    )


def expressions(ruleset):
    """Each factor's condition, points and decay date."""
    for factor in ruleset.factors:
        yield factor.when
        yield factor.points
        if factor.decay is not None:
            yield factor.decay.since


def compile(compiler, scope):
    """Each factor's condition, points (and decay) and reason; the reasons packed in order."""
    conditions, points, reasons = [], [], []
    for factor in compiler.ruleset.factors:
        column = f"__factor:{factor.name}"
        cond = compiler.expr(factor.when, scope, "boolean").expr.fill_null(False)
        conditions.append(cond.alias(column))
        compiler.manifest.factors[factor.name] = column
        target = compiler.score_of(factor.score, factor.loc)
        pts, t = compiler.points(factor.points, scope)
        dtype = pl.Int64 if t.name == "integer" else pl.Float64
        points_column = f"__points:{factor.name}"
        points.append(pl.when(pl.col(column)).then(pts).otherwise(pl.lit(0, dtype)).alias(points_column))
        compiler.add_part(Entry("factor", f"factor:{factor.name}", target, points_column, label=factor.name,
                                fired=column, source=factor), t, points_bound([factor.points]))
        if factor.decay is not None:
            # The undecayed points stay in __points:NAME and the decay is a part of its own,
            # so a receipt shows both and still adds up.
            adjustment, decay_type, bound = _decayed(compiler, factor.decay, pts, scope)
            zero = pl.lit(0, pl.Int64 if decay_type.name == "integer" else pl.Float64)
            decay_column = f"__decay:{factor.name}"
            points.append(pl.when(pl.col(column)).then(adjustment).otherwise(zero).alias(decay_column))
            compiler.add_part(Entry("decay", f"decay:{factor.name}", target, decay_column, label=factor.name,
                                    fired=column, source=factor), decay_type, bound)
        reason = factor.reason or factor.name.replace("_", " ")
        # The text is null where the factor did not fire; a reason that renders empty is left out.
        text = compiler.template(reason, scope, factor.loc, only=pl.col(column))
        reasons.append(text if has_literal(reason) else pl.when(text != "").then(text))
    if conditions:
        compiler.steps.append(conditions + compiler.shown_columns())
        first, *rest = packed_steps(reasons, REASONS, compiler.separator)
        compiler.steps += [points + first, *rest]
    else:
        compiler.steps.append([pl.lit("").alias(REASONS)])
    return scope


def _decayed(compiler, decay, points: pl.Expr, scope) -> tuple[pl.Expr, Type, int | None]:
    """The amount a factor's points change by with the days since ``decay.since`` (0 when
    unknown), its type and the largest magnitude of its steps (None for a half-life)."""
    since = compiler.expr(decay.since, scope, "date").expr.cast(pl.Date)
    # A date after as-of has not started to decay.
    days = (pl.lit(compiler.as_of, pl.Date) - since).dt.total_days().clip(lower_bound=0)
    if decay.half_life is not None:
        factor = pl.lit(0.5) ** (days.cast(pl.Float64) / float(decay.half_life)) - 1
        return (points.cast(pl.Float64) * factor).fill_null(0.0), NUMBER, None
    whole = all(float(p).is_integer() for _, p in decay.steps)
    dtype = pl.Int64 if whole else pl.Float64
    chain = None
    for after, step_points in reversed(decay.steps):  # the last step reached wins
        value = pl.lit(int(step_points) if whole else float(step_points), dtype)
        chain = pl.when(days > after).then(value) if chain is None else chain.when(days > after).then(value)
    bound = max(abs(int(p)) for _, p in decay.steps) if whole else None
    return chain.otherwise(pl.lit(0, dtype)).fill_null(0), INTEGER if whole else NUMBER, bound
