"""Lookups: typed left joins of the prospects with other files, before any rule runs.

A ruleset's ``lookups`` name files (accounts, products, teams...) with a key column, the
prospect field joined on it and the fields taken from them. Each lookup file is read with
:func:`salesrules.inputs.read_table`, its values coerced to the declared types with
:mod:`salesrules.io.coerce` (a bad value is an error naming the file, row, column and value;
so is a key on two rows), and joined lazily onto the prospect frame as ``__lookup:NAME``
columns. :func:`salesrules.io.preparation.prepare` then takes each looked-up value where the input
has none of its own, so a looked-up field can also fill a declared field's gaps.

Keys match exactly after trimming; ``values`` maps a key of the file to the other
spellings the prospects use for it. Prospects whose key matches no row get nulls.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from ..errors import InputError, Loc, RulesetError, did_you_mean, shown
from ..model.columns import LOOKUP
from ..model.sections import FieldSpec, Lookup
from . import coerce


def looked_up_fields(ruleset, fields: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
    """``fields`` plus every looked-up field not declared there, after checking the lookups.

    A looked-up field with the name of a declared field fills that field's gaps and must
    have its type; the others are new fields, matched in the input by name only (their
    aliases name columns of the lookup file).
    """
    out = dict(fields)
    owner: dict[str, str] = {}
    for lookup in ruleset.lookups:
        if lookup.on not in fields:
            raise RulesetError(
                f"lookup {lookup.name!r}: on {lookup.on!r} is not a field{did_you_mean(lookup.on, fields)}", lookup.loc
            )
        for name, spec in lookup.fields.items():
            if name in owner:
                raise RulesetError(f"field {name!r} is looked up by both {owner[name]!r} and {lookup.name!r}", spec.loc)
            owner[name] = lookup.name
            currencies = ruleset.currencies
            if spec.currency is not None and currencies is not None and spec.currency not in dict(currencies.table()):
                raise RulesetError(f"field {name!r}: currency {spec.currency!r} has no rate in currencies", spec.loc)
            declared = fields.get(name)
            if declared is None:
                out[name] = replace(spec, aliases=(), currency=None)
                continue
            same = declared.type == spec.type and (
                spec.type != "enum" or set(spec.values or ()) <= set(declared.values or ())
            )
            if not same:
                raise RulesetError(
                    f"lookup {lookup.name!r}: field {name!r} is {coerce.describe_type(spec)} here "
                    f"but {coerce.describe_type(declared)} in fields",
                    spec.loc,
                )
    return out


def join_lookups(plan, frame: pl.LazyFrame, source: str, *, only_keyed: bool = False, database: str | None = None) -> pl.LazyFrame:
    """``frame`` with a ``__lookup:NAME`` column for every looked-up field, joined lazily.

    With ``only_keyed`` (one record), a lookup whose join value the frame lacks is left out
    instead of read: it could match nothing, and a ruleset test may then give the looked-up
    fields themselves. ``database`` is the URI the records come from, where lookup tables
    without a ``database`` of their own are read.
    """
    lookups = plan.ruleset.lookups
    if not lookups:
        return frame
    keys = lookup_keys(plan, frame.collect_schema(), source)
    for lookup in lookups:
        key = keys[lookup.name]
        if only_keyed and (key is None or frame.select(key.is_not_null().any()).collect().item() is not True):
            continue
        table = read_lookup(lookup, plan.ruleset.currencies, database)
        if key is None:
            continue
        joined = f"__lookup_key:{lookup.name}"
        frame = (
            frame.with_columns(key.alias(joined))
            .join(table.lazy().rename({"__key": joined}), on=joined, how="left", maintain_order="left")
            .drop(joined)
        )
    return frame


def lookup_keys(plan, schema: pl.Schema, source: str) -> dict[str, pl.Expr | None]:
    """For each lookup of ``plan``, the expression of the value a record joins on (the input
    column of its ``on`` field as trimmed text, other spellings replaced), or None when the
    input has no such column."""
    from .preparation import match_columns

    columns = list(schema.names())
    keys = {}
    for lookup in plan.ruleset.lookups:
        on = replace(plan.fields[lookup.on], required=False)
        column = match_columns({lookup.on: on}, columns, source)[lookup.on]
        key = None
        if column is not None:
            key = coerce.coerce_expr(pl.col(column), FieldSpec(lookup.on, "string"), schema[column])
            spellings = {s.strip(): canonical for canonical, alts in lookup.values.items() for s in alts}
            if spellings:
                key = key.replace(list(spellings), list(spellings.values()))
        keys[lookup.name] = key
    return keys


def read_lookup(lookup: Lookup, currencies=None, database: str | None = None) -> pl.DataFrame:
    """The lookup file (or table) as a frame of its trimmed ``__key`` and the typed ``__lookup:NAME`` columns."""
    from ..model.columns import IN, ROW
    from .inputs import read_table
    from .preparation import bad_value_error, match_columns

    path = lookup.path
    if lookup.table is None:
        _check_regular(lookup)
    try:
        if lookup.table is not None:
            path, raw = _read_lookup_table(lookup, database)
        else:
            raw = read_table(path).collect()
    except InputError as exc:
        raise InputError(f"lookup {lookup.name!r}: {exc.message}", exc.loc or Loc(path)) from None
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"lookup {lookup.name!r}: cannot read: {str(exc).splitlines()[0]}", Loc(path)) from None
    names = raw.columns
    key_column = match_columns({lookup.key: FieldSpec(lookup.key, "string")}, names, path)[lookup.key]
    if key_column is None:
        raise InputError(
            f"lookup {lookup.name!r}: no key column {lookup.key!r}{did_you_mean(lookup.key, names)}", Loc(path)
        )
    mapping = match_columns(lookup.fields, names, path)
    for name, column in mapping.items():
        if column is None:
            looked = ", ".join(repr(c) for c in (name, *lookup.fields[name].aliases))
            raise InputError(
                f"lookup {lookup.name!r}: no column for field {name!r} (looked for {looked})", Loc(path)
            )
    frame = raw.with_row_index(ROW, offset=1).select(
        pl.col(ROW), *[pl.col(c).alias(IN + c) for c in {key_column, *mapping.values()}]
    )
    typed, flags = [], []
    for name, spec in lookup.fields.items():
        column = mapping[name]
        src = pl.col(IN + column)
        value = coerce.coerce_expr(src, spec, raw.schema[column])
        present = src.is_not_null()
        if raw.schema[column] == pl.String:
            present = present & (src.str.strip_chars() != "")
        flags.append((name, column, (present & value.is_null()).alias(f"__bad:{name}")))
        if spec.default is not None:
            value = value.fill_null(pl.lit(spec.default).cast(coerce.polars_dtype(spec), strict=False))
        if spec.type == "money" and spec.currency is not None and currencies is not None:
            rate = dict(currencies.table())[spec.currency]
            if rate != 1:
                value = (value * rate).round(2, mode="half_away_from_zero")
        typed.append(value.alias(LOOKUP + name))
    key = coerce.coerce_expr(pl.col(IN + key_column), FieldSpec(lookup.key, "string"), raw.schema[key_column])
    frame = frame.with_columns(key.alias("__key"), *typed, *[flag for _, _, flag in flags])
    for name, column, flag in flags:
        bad = frame.filter(pl.col(f"__bad:{name}"))
        if bad.height:
            raise bad_value_error(name, lookup.fields[name], column, bad.row(0, named=True), path)
    frame = frame.filter(pl.col("__key").is_not_null())
    dupes = frame.filter(pl.col("__key").is_duplicated())
    if dupes.height:
        first = dupes["__key"][0]
        rows = dupes.filter(pl.col("__key") == first)[ROW].to_list()
        more = dupes["__key"].n_unique() - 1
        extra = f" (and {more} more duplicated key{'s' if more != 1 else ''})" if more else ""
        raise InputError(
            f"lookup {lookup.name!r}: duplicate key {shown(first)} in rows {', '.join(map(str, rows))}{extra}", Loc(path)
        )
    return frame.select("__key", *[LOOKUP + name for name in lookup.fields])


def _check_regular(lookup: Lookup) -> None:
    """Refuse a lookup that is not a regular file (a device such as /dev/zero, a named pipe)
    before it is opened: reading one could block or never end."""
    import os
    import stat

    try:
        mode = os.stat(lookup.path).st_mode
    except OSError:
        return  # the reader says what is wrong with a missing or unreadable file
    if not stat.S_ISREG(mode):
        raise InputError(
            f"lookup {lookup.name!r}: not a regular file (a device, a named pipe or a socket); "
            "a lookup must be a file", Loc(lookup.path)
        )


def _read_lookup_table(lookup: Lookup, database: str | None) -> tuple[str, pl.DataFrame]:
    """The lookup's table: its name for messages and its rows."""
    from .databases import DatabaseSource, read_database, resolve

    uri = lookup.database or database
    if uri is None:
        raise InputError(
            f"reads table {lookup.table!r}, but the records come from no database; "
            "give the lookup a 'database' URI",
            lookup.loc,
        )
    source = DatabaseSource(resolve(uri), table=lookup.table)
    return source.name, read_database(source).collect()
