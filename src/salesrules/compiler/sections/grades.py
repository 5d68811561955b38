"""The ``grades`` section: two-dimensional grades, the band of one score followed by the band
of another (A1...C3)."""

from __future__ import annotations

import polars as pl

from ...errors import RulesetError, did_you_mean
from ...model.sections import Grade
from ...model.types import Type
from .schema import IDENTIFIER, REMOVE

NAME = "grades"
OUTPUT_PLACE = 40
SCHEMA = {
    "grades": {
        "type": "object",
        "description": "Two-dimensional grades: the band of one score followed by the band of another (A1...C3)",
        "propertyNames": IDENTIFIER,
        "additionalProperties": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "rows": {
                    "type": "string",
                    "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                    "maxLength": 64,
                    "description": "The score whose band comes first",
                },
                "columns": {
                    "type": "string",
                    "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                    "maxLength": 64,
                    "description": "The score whose band comes second",
                },
                "description": {"type": "string"},
                "remove": REMOVE,
            },
        },
    }
}


def build(ctx) -> dict:
    """The grades, each naming the scores whose bands it combines."""
    grades = []
    for gname, spec in (ctx.data.get("grades") or {}).items():
        for axis in ("rows", "columns"):
            if not spec.get(axis):
                raise RulesetError(f"grade {gname!r} needs {axis}: the score whose bands it combines", ctx.loc("grades", gname))
        grades.append(Grade(gname, str(spec["rows"]), str(spec["columns"]), ctx.loc("grades", gname)))
    return {"grades": grades}


def outputs(ruleset) -> list[str]:
    """One column per grade."""
    return [g.name for g in ruleset.grades]


def compile(compiler, scope):
    """Each grade: the band of its ``rows`` score followed by that of its ``columns`` score."""
    rs = compiler.ruleset
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
        bands = [pl.col(compiler.manifest.scores[s.name].band) for s in (rows, cols)]
        # Null when either band is: a grade needs both.
        columns.append(pl.concat_str(bands).alias(grade.name))
        values = tuple(dict.fromkeys(r.name + c.name for r in rows.bands for c in cols.bands))
        extra[grade.name] = (Type("enum", values), pl.col(grade.name))
    if columns:
        compiler.steps.append(columns)
    return scope.child(extra)
