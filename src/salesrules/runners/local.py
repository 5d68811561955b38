"""The local runner: records read, typed and evaluated in one query when their results fit in
memory, else in batches on worker threads (the results kept as :mod:`.results` says)."""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl

from ..compiler.manifest import compact_reasons
from ..compiler.packing import unpack, unpacked, unpacked_actions
from ..compiler.plan import Plan, compile_ruleset, evaluation_error
from ..io.lookups import join_lookups
from ..io.output_arguments import field_columns
from ..io.preparation import KNOWN, Prepared, _rejects, check_missing, describe_bad_rows, name_rows_by_key
from ..io.sources import _known_rows, _read_error, to_lazy
from ..model.columns import ACTIONS, BAD, CLOSED, GAPS, LOOKUP, READ, REASONS, ROW
from . import interrupts
from .common import (
    Evaluation,
    _kept_by_key,
    _result_columns,
    chosen_columns,
    rank_values,
)
from .one import as_read_in_python, read_in_python
from .options import EvaluateOptions
from .results import Store, fits_in_memory, spill_mode


def evaluate_full(ruleset, data, options: EvaluateOptions | None = None, **keywords) -> Evaluation:
    """Evaluate ``data`` and return the results with the rejected rows (see :func:`evaluate`).

    The results are kept in memory. With ``internal`` they keep every column the plan computed
    (the parts of each score, the fired factors...), for the tools that explain and compare
    evaluations; the plan's manifest says which column holds what.
    """
    options = EvaluateOptions.of(options, **keywords)
    with run(ruleset, data, replace(options, spill="never")) as outcome:
        return Evaluation(outcome.results.collect(), outcome.rejects, outcome.plan)


# Records are read, typed and evaluated this many at a time, on up to WORKERS threads.
BATCH_ROWS = 100_000
WORKERS = 2
# An input whose results will take at most KEEP_BYTES (runners.results) is evaluated in one query; the results
# of this many first records tell.
SAMPLE_ROWS = 10_000
# An input of at most this many records is typed in Python (see runners.one.read_in_python).
PYTHON_ROWS = 1_000
# The list columns of the results, and the packed columns they are made of.
PACKED_LISTS = {"reasons": REASONS, "gaps": GAPS, "actions": ACTIONS}


def _estimated_rows(data, options: EvaluateOptions) -> int | None:
    """About how many records an input file holds, from its size and the lines of its first
    megabyte; None for databases, standard input and anything but a file."""
    if not isinstance(data, (str, Path)) or options.table or options.query:
        return None
    try:
        size = os.path.getsize(data)
        with open(data, "rb") as stream:
            sample = stream.read(1 << 20)
    except (OSError, ValueError):
        return None
    lines = max(sample.count(b"\n"), 1)
    return int(size * lines / max(len(sample), 1)) + 1


@dataclass
class Outcome:
    """A finished evaluation whose results are ready to be written: use it as a context manager
    (the results may live in temporary files until it closes)."""

    plan: Plan
    results: pl.LazyFrame
    rejects: pl.DataFrame | None
    rows: int
    store: Store
    ranked: int = 0  # how many of the rows are open deals with a rank

    @property
    def closed(self) -> int:
        """How many of the rows are closed deals (not ranked)."""
        return self.rows - self.ranked

    def __enter__(self) -> "Outcome":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Remove the temporary files holding the results."""
        self.store.close()


def run(ruleset, data, options: EvaluateOptions | None = None, *, progress=None, **keywords) -> Outcome:
    """Evaluate ``data`` batch by batch and return an :class:`Outcome` to write from.

    The records are read, typed and evaluated :data:`BATCH_ROWS` at a time; a value that cannot be read stops
    the run at the batch holding it (or, with ``on_error='skip'``, its row is set aside).
    The results stay in memory up to :data:`~salesrules.runners.results.SPILL_BYTES` and go to temporary files beyond
    (``spill``: auto, always or never; default from SALESRULES_SPILL), so memory stays
    bounded however many records there are. A second, narrow pass over the key, score and
    stage columns finds duplicate keys and ranks the open deals. With ``lists_as_text`` the
    reasons, gaps and actions are display text joined by that separator, as
    :func:`salesrules.io.outputs.text_frame` renders them, instead of lists. ``options`` (an
    :class:`~salesrules.runners.options.EvaluateOptions`, or its fields as keywords) say how.
    """
    from ..io.progress import NULL

    progress = progress or NULL
    options = EvaluateOptions.of(options, **keywords)
    on_error, on_duplicate = options.on_error, options.on_duplicate
    # Reasons, gaps and actions shown only as text are joined by their separator in the plan.
    text_only = options.lists_as_text is not None and not (options.internal or options.explain)
    plan = compile_ruleset(ruleset, options.as_of, **({"separator": options.lists_as_text} if text_only else {}))
    scan, source = to_lazy(data, {"encoding": options.encoding, "input_format": options.input_format,
                                  "table": options.table, "query": options.query})
    database = str(data) if isinstance(data, (str, Path)) and (options.table or options.query) else None
    frame = join_lookups(plan, scan, source, database=database).with_row_index(ROW, offset=1)
    # Checks the columns before any row is read. Only the columns are wanted here, and the
    # results' schema below: both come without building the readers (see as_read_in_python).
    whole = plan.prepare(as_read_in_python(plan, frame, source), source)
    if not isinstance(data, list):  # records given as dicts: a missing key is null
        check_missing(plan.fields, plan.reads, whole.mapping, frame.collect_schema().names(), source,
                      allow=options.allow_missing)
    if database is not None:
        name_rows_by_key(source, whole.mapping.get(plan.key))  # a database: rows by their key too
    input_columns = whole.input_columns if options.with_input else []
    output = _result_columns(plan, options.lists_as_text, options.explain, input_columns)
    key = ROW if plan.key == "row" else plan.key
    if options.columns is not None and not options.internal:
        output = chosen_columns(output, options.columns)
    # The rank and the sort by rank need the score; the check of duplicate keys the key.
    ranking = options.internal or options.sort == "rank" or any(name == "rank" for name, _ in output)
    needed = [pl.col(name) for name in ("score", key) if name not in {n for n, _ in output} and name != ROW
              and (ranking or name != "score")]
    # Lists are made of their packed texts as the results are written, not kept as lists.
    lists = {}
    if options.lists_as_text is None and not options.internal:
        lists = {name: (unpacked_actions(name) if name == "actions" else unpacked(name)).alias(name)
                 for name, _ in output if name in PACKED_LISTS}
    columns = [pl.col(PACKED_LISTS[name]).alias(name) if name in lists else e for name, e in output if name != "rank"] + needed
    carried = field_columns(plan) if options.with_fields and not options.internal else []
    # With chosen columns, only what they need is computed, and only the fields they read are
    # read, typed and checked (the input's columns were checked against every field above).
    narrow = options.columns is not None and not (options.internal or options.explain or carried)
    reading = plan.narrowed([ROW, BAD, CLOSED, key, *(r for e in columns for r in e.meta.root_names())]) if narrow else plan
    if reading is not plan and not options.with_input and on_error == "error":
        # Nor are the other columns of the input parsed.
        names = set(frame.collect_schema().names())
        wanted = [ROW, *(whole.mapping[n] for n in reading.fields if whole.mapping.get(n) is not None)]
        wanted += [c for c in names if c.startswith((LOOKUP, READ))]
        read_columns = list(dict.fromkeys(wanted))
        read_frame = frame.select(read_columns)
    else:
        read_columns, read_frame = None, frame

    def evaluated(prepared: Prepared, extra: list[str] = ()) -> pl.LazyFrame:
        # The fields as the rules read them, before any step replaces a column of the same name.
        lazy = reading.apply(prepared.frame.with_columns(carried) if carried else prepared.frame)
        if options.internal:
            if options.columns is None:
                return lazy
            kept = dict.fromkeys([ROW, BAD, CLOSED, "score", key, *options.columns, *extra])
            return lazy.select(*kept)
        if options.explain:
            lazy = lazy.with_columns(compact_reasons(lazy.collect_schema(), plan).alias("__explain"))
        return lazy.select(pl.col(ROW), pl.col(BAD), pl.col(CLOSED), *columns, *(pl.col(c.meta.output_name()) for c in carried),
                           *(pl.col(c) for c in extra))

    known = _known_rows(data, frame, options.input_format)
    expected = known if known is not None else _estimated_rows(data, options)
    mode = spill_mode(options.spill)
    store = Store(mode, evaluated(reading.prepare(as_read_in_python(reading, read_frame, source), source)).collect_schema(),
                   expected)
    # Inputs whose results will take at most KEEP_BYTES are evaluated in one query rather than
    # batch by batch (see evaluate_whole); a database is read once.
    one_query = database is None and mode != "always"
    try:
        progress.phase("Evaluating", total=known)
        seen: dict[str, Any] = {"failure": None, "rejects": []}
        # Batches are evaluated on worker threads (polars releases the GIL), a few at a
        # time, and settled in their order.
        workers = max(1, min(WORKERS, pl.thread_pool_size()))
        pending: deque = deque()

        def settle(future) -> bool:
            """Keep one evaluated batch; true when the run must stop at it."""
            try:
                batch, results = stop.wait(future)
            except pl.exceptions.PolarsError as exc:  # a plugin's expression failing on these records
                named = evaluation_error(plan, exc)
                if named is None:
                    raise
                seen["failure"] = named
                return True
            if results.height and results[BAD].any():
                # The typing again, lazily: the batch's typed values are not kept meanwhile.
                prepared = reading.prepare(batch.lazy(), source)
                if on_error == "error":
                    seen["failure"] = describe_bad_rows(prepared, plan.fields, source)[0]
                    return True
                rejected = prepared.frame.filter(pl.col(BAD)).collect()
                seen["rejects"].append(_rejects(rejected, prepared, plan.fields, source))
            store.add(results)
            progress.advance(results.height)
            return False

        general: set[str] = set()  # the fields whose values the fast readers did not all know
        spellings: dict[str, tuple[str, ...]] = {}  # the few spellings of yes/no fields in the sample

        def evaluate_part(part: pl.LazyFrame, sample: bool = False) -> pl.DataFrame | None:
            # A part of the input read, typed and evaluated as one query; None when some row
            # is bad or the query fails: the batches then find the row and say what is wrong.
            # The sample (at most SAMPLE_ROWS records) is read first, to see how many records
            # there are, and evaluated by polars' in-memory engine: on so few the streaming
            # engine costs more to set up than it saves. (It is read by the streaming engine,
            # which stops at the last record of the sample; the in-memory engine reads the
            # whole file when lines are filtered before the records are numbered.)
            engine = "in-memory" if sample else "streaming"
            if sample:
                try:
                    part = part.collect(engine="streaming")
                    if part.height <= PYTHON_ROWS and not options.internal:  # (internal: the readers' columns too)
                        return evaluate_few(part)
                except pl.exceptions.PolarsError:
                    return None
                spellings.update(reading.seen_spellings(part, source))
                part = part.lazy()
            while True:
                prepared = reading.prepare_query(part, source, general, spellings)
                tests = [c for c in prepared.frame.collect_schema().names() if c.startswith(KNOWN)]
                try:
                    results = evaluated(prepared, tests).collect(engine=engine)
                except pl.exceptions.PolarsError:
                    return None
                left = {c[len(KNOWN):] for c in tests if not results.get_column(c).all()}
                if not left:
                    return None if results.height and results[BAD].any() else results.drop(tests)
                for name in left:  # read again by the fast reader, or else by the general one
                    if spellings.pop(name, None) is None:
                        general.add(name)

        def evaluate_few(part: pl.DataFrame) -> pl.DataFrame | None:
            # A few records: the values of the usual spellings are read in Python, as
            # evaluate_one reads them, and the polars readers (without lookup tables) get the
            # rest; planning the query costs more than running it, so it has no optimizer passes.
            prepared = reading.prepare(read_in_python(reading, part, source).lazy(), source, lookups=False)
            results = evaluated(prepared).collect(engine="in-memory", optimizations=pl.QueryOptFlags.none())
            return None if results.height and results[BAD].any() else results

        def evaluate_whole() -> int | None:
            # The first records, then, if the results of the whole input will take at most
            # KEEP_BYTES, the rest as one query. The rows evaluated when the batches must go
            # on from there; None when every row is.
            done = 0
            parts = (read_frame.head(SAMPLE_ROWS), read_frame.slice(SAMPLE_ROWS))
            for part in parts:
                results = evaluate_part(part, sample=part is parts[0])
                if results is None or stop.requested:
                    return done
                for offset in range(0, results.height, BATCH_ROWS):
                    store.add(results.slice(offset, BATCH_ROWS))
                progress.advance(results.height)
                done += results.height
                if done < SAMPLE_ROWS:
                    return None  # no more rows
                if done == SAMPLE_ROWS and not (expected and fits_in_memory(results.estimated_size(), done, expected)):
                    return done
            return None

        def evaluate_batch(batch: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
            # Each batch is typed and evaluated in memory: the general readers then read only
            # the fields whose values the fast readers did not all know.
            return batch, evaluated(reading.prepare_batch(batch, source)).collect()

        def take(batch: pl.DataFrame) -> bool | None:
            if stop.requested:
                return True  # interrupted: polars runs this on a thread where no Ctrl-C is raised
            pending.append(executor.submit(evaluate_batch, batch))
            while len(pending) > workers:
                try:
                    if settle(pending.popleft()):
                        return True  # stop reading: the run fails at this batch
                except KeyboardInterrupt:
                    return True  # a stop was requested: raised again below, on this thread
            return None

        executor = ThreadPoolExecutor(workers, thread_name_prefix="salesrules-batch")
        stop = interrupts.Stop()
        try:
            with stop:
                try:
                    # The reading runs on a thread while this one waits, so that Ctrl-C and
                    # SIGTERM stop the run at once, not when the batches under way are done
                    # (see salesrules.runners.interrupts).
                    if isinstance(data, (str, Path)) and database is None and known is not None:
                        def read_batches(first: int) -> None:
                            # A parquet file, read slice by slice as the batches are taken: its
                            # streaming scan runs ahead of slow batches and holds what it read.
                            for start in range(first, known, BATCH_ROWS):
                                joined = join_lookups(plan, scan.slice(start, BATCH_ROWS), source)
                                joined = joined.with_row_index(ROW, offset=start + 1)
                                if read_columns is not None:
                                    joined = joined.select(read_columns)
                                # One chunk, as a streamed batch is: chunks decide the row groups written.
                                if take(joined.collect().rechunk()):
                                    return
                    else:
                        def read_batches(first: int) -> None:
                            (read_frame.slice(first) if first else read_frame).sink_batches(take, chunk_size=BATCH_ROWS)

                    def read() -> None:
                        first = evaluate_whole() if one_query else 0
                        if first is not None:
                            read_batches(first)
                    interrupts.run_interruptibly(read, stop, "salesrules-batch-reader")
                except pl.exceptions.PolarsError as exc:
                    raise _read_error(exc, data, source, options.encoding, options.input_format) from None
                if stop.requested:
                    raise KeyboardInterrupt()
                while pending and seen["failure"] is None:
                    settle(pending.popleft())
        finally:
            pending.clear()
            executor.shutdown(wait=False, cancel_futures=True)
        if seen["failure"] is not None:
            raise seen["failure"]
        rejects = pl.concat(seen["rejects"]) if seen["rejects"] else None
        core = store.frame()
        progress.phase(f"Ranking {store.count:,} rows", counted=False)
        # Only the columns ranking needs are read back; the row numbers only for an error.
        wanted = [CLOSED, key] + (["score"] if ranking else []) + ([BAD] if rejects is not None else [])
        narrow = core.select(pl.col(c) for c in dict.fromkeys(wanted)).collect()
        keep = ~narrow.get_column(BAD) if rejects is not None else pl.repeat(True, narrow.height, eager=True)

        def rows(indices: pl.Series) -> pl.Series:
            return core.select(pl.col(ROW)).collect().get_column(ROW).gather(indices)

        keep = _kept_by_key(narrow, plan.key, on_duplicate, source, keep, rows)
        if ranking:
            rank = rank_values(narrow, key, keep)
            ranked = int(rank.is_not_null().sum())
        else:  # no column and no order needs the rank: the open deals are only counted
            rank = pl.repeat(None, narrow.height, dtype=pl.Int64, eager=True).alias("rank")
            ranked = int((~narrow.get_column(CLOSED) & keep).sum())
        side = pl.DataFrame([rank, keep.alias("__keep")])
        del narrow
        joined = store.beside(side)
        if not keep.all():  # a filter copies every column, so only when some row goes
            joined = joined.filter(pl.col("__keep"))
        if options.internal:  # every column, the packed lists as lists, the rank last
            kept = joined.drop("__keep")
            kept = unpack(kept) if options.columns is None else kept
            results = kept.select(pl.exclude("rank"), pl.col("rank"))
        else:
            if options.sort == "rank":
                joined = joined.sort(
                    ["rank", "score", key], descending=[False, True, False], nulls_last=True, maintain_order=True
                )
            results = joined.select([lists.get(name, pl.col(name)) for name, _ in output] + [pl.col(c.meta.output_name()) for c in carried])
        return Outcome(plan, results, rejects, int(side.get_column("__keep").sum()), store, ranked)
    except BaseException:
        store.close()
        raise


def evaluate(ruleset, data, options: EvaluateOptions | None = None, **keywords) -> pl.DataFrame:
    """Evaluate records with ``ruleset`` and return the results as a polars DataFrame.

    ``data`` is a path (csv, json, ndjson, parquet, xlsx), a polars DataFrame or LazyFrame, a
    pandas DataFrame, or a list of dicts. Options (see :class:`~salesrules.runners.options.EvaluateOptions`):
    ``as_of``, ``on_error`` ("error" or "skip"), ``on_duplicate`` ("error", "first", "last"),
    ``with_input``, ``encoding``, ``input_format``, ``columns`` (the result columns to keep, in
    order; the others are not computed) and ``sort`` ("input" or "rank").
    """
    return evaluate_full(ruleset, data, options, **keywords).results
