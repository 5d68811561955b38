"""The typed :class:`~salesrules.loader.ruleset.Ruleset` built from merged ruleset data.

The header (name, version, as-of date, requirements) and the tests are read here; every other
section builds its own objects (see :mod:`salesrules.compiler.sections`), seeing what the
sections before it built.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..compiler.sections import SECTIONS
from ..errors import Loc
from ..model.dates import parse_date_at
from ..model.sections import Expr, TestCase
from .extends import _denormalize, _Resolved
from .located import YDict, YStr
from .ruleset import Ruleset


class BuildContext:
    """What a section's builder sees: the merged data, where each item came from, and the
    attributes the sections before it built."""

    def __init__(self, data: dict, origins, raw: YDict):
        self.data = data
        self.origins = origins
        self.raw = raw
        self.built: dict[str, Any] = {}

    def loc(self, *path) -> Loc | None:
        """Where the item at ``path`` was defined (in this file or a parent), else the file."""
        return self.origins.get(tuple(path)) or self.raw.loc

    def expr(self, value, *path) -> Expr | None:
        """The expression in ``value`` (at ``path``), located at its text."""
        if value is None:
            return None
        if isinstance(value, bool):
            return Expr("true" if value else "false", self.loc(*path))
        if isinstance(value, (int, float)):
            return Expr(repr(value), self.loc(*path))
        if isinstance(value, YStr):
            return Expr(str(value), _text_start(value), value.exact and value.style in (None, "'", '"'))
        return Expr(str(value), self.loc(*path))


def build(resolved: _Resolved, raw: YDict, source: str) -> Ruleset:
    """Build the typed :class:`Ruleset` from merged data."""
    data = {k: _denormalize(v, (k,)) for k, v in resolved.data.items()}
    ctx = BuildContext(data, resolved.origins, raw)
    locs: dict[str, Loc | None] = {}
    for section in SECTIONS:
        if section.build is not None:
            attributes = section.build(ctx)
            locs.update(attributes.pop("locs", {}))
            ctx.built.update(attributes)
    as_of = data.get("as_of")
    hashed = {k: v for k, v in data.items() if k != "tests"}
    digest = hashlib.sha256(json.dumps(_canonical(hashed), sort_keys=True, default=str).encode()).hexdigest()
    return Ruleset(
        name=str(raw["name"]),
        version=str(raw.get("version", "")),
        description=str(raw.get("description", "")),
        path=source,
        sources=tuple(sorted(resolved.files)),
        as_of=parse_date_at(as_of, ctx.loc("as_of")) if as_of is not None else None,
        tests=_tests(raw),
        requires=[str(r) for r in data.get("requires") or ()],
        hash=digest[:12],
        locs=locs,
        **ctx.built,
    )


def _tests(raw: YDict) -> list[TestCase]:
    """The ruleset's own tests (never inherited: they come from this file alone)."""
    tests = []
    for i, t in enumerate(raw.get("tests") or []):
        as_of = t.get("as_of")
        tests.append(TestCase(
            name=str(t["name"]),
            record=dict(t.get("record") or {}),
            expect=dict(t.get("expect") or {}),
            as_of=parse_date_at(as_of, t.loc_of("as_of")) if as_of is not None else None,
            error=t.get("error"),
            loc=raw["tests"].item_locs[i],
        ))
    return tests


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
