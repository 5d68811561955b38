"""The typed objects a loaded ruleset is made of.

The loader (:mod:`salesrules.loader`) builds them from YAML; the compiler
(:mod:`salesrules.compiler`) turns them into one polars plan. ``loc`` fields keep the
file, line and column each item came from so every later error can point at it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..errors import Loc

FIELD_TYPES = ("string", "integer", "number", "money", "boolean", "date", "enum")


@dataclass(frozen=True)
class Expr:
    """An expression's source text and where it starts in its file (``col`` is where the text begins)."""

    text: str
    loc: Loc | None = None
    # Column offsets in ``text`` map one-to-one onto the file only for single-line plain or
    # quoted scalars without escapes; otherwise errors point at the scalar's start.
    exact: bool = False

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class FieldSpec:
    """A declared field of the record schema.

    ``values`` maps each canonical enum value to the source spellings that mean it (the
    canonical name itself always matches, case-insensitively). ``format`` is a strftime
    pattern for dates; ``decimal`` is ``"."`` or ``","`` for money and numbers written with a
    decimal comma; ``currency`` names the currency of a money field. A field the rules read
    needs a column in a tabular input unless it has a ``default`` or is ``optional``.
    """

    name: str
    type: str
    aliases: tuple[str, ...] = ()
    default: Any = None
    required: bool = False
    key: bool = False
    values: dict[str, tuple[str, ...]] | None = None
    # The input may lack the field's column: its values are then unknown (null).
    optional: bool = False
    format: str | None = None
    decimal: str | None = None
    currency: str | None = None
    currency_field: str | None = None
    description: str = ""
    loc: Loc | None = None
    null_values: tuple[str, ...] = ()
    unknown: str | None = None
    # Set by the engine, not the loader: the rate of each currency code to the base currency.
    # On a money field, values are converted with them; on a field named by a money field's
    # ``currency_field``, a code that is not among them is a bad value.
    rates: tuple[tuple[str, float], ...] | None = None


@dataclass(frozen=True)
class Level:
    """One level of a first-match classification (a tier, a lead status, a channel...)."""

    name: str
    when: Expr | None = None
    points: Expr | None = None
    score: str | None = None
    reason: str | None = None
    loc: Loc | None = None
    # The cost to serve one record of this level (a field visit, a call...), for the segments report.
    cost: float | None = None


@dataclass(frozen=True)
class Classification:
    """A first-match list yielding one named value per record; ``tiers`` is the built-in one."""

    name: str
    levels: tuple[Level, ...]
    loc: Loc | None = None


@dataclass(frozen=True)
class Stage:
    """A stage of the sales cycle, in order; ``closed`` is ``won``, ``lost`` or None."""

    name: str
    probability: float | None = None
    points: Expr | None = None
    score: str | None = None
    aliases: tuple[str, ...] = ()
    entry: dict[str, Expr] = field(default_factory=dict)
    closed: str | None = None
    max_days: int | None = None
    # The forecast category of an open stage's deals: pipeline, best_case, commit or omitted.
    forecast: str | None = None
    loc: Loc | None = None


@dataclass(frozen=True)
class Decay:
    """How a factor's points fade with the days since a date.

    With ``half_life`` the points are multiplied by 0.5 ** (days / half_life); with ``steps``,
    pairs (after, points) ordered by ``after``, the points of the last step whose ``after``
    the days exceed are added.
    """

    since: Expr
    half_life: float | None = None
    steps: tuple[tuple[float, float], ...] = ()
    loc: Loc | None = None


@dataclass(frozen=True)
class Factor:
    """An additive factor: when it holds it adds its points to its score and its reason."""

    name: str
    when: Expr
    points: Expr
    score: str | None = None
    reason: str | None = None
    decay: Decay | None = None
    loc: Loc | None = None


@dataclass(frozen=True)
class Band:
    """A band of a score: the first band whose ``min`` the score reaches."""

    name: str
    min: float | None = None
    loc: Loc | None = None


@dataclass(frozen=True)
class Score:
    """A named score: the sum of its parts, clamped to ``min``/``max``, banded."""

    name: str
    min: float | None = None
    max: float | None = None
    bands: tuple[Band, ...] = ()
    loc: Loc | None = None


@dataclass(frozen=True)
class Grade:
    """A two-dimensional grade: the band of the ``rows`` score followed by that of ``columns``."""

    name: str
    rows: str
    columns: str
    loc: Loc | None = None


@dataclass(frozen=True)
class Lookup:
    """A typed left join of the prospects with another file.

    ``path`` is the file (resolved against the ruleset that names it), ``key`` its column
    holding the join value, ``on`` the prospect field joined on; ``values`` maps a key of
    the file to the spellings the prospects use for it; ``fields`` are the looked-up fields,
    named as the rules see them, each matching a column of the file by name or alias.
    With ``table`` the lookup is a database table instead of a file: in ``database`` (a URI)
    or, without it, in the database the records come from; ``path`` is then empty.
    """

    name: str
    path: str
    key: str
    on: str
    fields: dict[str, FieldSpec]
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    loc: Loc | None = None
    table: str | None = None
    database: str | None = None


@dataclass(frozen=True)
class Currencies:
    """The base currency and the rate of each other currency (units of base per unit)."""

    base: str
    rates: dict[str, float]
    loc: Loc | None = None

    def table(self) -> tuple[tuple[str, float], ...]:
        """Every known code with its rate, the base currency first at 1."""
        return ((self.base, 1.0),) + tuple((code, float(rate)) for code, rate in self.rates.items() if code != self.base)


@dataclass(frozen=True)
class Action:
    """A next action: its ``text`` template fills ``{field}`` with the record's values."""

    name: str
    text: str
    when: Expr | None = None
    due: Expr | None = None
    applies_to: str = "open"
    loc: Loc | None = None


@dataclass(frozen=True)
class TestCase:
    """A test case, from a ruleset's ``tests:`` or from a ``*.test.yaml`` file: a partial record,
    an optional as-of date and the expected results, or a fragment of the expected error."""

    __test__ = False  # not a pytest test class

    name: str
    record: dict
    expect: dict
    as_of: dt.date | None = None
    error: str | None = None
    loc: Loc | None = None


@dataclass(frozen=True)
class ReportSettings:
    """The ``reports:`` section: how ``salesrules report`` aggregates the results.

    Fields left None take their defaults when the report runs (see docs/reports.md): ``by``
    the ``owner`` field, ``value`` the ``deal_value`` field, ``close_date`` a date field of
    that name. The advice thresholds have documented defaults.
    """

    by: str | None = None
    value: str | None = None
    close_date: str | None = None
    lost_at_stage: str | None = None
    quotas: dict[str, float] = field(default_factory=dict)
    coverage: float | None = None
    late_stages: tuple[str, ...] | None = None
    prospect_ratio: float = 1.0
    qualify_ratio: float = 3.0
    closing_gap: float = 0.25
    min_deals: int = 5
    min_closed: int = 20
    loc: Loc | None = None
    accounts: AccountSettings = field(default_factory=lambda: AccountSettings())
    territories: TerritorySettings = field(default_factory=lambda: TerritorySettings())


@dataclass(frozen=True)
class AccountSettings:
    """``reports.accounts``: the account field, what the ABC ranks, the score roll-up, the
    customer field and the ABC cut-offs (shares of the total value, as fractions)."""

    by: str | None = None
    value: str = "all"  # all: every deal's value; won: won value only
    score: str = "max"  # max, sum or mean of the open records' ranking scores
    customer: str | None = None
    a: float = 0.8
    b: float = 0.95


@dataclass(frozen=True)
class TerritorySettings:
    """``reports.territories``: the territory field, the per-record workload expression (None:
    1 per open deal), the balance tolerance (a fraction of the average) and quotas."""

    by: str | None = None
    workload: Expr | None = None
    tolerance: float = 0.15
    quotas: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class AssignmentRule:
    """One rule of ``assignment.rules``: for the rep or team it names (or every rep), a
    record is eligible only where ``when`` holds."""

    when: Expr
    rep: str | None = None
    team: str | None = None
    loc: Loc | None = None


@dataclass(frozen=True)
class Assignment:
    """The ``assignment:`` section: how ``salesrules assign`` routes open records to reps."""

    territory: str | None = None  # the record field a rep's territory must match
    capacity: str = "deals"  # deals or workload
    strategy: str = "least_loaded"  # or round_robin
    rules: tuple[AssignmentRule, ...] = ()
    loc: Loc | None = None
