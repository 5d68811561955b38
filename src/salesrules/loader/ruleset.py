"""The loaded ruleset and its Python API: compile, evaluate, evaluate_one, evaluate_many."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..compiler.sections.classifications import TIER
from ..model.decisions import Decision
from ..model.sections import (
    Action,
    Assignment,
    Classification,
    Currencies,
    Factor,
    FieldSpec,
    Grade,
    Lookup,
    ReportSettings,
    Score,
    Stage,
    TestCase,
)


@dataclass
class Ruleset:
    """A loaded, merged ruleset. Evaluate it with :meth:`evaluate`, :meth:`evaluate_one` or :meth:`evaluate_many`."""

    name: str
    version: str
    description: str
    path: str
    as_of: dt.date | None
    fields: dict[str, FieldSpec]
    classifications: list[Classification]
    stages: list[Stage]
    factors: list[Factor]
    scores: dict[str, Score]
    ranking_score: str
    actions: list[Action]
    tests: list[TestCase]
    requires: list[str]
    hash: str
    locs: dict = field(default_factory=dict, repr=False)
    grades: list[Grade] = field(default_factory=list)
    lookups: list[Lookup] = field(default_factory=list)
    assignment: Assignment = field(default_factory=Assignment)
    currencies: Currencies | None = None
    stage_entered: str | None = None
    stage_status: dict | None = None
    reports: ReportSettings = field(default_factory=ReportSettings)
    decisions: list[Decision] = field(default_factory=list)
    sources: tuple[str, ...] = ()

    def files_read(self) -> list[str]:
        """Every file an evaluation with this ruleset reads besides the records: the ruleset,
        each file of its ``extends`` chain and each lookup file. No output may replace one."""
        files = [self.path, *self.sources]
        files += [lookup.path for lookup in self.lookups if lookup.path]
        return list(dict.fromkeys(files))

    @property
    def key(self) -> str | None:
        """The key field's name, or None when the ruleset declares none."""
        return next((f.name for f in self.fields.values() if f.key), None)

    @property
    def tiers(self) -> Classification | None:
        """The value tiers, the built-in classification named ``tier``."""
        return next((c for c in self.classifications if c.name == TIER), None)

    def compile(self, as_of: dt.date | None = None):
        """The compiled plan of this ruleset for an as-of date (default: the ruleset's, else today)."""
        from ..compiler.plan import compile_ruleset

        return compile_ruleset(self, as_of)

    def evaluate(self, data, *, as_of: dt.date | None = None, allow_missing: bool = False, **options):
        """Evaluate records (a path, a polars or pandas frame, or a list of dicts) into a polars DataFrame.

        A field the rules read that no column of a file or frame provides (and that has no
        default and is not optional) is an :class:`~salesrules.errors.InputError`; with
        ``allow_missing`` its values are null and a :class:`~salesrules.errors.MissingColumnWarning`
        names it. In a list of dicts a missing key is null.
        """
        from ..runners.local import evaluate

        return evaluate(self, data, as_of=as_of, allow_missing=allow_missing, **options)

    def evaluate_one(self, record: dict, *, as_of: dt.date | None = None) -> dict:
        """Evaluate one record (a dict) with the same plan; values depending on other records stay
        empty, and a field the record does not give is null (a dict is not a file with columns)."""
        from ..runners.one import evaluate_one

        return evaluate_one(self, record, as_of=as_of)

    def evaluate_many(self, records, *, as_of: dt.date | None = None) -> list[dict]:
        """Evaluate records (dicts) in one batch: a list of the dicts :meth:`evaluate_one` returns,
        in order, computed together (the way to evaluate a few hundred or thousand records in a
        service). A record that cannot be evaluated raises the error ``evaluate_one`` would, naming
        it by its index (``records[3], column 'Amount': ...``)."""
        from ..runners.many import evaluate_many

        return evaluate_many(self, records, as_of=as_of)

    def report(self, data, *, as_of: dt.date | None = None, allow_missing: bool = False, **options):
        """The pipeline report of records: its sections as polars DataFrames (see ``salesrules report``);
        ``allow_missing`` as for :meth:`evaluate`."""
        from ..reports import report

        return report(self, data, as_of=as_of, allow_missing=allow_missing, **options)

    @property
    def provenance_date(self) -> dt.date:
        """The as-of date used when none is given."""
        return self.as_of or dt.date.today()
