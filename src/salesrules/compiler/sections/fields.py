"""The ``fields`` section: the record schema the rules see (types, aliases, defaults, the key)."""

from __future__ import annotations

from ...errors import RulesetError
from ...model.sections import FieldSpec
from .schema import field_map

NAME = "fields"
NULL_VALUES = {
    "type": "array",
    "items": {"type": "string", "maxLength": 256},
    "maxItems": 1000,
    "description": "Texts that mean no value, as CRM forms write them (Select, N/A, -, (none)); "
                   "compared trimmed and ignoring case",
}
UNKNOWN_POLICIES = ("error", "null")
SCHEMA = {
    "fields": field_map(
        "Other spellings: column names or values a CRM export uses",
        required={"type": "boolean"},
        optional={"type": "boolean",
                  "description": "The input may lack this field's column: its values are then unknown (null)"},
        key={"type": "boolean", "description": "The field identifies the record"},
        currency_field={
            "type": "string",
            "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
            "maxLength": 64,
            "description": "A field holding each record's ISO currency code; values are converted to the base currency of `currencies`",
        },
        null_values={**NULL_VALUES, "description": "Texts that mean no value in this field (replaces the ruleset's null_values)"},
        unknown={
            "type": "string",
            "minLength": 1,
            "description": "An enum value that is none of its spellings: error (the row is bad), null, or one of the values",
        },
    ),
    "null_values": NULL_VALUES,
}


def build(ctx) -> dict:
    """The declared fields; at most one may be the key. The ruleset's ``null_values`` apply to
    every field that has none of its own."""
    shared = tuple(str(v) for v in ctx.data.get("null_values") or ())
    fields = {name: field_spec(ctx, name, spec, ("fields", name), null_values=shared)
              for name, spec in (ctx.data.get("fields") or {}).items()}
    keys = [f for f in fields.values() if f.key]
    if len(keys) > 1:
        raise RulesetError(f"only one field can be the key; {keys[0].name!r} and {keys[1].name!r} both are", keys[1].loc)
    return {"fields": fields}


def field_spec(ctx, name: str, spec, path: tuple, inherited: FieldSpec | None = None,
               null_values: tuple[str, ...] = ()) -> FieldSpec:
    """A field from its YAML (a mapping, or just the type's name); ``inherited`` gives a
    looked-up field the type and values of the declared field of the same name;
    ``null_values`` are the ruleset's, for a field without its own."""
    if isinstance(spec, str):
        spec = {"type": spec}
    values = value_map(spec.get("values"))
    ftype = spec.get("type") or (inherited.type if inherited else ("enum" if values else "string"))
    if ftype == "enum" and not values:
        values = inherited.values if inherited else None
        if not values:
            raise RulesetError(f"field {name!r}: an enum needs values", ctx.loc(*path))
    unknown = spec.get("unknown")
    if unknown is not None:
        if ftype != "enum":
            raise RulesetError(f"field {name!r}: unknown applies to enum fields only", ctx.loc(*path, "unknown"))
        if unknown not in UNKNOWN_POLICIES and unknown not in values:
            raise RulesetError(
                f"field {name!r}: unknown must be error, null or one of its values ({', '.join(values)}), "
                f"not {unknown!r}", ctx.loc(*path, "unknown"))
    own = spec.get("null_values")
    return FieldSpec(
        name=name,
        type=ftype,
        aliases=tuple(str(a) for a in spec.get("aliases") or ()),
        default=spec.get("default"),
        required=bool(spec.get("required", False)),
        optional=bool(spec.get("optional", False)),
        key=bool(spec.get("key", False)),
        values=values,
        format=spec.get("format"),
        decimal=spec.get("decimal"),
        currency=spec.get("currency"),
        currency_field=spec.get("currency_field"),
        description=spec.get("description", ""),
        loc=ctx.loc(*path),
        null_values=tuple(str(v) for v in own) if own is not None else null_values,
        unknown=unknown,
    )


def value_map(values) -> dict[str, tuple[str, ...]] | None:
    """Enum values or lookup key spellings: a list of names, or each name mapped to its spellings."""
    if isinstance(values, list):
        return {str(v): () for v in values}
    if isinstance(values, dict):
        return {str(k): tuple(str(s) for s in (v or ())) for k, v in values.items()}
    return None
