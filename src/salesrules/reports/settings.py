"""What a report aggregates: the group, value, close-date and lost-at-stage fields, the quotas
and the period, from the command line, the ruleset's ``reports:`` section and the defaults."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from ..errors import InputError, Loc, UsageError, did_you_mean
from ..model.dates import parse_date

NUMERIC = ("money", "number", "integer")


@dataclass(frozen=True)
class Resolved:
    """The settings of one report, every default applied and checked against the plan."""

    by: str | None
    value: str | None  # None: the ruleset has no money field, the report counts deals only
    close_date: str | None
    lost_at_stage: str | None
    period: tuple[dt.date, dt.date] | None
    quotas: dict[str, float]
    days_in_stage: bool


def resolve(plan, *, by=None, quotas=None, period=None, encoding=None) -> Resolved:
    """The report settings for ``plan``: ``by``, ``quotas`` (a file) and ``period`` (``FROM..TO``
    text or a pair of dates) override the ruleset's ``reports:`` section."""
    settings = plan.ruleset.reports
    fields = plan.fields
    by = by or settings.by or ("owner" if "owner" in fields else None)
    if by is not None and by not in _groupable(plan):
        raise UsageError(f"cannot group the pipeline by {by!r}: no such field or result{did_you_mean(by, _groupable(plan))}")
    value = settings.value or "deal_value"
    if settings.value is None and value not in fields:
        # No value named and no deal_value: the first money field, else deals are only counted.
        value = next((name for name, spec in fields.items() if spec.type == "money"), None)
    spec = fields.get(value) if value is not None else None
    if value is not None and (spec is None or spec.type not in NUMERIC):
        found = f"{value!r} is a {spec.type} field" if spec else f"there is no field {value!r}"
        raise UsageError(
            f"the pipeline report needs the money field of a deal's value ({found}); "
            "declare deal_value or name one with reports.pipeline.value"
        )
    close_date = settings.close_date or ("close_date" if "close_date" in fields else None)
    if close_date is not None and getattr(fields.get(close_date), "type", None) != "date":
        if settings.close_date is not None:
            raise UsageError(f"reports.pipeline.close_date: {close_date!r} is not a date field")
        close_date = None
    lost_at = settings.lost_at_stage or ("lost_at_stage" if "lost_at_stage" in fields else None)
    if lost_at is not None and lost_at not in fields:
        raise UsageError(f"reports.pipeline.lost_at_stage: {lost_at!r} is not a field{did_you_mean(lost_at, fields)}")
    window = _period(period)
    if window is not None and close_date is None:
        raise UsageError("--period counts deals by their close date: declare a close_date field or name one with reports.pipeline.close_date")
    table = read_quotas(quotas, by, encoding) if quotas else dict(settings.quotas)
    if table and by is None:
        raise UsageError("quotas are per group: group the pipeline with --by or reports.pipeline.by")
    return Resolved(by, value, close_date, lost_at, window, table, "days_in_stage" in plan.scopes.get("actions").names)


def _groupable(plan) -> list[str]:
    """The names a pipeline can be grouped by: fields and per-record results."""
    results = [c for c in plan.output if c not in ("rank", "reasons", "actions", "gaps")]
    return list(dict.fromkeys([*plan.fields, *results]))


def _period(period) -> tuple[dt.date, dt.date] | None:
    """``FROM..TO`` (ISO dates, both included) or a pair of dates; FROM may not be after TO."""
    if period is None:
        return None
    if isinstance(period, str):
        start, sep, end = period.partition("..")
        if not sep:
            raise UsageError(f"--period must be FROM..TO (two ISO dates), not {period!r}")
        try:
            period = (parse_date(start.strip()), parse_date(end.strip()))
        except ValueError as exc:
            raise UsageError(f"--period: {exc}") from None
    start, end = period
    if start > end:
        raise UsageError(f"--period starts after it ends: {start.isoformat()}..{end.isoformat()}")
    return start, end


def read_quotas(path: str, by: str | None, encoding: str | None = None) -> dict[str, float]:
    """Each group's quota from a file (any input format): a column named after the group field
    (or ``group``) and a column ``quota``."""
    from ..io.inputs import ReadOptions, read_table

    frame = read_table(str(path), ReadOptions(encoding=encoding or "utf-8")).collect()
    group = next((c for c in (by, "group") if c and c in frame.columns), None)
    if group is None or "quota" not in frame.columns:
        wanted = f"{by!r} (or 'group')" if by else "'group'"
        raise InputError(f"a quotas file needs the columns {wanted} and 'quota'; it has {', '.join(map(repr, frame.columns))}", Loc(str(path)))
    quotas: dict[str, float] = {}
    for row, (name, quota) in enumerate(zip(frame[group].cast(pl.String), frame["quota"].cast(pl.String)), start=2):
        try:
            amount = float(str(quota).replace(",", "").replace("$", "").strip())
        except ValueError:
            raise InputError(f"row {row}, column 'quota': cannot read {quota!r} as an amount", Loc(str(path))) from None
        if name is None or amount < 0 or amount != amount:
            raise InputError(f"row {row}: a quota needs a group and an amount of 0 or more", Loc(str(path)))
        if name in quotas:
            raise InputError(f"row {row}: group {name!r} has two quotas", Loc(str(path)))
        quotas[name] = amount
    return quotas
