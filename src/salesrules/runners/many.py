"""Many records at once, as a service gets them: each record's results exactly as
:func:`~salesrules.runners.one.evaluate_one` gives them, from one query for the whole batch.

The records' values are read in Python column by column where they are spelled the usual way
or are native values (:func:`salesrules.io.coerce_python.read_values`), the frame is built
column by column, the query runs without optimizer passes (planning it would cost more than
running it on a few thousand rows), and the results are unpacked column by column.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import deque
from itertools import repeat

import polars as pl

from ..compiler.plan import Plan, compile_ruleset, evaluation_error
from ..errors import InputError, Loc, UsageError
from ..io import coerce, coerce_python
from ..io.lookups import join_lookups
from ..io.preparation import match_columns
from ..model.columns import ACTIONS, BAD, FIELD_SEP, GAPS, READ, REASONS, SEP, UNKNOWN
from .one import evaluate_one, flattened

SOURCE = "<records>"
# The types of values a column is built from as they are; others are read one record at a time.
_PLAIN = (str, bool, int, float, dt.date, dt.datetime)


def evaluate_many(ruleset, records, *, as_of: dt.date | None = None) -> list[dict]:
    """Evaluate records (dicts, as :func:`evaluate_one` takes them) and return their results in
    order: each is the dict ``evaluate_one`` returns for that record (``rank`` None).

    A record that cannot be evaluated raises the error ``evaluate_one`` would, naming the
    record by its index (``records[3], column 'Amount': cannot read 'abc' as money``); when
    several cannot, the first of them.
    """
    if isinstance(records, (dict, str, bytes)) or not hasattr(records, "__iter__"):
        raise UsageError(f"evaluate_many takes a list of dicts, not {type(records).__name__}")
    plan = compile_ruleset(ruleset, as_of)
    listed = records if isinstance(records, list) else list(records)
    for index, record in enumerate(listed):
        if not isinstance(record, dict):
            raise UsageError(f"records[{index}] is a {type(record).__name__}, not a dict")
    if not listed:
        return []
    results, failure = _evaluate(plan, listed, list(range(len(listed))))
    if failure is not None:
        raise failure[1]
    return results


def _evaluate(plan: Plan, records: list[dict], indices: list[int]) -> tuple[list, tuple | None]:
    """The results of ``records`` (``indices`` are their places in the caller's list), and the
    first failure as (index, error), else None."""
    columns, kinds_of = _columns(records)
    names = tuple(columns)
    try:
        if names not in plan.matches:
            plan.matches[names] = match_columns(plan.fields, list(names), SOURCE)
        matched = plan.matches[names]
        unknown = set(names) - set(matched.values())
    except InputError:
        matched, unknown = None, set(names)
    if unknown:
        # Some key is unknown, or two keys name one field: in different records, each may be
        # right on its own; in every record, the first one fails.
        kinds = [tuple(r) for r in records]
        if len(set(kinds)) > 1:
            return _grouped(plan, records, indices, kinds)
        return [], _failure(plan, records[0], indices[0])
    series, read, mixed = [], [], []
    kept = _kept_as_given(plan)
    for name, column in matched.items():
        if column is None:
            continue
        spec, values = plan.fields[name], columns[column]
        typed = coerce_python.read_values(values, spec, _enum_mapping(plan, name), _memo(plan, name), kinds_of[column])
        if typed is not None:
            read.append(pl.Series(READ + name, typed, dtype=coerce.polars_dtype(spec)))
            if name not in kept:  # the preparation takes the typed values: the input is not read
                series.append(pl.Series(column, [None] * len(values), dtype=pl.Null))
                continue
        elif len(records) > 1 and not _uniform(values, kinds_of[column]):
            mixed.append(columns[column])
        series.append(_series(column, values))
    if mixed:
        # Each record's values typed as on its own: in groups whose columns do not mix types.
        kinds = [tuple(_kind(values[p]) for values in mixed) for p in range(len(records))]
        kinds = [k if _ALONE not in k else (_ALONE, p) for p, k in enumerate(kinds)]
        return _grouped(plan, records, indices, kinds)
    frame = pl.DataFrame(series + read) if series else pl.DataFrame(height=len(records))
    collected = _run(plan, frame)
    if collected.get_column(BAD).any():
        place = collected.get_column(BAD).arg_true()[0]
        return [], _failure(plan, records[place], indices[place])
    return _results(plan, collected), None


def _failure(plan: Plan, record: dict, index: int) -> tuple[int, Exception]:
    """The error of a record that cannot be evaluated, exactly as ``evaluate_one`` reports it,
    naming the record by its index."""
    try:
        evaluate_one(plan.ruleset, record, as_of=plan.as_of)
    except InputError as error:
        message = error.message
        if message.startswith("row 1, "):
            message = f"records[{index}], {message[len('row 1, '):]}"
        else:
            message = f"records[{index}]: {message}"
        return index, InputError(message, Loc(SOURCE))
    return index, InputError(f"records[{index}] cannot be evaluated with the others", Loc(SOURCE))


def _grouped(plan: Plan, records: list[dict], indices: list[int], kinds: list) -> tuple[list, tuple | None]:
    """``records`` evaluated in groups of equal ``kinds``, the results in their order."""
    groups: dict = {}
    for place, kind in enumerate(kinds):
        groups.setdefault(kind, []).append(place)
    results: list = [None] * len(records)
    failure = None
    for places in groups.values():
        got, failed = _evaluate(plan, [records[p] for p in places], [indices[p] for p in places])
        if failed is not None:
            failure = failed if failure is None or failed[0] < failure[0] else failure
            continue
        for place, result in zip(places, got):
            results[place] = result
    return results, failure


def _columns(records: list[dict]) -> tuple[dict[str, list], dict[str, set]]:
    """The values of each key of the records, in the order the keys first appear (None where a
    record lacks it), and the types of each key's values; a structure's components are keys of
    their own (see :func:`~salesrules.runners.one.flattened`)."""
    columns = _keys(records)
    kinds = {name: set(map(type, values)) for name, values in columns.items()}
    if any(issubclass(kind, dict) for types in kinds.values() for kind in types):
        return _columns([flattened(r) for r in records])
    return columns, kinds


def _keys(records: list[dict]) -> dict[str, list]:
    """The values of each key of the records (see :func:`_columns`), the keys as text."""
    first = records[0]
    if len(first) > 1 and all(type(k) is str for k in first) and set(map(len, records)) == {len(first)}:
        try:  # the usual case: every record has the same keys. Record by record, each is read once.
            rows = list(map(operator.itemgetter(*first), records))
            return dict(zip(first, map(list, zip(*rows))))
        except KeyError:
            pass
    keys = dict.fromkeys(k for r in records for k in r)
    if all(type(k) is str for k in keys):
        return {k: [r.get(k) for r in records] for k in keys}
    return _keys([{str(k): v for k, v in r.items()} for r in records])


_ALONE = "alone"


def _kind(value):
    """What decides the type of a column holding ``value``: its type (None for None), or
    :data:`_ALONE` for a value whose column is typed by more than its type (an integer beyond
    64 bits, a datetime with a time zone, a decimal...)."""
    kind = type(value)
    if value is None:
        return None
    if kind is int and not -(2**63) <= value < 2**63 or kind is dt.datetime and value.tzinfo is not None:
        return _ALONE
    return kind if kind in _PLAIN else _ALONE


def _uniform(values: list, kinds: set) -> bool:
    """Whether the values (besides None) all have one type (``kinds`` are their types) that makes
    a column of them as a column of any one of them would be."""
    kinds = kinds - {type(None)}
    if not kinds:
        return True
    if len(kinds) > 1:
        return False
    kind = kinds.pop()
    if kind is int or kind is dt.datetime:
        return all(_kind(v) is kind for v in values if v is not None)
    return kind in _PLAIN


def _series(name: str, values: list) -> pl.Series:
    """A column of ``values`` as :func:`salesrules.io.sources.records_frame` makes one."""
    try:
        return pl.Series(name, values, strict=False)
    except (TypeError, pl.exceptions.PolarsError):
        return pl.Series(name, [None if v is None else str(v) for v in values])


def _run(plan: Plan, frame: pl.DataFrame) -> pl.DataFrame:
    """The plan's result columns (packed lists as they are) and the bad-record flags of ``frame``."""
    lazy = join_lookups(plan, frame.lazy(), SOURCE, only_keyed=True)
    prepared = plan.prepare(lazy, SOURCE, strict_columns=True, lookups=False)
    try:
        return plan.apply(prepared.frame).select(_wanted(plan)).collect(
            engine="in-memory", optimizations=pl.QueryOptFlags.none()
        )
    except pl.exceptions.PolarsError as exc:  # a plugin's expression failing on these records
        named = evaluation_error(plan, exc)
        if named is None:
            raise
        raise named from None


def _wanted(plan: Plan) -> list[str]:
    """The columns the results are made of."""
    listed = {"reasons": REASONS, "gaps": GAPS, "actions": ACTIONS}
    names = [listed.get(name, name) for name in plan.output if name not in ("rank", "row")]
    return [BAD, *dict.fromkeys(names)]


def _results(plan: Plan, collected: pl.DataFrame) -> list[dict]:
    """The result dicts of the rows of ``collected``, as :func:`~salesrules.runners.one.record_result` makes them."""
    unknown_filled = {"tier", "stage"} | {c.name for c in plan.ruleset.classifications}
    height = collected.height
    values: dict[str, list] = {}
    for name in plan.output:
        if name == "rank":
            values[name] = [None] * height
        elif name == "row" and plan.key == "row":
            values[name] = [1] * height  # each record is row 1, as it is on its own
        elif name in ("reasons", "gaps"):
            values[name] = [t.split(SEP) if t else [] for t in collected.get_column(REASONS if name == "reasons" else GAPS).to_list()]
        elif name == "actions":
            values[name] = [_actions(t) for t in collected.get_column(ACTIONS).to_list()]
        elif name in unknown_filled:
            values[name] = [UNKNOWN if v is None else v for v in collected.get_column(name).to_list()]
        else:
            values[name] = collected.get_column(name).to_list()
    # Copies of one dict, filled column by column: faster than a dict built from each row.
    copy = dict.fromkeys(values).copy
    results = [copy() for _ in range(height)]
    for name, column in values.items():
        deque(map(operator.setitem, results, repeat(name, height), column), maxlen=0)
    return results


def _actions(packed: str | None) -> list[dict]:
    """A record's packed actions as ``{name, text, due}`` dicts."""
    if not packed:
        return []
    actions = []
    for item in packed.split(SEP):
        name, text, due = item.split(FIELD_SEP, 2)
        day = _DATES.get(due, _DATES)
        actions.append({"name": name, "text": text, "due": _date(due) if day is _DATES else day})
    return actions


# The due dates read so far (the same few recur from record to record).
_DATES: dict[str, dt.date | None] = {"": None}


def _date(text: str) -> dt.date:
    """The date of ISO text ``text``, kept for the next time."""
    day = dt.date.fromisoformat(text)
    if len(_DATES) < 65_536:
        _DATES[text] = day
    return day


def _enum_mapping(plan: Plan, name: str) -> dict[str, str] | None:
    """An enum field's :func:`~salesrules.io.coerce.enum_mapping`, computed once per plan."""
    spec = plan.fields[name]
    if spec.type != "enum":
        return None
    if name not in plan.enum_mappings:
        plan.enum_mappings[name] = coerce.enum_mapping(spec.values or {})
    return plan.enum_mappings[name]


def _memo(plan: Plan, name: str) -> dict:
    """The texts of field ``name`` read so far with ``plan`` (see :func:`~salesrules.io.coerce_python.read_values`)."""
    return plan.__dict__.setdefault("_read_memo", {}).setdefault(name, {})


def _kept_as_given(plan: Plan) -> set[str]:
    """The fields whose input column the plan reads even when typed in Python: a lookup's join
    value, and a field of currency codes (its error quotes the code)."""
    kept = plan.__dict__.get("_kept_as_given")
    if kept is None:
        kept = {lookup.on for lookup in plan.ruleset.lookups}
        kept |= {n for n, s in plan.fields.items() if s.rates is not None and s.type != "money"}
        plan.__dict__["_kept_as_given"] = kept
    return kept
