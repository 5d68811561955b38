"""The ``lookups`` section: typed left joins of the records with other files, by key.

The files are read by :mod:`salesrules.io.lookups`; here they are declared.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import RulesetError
from ...model.sections import Lookup
from .fields import field_spec, value_map
from .schema import IDENTIFIER, REMOVE, field_map

NAME = "lookups"
SCHEMA = {
    "lookups": {
        "type": "object",
        "description": "Typed left joins of the prospects with other files, by key",
        "propertyNames": IDENTIFIER,
        "additionalProperties": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "file": {"type": "string", "minLength": 1, "description": "The lookup file, relative to this ruleset"},
                "table": {
                    "type": "string",
                    "minLength": 1,
                    "description": "A database table to look up instead of a file",
                },
                "database": {
                    "type": "string",
                    "minLength": 1,
                    "description": "The database URI of the table (default: the database the records come from)",
                },
                "key": {
                    "type": "string",
                    "minLength": 1,
                    "description": "The column of the lookup file holding the join value",
                },
                "on": {
                    "type": "string",
                    "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                    "maxLength": 64,
                    "description": "The prospect field joined on the key",
                },
                "values": {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": {
                        "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]
                    },
                    "description": "Keys of the lookup file mapped to the spellings the prospects use for them",
                },
                "fields": {
                    **field_map("Other names of the column in the lookup file"),
                    "description": "The looked-up fields, named as the rules see them; each matches a column of the file by name or alias",
                },
                "description": {"type": "string"},
                "remove": REMOVE,
            },
        },
    }
}


def build(ctx) -> dict:
    """The lookups, their file paths relative to the ruleset that declares them."""
    lookups = []
    fields = ctx.built.get("fields", {})
    for lname, spec in (ctx.data.get("lookups") or {}).items():
        if spec.get("file") and spec.get("table"):
            raise RulesetError(f"lookup {lname!r} reads a 'file' or a 'table', not both", ctx.loc("lookups", lname, "table"))
        if spec.get("database") and not spec.get("table"):
            raise RulesetError(f"lookup {lname!r}: 'database' goes with 'table'", ctx.loc("lookups", lname, "database"))
        for required in ("file" if not spec.get("table") else "table", "key", "on", "fields"):
            if not spec.get(required):
                raise RulesetError(f"lookup {lname!r} needs {required!r}", ctx.loc("lookups", lname))
        file_loc = ctx.loc("lookups", lname, "file")
        path = Path(str(spec.get("file") or ""))
        if spec.get("file") and not path.is_absolute() and file_loc is not None and file_loc.file:
            path = Path(file_loc.file).parent / path
        lookups.append(Lookup(
            name=lname,
            path=str(path) if spec.get("file") else "",
            table=str(spec["table"]) if spec.get("table") else None,
            database=str(spec["database"]) if spec.get("database") else None,
            key=str(spec["key"]),
            on=str(spec["on"]),
            values=value_map(spec.get("values")) or {},
            fields={
                fname: field_spec(ctx, fname, fspec, ("lookups", lname, "fields", fname), fields.get(fname))
                for fname, fspec in spec["fields"].items()
            },
            loc=ctx.loc("lookups", lname),
        ))
    return {"lookups": lookups}
