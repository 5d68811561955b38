"""The ``currencies`` section: the base currency and the rates money is converted with."""

from __future__ import annotations

from ...errors import RulesetError
from ...model.sections import Currencies
from .schema import CURRENCY_CODE

NAME = "currencies"
SCHEMA = {
    "currencies": {
        "type": "object",
        "additionalProperties": False,
        "description": "Money in several currencies: values are converted to the base currency before the rules run",
        "properties": {
            "base": CURRENCY_CODE,
            "rates": {
                "type": "object",
                "propertyNames": CURRENCY_CODE,
                "additionalProperties": {"type": "number", "exclusiveMinimum": 0},
                "description": "Units of the base currency per unit of each other currency",
            },
        },
    }
}


def build(ctx) -> dict:
    """The base currency and the rates, if the ruleset has them."""
    spec = ctx.data.get("currencies")
    if not spec:
        return {"currencies": None}
    if not spec.get("base"):
        raise RulesetError("currencies needs base: the currency every money value is converted to", ctx.loc("currencies"))
    rates = {str(k): float(v) for k, v in (spec.get("rates") or {}).items()}
    return {"currencies": Currencies(str(spec["base"]), rates, ctx.loc("currencies"))}
