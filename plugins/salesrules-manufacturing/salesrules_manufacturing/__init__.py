"""salesrules for industrial and manufacturing sellers.

Long procurement, capital budget cycles, sample and prototype requests, and buying centres
spread over several sites. The plugin adds:

- signals ``buying_complexity``, ``prototype_stage`` and ``capex_cycle_open``;
- functions ``fiscal_quarter(date, start_month)``, ``days_to_budget_cycle(start_month)``
  and ``lead_time_weeks(date)``;
- the ruleset ``builtin:manufacturing`` (extends ``builtin:standard``).

The CRM import files (``-f salesforce-csv``, ``hubspot-csv``, ``pipedrive-csv``) are built into
salesrules: they are not specific to an industry.

Everything is a polars expression: nothing runs per record in Python.
"""

from __future__ import annotations

from importlib.resources import files

import polars as pl

import salesrules
from salesrules.language.functions import NO_LITERAL

__all__ = [
    "buying_complexity",
    "capex_cycle_open",
    "days_to_budget_cycle",
    "fiscal_quarter",
    "lead_time_weeks",
    "prototype_stage",
]


# ---------------------------------------------------------------- shared expressions


def _month_or_null(start: pl.Expr) -> pl.Expr:
    """A fiscal-year start month as Int64; anything outside 1-12 is null."""
    month = start.cast(pl.Int64, strict=False)
    return pl.when(month.is_between(1, 12)).then(month)


def _fiscal_quarter(date: pl.Expr, start: pl.Expr) -> pl.Expr:
    """The fiscal quarter (1-4) of ``date`` for a fiscal year starting in month ``start``."""
    offset = (date.dt.month().cast(pl.Int64) - _month_or_null(start) + 12) % 12
    return offset // 3 + 1


def _check_month(call, index: int) -> None:
    """Reject a literal start month outside 1-12 when the ruleset is compiled."""
    value = call.literals[index]
    if value is NO_LITERAL or value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 12:
        raise ValueError(f"{call.name}(): the fiscal-year start month must be a whole number from 1 to 12, not {value!r}")


# ---------------------------------------------------------------- functions


def fiscal_quarter(call):
    """The fiscal quarter (1-4) of a date for a fiscal year starting in ``start_month`` (1-12).

    ``fiscal_quarter('2026-12-15', 7)`` is 2: a July fiscal year runs Jul-Sep, Oct-Dec,
    Jan-Mar, Apr-Jun. Null when the date is missing or the month is not 1-12.
    """
    _check_month(call, 1)
    return _fiscal_quarter(call.args[0], call.args[1])


def days_to_budget_cycle(call):
    """Whole days from the as-of date to the first day of the customer's next fiscal year.

    0 on the first day of the fiscal year itself. Capital budgets are set in the months
    before that day. Null when the month is missing or not 1-12.
    """
    _check_month(call, 0)
    month = _month_or_null(call.args[0])
    as_of = pl.lit(call.as_of, pl.Date)
    # clip keeps pl.date valid on rows the when() discards (polars evaluates both branches).
    safe = month.fill_null(1).clip(1, 12)
    this_year = pl.date(pl.lit(call.as_of.year), safe, 1)
    next_year = pl.date(pl.lit(call.as_of.year + 1), safe, 1)
    start = pl.when(this_year >= as_of).then(this_year).otherwise(next_year)
    return pl.when(month.is_not_null()).then((start - as_of).dt.total_days())


def lead_time_weeks(call):
    """Whole weeks from the as-of date to a date, rounded down; negative once the date has passed."""
    return (call.args[0] - pl.lit(call.as_of, pl.Date)).dt.total_days() // 7


# ---------------------------------------------------------------- signals


def buying_complexity(inputs):
    """How many sites and buyers beyond the first one each are involved: ``(sites - 1) + (buyers - 1)``.

    0 for one buyer at one site. A missing or non-positive count counts as one.
    """
    sites = pl.max_horizontal(inputs["sites_involved"].cast(pl.Int64, strict=False), pl.lit(1, pl.Int64))
    buyers = pl.max_horizontal(inputs["buyer_count"].cast(pl.Int64, strict=False), pl.lit(1, pl.Int64))
    return (sites - 1) + (buyers - 1)


def prototype_stage(inputs):
    """True while a sample or prototype is requested and not yet approved (unknown counts as no)."""
    requested = inputs["sample_requested"].fill_null(False) | inputs["prototype_requested"].fill_null(False)
    return requested & ~inputs["sample_approved"].fill_null(False)


def capex_cycle_open(inputs):
    """True when the expected close date falls in the first half of the customer's fiscal year.

    New capital budgets are released at the start of the fiscal year and are mostly committed
    by its second half. Null when the close date or the start month is missing. It needs no
    as-of date; for "how long until the next budget cycle" use ``days_to_budget_cycle``.
    """
    return _fiscal_quarter(inputs["close_date"], inputs["fiscal_year_start"]) <= 2


# ---------------------------------------------------------------- hooks


@salesrules.hookimpl
def register_functions(register):
    """Register ``fiscal_quarter``, ``days_to_budget_cycle`` and ``lead_time_weeks``."""
    register("fiscal_quarter", fiscal_quarter, args=["date", "integer"], returns="integer", doc=fiscal_quarter.__doc__)
    register("days_to_budget_cycle", days_to_budget_cycle, args=["integer"], returns="integer", doc=days_to_budget_cycle.__doc__)
    register("lead_time_weeks", lead_time_weeks, args=["date"], returns="integer", doc=lead_time_weeks.__doc__)


@salesrules.hookimpl
def register_signals(register):
    """Register ``buying_complexity``, ``prototype_stage`` and ``capex_cycle_open``."""
    register(
        "buying_complexity", buying_complexity,
        inputs={"sites_involved": "integer", "buyer_count": "integer"},
        returns="integer", doc=buying_complexity.__doc__,
    )
    register(
        "prototype_stage", prototype_stage,
        inputs={"sample_requested": "boolean", "prototype_requested": "boolean", "sample_approved": "boolean"},
        returns="boolean", doc=prototype_stage.__doc__,
    )
    register(
        "capex_cycle_open", capex_cycle_open,
        inputs={"close_date": "date", "fiscal_year_start": "integer"},
        returns="boolean", doc=capex_cycle_open.__doc__,
    )


@salesrules.hookimpl
def register_rulesets(register):
    """Register ``builtin:manufacturing``."""
    path = files("salesrules_manufacturing").joinpath("manufacturing.yaml")
    register("manufacturing", str(path), description="Industrial sales: procurement, capital budgets, samples, sites")
