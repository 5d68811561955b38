"""What runs on every partition of a distributed engine: Arrow batches in, polars through the
compiled plan, Arrow batches out.

Nothing here imports an engine. :class:`PartitionPass` is a plain picklable object: an engine
ships it to its workers, where it compiles the plan once per process (from the ruleset's text,
through a picklable ``compile`` callable) and evaluates the batches of each partition. A value
that cannot be read does not stop the worker: its row gets the located message in ``__error``,
so that the driver raises it as the local runner would, or returns the row as a reject.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import polars as pl

from ..compiler.plan import Plan
from ..errors import shown
from ..io.lookups import lookup_keys
from ..io.preparation import _flag_columns, _row_errors
from ..model.columns import ACTIONS_FIRED, ACTIONS_TEXT, BAD, CLOSED, ROW, SEP
from .common import _result_columns

ERROR = "__error"
# Batches of the engine are evaluated this many rows at a time (as the local runner's).
BATCH_ROWS = 100_000
_PLANS: dict = {}


def lookup_key_column(name: str) -> str:
    """The column holding the value a record joins lookup ``name`` on."""
    return f"__lookup_key:{name}"


def result_columns(plan: Plan) -> list[tuple[str, pl.Expr]]:
    """The per-record output columns (no rank) as an engine keeps them: reasons and gaps as
    lists of text, actions as the list of their display texts."""
    columns = []
    for name, expr in _result_columns(plan, None, False, []):
        if name == "rank":
            continue
        if name == "actions":
            texts = pl.col(ACTIONS_TEXT).str.split(SEP)
            expr = pl.when(pl.col(ACTIONS_FIRED)).then(texts).otherwise(pl.lit([], pl.List(pl.String))).alias(name)
        columns.append((name, expr))
    return columns


def record_namer(plan: Plan) -> Callable[[dict], str]:
    """How an error names a record: by its key, else by its row number."""
    if plan.key == "row":
        return lambda row: f"row {row[ROW]}"
    key = plan.key

    def name(row: dict) -> str:
        value = row.get(key)
        return f"record {shown(str(value))}" if value is not None else f"a record without {key!r}"

    return name


def evaluate_batch(plan: Plan, frame: pl.DataFrame, source: str, extra: tuple[str, ...] = (),
                   outputs: bool = True) -> pl.DataFrame:
    """The per-record results of one batch of input rows (numbered in ``__row``): the row
    number, the closed flag, the output columns but the rank (without ``outputs``: the key
    alone), the plan's columns ``extra`` as the plan computed them, and ``__error``, the
    message of a row whose values cannot be read (null for the others)."""
    prepared = plan.prepare(frame.lazy(), source)
    if outputs:
        columns = [expr for _, expr in result_columns(plan)]
        taken = {ROW, BAD, CLOSED, *plan.output}
    else:
        columns = [pl.col(plan.key)] if plan.key != "row" else []
        taken = {ROW, BAD, CLOSED, plan.key}
    more = [pl.col(c) for c in dict.fromkeys(extra) if c not in taken]
    results = plan.apply(prepared.frame).select(pl.col(ROW), pl.col(BAD), pl.col(CLOSED), *columns, *more).collect()
    errors = pl.lit(None, pl.String)
    if results.height and results[BAD].any():
        bad = prepared.frame.filter(pl.col(BAD)).with_columns(_flag_columns(prepared)).collect()
        messages = [e.message for e in _row_errors(bad, prepared, plan.fields, source, record_namer(plan))]
        found = pl.DataFrame({ROW: bad[ROW], ERROR: pl.Series(messages, dtype=pl.String)})
        results = results.join(found, on=ROW, how="left", maintain_order="left")
        errors = pl.col(ERROR)
    return results.select(pl.exclude(BAD, ERROR), errors.alias(ERROR))


def with_lookup_keys(plan: Plan, frame: pl.DataFrame, source: str) -> pl.DataFrame:
    """``frame`` with the value each record joins each lookup on (see :func:`lookup_key_column`)."""
    keys = lookup_keys(plan, frame.schema, source)
    return frame.with_columns(
        (key if key is not None else pl.lit(None, pl.String)).cast(pl.String).alias(lookup_key_column(name))
        for name, key in keys.items()
    )


def engine_dtype(dtype: pl.DataType) -> pl.DataType:
    """``dtype``, or the type it is cast to so that Arrow engines such as Spark accept it:
    unsigned and 128-bit integers widen (to decimals beyond 64 bits), categories and nulls
    become text, lists and records are mapped inside."""
    if isinstance(dtype, type):
        dtype = dtype()
    if isinstance(dtype, (pl.List, pl.Array)):
        return pl.List(engine_dtype(dtype.inner))
    if isinstance(dtype, pl.Struct):
        return pl.Struct([pl.Field(f.name, engine_dtype(f.dtype)) for f in dtype.fields])
    widened = {pl.UInt8: pl.Int16, pl.UInt16: pl.Int32, pl.UInt32: pl.Int64, pl.UInt64: pl.Decimal(20, 0),
               pl.Int128: pl.Decimal(38, 0)}
    for source, target in widened.items():
        if dtype == source:
            return target
    if isinstance(dtype, (pl.Categorical, pl.Enum, pl.Null, pl.Object, pl.Time)):
        return pl.String
    if isinstance(dtype, pl.Datetime):
        return pl.Datetime("us", dtype.time_zone)
    if isinstance(dtype, pl.Duration):
        return pl.Duration("us")
    return dtype


def to_engine(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every column cast to its :func:`engine_dtype`."""
    casts = {n: engine_dtype(t) for n, t in frame.schema.items() if engine_dtype(t) != t}
    return frame.cast(casts) if casts else frame


@dataclass
class PartitionPass:
    """A picklable function from the Arrow batches of a partition to those of its results.

    ``compile`` gives the plan (it is called once per worker process and per ``ident``);
    ``mode`` is ``evaluate`` (the per-record results with the plan's columns ``extra``, turned
    into what the caller needs by ``post(plan, results)`` when given: a picklable callable) or
    ``keys`` (the input with the values it joins lookups on); ``schema`` is the Arrow schema of
    the output.
    """

    compile: Callable[[], Plan]
    ident: tuple
    source: str
    mode: str
    schema: object = field(default=None, repr=False)
    extra: tuple[str, ...] = ()
    post: Callable | None = None

    def plan(self) -> Plan:
        """The compiled plan, once per worker process."""
        if self.ident not in _PLANS:
            _PLANS[self.ident] = self.compile()
        return _PLANS[self.ident]

    def frame(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The output of one polars frame of input rows."""
        if self.mode == "keys":
            return with_lookup_keys(self.plan(), frame, self.source)
        return self.evaluated(self.plan(), frame)

    def evaluated(self, plan: Plan, frame: pl.DataFrame) -> pl.DataFrame:
        """The per-record output of ``frame`` with ``plan`` (in ``evaluate`` mode)."""
        results = evaluate_batch(plan, frame, self.source, self.extra, outputs=self.post is None)
        return self.post(plan, results) if self.post is not None else results

    def __call__(self, batches: Iterator) -> Iterator:
        import pyarrow as pa

        pending, rows = [], 0

        def flush():
            table = pa.Table.from_batches(pending)
            out = to_engine(self.frame(pl.DataFrame(pl.from_arrow(table))))
            arrow = out.to_arrow(compat_level=pl.CompatLevel.oldest())
            if self.schema is not None:
                arrow = arrow.select(self.schema.names).cast(self.schema)
            return arrow.to_batches()

        for batch in batches:
            if batch.num_rows == 0:
                continue
            pending.append(batch)
            rows += batch.num_rows
            if rows >= BATCH_ROWS:
                yield from flush()
                pending, rows = [], 0
        if pending:
            yield from flush()
