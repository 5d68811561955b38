"""salesrules-saas: signals, functions and a ruleset for SaaS (subscription software) sales.

Signals (computed fields, present when a ruleset declares their inputs):
``deal_arr``, ``expansion_potential``, ``product_qualified``.
Functions: ``arr(mrr)``, ``usage_ratio(used, licensed)``, ``renewal_window(date, days)``.
Ruleset: ``saas`` (``builtin:saas`` or ``saas:saas``), which extends ``builtin:standard``.

Every implementation returns a polars expression: nothing here runs per record.
"""

from __future__ import annotations

from importlib.resources import files

import polars as pl

import salesrules

__all__ = [
    "PQL_MIN_ACTIVE_TRIAL_USERS",
    "PQL_MIN_KEY_FEATURE_ADOPTION",
    "arr",
    "deal_arr",
    "expansion_potential",
    "product_qualified",
    "register_functions",
    "register_rulesets",
    "register_signals",
    "renewal_window",
    "usage_ratio",
]

MONTHS = 12
# Product-qualified lead thresholds. They are conventions, not a standard: product-led
# companies each pick theirs. A ruleset that needs others writes the condition itself from
# the input fields (see the README).
PQL_MIN_ACTIVE_TRIAL_USERS = 3
PQL_MIN_KEY_FEATURE_ADOPTION = 0.4


def _money(expr: pl.Expr) -> pl.Expr:
    # Integer inputs (a whole MRR, a seat count) are widened so products and sums are money.
    return expr.cast(pl.Float64)


# ---------------------------------------------------------------- functions


def arr(call) -> pl.Expr:
    """Annual recurring revenue from monthly recurring revenue: ``mrr`` × 12 (null stays null)."""
    return _money(call.args[0]) * MONTHS


def usage_ratio(call) -> pl.Expr:
    """``used`` / ``licensed`` as a decimal (0.75 = 75%); null when either is null or ``licensed`` is not above 0."""
    used, licensed = (_money(a) for a in call.args)
    return pl.when(licensed > 0).then(used / licensed).otherwise(pl.lit(None, pl.Float64))


def renewal_window(call) -> pl.Expr:
    """True when ``date`` falls from the as-of date through ``days`` days later (both ends included).

    False when the date is later or has already passed; null when the date (or ``days``) is
    missing. ``days`` written as a literal must not be negative.
    """
    days = call.literals[1]
    if isinstance(days, int) and not isinstance(days, bool) and days < 0:
        raise ValueError("renewal_window(): days must not be negative")
    left = (call.args[0] - pl.lit(call.as_of, pl.Date)).dt.total_days()
    return (left >= 0) & (left <= call.args[1])


@salesrules.hookimpl
def register_functions(register):
    """Register ``arr``, ``usage_ratio`` and ``renewal_window``."""
    register("arr", arr, args=["money"], returns="money", doc=arr.__doc__)
    register("usage_ratio", usage_ratio, args=["numeric", "numeric"], returns="number", doc=usage_ratio.__doc__)
    register("renewal_window", renewal_window, args=["date", "integer"], returns="boolean", doc=renewal_window.__doc__)


# ---------------------------------------------------------------- signals


def deal_arr(inputs: dict) -> pl.Expr:
    """The deal's annual recurring revenue: its ARR, else 12 × its MRR, else its deal value."""
    return pl.coalesce([
        _money(inputs["annual_recurring_revenue"]),
        _money(inputs["mrr"]) * MONTHS,
        _money(inputs["deal_value"]),
    ])


def expansion_potential(inputs: dict) -> pl.Expr:
    """Revenue from licensing every purchasable seat: (seats_purchasable − seats_licensed) × price_per_seat.

    Never negative (an account already over its estimate has no headroom left); null when an
    input is missing. With an annual ``price_per_seat`` it is the ARR uplift.
    """
    headroom = (_money(inputs["seats_purchasable"]) - _money(inputs["seats_licensed"])).clip(lower_bound=0)
    return headroom * _money(inputs["price_per_seat"])


def product_qualified(inputs: dict) -> pl.Expr:
    """A product-qualified lead: at least 3 active trial users and key feature adoption of at least 0.4.

    ``key_feature_adoption`` is a share from 0 to 1. Three-valued: false as soon as one test
    fails, null (which a ``when`` treats as false) when the other input is missing.
    """
    return (inputs["active_trial_users"] >= PQL_MIN_ACTIVE_TRIAL_USERS) & (
        inputs["key_feature_adoption"].cast(pl.Float64) >= PQL_MIN_KEY_FEATURE_ADOPTION
    )


@salesrules.hookimpl
def register_signals(register):
    """Register ``deal_arr``, ``expansion_potential`` and ``product_qualified``."""
    register(
        "deal_arr",
        deal_arr,
        inputs={"annual_recurring_revenue": "money", "mrr": "money", "deal_value": "money"},
        returns="money",
        doc=deal_arr.__doc__,
    )
    register(
        "expansion_potential",
        expansion_potential,
        inputs={"seats_purchasable": "integer", "seats_licensed": "integer", "price_per_seat": "money"},
        returns="money",
        doc=expansion_potential.__doc__,
    )
    register(
        "product_qualified",
        product_qualified,
        inputs={"active_trial_users": "integer", "key_feature_adoption": "number"},
        returns="boolean",
        doc=product_qualified.__doc__,
    )


# ---------------------------------------------------------------- rulesets


@salesrules.hookimpl
def register_rulesets(register):
    """Register the ``saas`` ruleset: the standard model re-tiered by ARR, with PQL, expansion and renewal rules."""
    path = files("salesrules_saas").joinpath("rulesets", "saas.yaml")
    register("saas", str(path), description="SaaS: ARR tiers, product-qualified leads, expansion, renewals and churn risk")
