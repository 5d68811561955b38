"""What every runner shares: the output columns, duplicate keys and the rank."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..compiler.packing import packed_text, unpacked, unpacked_actions
from ..compiler.plan import Plan
from ..errors import InputError, Loc, UsageError, did_you_mean, shown
from ..model.columns import (
    ACTIONS_FIRED,
    ACTIONS_TEXT,
    CLOSED,
    GAPS,
    IN,
    REASONS,
    ROW,
    UNKNOWN,
)


def rank_values(frame: pl.DataFrame, key: str, keep: pl.Series | None = None) -> pl.Series:
    """The rank of each row: open deals (of the rows ``keep`` marks) numbered 1..n by score
    descending, then key ascending; closed deals and rows not kept get null."""
    ranked = ~frame.get_column(CLOSED)
    if keep is not None:
        ranked = ranked & keep
    # Keys are sorted once on their own and replaced by their place in that order (ties
    # share one, rows without a key come last), so the sort of every row by rank compares
    # numbers only: less memory than sorting the key text with the score.
    keys = frame.get_column(key)
    place = keys.rank("dense") if keys.dtype != pl.Null else keys
    place = place.fill_null(keys.len() + 1)
    # Two stable sorts of single columns, five times faster than one sort by three: by key,
    # then by score (descending), the rows not ranked last. Rows that tie on score and key
    # (rows without a key) keep their order. No filtered copy of any column.
    by_key = pl.DataFrame([place]).select(pl.arg_sort_by(place.name, maintain_order=True)).to_series()
    score = pl.col("score")
    if frame.schema["score"].is_float():
        # polars sorts NaN above every number in descending order: a score that is no number
        # (or infinite) would rank first; as null it ranks after every scored deal.
        score = pl.when(score.is_finite()).then(score)
    scores = pl.DataFrame([ranked.alias("ranked"), frame.get_column("score")]).select(
        pl.when(pl.col("ranked")).then(score)
    ).to_series().gather(by_key)
    by_score = pl.DataFrame([scores]).select(
        pl.arg_sort_by(scores.name, descending=True, nulls_last=True, maintain_order=True)
    ).to_series()
    order = by_key.gather(by_score)
    count = int(ranked.sum())
    rank = pl.repeat(None, frame.height, dtype=pl.Int64, eager=True).alias("rank")
    if count:
        rank.scatter(order.head(count), pl.int_range(1, count + 1, dtype=pl.Int64, eager=True))
    return rank


@dataclass
class Evaluation:
    """The results of one evaluation, and the rows rejected with ``on_error='skip'``."""

    results: pl.DataFrame
    rejects: pl.DataFrame | None
    plan: Plan


def _result_columns(plan: Plan, lists_as_text: str | None, explain: bool, input_columns: list[str]) -> list[tuple[str, pl.Expr]]:
    """The output columns, in order, as computed from the per-record plan (``rank`` comes later)."""
    unknown_filled = {"tier", "stage"} | {c.name for c in plan.ruleset.classifications}
    columns = []
    for name in plan.output:
        if name == "row" and plan.key == "row":
            expr = pl.col(ROW).alias("row")
        elif name in unknown_filled:
            expr = pl.col(name).fill_null(UNKNOWN)
        elif name in ("reasons", "gaps"):
            packed_column = REASONS if name == "reasons" else GAPS
            expr = packed_text(packed_column, lists_as_text, plan.separator) if lists_as_text is not None else unpacked(packed_column)
        elif name == "actions":
            if lists_as_text is None:
                expr = unpacked_actions()
            else:
                expr = pl.col(ACTIONS_TEXT)
                if plan.separator != lists_as_text:
                    expr = expr.str.replace_all(plan.separator, lists_as_text, literal=True)
                expr = pl.when(pl.col(ACTIONS_FIRED)).then(expr)
        else:
            expr = pl.col(name)
        columns.append((name, expr.alias(name)))
        if name == "reasons" and explain:
            columns.append(("explain", pl.col("__explain").alias("explain")))
    taken = set(plan.output)
    for c in input_columns:
        name = c if c not in taken else f"input.{c}"
        columns.append((name, pl.col(IN + c).alias(name)))
    return columns


def chosen_columns(output: list[tuple[str, pl.Expr]], names) -> list[tuple[str, pl.Expr]]:
    """The ``output`` columns named in ``names``, in that order; an unknown name is a UsageError
    that lists the known ones."""
    known = dict(output)
    chosen = []
    for name in dict.fromkeys(names):
        if name not in known:
            raise UsageError(
                f"unknown result column {shown(name)}{did_you_mean(name, known)}; known: {', '.join(known)}"
            )
        chosen.append((name, known[name]))
    if not chosen:
        raise UsageError("no result column asked for")
    return chosen


def _may_repeat(keys: pl.Series) -> bool:
    """Whether some non-null key may occur twice: false only when none does.

    The common case, every key once, is checked on sorted 64-bit hashes of the keys, which
    takes a fraction of the memory of a hash table of the keys themselves; equal hashes
    (a repeated key, or rarely two keys with one hash) send the caller to the exact check.
    """
    hashes = keys.drop_nulls().hash(seed=0).sort()
    return bool(hashes.len() > 1 and (hashes.slice(1) == hashes.slice(0, hashes.len() - 1)).any())


def _kept_by_key(frame: pl.DataFrame, key: str, mode: str, source: str, keep: pl.Series, rows=None) -> pl.Series:
    """``keep`` less the rows whose key repeats that of another kept row (the first or the
    last one stays); with mode ``error`` a repeated key is an error naming its rows.

    ``rows(indices)`` gives the row numbers of rows by index (default: the ``__row`` column).
    """
    if key == "row" or frame.height == 0:
        return keep
    if not _may_repeat(frame.get_column(key)):
        return keep
    live = frame.select(pl.col(key)).with_row_index("__index").filter(pl.lit(keep) & pl.col(key).is_not_null())
    dupes = live.filter(pl.col(key).is_duplicated())
    if dupes.height == 0:
        return keep
    if mode == "error":
        first = dupes[key][0]
        indices = dupes.filter(pl.col(key) == first)["__index"]
        numbers = (rows(indices) if rows is not None else frame.get_column(ROW).gather(indices)).to_list()
        listed = ", ".join(map(str, numbers[:5])) + (" ..." if len(numbers) > 5 else "")
        more = dupes[key].n_unique() - 1
        extra = f" (and {more} more duplicated key{'s' if more != 1 else ''})" if more else ""
        raise InputError(
            f"duplicate key {shown(first)} in rows {listed}{extra}; use --on-duplicate first|last to keep one",
            Loc(source),
        )
    # Rows without a key are not duplicates of each other (the check above skips them too),
    # so they are all kept; ``unique`` would have collapsed them into one row.
    chosen = pl.col(key).is_first_distinct() if mode == "first" else pl.col(key).is_last_distinct()
    dropped = dupes.filter(~chosen).get_column("__index")
    mask = keep.clone()
    mask.scatter(dropped, False)
    return mask
