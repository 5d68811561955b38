"""Rule coverage: which levels, stages, factors, bands and actions the test cases exercised."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .cases import FACTORS, Suite
from .compare import CaseResult, _name


@dataclass
class Coverage:
    """Which levels, stages, factors, bands and actions of one ruleset the tests exercised."""

    ruleset: Any
    path: str
    items: dict  # (kind, group, name) -> exercised

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def exercised(self) -> int:
        return sum(self.items.values())

    @property
    def percent(self) -> float:
        return 100.0 * self.exercised / self.total if self.total else 100.0

    def missed(self) -> dict:
        """What no test exercised, by kind: levels and bands grouped by classification and score."""
        out: dict = {"levels": {}, "stages": [], "factors": [], "bands": {}, "actions": []}
        for (kind, group, name), hit in self.items.items():
            if hit:
                continue
            if kind in ("levels", "bands"):
                out[kind].setdefault(group, []).append(name)
            else:
                out[kind].append(name)
        return out


def _coverage_items(ruleset) -> dict:
    items = {}
    for c in ruleset.classifications:
        for level in c.levels:
            items[("levels", c.name, level.name)] = False
    for stage in ruleset.stages:
        items[("stages", None, stage.name)] = False
    for factor in ruleset.factors:
        items[("factors", None, factor.name)] = False
    for score in ruleset.scores.values():
        for band in score.bands:
            items[("bands", score.name, band.name)] = False
    for action in ruleset.actions:
        items[("actions", None, action.name)] = False
    return items


def _mark(items: dict, ruleset, actual: dict) -> None:
    def hit(key):
        if key in items:
            items[key] = True

    for c in ruleset.classifications:
        hit(("levels", c.name, actual.get(c.name)))
    hit(("stages", None, actual.get("stage")))
    for name in actual.get(FACTORS) or ():
        hit(("factors", None, name))
    for score in ruleset.scores:
        column = f"{score}_band" if len(ruleset.scores) > 1 else "band"
        hit(("bands", score, actual.get(column)))
    for action in actual.get("actions") or ():
        hit(("actions", None, _name(action)))


def coverage(runs: list[tuple[Suite, list[CaseResult]]]) -> list[Coverage]:
    """Rule coverage per ruleset over every case that evaluated, whether it passed or not."""
    by_ruleset: dict = {}
    for suite, results in runs:
        if suite.ruleset is None:
            continue
        key = os.path.realpath(suite.ruleset.path)
        if key not in by_ruleset:
            by_ruleset[key] = Coverage(suite.ruleset, suite.ruleset_ref or suite.ruleset.path, _coverage_items(suite.ruleset))
        cov = by_ruleset[key]
        for result in results:
            if result.actual is not None:
                _mark(cov.items, suite.ruleset, result.actual)
    return list(by_ruleset.values())


def total_percent(coverages: list[Coverage]) -> float:
    """The share of the rule items of every ruleset that the tests exercised, in percent."""
    total = sum(c.total for c in coverages)
    return 100.0 * sum(c.exercised for c in coverages) / total if total else 100.0


def _percent(value: float) -> str:
    """A percentage with one decimal that never shows 100.0% (or 0.0%) unless it is exactly that."""
    shown = round(value, 1)
    if shown == 100.0 and value < 100.0:
        shown = 99.9
    elif shown == 0.0 and value > 0.0:
        shown = 0.1
    return f"{shown:.1f}%"


def coverage_lines(coverages: list[Coverage]) -> list[str]:
    """The coverage report as text lines."""
    total = sum(c.total for c in coverages)
    exercised = sum(c.exercised for c in coverages)
    lines = [f"coverage: {exercised} of {total} rule items exercised ({_percent(total_percent(coverages))})"]
    for cov in coverages:
        lines.append(f"  {cov.path}: {cov.exercised} of {cov.total} ({_percent(cov.percent)})")
        missed = cov.missed()
        entries = []
        for group, names in missed["levels"].items():
            entries.append((f"{group} levels" if group != "tier" else "tiers", names))
        for kind in ("stages", "factors"):
            if missed[kind]:
                entries.append((kind, missed[kind]))
        for group, names in missed["bands"].items():
            entries.append((f"{group} bands", names))
        if missed["actions"]:
            entries.append(("actions", missed["actions"]))
        if entries:
            lines.append("    not exercised:")
            width = max(len(label) for label, _ in entries) + 1
            for label, names in entries:
                lines.append(f"      {(label + ':').ljust(width)} {', '.join(names)}")
    return lines


def coverage_json(coverages: list[Coverage]) -> dict:
    """The coverage report as a JSON-ready dict: the total and each ruleset with what it missed."""
    return {
        "percent": round(total_percent(coverages), 2),
        "exercised": sum(c.exercised for c in coverages),
        "total": sum(c.total for c in coverages),
        "rulesets": [
            {"path": c.path, "name": c.ruleset.name, "percent": round(c.percent, 2), "exercised": c.exercised,
             "total": c.total, "missed": c.missed()}
            for c in coverages
        ],
    }
