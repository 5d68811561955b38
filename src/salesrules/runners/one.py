"""The one-record path: a record (or a few) typed in Python and run through the same plan."""

from __future__ import annotations

import datetime as dt

import polars as pl

from ..compiler.packing import unpack_row
from ..compiler.plan import Plan, compile_ruleset, evaluation_error
from ..errors import UsageError
from ..io import coerce, coerce_python
from ..io.lookups import join_lookups
from ..io.preparation import Prepared, describe_bad_rows, match_columns
from ..io.sources import records_frame
from ..model.columns import BAD, LOOKUP, READ, ROW, UNKNOWN


def evaluate_one(ruleset, record: dict, *, as_of: dt.date | None = None) -> dict:
    """Evaluate one record with the same plan as :func:`evaluate`; ``rank`` stays None."""
    if not isinstance(record, dict):
        raise UsageError(f"evaluate_one takes a dict, not {type(record).__name__}")
    plan = compile_ruleset(ruleset, as_of)
    prepared, collected = evaluate_records_frame(plan, [flattened(record)])
    if collected[BAD].any():
        raise describe_bad_rows(prepared, plan.fields, "<record>")[0]
    return record_result(plan, unpack_row(collected.row(0, named=True)))


def flattened(record: dict) -> dict:
    """``record`` with a structure's components as fields of their own: ``{"Buyer": {"Segment":
    "SMB"}}`` gives ``{"Buyer.Segment": "SMB"}``, as DMN structures are read (see docs/decisions.md)."""
    if not any(isinstance(v, dict) for v in record.values()):
        return record
    out = {}
    for name, value in record.items():
        if isinstance(value, dict):
            out.update({f"{name}.{k}": v for k, v in flattened(value).items()})
        else:
            out[name] = value
    return out


def evaluate_records_frame(plan: Plan, records: list[dict]) -> tuple[Prepared, pl.DataFrame]:
    """Records (dicts naming fields or aliases only) through the plan, as :func:`evaluate_one` runs them.

    A lookup is joined only when some record gives its key, so a record without one keeps
    its own values. The frame still holds the ``__bad`` flags and the internal columns.
    """
    frame = records_frame(records) if any(records) else pl.DataFrame(height=len(records))
    frame = read_in_python(plan, frame, "<record>")
    lazy = join_lookups(plan, frame.lazy(), "<record>", only_keyed=True)
    prepared = plan.prepare(lazy, "<record>", strict_columns=True, lookups=False)
    # For a few records, planning the query costs more than running it: no optimizer passes.
    try:
        return prepared, plan.apply(prepared.frame).collect(engine="in-memory", optimizations=pl.QueryOptFlags.none())
    except pl.exceptions.PolarsError as exc:  # a plugin's expression failing on these records
        named = evaluation_error(plan, exc)
        if named is None:
            raise
        raise named from None


def read_in_python(plan: Plan, frame: pl.DataFrame, source: str) -> pl.DataFrame:
    """``frame`` with a ``__read:NAME`` column of typed values for each text column of a field
    whose every value :func:`salesrules.io.coerce_python.read_text_value` reads.

    The preparation then takes those values as they are: for a few records, reading them in
    Python costs microseconds where planning the polars readers costs milliseconds. The
    values are the same either way; the polars readers get the rest, with their errors.
    """
    schema = frame.schema
    # The input's own columns: not the row numbers nor the looked-up or typed values a run adds.
    columns = tuple(c for c in frame.columns if not c.startswith((LOOKUP, READ)) and c != ROW)
    if columns not in plan.matches:
        plan.matches[columns] = match_columns(plan.fields, list(columns), source)
    values, dtypes = {}, {}
    for name, column in plan.matches[columns].items():
        if column is None or schema[column] != pl.String:
            continue
        spec = plan.fields[name]
        mapping = None
        if spec.type == "enum":
            if name not in plan.enum_mappings:
                plan.enum_mappings[name] = coerce.enum_mapping(spec.values or {})
            mapping = plan.enum_mappings[name]
        read = [coerce_python.read_text_value(text, spec, mapping) for text in frame.get_column(column).to_list()]
        if not any(v is coerce_python.NOT_READ for v in read):
            values[READ + name], dtypes[READ + name] = read, coerce.polars_dtype(spec)
    if not values:
        return frame
    # Built by rows: for a record or a few, several times faster than by columns.
    return frame.hstack(pl.DataFrame(list(zip(*values.values())), schema=dtypes, orient="row"))


def as_read_in_python(plan: Plan, frame: pl.LazyFrame, source: str) -> pl.LazyFrame:
    """``frame`` as :func:`read_in_python` leaves records whose every text value it reads: a
    ``__read:NAME`` column of the field's type (here without values) beside each text column
    of a field. Its preparation builds no reader for those fields, and gives the columns of
    ``frame`` and the schema of its results: the values have the same types however they are read.
    """
    schema = frame.collect_schema()
    columns = tuple(c for c in schema.names() if not c.startswith((LOOKUP, READ)) and c != ROW)
    if columns not in plan.matches:
        plan.matches[columns] = match_columns(plan.fields, list(columns), source)
    return frame.with_columns(
        pl.lit(None, coerce.polars_dtype(plan.fields[name])).alias(READ + name)
        for name, column in plan.matches[columns].items() if column is not None and schema[column] == pl.String
    )


def record_result(plan: Plan, row: dict) -> dict:
    """One evaluated record as :func:`evaluate_one` returns it: unknowns named, ``rank`` None, ``row`` 1."""
    unknown_filled = {"tier", "stage"} | {c.name for c in plan.ruleset.classifications}
    out = {}
    for column in plan.output:
        # A record evaluated on its own is row 1, whichever row of a batch it was.
        value = 1 if column == "row" and plan.key == "row" else row.get(column)
        out[column] = UNKNOWN if column in unknown_filled and value is None else value
    out["rank"] = None
    return out
