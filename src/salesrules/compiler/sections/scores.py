"""The ``scores`` section: the scores items add their points to, clamped and banded, and which
one ranks (``priority: {by: NAME}``). Without it there is one score, ``priority``."""

from __future__ import annotations

import polars as pl

from ...errors import RulesetError, did_you_mean
from ...model.columns import INT64_MAX, INT64_MIN
from ...model.sections import Band, Score
from ...model.types import INTEGER, NUMBER, Type
from ..manifest import ScoreColumns
from .schema import IDENTIFIER, REMOVE, named_list

NAME = "scores"
OUTPUT_PLACE = 30
DEFAULT_SCORE = "priority"
SCHEMA = {
    "scores": {
        "type": "object",
        "propertyNames": IDENTIFIER,
        "additionalProperties": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "min": {"type": "number"},
                "max": {"type": "number"},
                "bands": named_list(
                    {
                        "name": {"type": "string", "minLength": 1, "maxLength": 64},
                        "min": {"type": "number"},
                        "remove": REMOVE,
                    }
                ),
                "by": IDENTIFIER,
                "description": {"type": "string"},
                "remove": REMOVE,
            },
        },
    }
}


def build(ctx) -> dict:
    """The scores (``priority`` when none is declared) and the name of the ranking one."""
    scores: dict[str, Score] = {}
    ranking = ranking_loc = None
    for sname, spec in (ctx.data.get("scores") or {}).items():
        if spec.get("by"):
            ranking = spec["by"]
            ranking_loc = ctx.loc("scores", sname, "by")
            if set(spec) - {"by", "description"}:
                raise RulesetError(f"score {sname!r}: 'by' names the ranking score and takes no other keys", ctx.loc("scores", sname))
            continue
        scores[sname] = Score(
            name=sname,
            min=spec.get("min"),
            max=spec.get("max"),
            bands=tuple(Band(str(b["name"]), b.get("min"), ctx.loc("scores", sname, "bands", b["name"])) for b in spec.get("bands") or ()),
            loc=ctx.loc("scores", sname),
        )
    if not scores:
        scores[DEFAULT_SCORE] = Score(DEFAULT_SCORE)
    if ranking is None:
        ranking = DEFAULT_SCORE if DEFAULT_SCORE in scores else next(iter(scores))
    elif ranking not in scores:
        raise RulesetError(f"priority is by unknown score {ranking!r}{did_you_mean(ranking, scores)}", ranking_loc)
    for s in scores.values():
        if s.min is not None and s.max is not None and s.min > s.max:
            raise RulesetError(f"score {s.name!r}: min {s.min} is above max {s.max}", s.loc)
    return {"scores": scores, "ranking_score": ranking}


def outputs(ruleset) -> list[str]:
    """The ranking score and its band; with several scores, each one and its band too."""
    names = ["score", "band"]
    if len(ruleset.scores) > 1:
        for s in ruleset.scores:
            names += [s, f"{s}_band"]
    return names


def compile(compiler, scope):
    """Each score: the sum of its parts, clamped, and its band; then the ranking score as ``score``."""
    rs = compiler.ruleset
    sums, scored = [], []
    extra = {}
    for name, score in rs.scores.items():
        parts = compiler.score_parts[name]
        integer = all(t.name == "integer" for _, t, _ in parts) and all(
            v is None or float(v).is_integer() for v in (score.min, score.max)
        )
        dtype = pl.Int64 if integer else pl.Float64
        if not parts:
            raw = pl.lit(0, dtype)
        elif integer:
            raw = _whole_sum(parts)
        else:
            # Finite points can still sum beyond the largest float: such a score is unknown
            # (null, ranked last), never infinity or NaN, which would rank first.
            raw = pl.sum_horizontal([p.cast(dtype) for p, _, _ in parts])
            raw = pl.when(raw.is_finite()).then(raw)
        columns = ScoreColumns(name, raw=f"__raw:{name}", total=f"__score:{name}", band=f"__band:{name}")
        compiler.manifest.scores[name] = columns
        sums.append(raw.cast(dtype).alias(columns.raw))
        # The score and its bands read the sum from its column (the next step).
        total = pl.col(columns.raw)
        if score.min is not None or score.max is not None:
            lower = None if score.min is None else pl.lit(score.min, dtype)
            upper = None if score.max is None else pl.lit(score.max, dtype)
            total = total.clip(lower, upper)
        scored.append(total.cast(dtype).alias(columns.total))
        scored.append(_band(name, score, total).alias(columns.band))
        extra[name] = (INTEGER if integer else NUMBER, pl.col(columns.total))
        extra[f"{name}_band"] = (Type("enum", tuple(b.name for b in score.bands)), pl.col(columns.band))
    compiler.steps.append(sums)
    compiler.steps.append(scored)
    ranking = compiler.manifest.scores[rs.ranking_score]
    renames = [pl.col(ranking.total).alias("score"), pl.col(ranking.band).alias("band")]
    if len(rs.scores) > 1:
        for columns in compiler.manifest.scores.values():
            renames += [pl.col(columns.total).alias(columns.name), pl.col(columns.band).alias(f"{columns.name}_band")]
    compiler.steps.append(renames)
    extra["score"] = extra[rs.ranking_score]
    extra["band"] = extra[f"{rs.ranking_score}_band"]
    return scope.child(extra)


def _whole_sum(parts) -> pl.Expr:
    """The sum of whole-number parts ``(column, type, bound)``, held within Int64.

    Parts of constant points (a ``bound``) whose bounds add up to less than 2**62 are summed
    in Int64, where they cannot overflow; computed points are summed in Int128 and the total
    clipped to Int64, so that huge points cannot wrap around.
    """
    bounded, computed, total = [], [], 0
    for column, _, bound in parts:
        if bound is not None and total + bound < 1 << 62:
            bounded.append(column)
            total += bound
        else:
            computed.append(column)
    small = [pl.sum_horizontal(bounded)] if bounded else []
    if not computed:
        return small[0]
    return pl.sum_horizontal([p.cast(pl.Int128) for p in small + computed]).clip(INT64_MIN, INT64_MAX)


def _band(name: str, score, total: pl.Expr) -> pl.Expr:
    """The first band whose min the total reaches; the last band may be a catch-all."""
    for b in score.bands[:-1]:
        if b.min is None:  # the bands after it could never be reached
            raise RulesetError(
                f"score {name!r}: band {b.name!r} has no min, so the bands after it can never match; "
                "only the last band may be a catch-all",
                b.loc,
            )
    band = None
    for b in score.bands:
        if b.min is None:
            band = band.otherwise(pl.lit(b.name)) if band is not None else pl.lit(b.name)
            break
        cond = total >= b.min
        band = pl.when(cond).then(pl.lit(b.name)) if band is None else band.when(cond).then(pl.lit(b.name))
    return band if band is not None else pl.lit(None, pl.String)
