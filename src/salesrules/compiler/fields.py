"""The fields a plan reads: the declared ones, the looked-up ones, the stage, and currency rates."""

from __future__ import annotations

from ..errors import RulesetError, did_you_mean
from ..model.columns import STAGE
from ..model.sections import FieldSpec
from ..model.types import Type, named


def effective_fields(ruleset) -> dict[str, FieldSpec]:
    """The declared fields, the looked-up ones and the implicit ``stage`` field whose values are the stage names
    (optional when some stage has entry evidence to infer it from).

    Money fields carry the rates that convert them to the base currency, and the fields
    holding currency codes the codes they may hold.
    """
    from ..io.lookups import looked_up_fields

    fields = looked_up_fields(ruleset, with_currencies(ruleset, dict(ruleset.fields)))
    if ruleset.stages:
        declared = fields.get(STAGE)
        values = {s.name: s.aliases for s in ruleset.stages}
        fields[STAGE] = FieldSpec(
            name=STAGE,
            type="enum",
            aliases=declared.aliases if declared else (),
            values=values,
            default=declared.default if declared else None,
            required=declared.required if declared else False,
            # Without a stage column the stage is inferred from the stages' entry evidence.
            optional=(declared.optional if declared else False) or any(s.entry for s in ruleset.stages),
            description=declared.description if declared else "The recorded stage of the sales cycle",
            loc=declared.loc if declared else None,
        )
    return fields


def with_currencies(ruleset, fields: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
    """``fields`` with the currency rates set on money fields and on the fields holding their codes."""
    from dataclasses import replace

    currencies = ruleset.currencies
    for name, spec in list(fields.items()):
        if spec.currency_field is None and (currencies is None or spec.currency is None):
            continue
        if spec.type != "money":
            raise RulesetError(f"field {name!r}: only a money field has a currency", spec.loc)
        if currencies is None:
            raise RulesetError(
                f"field {name!r}: currency_field needs a currencies section with the base currency and the rates", spec.loc
            )
        table = currencies.table()
        codes = [code for code, _ in table]
        if spec.currency is not None and spec.currency not in codes:
            raise RulesetError(
                f"field {name!r}: currency {spec.currency!r} has no rate in currencies (known: {', '.join(codes)})", spec.loc
            )
        if spec.currency_field is not None:
            holder = fields.get(spec.currency_field)
            if holder is None:
                raise RulesetError(
                    f"field {name!r}: currency_field {spec.currency_field!r} is not a field"
                    f"{did_you_mean(spec.currency_field, fields)}",
                    spec.loc,
                )
            if holder.type not in ("string", "enum"):
                raise RulesetError(f"field {name!r}: currency_field {holder.name!r} must be a string field, not {holder.type}", spec.loc)
            fields[holder.name] = replace(holder, rates=table)
        fields[name] = replace(spec, rates=table)
    return fields


def field_type(spec: FieldSpec) -> Type:
    """The expression-language type of a field."""
    if spec.type == "enum":
        return Type("enum", tuple(spec.values or ()))
    return named(spec.type)
