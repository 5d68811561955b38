"""The sections of the ruleset format, each declared once.

A :class:`Section` gathers what the product knows of one part of a ruleset: the JSON Schema of
its keys, how the loader builds its typed objects from the merged YAML, how it compiles into
plan steps (recording the parts of scores it adds in the plan's manifest), which expressions
``lint`` reads, and which result columns it adds. The loader, the compiler, the schema and lint
all iterate :data:`SECTIONS`, so a new section is one module here plus its docs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import (
    actions,
    assignment,
    classifications,
    currencies,
    decisions,
    factors,
    fields,
    grades,
    lookups,
    reports,
    scores,
    signals,
    stages,
)


@dataclass(frozen=True)
class Section:
    """One section of the ruleset format.

    - ``schema``: the JSON Schema of the top-level keys the section owns, by key.
    - ``build(ctx)``: the :class:`~salesrules.loader.ruleset.Ruleset` attributes built from the
      merged data (``ctx`` gives ``data``, ``loc(*path)``, ``expr(value, *path)``,
      ``field_spec(...)`` and ``built``, the attributes built by the sections before).
    - ``compile(compiler, scope)``: adds the section's steps to the plan and returns the scope
      later sections see; ``scope``: the name under which the scope its expressions see is kept
      in ``plan.scopes``, for the tools that compile parts of a ruleset.
    - ``expressions(ruleset)``: every expression of the section, for ``lint``.
    - ``outputs(ruleset)``: the result columns it adds, placed by ``output_place``.
    """

    name: str
    schema: dict[str, Any]
    build: Callable[[Any], dict[str, Any]] | None = None
    compile: Callable[[Any, Any], Any] | None = None
    scope: str | None = None
    expressions: Callable[[Any], Iterable[Any]] | None = None
    outputs: Callable[[Any], list[str]] | None = None
    output_place: int = 50


def _section(module) -> Section:
    return Section(
        name=module.NAME,
        schema=getattr(module, "SCHEMA", {}),
        build=getattr(module, "build", None),
        compile=getattr(module, "compile", None),
        scope=getattr(module, "SCOPE", None),
        expressions=getattr(module, "expressions", None),
        outputs=getattr(module, "outputs", None),
        output_place=getattr(module, "OUTPUT_PLACE", 50),
    )


# In the order they are built and compiled: a section sees what the ones before it built.
SECTIONS: tuple[Section, ...] = tuple(
    _section(m) for m in (
        fields, lookups, currencies, signals, decisions, stages, decisions.DecisionGaps, classifications, factors, scores,
        grades, actions, reports, assignment
    )
)


def expressions(ruleset) -> Iterable[Any]:
    """Every expression of ``ruleset``, section by section (None where an item has none)."""
    for section in SECTIONS:
        if section.expressions is not None:
            yield from section.expressions(ruleset)
