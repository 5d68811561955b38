"""The Spark runner: the compiled plan on every partition of a Spark DataFrame (``mapInArrow``),
then the frame-level values computed by Spark across partitions.

The per-record pass is :class:`~salesrules.runners.partitions.PartitionPass`: polars over the
Arrow batches of each partition. Lookup tables are read once on the driver and joined as
broadcast joins. Duplicate keys are found by a grouping on the key and settled by a window per
key; the rank is a distributed sort whose positions are numbered through the count of rows of
each sorted partition. Nothing but those counts and the first error found reach the driver.
pyspark is imported here only, and only when a Spark runner is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from ..compiler.plan import Plan
from ..errors import InputError, Loc, shown
from ..io.lookups import read_lookup
from ..io.preparation import check_missing
from ..model.columns import CLOSED, LOOKUP, ROW
from .partitions import ERROR, PartitionPass, lookup_key_column, to_engine, with_lookup_keys

SOURCE = "<spark>"
# monotonically_increasing_id puts the partition number above this many bits of position.
_POSITION_BITS = 33


@dataclass
class SparkEvaluation:
    """The results of a Spark evaluation, and its rejects with ``on_error='skip'``."""

    results: object
    rejects: object | None


def column(name: str):
    """The Spark column ``name``, whatever characters it holds (dots, spaces, backticks)."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def spark_schema(frame: pl.DataFrame):
    """The Spark schema of a polars frame cast with :func:`~salesrules.runners.partitions.to_engine`,
    and the exact Arrow schema the partitions must return for it."""
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    arrow = to_engine(frame).to_arrow(compat_level=pl.CompatLevel.oldest()).schema
    schema = from_arrow_schema(arrow, prefer_timestamp_ntz=True)
    return schema, to_arrow_schema(schema)


def empty_polars(frame) -> pl.DataFrame:
    """An empty polars frame with the columns a partition of the Spark ``frame`` arrives with."""
    from pyspark.sql.pandas.types import to_arrow_schema

    timezone = frame.sparkSession.conf.get("spark.sql.session.timeZone")
    schema = to_arrow_schema(frame.schema, timezone=timezone)
    return pl.DataFrame(pl.from_arrow(schema.empty_table()))


def numbered(frame, column_name: str, consecutive: bool):
    """``frame`` with ``column_name`` numbering its rows in order: 1, 2, 3... when
    ``consecutive`` (which costs one pass counting the rows of each partition), else
    increasing numbers with gaps. The input must read the same rows in the same order twice,
    as files and cached frames do."""
    from pyspark.sql import functions as F

    ids = frame.withColumn(column_name, F.monotonically_increasing_id())
    if not consecutive:
        return ids.withColumn(column_name, column(column_name) + 1)
    return numbered_positions(ids, column_name)


def run(frame, plan: Plan, compile: Callable[[], Plan], ident: tuple, *, on_error: str = "error",
        on_duplicate: str = "error", source: str = SOURCE, extra: tuple[str, ...] = (), post=None,
        allow_missing: bool = False) -> SparkEvaluation:
    """Evaluate the Spark DataFrame ``frame`` with ``plan``; ``compile`` gives the same plan on
    the workers (a picklable callable; ``ident`` names it in their cache).

    The results have the columns and values of the local runner's, reasons, gaps and actions
    as arrays of text; their order is not kept. A value that cannot be read raises the
    located error of the first such row (the record named by its key), or with
    ``on_error='skip'`` its row goes to the rejects. With ``post`` (see
    :class:`~salesrules.runners.partitions.PartitionPass`, which also gets ``extra``), the
    results are what ``post`` makes of each batch, after duplicate keys, without a rank.
    A field the rules read without a column is an error unless ``allow_missing`` (see
    :func:`~salesrules.io.preparation.check_missing`).
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    input_columns = list(frame.columns)
    for c in input_columns:
        if c == ROW or c.startswith(LOOKUP) or c.startswith("__lookup_key:"):
            raise InputError(f"column {shown(c)} has a name salesrules keeps for itself; rename it", Loc(source))
    records = numbered(frame, ROW, plan.key == "row")
    records = _join_lookups(records, plan, compile, ident, source)
    per_record = PartitionPass(compile, ident, source, "evaluate", None, tuple(extra), post)
    sample = empty_polars(records)
    mapping = plan.prepare(sample.lazy(), source).mapping
    check_missing(plan.fields, plan.reads, mapping, sample.columns, source, allow=allow_missing)
    out_schema, arrow = spark_schema(per_record.evaluated(plan, sample))
    per_record.schema = arrow
    results = records.mapInArrow(per_record, out_schema).persist(StorageLevel.MEMORY_AND_DISK)
    failed = column(ERROR).isNotNull()
    rejects = None
    if on_error == "error":
        first = results.where(failed).agg(F.min_by(column(ERROR), column(ROW))).first()[0]
        if first is not None:
            results.unpersist()
            raise InputError(first, Loc(source))
    else:
        reasons = results.where(failed).select(column(ROW), column(ERROR).alias("reason"))
        kept = ([column(ROW).alias("row")] if plan.key == "row" else []) + [F.col("reason")]
        rejects = (records.join(reasons, on=ROW).orderBy(column(ROW))
                   .select(*kept, *[column(c) for c in input_columns]))
    good = results.where(~failed)
    good = _settle_duplicates(good, plan, on_duplicate, source)
    if post is not None:
        return SparkEvaluation(good.drop(ROW, ERROR), rejects)
    ranked = _with_rank(good, plan)
    return SparkEvaluation(ranked.select(*[column(name) for name in plan.output]), rejects)


def _join_lookups(records, plan: Plan, compile, ident, source: str):
    """``records`` with the ``__lookup:NAME`` columns of every lookup, joined by broadcast."""
    from pyspark.sql import functions as F

    lookups = plan.ruleset.lookups
    if not lookups:
        return records
    keyed_sample = with_lookup_keys(plan, empty_polars(records), source)
    schema, arrow = spark_schema(keyed_sample)
    keyed = records.mapInArrow(PartitionPass(compile, ident, source, "keys", arrow), schema)
    spark = records.sparkSession
    for lookup in lookups:
        table = read_lookup(lookup, plan.ruleset.currencies)  # a bad lookup file fails here, on the driver
        joined = lookup_key_column(lookup.name)
        table = to_engine(table.with_columns(pl.col("__key").cast(pl.String)).rename({"__key": joined}))
        side = spark.createDataFrame(table.to_arrow(compat_level=pl.CompatLevel.oldest()))
        keyed = keyed.join(F.broadcast(side), on=joined, how="left")
    return keyed.drop(*[lookup_key_column(lookup.name) for lookup in lookups])


def _settle_duplicates(good, plan: Plan, on_duplicate: str, source: str):
    """``good`` less the records whose key repeats another's (the first or the last in input
    order stays), or an error naming the repeated keys."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if plan.key == "row":
        return good
    key = column(plan.key)
    repeated = (good.where(key.isNotNull()).groupBy(key.alias("key"))
                .agg(F.count(F.lit(1)).alias("n"), F.min(column(ROW)).alias("first")).where(F.col("n") > 1))
    found = repeated.orderBy("first").limit(5).collect()
    if not found:
        return good
    if on_duplicate == "error":
        more = repeated.count() - len(found) if len(found) == 5 else 0
        listed = ", ".join(f"{shown(row['key'])} ({row['n']} records)" for row in found)
        extra = f" and {more} more" if more else ""
        raise InputError(
            f"duplicate key{'s' if len(found) > 1 else ''} {listed}{extra}; use --on-duplicate first|last to keep one",
            Loc(source),
        )
    order = column(ROW).asc() if on_duplicate == "first" else column(ROW).desc()
    place = F.row_number().over(Window.partitionBy(key).orderBy(order))
    return good.withColumn("__place", place).where(key.isNull() | (F.col("__place") == 1)).drop("__place")


def _with_rank(good, plan: Plan):
    """``good`` with ``rank``: the open deals numbered by score descending, then key ascending
    (ties in input order); closed deals get none. A score that is no finite number ranks last."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, FloatType

    score = column("score")
    if isinstance(good.schema["score"].dataType, (DoubleType, FloatType)):
        score = F.when(~F.isnan(score) & (F.abs(score) != F.lit(float("inf"))), score)
    order = [F.col("__score").desc_nulls_last()]
    keys = []
    if plan.key != "row":
        keys = [column(plan.key).alias("__key")]
        order.append(F.col("__key").asc_nulls_last())
    order.append(column(ROW).asc())
    sorted_ = (good.where(~column(CLOSED)).select(column(ROW), score.alias("__score"), *keys)
               .orderBy(*order).select(column(ROW), F.monotonically_increasing_id().alias("rank"))
               .persist(StorageLevel.MEMORY_AND_DISK))
    ranks = numbered_positions(sorted_, "rank")
    return good.join(ranks, on=ROW, how="left")


def numbered_positions(frame, column_name: str):
    """``frame`` (cached) whose ``column_name`` holds monotonically increasing ids, with them
    turned into consecutive positions 1, 2, 3... in the same order."""
    from pyspark.sql import functions as F

    partition = F.shiftright(column(column_name), _POSITION_BITS)
    counts = dict(frame.groupBy(partition.alias("p")).count().collect())
    if not counts:
        return frame
    offsets, total = [], 0
    for p in range(max(counts) + 1):
        offsets.append(total)
        total += counts.get(p, 0)
    offset = F.element_at(F.array(*[F.lit(o).cast("long") for o in offsets]), (partition + 1).cast("int"))
    position = column(column_name).bitwiseAND(F.lit((1 << _POSITION_BITS) - 1))
    return frame.withColumn(column_name, offset + position + 1)
