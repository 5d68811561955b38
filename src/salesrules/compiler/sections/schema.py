"""JSON Schema pieces the sections' schemas share: names, expressions, points, fields."""

from __future__ import annotations

IDENTIFIER = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "maxLength": 64}
EXPRESSION = {
    "type": "string",
    "minLength": 1,
    "maxLength": 4000,
    "description": "An expression in the salesrules expression language",
}
POINTS = {"description": "Points: a number or an expression", "oneOf": [{"type": "number"}, EXPRESSION]}
REMOVE = {"const": True, "description": "Delete the inherited item of this name"}
FIELD_TYPE = {"enum": ["string", "integer", "number", "money", "boolean", "date", "enum"]}
CURRENCY_CODE = {"type": "string", "pattern": "^[A-Z]{3}$", "description": "an ISO 4217 currency code such as USD"}
# Canonical values mapped to the spellings that mean them (a spelling list may be empty).
SPELLINGS = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]},
}


def named_list(properties: dict) -> dict:
    """A list of named items (merged by name under ``extends``) with these keys."""
    item = {"type": "object", "additionalProperties": False, "required": ["name"], "properties": properties}
    return {"type": "array", "items": item}


# A first-match list of levels: the tiers, and each other classification.
LEVELS = named_list({
    "name": {"type": "string", "minLength": 1, "maxLength": 64},
    "when": EXPRESSION,
    "points": POINTS,
    "score": IDENTIFIER,
    "reason": {"type": "string"},
    "description": {"type": "string"},
    "cost": {"type": "number", "minimum": 0, "description": "The cost to serve one record of this level (segments report)"},
    "remove": REMOVE,
})


def field_map(aliases: str, **extra: dict) -> dict:
    """A mapping of field names to fields: each a type name, or a mapping of the field's keys.

    ``aliases`` describes the field's other spellings; ``extra`` adds keys after ``currency``.
    """
    properties = {
        "type": FIELD_TYPE,
        "aliases": {"type": "array", "items": {"type": "string", "minLength": 1}, "description": aliases},
        "default": {"description": "The value used when the input has none"},
    }
    properties |= {k: extra.pop(k) for k in ("required", "optional", "key") if k in extra}
    properties |= {
        "values": {
            "description": "Enum values: a list, or canonical values mapped to the source spellings that mean them",
            "oneOf": [{"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}, SPELLINGS],
        },
        "format": {"type": "string", "description": "strftime pattern of a date field, e.g. %d/%m/%Y"},
        "decimal": {"enum": [".", ","], "description": "Decimal separator of money and numbers written as text"},
        "currency": CURRENCY_CODE,
        **extra,
        "description": {"type": "string"},
        "remove": REMOVE,
    }
    field = {"type": "object", "additionalProperties": False, "properties": properties, "required": []}
    return {"type": "object", "propertyNames": IDENTIFIER, "additionalProperties": {"oneOf": [FIELD_TYPE, field]}}
