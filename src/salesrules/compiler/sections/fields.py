"""The ``fields`` section: the record schema the rules see (types, aliases, defaults, the key)."""

from __future__ import annotations

from ...errors import RulesetError
from ...model.sections import FieldSpec
from .schema import field_map

NAME = "fields"
SCHEMA = {
    "fields": field_map(
        "Other spellings: column names or values a CRM export uses",
        required={"type": "boolean"},
        key={"type": "boolean", "description": "The field identifies the record"},
        currency_field={
            "type": "string",
            "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
            "maxLength": 64,
            "description": "A field holding each record's ISO currency code; values are converted to the base currency of `currencies`",
        },
    )
}


def build(ctx) -> dict:
    """The declared fields; at most one may be the key."""
    fields = {name: field_spec(ctx, name, spec, ("fields", name)) for name, spec in (ctx.data.get("fields") or {}).items()}
    keys = [f for f in fields.values() if f.key]
    if len(keys) > 1:
        raise RulesetError(f"only one field can be the key; {keys[0].name!r} and {keys[1].name!r} both are", keys[1].loc)
    return {"fields": fields}


def field_spec(ctx, name: str, spec, path: tuple, inherited: FieldSpec | None = None) -> FieldSpec:
    """A field from its YAML (a mapping, or just the type's name); ``inherited`` gives a
    looked-up field the type and values of the declared field of the same name."""
    if isinstance(spec, str):
        spec = {"type": spec}
    values = value_map(spec.get("values"))
    ftype = spec.get("type") or (inherited.type if inherited else ("enum" if values else "string"))
    if ftype == "enum" and not values:
        values = inherited.values if inherited else None
        if not values:
            raise RulesetError(f"field {name!r}: an enum needs values", ctx.loc(*path))
    return FieldSpec(
        name=name,
        type=ftype,
        aliases=tuple(str(a) for a in spec.get("aliases") or ()),
        default=spec.get("default"),
        required=bool(spec.get("required", False)),
        key=bool(spec.get("key", False)),
        values=values,
        format=spec.get("format"),
        decimal=spec.get("decimal"),
        currency=spec.get("currency"),
        currency_field=spec.get("currency_field"),
        description=spec.get("description", ""),
        loc=ctx.loc(*path),
    )


def value_map(values) -> dict[str, tuple[str, ...]] | None:
    """Enum values or lookup key spellings: a list of names, or each name mapped to its spellings."""
    if isinstance(values, list):
        return {str(v): () for v in values}
    if isinstance(values, dict):
        return {str(k): tuple(str(s) for s in (v or ())) for k, v in values.items()}
    return None
