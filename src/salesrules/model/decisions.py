"""The typed objects of a decision table (the ``decisions:`` section), after DMN.

A :class:`Decision` has inputs (expressions over fields), typed outputs, rules (one unary-test
cell per input, one output entry per output) and a hit policy. Cells keep their FEEL text; the
compiler reads them (see :mod:`salesrules.language.unary`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import Loc
from .sections import Expr

HIT_POLICIES = ("UNIQUE", "ANY", "PRIORITY", "FIRST", "RULE ORDER", "OUTPUT ORDER", "COLLECT")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")
# The one-letter forms of DMN's tables (C+ is COLLECT with SUM...).
HIT_POLICY_LETTERS = {
    "U": ("UNIQUE", None), "A": ("ANY", None), "P": ("PRIORITY", None), "F": ("FIRST", None),
    "R": ("RULE ORDER", None), "O": ("OUTPUT ORDER", None), "C": ("COLLECT", None),
    "C+": ("COLLECT", "SUM"), "C<": ("COLLECT", "MIN"), "C>": ("COLLECT", "MAX"), "C#": ("COLLECT", "COUNT"),
}
SINGLE_HIT = ("UNIQUE", "ANY", "PRIORITY", "FIRST")
OUTPUT_TYPES = ("string", "number", "integer", "money", "boolean", "date")


@dataclass(frozen=True)
class DecisionInput:
    """An input column: an expression over fields, its label, and the values it may take."""

    expression: Expr
    label: str | None = None
    values: tuple[Any, ...] | None = None
    loc: Loc | None = None


@dataclass(frozen=True)
class DecisionOutput:
    """An output column: its name and type, its values in priority order, its default entry."""

    name: str
    type: str = "string"
    values: tuple[Any, ...] | None = None
    default: str | None = None
    loc: Loc | None = None


@dataclass(frozen=True)
class DecisionRule:
    """A rule: one unary-test cell per input, one output entry per output (FEEL text)."""

    tests: tuple[str, ...]
    outputs: tuple[str, ...]
    description: str | None = None
    loc: Loc | None = None
    test_locs: tuple[Loc | None, ...] = ()
    output_locs: tuple[Loc | None, ...] = ()


@dataclass(frozen=True)
class Decision:
    """A decision table. ``name`` is its result column (any text); ``alias`` the name
    expressions use. ``aggregation`` goes with ``COLLECT`` only."""

    name: str
    alias: str
    hit_policy: str
    inputs: tuple[DecisionInput, ...]
    outputs: tuple[DecisionOutput, ...]
    rules: tuple[DecisionRule, ...]
    aggregation: str | None = None
    description: str = ""
    loc: Loc | None = None

    @property
    def single_hit(self) -> bool:
        """Whether the table gives one rule's outputs (UNIQUE, ANY, PRIORITY, FIRST)."""
        return self.hit_policy in SINGLE_HIT

    @property
    def gives_list(self) -> bool:
        """Whether the result is a list (RULE ORDER, OUTPUT ORDER, COLLECT without aggregation)."""
        return not self.single_hit and self.aggregation is None


def identifier(name: str) -> str:
    """A name usable in expressions made from any text: ``Approval Status`` gives ``Approval_Status``."""
    text = re.sub(r"[^A-Za-z0-9_]+", "_", name.strip()).strip("_") or "decision"
    return ("_" + text if text[0].isdigit() else text)[:64]
