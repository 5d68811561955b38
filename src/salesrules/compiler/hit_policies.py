"""DMN 1.5 hit policies as polars expressions over the rules' hit columns.

Every rule of a table has a boolean hit column (its tests all hold) and one expression per
output. :func:`table_result` combines them into the table's result for each record:

- UNIQUE: the one matching rule's outputs; two or more matches are a violation, and null.
- ANY: the outputs of the matching rules, which must all be equal, else a violation and null.
- PRIORITY: the matching rule whose outputs come first in the outputs' value lists (the first
  output decides, the next breaks ties; then rule order).
- FIRST: the first matching rule in rule order.
- RULE ORDER, COLLECT: the list of the matching rules' outputs in rule order.
- OUTPUT ORDER: that list sorted by the outputs' value lists.
- COLLECT with SUM, MIN, MAX, COUNT: the sum, minimum or maximum of the matching outputs (null
  when none matches), or how many rules match.

When no rule matches, a single-hit table gives its outputs' defaults if it has any, else null;
a list result is null. Several outputs make a struct per rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

ORDER = "__order"
DECIMALS = 12  # sums of decimal outputs are rounded to this many places, dropping binary noise


@dataclass
class TableColumns:
    """What :func:`table_result` reads: per rule its hit and outputs, per output its default."""

    names: list[str]
    hits: list[pl.Expr]
    outputs: list[list[pl.Expr]]  # by rule, then by output
    constants: list[list[bool]]  # whether each entry is a literal, by rule, then by output
    defaults: list[pl.Expr | None]
    priorities: list[pl.Expr] | None  # by rule: its priority, smaller first (PRIORITY, OUTPUT ORDER)
    decimal: bool = False  # whether the (first) output is a number with decimals


def matched_count(hits: list[pl.Expr]) -> pl.Expr:
    """How many rules match."""
    return pl.sum_horizontal([h.cast(pl.Int32) for h in hits]) if hits else pl.lit(0, pl.Int32)


def first_hit(hits: list[pl.Expr]) -> pl.Expr:
    """The index of the first matching rule, null when none matches."""
    if not hits:
        return pl.lit(None, pl.Int32)
    return pl.coalesce([pl.when(h).then(pl.lit(i, pl.Int32)) for i, h in enumerate(hits)])


def _select(cols: TableColumns, index: pl.Expr, k: int) -> pl.Expr:
    """Output ``k`` of the rule at ``index`` (null where index is null)."""
    entries = [row[k] for row in cols.outputs]
    if not entries:
        return pl.lit(None)
    if all(row[k] for row in cols.constants):
        values = pl.select([e.alias(str(i)) for i, e in enumerate(entries)]).row(0)
        dtype = pl.select(entries[0]).dtypes[0]
        return index.replace_strict(list(range(len(entries))), list(values), default=None, return_dtype=dtype)
    # Only the chosen rule's branch is non-null, so the first non-null is its value.
    return pl.coalesce([pl.when(index == i).then(e) for i, e in enumerate(entries)])


def _pack(cols: TableColumns, values: list[pl.Expr]) -> pl.Expr:
    """One output's value, or a struct of several outputs."""
    if len(values) == 1:
        return values[0]
    return pl.struct([v.alias(n) for v, n in zip(values, cols.names)])


def table_result(policy: str, aggregation: str | None, cols: TableColumns, count: pl.Expr, matched: pl.Expr):
    """The table's result and its violation flag (a boolean expression, or None when the
    policy cannot be violated). ``count`` is the column of :func:`matched_count`, ``matched``
    the column of :func:`matched_text`."""
    hits = cols.hits
    violation = None
    if policy in ("UNIQUE", "ANY", "PRIORITY", "FIRST"):
        first = first_hit(hits)
        if policy == "UNIQUE":
            violation = count > 1
            index = pl.when(~violation).then(first)
        elif policy == "ANY":
            chosen = [_select(cols, first, k) for k in range(len(cols.names))]
            differs = [
                h & ~pl.all_horizontal([row[k].eq_missing(chosen[k]) for k in range(len(cols.names))])
                for h, row in zip(hits, cols.outputs)
            ]
            violation = pl.any_horizontal(differs) if differs else pl.lit(False)
            index = pl.when(~violation).then(first)
        elif policy == "PRIORITY":
            n = len(hits)
            if all(_is_constant(p) for p in cols.priorities):
                keys = pl.select([p.cast(pl.Int64).alias(str(i)) for i, p in enumerate(cols.priorities)]).row(0)
                index = first_in_order(hits, sorted(range(n), key=lambda i: (keys[i], i)))
            else:
                keyed = [pl.when(h).then(_key(p, n, i)) for i, (h, p) in enumerate(zip(hits, cols.priorities))]
                index = (pl.min_horizontal(keyed) % n).cast(pl.Int32) if keyed else first
        else:
            index = first
        value = _pack(cols, [_select(cols, index, k) for k in range(len(cols.names))])
        result = pl.when(index.is_not_null()).then(value)
        if any(d is not None for d in cols.defaults):
            defaults = [d if d is not None else pl.lit(None) for d in cols.defaults]
            result = result.when(count == 0).then(_pack(cols, defaults))
        return result, violation
    if aggregation is not None:
        if aggregation == "COUNT":
            return count.cast(pl.Int64), None
        values = [pl.when(h).then(row[0]) for h, row in zip(hits, cols.outputs)]
        combine = {"SUM": pl.sum_horizontal, "MIN": pl.min_horizontal, "MAX": pl.max_horizontal}[aggregation]
        combined = combine(values)
        if aggregation == "SUM" and cols.decimal:
            combined = combined.round(DECIMALS)  # 0.1 + 0.2 is 0.3, as FEEL's decimals say
        return pl.when(count > 0).then(combined), None
    n = len(hits)
    if all(all(row) for row in cols.constants) and all(_is_constant(p) for p in cols.priorities or []):
        listed = _constant_list(policy, cols, n, matched)
    else:
        listed = _computed_list(policy, cols, n)
    return pl.when(count > 0).then(listed), None


def _key(priority: pl.Expr, n: int, i: int) -> pl.Expr:
    """A rule's sort key: its priority, then its place; folded to a constant when it is one."""
    if _is_constant(priority):
        return pl.lit(int(pl.select(priority.cast(pl.Int64)).item()) * n + i, pl.Int64)
    return priority.cast(pl.Int64) * n + i


def _is_constant(expr: pl.Expr) -> bool:
    return expr.meta.is_literal(allow_aliasing=True)


def _constant_list(policy: str, cols: TableColumns, n: int, matched: pl.Expr) -> pl.Expr:
    """The list of a table whose entries are all literals: the numbers of the matching rules,
    in priority order for OUTPUT ORDER (see :func:`matched_text`), each looked up. Far cheaper
    than building lists of structs, or sorting lists, row by row."""
    if policy == "OUTPUT ORDER":
        keys = pl.select([p.cast(pl.Int64).alias(str(i)) for i, p in enumerate(cols.priorities)]).row(0)
        text = matched_text(cols.hits, sorted(range(n), key=lambda i: (keys[i], i)))
    else:
        text = matched
    numbers = text.str.split(",").cast(pl.List(pl.Int64), strict=False)
    looked_up = []
    for k, name in enumerate(cols.names):
        entries = [row[k] for row in cols.outputs]
        values = pl.select([e.alias(str(i)) for i, e in enumerate(entries)]).row(0)
        dtype = pl.select(entries[0]).dtypes[0]
        looked_up.append(pl.element().replace_strict(list(range(1, n + 1)), list(values), default=None,
                                                      return_dtype=dtype).alias(name))
    item = looked_up[0] if len(looked_up) == 1 else pl.struct(looked_up)
    return numbers.list.eval(item)


def _computed_list(policy: str, cols: TableColumns, n: int) -> pl.Expr:
    """The list of a table with computed entries: a struct per matching rule, then its outputs."""
    items = []
    for i, (h, row) in enumerate(zip(cols.hits, cols.outputs)):
        order = cols.priorities[i].cast(pl.Int64) * n + i if policy == "OUTPUT ORDER" else pl.lit(i, pl.Int64)
        items.append(pl.when(h).then(pl.struct([order.alias(ORDER), *[v.alias(nm) for v, nm in zip(row, cols.names)]])))
    listed = pl.concat_list(items).list.drop_nulls()
    if policy == "OUTPUT ORDER":
        listed = listed.list.eval(pl.element().sort_by(pl.element().struct.field(ORDER)))
    if len(cols.names) == 1:
        return listed.list.eval(pl.element().struct.field(cols.names[0]))
    return listed.list.eval(pl.struct([pl.element().struct.field(nm) for nm in cols.names]))


CHUNK = 8  # rules encoded per lookup: 2**8 texts each


def first_in_order(hits: list[pl.Expr], order: list[int]) -> pl.Expr:
    """The index of the matching rule that comes first in ``order``, null when none matches;
    eight rules at a time read as bits that look their first set bit up (see :func:`matched_text`)."""
    pieces = []
    for start in range(0, len(order), CHUNK):
        part = order[start : start + CHUNK]
        code = pl.sum_horizontal([hits[r].cast(pl.Int32) * (1 << b) for b, r in enumerate(part)])
        firsts = [next((part[b] for b in range(len(part)) if m >> b & 1), None) for m in range(1 << len(part))]
        pieces.append(code.replace_strict(list(range(1 << len(part))), firsts, default=None, return_dtype=pl.Int32))
    return pieces[0] if len(pieces) == 1 else pl.coalesce(pieces)


def matched_text(hits: list[pl.Expr], order: list[int] | None = None) -> pl.Expr:
    """The numbers of the matching rules (from 1) joined by commas, ``"1,3"``; "" when none
    matches; in ``order`` (rule indexes) when given, else in rule order.

    Eight rules at a time are read as the bits of a small number, which looks up the text of
    its set bits: a few cheap steps per eight rules, where joining one text per rule, or a
    list of one item per rule, costs many times more for tables of tens of rules.
    """
    if not hits:
        return pl.lit("")
    order = list(range(len(hits))) if order is None else order
    pieces = []
    for start in range(0, len(order), CHUNK):
        part = order[start : start + CHUNK]
        code = pl.sum_horizontal([hits[r].cast(pl.Int32) * (1 << b) for b, r in enumerate(part)])
        texts = ["".join(f"{part[b] + 1}," for b in range(len(part)) if m >> b & 1) for m in range(1 << len(part))]
        pieces.append(code.replace_strict(list(range(1 << len(part))), texts, return_dtype=pl.String))
    joined = pieces[0] if len(pieces) == 1 else pl.concat_str(pieces)
    return joined.str.strip_chars_end(",")
