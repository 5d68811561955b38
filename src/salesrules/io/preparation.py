"""Input preparation: input columns matched to fields, typed, converted and checked.

A bad value flags its row; :func:`bad_value_error` names the row, the column and the value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from ..errors import InputError, Loc, did_you_mean, shown
from ..model.columns import BAD, IN, LOOKUP, READ, ROW, VALUE, normal_name

# The column of a batch that says whether a field's fast reader knew all its values.
KNOWN = "__known:"
from ..model.sections import FieldSpec
from . import coerce


def match_columns(fields: dict[str, FieldSpec], columns: list[str], source: str) -> dict[str, str | None]:
    """Which input column feeds each field: its name or an alias, exactly, else ignoring case and separators."""
    normal: dict[str, list[str]] = {}
    for column in columns:
        normal.setdefault(normal_name(column), []).append(column)
    mapping = {}
    for name, spec in fields.items():
        candidates = (name, *spec.aliases)
        found = next((c for c in candidates if c in columns), None)
        if found is None:
            matches = sorted({col for c in candidates for col in normal.get(normal_name(c), [])})
            if len(matches) > 1:
                raise InputError(f"columns [{', '.join(map(shown, matches))}] all match field {name!r}; rename one or set aliases", Loc(source))
            found = matches[0] if matches else None
        mapping[name] = found
    used: dict[str, str] = {}
    for name, column in mapping.items():
        if column is None:
            continue
        if column in used:
            raise InputError(f"column {shown(column)} matches both field {used[column]!r} and field {name!r}", Loc(source))
        used[column] = name
    for name, spec in fields.items():
        if spec.required and mapping[name] is None:
            looked = ", ".join(repr(c) for c in (name, *spec.aliases))
            raise InputError(f"missing column for required field {name!r} (looked for {looked})", Loc(source))
    return mapping


def check_missing(fields: dict[str, FieldSpec], read, mapping: dict[str, str | None], columns, source: str,
                  *, allow: bool = False) -> list[str]:
    """The fields of ``read`` (those the rules read) that no input column provides, have no
    default and are not ``optional``; a looked-up field (a ``__lookup:`` column among
    ``columns``) is provided. Unless ``allow``, the first of them is an :class:`InputError`
    naming every column name tried; with ``allow`` each is a
    :class:`~salesrules.errors.MissingColumnWarning` and its values are unknown (null)."""
    import warnings

    from ..errors import MissingColumnWarning

    looked_up = {c[len(LOOKUP):] for c in columns if c.startswith(LOOKUP)}
    missing = [name for name, spec in fields.items()
               if name in read and mapping.get(name) is None and name not in looked_up
               and spec.default is None and not spec.optional]
    for name in missing:
        looked = ", ".join(repr(c) for c in dict.fromkeys((name, *fields[name].aliases)))
        if not allow:
            raise InputError(f"no column for field {name!r} (looked for {looked}); add the column, give the field a "
                             "default, mark it optional: true, or use --allow-missing", Loc(source))
        warnings.warn(MissingColumnWarning(f"{Loc(source)}: no column for field {name!r} (looked for {looked}); "
                                           "its values are unknown (null)"), stacklevel=2)
    return missing


@dataclass
class Prepared:
    """Input columns renamed ``in:NAME``, the typed fields, the row number and the bad-row flag."""

    frame: pl.LazyFrame
    mapping: dict[str, str | None]
    input_columns: list[str]
    flags: dict[str, pl.Expr]


def prepare(fields: dict[str, FieldSpec], frame: pl.LazyFrame, source: str, *, strict_columns: bool = False) -> Prepared:
    """Typed field columns from an input frame, with a ``__bad`` flag on rows whose values do not convert.

    Money is converted to the base currency; a field with a looked-up value (a ``__lookup:``
    column the lookup step added) takes it where the input has none; then defaults fill nulls.
    """
    return preparation(fields, frame.collect_schema(), source, strict_columns=strict_columns).apply(frame)


@dataclass
class Preparation:
    """How to type the columns of one input schema (see :func:`prepare`); it can be applied
    to every frame of that schema, such as the batches of a big input."""

    numbered: bool
    selection: list[pl.Expr]
    stages: list[list[pl.Expr]]
    mapping: dict[str, str | None]
    input_columns: list[str]
    flags: dict[str, pl.Expr]
    # For batches in memory (see apply_batch): the fast reader of each field that has one,
    # its test, and the rest of the flags once the unread values are known to be none.
    fast: dict[str, tuple[pl.Expr, pl.Expr]] = field(default_factory=dict)
    other_flags: dict[str, pl.Expr | None] = field(default_factory=dict)
    # The text of each boolean field with a fast reader, and the field: what a reader of the
    # spellings seen in an input's first records reads (see seen_spellings).
    seeable: dict[str, tuple[pl.Expr, FieldSpec]] = field(default_factory=dict)

    def apply(self, frame: pl.LazyFrame) -> Prepared:
        """The typed columns of ``frame``."""
        frame = self._selected(frame)
        for stage in self.stages:
            frame = frame.with_columns(stage)
        return Prepared(frame, self.mapping, self.input_columns, self.flags)

    def apply_batch(self, batch: pl.DataFrame) -> Prepared:
        """The typed columns of ``batch``, as :meth:`apply` gives them, read more cheaply.

        The values are read first by the fast readers (see :func:`salesrules.io.coerce.fast_reader`),
        which also tell whether they knew every value of the batch; the general readers then
        read only the fields where some value was left, and only those fields' values can be bad.
        """
        if not self.fast or batch.height == 0:
            return self.apply(batch.lazy())
        values, typed, _ = self.stages
        tests = [known.all().alias(KNOWN + name) for name, (_, known) in self.fast.items()]
        read = self._selected(batch.lazy()).with_columns(self._readers(self.fast)).with_columns(tests).collect()
        left = [name for name in self.fast if not read.get_column(KNOWN + name)[0]]
        read = read.drop([KNOWN + name for name in self.fast])
        if left:
            general = {e.meta.output_name()[len(VALUE):]: e for e in values}
            read = read.lazy().with_columns(general[name] for name in left).collect()
        frame = read.lazy().with_columns(typed).with_columns(self._bad(set(left)))
        return Prepared(frame, self.mapping, self.input_columns, self.flags)

    def apply_query(self, frame: pl.LazyFrame, general: set[str], seen: dict[str, tuple[str, ...]] | None = None) -> Prepared:
        """The typed columns of ``frame`` in one query: the fields named in ``general`` read by
        the general readers, those in ``seen`` (spellings by field, see :meth:`seen_spellings`)
        by a reader of those spellings alone, the others by their fast readers.

        A ``__known:NAME`` column per fast reader says, per row, whether it knew the value;
        where it did not, the values of the field are not those :meth:`apply` gives, and the
        query must be run again without NAME in ``seen``, or else with NAME in ``general``.
        Where every value is known, the ``__bad`` flag is that of :meth:`apply`.
        """
        fast = {name: reader for name, reader in self.fast.items() if name not in general}
        for name, spellings in (seen or {}).items():
            if name in fast and name in self.seeable:
                text, spec = self.seeable[name]
                fast[name] = coerce.seen_reader(text, spec, spellings, pl.col(VALUE + name)) or fast[name]
        if not fast:
            return self.apply(frame)
        tests = [known.alias(KNOWN + name) for name, (_, known) in fast.items()]
        frame = self._selected(frame).with_columns(self._readers(fast)).with_columns(tests).with_columns(self.stages[1])
        return Prepared(frame.with_columns(self._bad(set(self.fast) - set(fast))), self.mapping, self.input_columns, self.flags)

    def seen_spellings(self, records: pl.DataFrame) -> dict[str, tuple[str, ...]]:
        """The texts of each boolean field in ``records`` (input columns as read), by field,
        where they are few enough for :func:`~salesrules.io.coerce.seen_reader`."""
        seen = {}
        for name in self.seeable:
            column = self.mapping.get(name)
            if column is None or column not in records.columns:
                continue
            texts = records.get_column(column).drop_nulls().unique()
            if 0 < texts.len() <= coerce.SEEN_SPELLINGS:
                seen[name] = tuple(sorted(texts.to_list()))
        return seen

    def _selected(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """The input columns of ``frame`` under their ``in:`` names, its rows numbered."""
        # Number the rows before selecting: a select of no columns (an empty record) has no rows.
        return (frame if self.numbered else frame.with_row_index(ROW, offset=1)).select(self.selection)

    def _readers(self, fast: dict[str, tuple[pl.Expr, pl.Expr]]) -> list[pl.Expr]:
        """Each read field's value: by its reader in ``fast`` if it has one there, else by its general reader."""
        readers = []
        for general in self.stages[0]:
            name = general.meta.output_name()[len(VALUE):]
            readers.append(fast[name][0].alias(VALUE + name) if name in fast else general)
        return readers

    def _bad(self, general: set[str]) -> pl.Expr:
        """The ``__bad`` flag of rows typed by the fast readers, but for the fields in
        ``general``, read by the general readers (the fast readers knew every value)."""
        flags = [f if n not in self.fast or n in general else self.other_flags[n] for n, f in self.flags.items()]
        flags = [f for f in flags if f is not None]
        return (pl.any_horizontal(flags) if flags else pl.lit(False)).alias(BAD)


def preparation(fields: dict[str, FieldSpec], schema: pl.Schema, source: str, *, strict_columns: bool = False, lookups: bool = True,
                defaults: dict | None = None) -> Preparation:
    """The :class:`Preparation` of input columns ``schema`` for ``fields``; see :func:`prepare`.
    ``defaults``: the fields' defaults as read already, by name, each with its field."""
    numbered = ROW in schema  # rows numbered already, as the batches of a bigger input are
    looked_up = [c for c in schema.names() if c.startswith(LOOKUP)]
    read_before = [c for c in schema.names() if c.startswith(READ)]
    columns = [c for c in schema.names() if not c.startswith((LOOKUP, READ)) and c != ROW]
    mapping = match_columns(fields, columns, source)
    if strict_columns:
        known = {c for c in mapping.values() if c is not None}
        for column in columns:
            if column not in known:
                raise InputError(f"unknown field {shown(column)}{did_you_mean(column, fields)}", Loc(source))
    selection = [pl.col(ROW), *[pl.col(c).alias(IN + c) for c in columns], *[pl.col(c) for c in looked_up + read_before]]

    def source(name: str) -> pl.Expr:
        """The input column of field ``name``, its null values (placeholders) made null."""
        spec, column = fields[name], mapping[name]
        text = pl.col(IN + column)
        if spec.null_values and schema[column] == pl.String:
            placeholders = sorted({v.strip().lower() for v in spec.null_values})
            return pl.when(text.str.strip_chars().str.to_lowercase().is_in(placeholders)).then(
                pl.lit(None, pl.String)).otherwise(text).alias(IN + column)
        return text

    def read(name: str) -> pl.Expr:
        spec, column = fields[name], mapping[name]
        if column is None:
            return pl.lit(None, coerce.polars_dtype(spec))
        return coerce.coerce_expr(source(name), spec, schema[column], lookups=lookups)

    # Each field is read once, into a column of its own, so that its flag and its value
    # share the reading whatever the query optimizer does.
    values = [read(name).alias(VALUE + name) for name, column in mapping.items() if column is not None and READ + name not in schema]
    typed, flags, fast, others, seeable = [], {}, {}, {}, {}
    for name, spec in fields.items():
        column = mapping[name]
        # A bad value of the field: one not read (unread), or a flag of what was read (other).
        unread, other = None, []
        if column is None:
            value = read(name)
        elif READ + name in schema:
            value = pl.col(READ + name)  # typed in Python: every value was read
        else:
            value = pl.col(VALUE + name)
            flag = _unread(source(name), value, schema[column], spec)
            if flag is not None and spec.unknown not in (None, "error"):
                # An enum value that is none of its spellings becomes null, or the value named.
                if spec.unknown != "null":
                    value = pl.when(flag).then(pl.lit(spec.unknown, pl.String)).otherwise(value)
            elif flag is not None:
                unread = flag
            reader = coerce.fast_reader(source(name), spec, schema[column], pl.col(VALUE + name)) if lookups else None
            if reader is not None:
                fast[name] = reader
                if spec.type == "boolean":
                    seeable[name] = (source(name), spec)
        if spec.rates is not None and spec.type == "money":
            rate = _rate(spec, fields, read)
            # Converted amounts are rounded to cents; amounts in the base currency stay as they are.
            value = pl.when(rate == 1).then(value).otherwise((value * rate).round(2, mode="half_away_from_zero"))
        elif spec.rates is not None:
            # A field holding currency codes: a code without a rate is a bad value.
            other.append(_code(value).is_in([c for c, _ in spec.rates]).not_() & value.is_not_null())
        if LOOKUP + name in looked_up:
            value = pl.coalesce(value, pl.col(LOOKUP + name))
        if spec.default is not None:
            value = value.fill_null(_default(spec, defaults))
        if spec.required:
            other.append(value.is_null())
        if unread is not None or other:
            flags[name] = _any([unread] if unread is not None else [pl.lit(False)], other)
            others[name] = _any([], other)
        typed.append(value.alias(name))
    bad = pl.any_horizontal(list(flags.values())).alias(BAD) if flags else pl.lit(False).alias(BAD)
    stages = [stage for stage in (values, typed, [bad]) if stage]
    return Preparation(numbered, selection, stages, mapping, columns, flags, fast, others, seeable)


def _any(first: list[pl.Expr], rest: list[pl.Expr]) -> pl.Expr | None:
    """``first`` and ``rest`` or-ed in order; None when both are empty."""
    parts = [*first, *rest]
    if not parts:
        return None
    flag = parts[0]
    for part in parts[1:]:
        flag = flag | part
    return flag


def _unread(source: pl.Expr, value: pl.Expr, dtype: pl.DataType, spec: FieldSpec) -> pl.Expr | None:
    """True where ``source`` holds a value (not null, not blank) that did not convert; None
    when that cannot happen (text read as text is null only when it is blank)."""
    if dtype == pl.String and spec.type == "string":
        return None
    missed = value.is_null() & source.is_not_null()
    if dtype != pl.String:
        return missed
    # Blank text reads as null and is no bad value. Trimming every value costs more than
    # the rest of the check, so it runs only when some row of the batch needs it.
    return pl.when(missed.any()).then(missed & (source.str.strip_chars() != "")).otherwise(pl.lit(False))


def _default(spec: FieldSpec, defaults: dict | None = None) -> pl.Expr:
    """The default of ``spec`` as a literal of the field's type, read as a value of its column
    would be (a date default written as text is a date, an enum spelling its canonical value),
    unless ``defaults`` has it read already."""
    known = (defaults or {}).get(spec.name)
    if known is not None and known[0] is spec:
        value = known[1]
    else:
        frame = pl.DataFrame({"v": [spec.default]})
        value = frame.select(coerce.coerce_expr(pl.col("v"), spec, frame.schema["v"])).item()
    return pl.lit(value, coerce.polars_dtype(spec))


def _code(value: pl.Expr) -> pl.Expr:
    """A currency code as compared: trimmed, upper case."""
    return value.cast(pl.String).str.strip_chars().str.to_uppercase()


def _rate(spec: FieldSpec, fields: dict[str, FieldSpec], read) -> pl.Expr:
    """Units of the base currency per unit of a money field's value, per record.

    The record's code in ``currency_field``, else the field's fixed ``currency``, else the
    base currency; an unknown code gives null (the code field flags the row).
    """
    codes = [c for c, _ in spec.rates]
    rates = [r for _, r in spec.rates]
    fallback = pl.lit(dict(spec.rates)[spec.currency] if spec.currency else 1.0, pl.Float64)
    if spec.currency_field is None:
        return fallback
    holder = fields[spec.currency_field]
    code = read(holder.name)
    if holder.default is not None:
        code = code.fill_null(pl.lit(holder.default).cast(pl.String, strict=False))
    code = _code(code)
    return pl.when(code.is_null()).then(fallback).otherwise(code.replace_strict(codes, rates, default=None, return_dtype=pl.Float64))


def describe_bad_rows(prepared: Prepared, fields: dict[str, FieldSpec], source: str, rows: pl.DataFrame | None = None, limit: int = 1) -> list[InputError]:
    """One error per bad row (the first ``limit`` of them), naming the row, column and value."""
    found = prepared.frame.filter(pl.col(BAD)).head(limit).with_columns(_flag_columns(prepared)).collect()
    return _row_errors(found, prepared, fields, source)


def _flag_columns(prepared: Prepared) -> list[pl.Expr]:
    """A ``__flag:NAME`` column per flag: whether the row's value of field NAME is bad."""
    return [f.alias(f"__flag:{n}") for n, f in prepared.flags.items()]


def _row_errors(flagged: pl.DataFrame, prepared: Prepared, fields: dict[str, FieldSpec], source: str, record=None) -> list[InputError]:
    """For each row of ``flagged`` (with :func:`_flag_columns`), the error of its first bad field
    (``record(row)`` names the record, default: by its row number)."""
    errors = []
    for row in flagged.iter_rows(named=True):
        for name in prepared.flags:
            if row[f"__flag:{name}"]:
                named = record(row) if record is not None else None
                errors.append(bad_value_error(name, fields[name], prepared.mapping[name], row, source, named))
                break
    return errors


def bad_value_error(name: str, spec: FieldSpec, column: str | None, row: dict, source: str, record: str | None = None) -> InputError:
    """The error for one value that does not convert, or a required value that is missing;
    ``record`` names the record (default: ``row N``, with its key when the source is a database)."""
    where = f"{record or f'row {row[ROW]}{_key_of(row, source)}'}, column {shown(column or name)}"
    value = row.get(IN + column) if column else None
    if value is None or (isinstance(value, str) and not value.strip()):
        return InputError(f"{where}: a value is required for field {name!r}", Loc(source))
    codes = [c for c, _ in spec.rates or ()]
    if spec.type != "money" and codes and str(value).strip().upper() not in codes:
        return InputError(
            f"{where}: unknown currency {shown(str(value).strip())} (known: {', '.join(codes)}){did_you_mean(str(value).strip().upper(), codes)}",
            Loc(source),
        )
    hint = ""
    if spec.type == "enum":
        spellings = [v for canon, alts in (spec.values or {}).items() for v in (canon, *alts)]
        hint = did_you_mean(str(value).strip(), spellings)
    return InputError(f"{where}: cannot read {shown(str(value))} as {coerce.describe_type(spec)}{hint}", Loc(source))


# The key field's input column, per source, set by :func:`prepare` for database sources: a
# query's row number alone does not find the record again.
_KEY_COLUMNS: dict[str, str] = {}


def _key_of(row: dict, source: str) -> str:
    column = _KEY_COLUMNS.get(source)
    if column is None or row.get(IN + column) is None:
        return ""
    return f" ({shown(column)} {shown(row[IN + column])})"


def name_rows_by_key(source: str, column: str | None) -> None:
    """Name the bad rows of ``source`` by the value of ``column`` (the key) besides their number."""
    if column is not None:
        _KEY_COLUMNS[source] = column


def _rejects(bad: pl.DataFrame, prepared: Prepared, fields, source) -> pl.DataFrame:
    # The flags read the input columns, which ``bad`` still holds under their in: names.
    flagged = bad.with_columns(_flag_columns(prepared))
    reasons = [error.message for error in _row_errors(flagged, prepared, fields, source)]
    return flagged.select(
        pl.col(ROW).alias("row"),
        pl.Series("reason", reasons, dtype=pl.String),
        *[pl.col(IN + c).alias(c) for c in prepared.input_columns],
    )
