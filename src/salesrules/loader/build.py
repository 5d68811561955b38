"""The typed :class:`~salesrules.loader.ruleset.Ruleset` built from merged ruleset data."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from ..errors import Loc, RulesetError, did_you_mean
from ..model.dates import parse_date
from ..model.sections import (
    Action,
    Band,
    Classification,
    Currencies,
    Decay,
    Expr,
    Factor,
    FieldSpec,
    Grade,
    Level,
    Lookup,
    Score,
    Stage,
    TestCase,
)
from .extends import _denormalize, _Resolved
from .ruleset import TIER, Ruleset
from .yamlsource import YDict, YStr

DEFAULT_SCORE = "priority"




def build(resolved: _Resolved, raw: YDict, source: str) -> Ruleset:
    """Build the typed :class:`Ruleset` from merged data."""
    data = {k: _denormalize(v, (k,)) for k, v in resolved.data.items()}
    origins = resolved.origins

    def loc(*path):
        return origins.get(tuple(path)) or raw.loc

    def expr(value, *path) -> Expr | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return Expr("true" if value else "false", loc(*path))
        if isinstance(value, (int, float)):
            return Expr(repr(value), loc(*path))
        if isinstance(value, YStr):
            return Expr(str(value), _text_start(value), value.exact and value.style in (None, "'", '"'))
        return Expr(str(value), loc(*path))

    def field_spec(name: str, spec, path: tuple, inherited: FieldSpec | None = None) -> FieldSpec:
        if isinstance(spec, str):
            spec = {"type": spec}
        values = _value_map(spec.get("values"))
        ftype = spec.get("type") or (inherited.type if inherited else ("enum" if values else "string"))
        if ftype == "enum" and not values:
            values = inherited.values if inherited else None
            if not values:
                raise RulesetError(f"field {name!r}: an enum needs values", loc(*path))
        return FieldSpec(
            name=name,
            type=ftype,
            aliases=tuple(str(a) for a in spec.get("aliases") or ()),
            default=spec.get("default"),
            required=bool(spec.get("required", False)),
            key=bool(spec.get("key", False)),
            values=values,
            format=spec.get("format"),
            decimal=spec.get("decimal"),
            currency=spec.get("currency"),
            currency_field=spec.get("currency_field"),
            description=spec.get("description", ""),
            loc=loc(*path),
        )

    fields = {name: field_spec(name, spec, ("fields", name)) for name, spec in (data.get("fields") or {}).items()}
    keys = [f for f in fields.values() if f.key]
    if len(keys) > 1:
        raise RulesetError(f"only one field can be the key; {keys[0].name!r} and {keys[1].name!r} both are", keys[1].loc)

    classifications = []
    lists = [(TIER, data.get("tiers"), ("tiers",))] + [
        (cname, levels, ("classifications", cname)) for cname, levels in (data.get("classifications") or {}).items()
    ]
    for cname, levels, path in lists:
        if not levels:
            continue
        classifications.append(Classification(
            name=cname,
            levels=tuple(
                Level(
                    name=str(lv["name"]),
                    when=expr(lv.get("when"), *path, lv["name"], "when"),
                    points=expr(lv.get("points"), *path, lv["name"], "points"),
                    score=lv.get("score"),
                    reason=lv.get("reason"),
                    loc=loc(*path, lv["name"]),
                )
                for lv in levels
            ),
            loc=loc(*path),
        ))

    stages = [
        Stage(
            name=str(st["name"]),
            probability=st.get("probability"),
            points=expr(st.get("points"), "stages", st["name"], "points"),
            score=st.get("score"),
            aliases=tuple(str(a) for a in st.get("aliases") or ()),
            entry={
                str(k): expr(v, "stages", st["name"], "entry", k)
                for k, v in (st.get("entry") or {}).items()
                if v is not None
            },
            closed=st.get("closed"),
            max_days=st.get("max_days"),
            loc=loc("stages", st["name"]),
        )
        for st in data.get("stages") or []
    ]
    for stage in stages:
        if stage.closed and stage.max_days is not None:
            raise RulesetError(
                f"stage {stage.name!r} is closed; max_days applies to open stages only", loc("stages", stage.name, "max_days")
            )

    factors = [
        Factor(
            name=str(fc["name"]),
            when=expr(fc.get("when", True), "factors", fc["name"], "when"),
            points=expr(fc.get("points", 0), "factors", fc["name"], "points"),
            score=fc.get("score"),
            reason=fc.get("reason"),
            decay=_decay(fc.get("decay"), expr, loc, ("factors", fc["name"], "decay")),
            loc=loc("factors", fc["name"]),
        )
        for fc in data.get("factors") or []
    ]

    scores: dict[str, Score] = {}
    ranking = None
    for sname, spec in (data.get("scores") or {}).items():
        if spec.get("by"):
            ranking = spec["by"]
            ranking_loc = loc("scores", sname, "by")
            if set(spec) - {"by", "description"}:
                raise RulesetError(f"score {sname!r}: 'by' names the ranking score and takes no other keys", loc("scores", sname))
            continue
        scores[sname] = Score(
            name=sname,
            min=spec.get("min"),
            max=spec.get("max"),
            bands=tuple(Band(str(b["name"]), b.get("min"), loc("scores", sname, "bands", b["name"])) for b in spec.get("bands") or ()),
            loc=loc("scores", sname),
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

    actions = [
        Action(
            name=str(ac["name"]),
            text=str(ac.get("text") or ac["name"]),
            when=expr(ac.get("when"), "actions", ac["name"], "when"),
            due=expr(ac.get("due"), "actions", ac["name"], "due"),
            applies_to=ac.get("applies_to", "open"),
            loc=loc("actions", ac["name"]),
        )
        for ac in data.get("actions") or []
    ]

    grades = []
    for gname, spec in (data.get("grades") or {}).items():
        for axis in ("rows", "columns"):
            if not spec.get(axis):
                raise RulesetError(f"grade {gname!r} needs {axis}: the score whose bands it combines", loc("grades", gname))
        grades.append(Grade(gname, str(spec["rows"]), str(spec["columns"]), loc("grades", gname)))

    lookups = []
    for lname, spec in (data.get("lookups") or {}).items():
        for required in ("file", "key", "on", "fields"):
            if not spec.get(required):
                raise RulesetError(f"lookup {lname!r} needs {required!r}", loc("lookups", lname))
        file_loc = loc("lookups", lname, "file")
        path = Path(str(spec["file"]))
        if not path.is_absolute() and file_loc is not None and file_loc.file:
            path = Path(file_loc.file).parent / path
        lookups.append(Lookup(
            name=lname,
            path=str(path),
            key=str(spec["key"]),
            on=str(spec["on"]),
            values=_value_map(spec.get("values")) or {},
            fields={
                fname: field_spec(fname, fspec, ("lookups", lname, "fields", fname), fields.get(fname))
                for fname, fspec in spec["fields"].items()
            },
            loc=loc("lookups", lname),
        ))

    currencies = None
    if data.get("currencies"):
        spec = data["currencies"]
        if not spec.get("base"):
            raise RulesetError("currencies needs base: the currency every money value is converted to", loc("currencies"))
        currencies = Currencies(str(spec["base"]), {str(k): float(v) for k, v in (spec.get("rates") or {}).items()}, loc("currencies"))

    tests = []
    for i, t in enumerate(raw.get("tests") or []):
        t_loc = raw["tests"].item_locs[i]
        as_of = t.get("as_of")
        tests.append(TestCase(
            name=str(t["name"]),
            record=dict(t.get("record") or {}),
            expect=dict(t.get("expect") or {}),
            as_of=_as_date(as_of, t.loc_of("as_of")) if as_of is not None else None,
            error=t.get("error"),
            loc=t_loc,
        ))

    as_of = data.get("as_of")
    hashed = {k: v for k, v in data.items() if k != "tests"}
    digest = hashlib.sha256(json.dumps(_canonical(hashed), sort_keys=True, default=str).encode()).hexdigest()
    return Ruleset(
        name=str(raw["name"]),
        version=str(raw.get("version", "")),
        description=str(raw.get("description", "")),
        path=source,
        as_of=_as_date(as_of, loc("as_of")) if as_of is not None else None,
        fields=fields,
        classifications=classifications,
        stages=stages,
        factors=factors,
        scores=scores,
        ranking_score=ranking,
        actions=actions,
        tests=tests,
        requires=[str(r) for r in data.get("requires") or ()],
        hash=digest[:12],
        grades=grades,
        lookups=lookups,
        currencies=currencies,
        stage_entered=data.get("stage_entered"),
        locs={"stage_entered": loc("stage_entered")},
    )


def _value_map(values) -> dict[str, tuple[str, ...]] | None:
    """Enum values or lookup key spellings: a list of names, or each name mapped to its spellings."""
    if isinstance(values, list):
        return {str(v): () for v in values}
    if isinstance(values, dict):
        return {str(k): tuple(str(s) for s in (v or ())) for k, v in values.items()}
    return None


def _decay(spec, expr, loc, path: tuple) -> Decay | None:
    """The recency decay of a factor; steps must grow in ``after``."""
    if not spec:
        return None
    if ("half_life" in spec) == ("steps" in spec):
        raise RulesetError("decay needs either half_life or steps, not both", loc(*path))
    steps = tuple((float(s["after"]), s["points"]) for s in spec.get("steps") or ())
    afters = [a for a, _ in steps]
    if afters != sorted(set(afters)):
        raise RulesetError("decay steps must be ordered by 'after', each a different number of days", loc(*path))
    return Decay(
        since=expr(spec["since"], *path, "since"),
        half_life=spec.get("half_life"),
        steps=steps,
        loc=loc(*path),
    )


def _as_date(value, loc: Loc | None) -> dt.date:
    try:
        return parse_date(value)
    except ValueError:
        raise RulesetError(f"{value!r} is not a date (YYYY-MM-DD)", loc) from None


def _text_start(value: YStr) -> Loc:
    """Where the text of a scalar begins: after the opening quote of a quoted scalar."""
    if value.style in ("'", '"') and value.loc.col is not None:
        return value.loc.shifted(col=value.loc.col + 1)
    return value.loc


def _canonical(value):
    """``value`` with every mapping key a string, so that it serializes with sorted keys.

    YAML keys can be booleans, numbers or dates (``values: {true: [Y], maybe: [M]}``), which
    ``json.dumps(sort_keys=True)`` cannot sort against strings.
    """
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value
