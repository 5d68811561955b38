"""Packed lists: the fired reasons, gaps and actions of a record as joined text, and back.

Polars builds lists row by row far more slowly than it joins strings, and a packed list becomes
a list or display text with elementwise operations only, so the whole pass streams.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from ..model.columns import ACTION_DTYPE, ACTIONS, FIELD_SEP, GAPS, PACKED, REASONS, SEP


def packed(parts: list[pl.Expr], separator: str = SEP) -> pl.Expr:
    """The non-null texts of ``parts`` joined by SEP (or ``separator``), in order; "" when there are none.

    Every part must be null or non-empty text (an empty item would vanish when unpacked).
    Joined by another separator, the texts are display text only (see :func:`packed_text`).
    """
    if not parts:
        return pl.lit("", pl.String)
    return pl.concat_str(parts, separator=separator, ignore_nulls=True)


# packed_steps joins up to PACK_FLAT parts in one expression, and more PACK_GROUP at a time.
PACK_FLAT, PACK_GROUP = 64, 16


def packed_steps(parts: list[pl.Expr], name: str, separator: str = SEP) -> list[list[pl.Expr]]:
    """Plan steps that leave the :func:`packed` ``parts`` in column ``name``.

    Up to :data:`PACK_FLAT` parts are joined by one expression. More are joined in groups,
    all in the first step (so that polars computes them in parallel), then the groups in
    the next: planning and computing one join of a thousand parts costs more than linear
    time (2,000 reasons took 2.8 times as long to plan as 1,000), groups cost linear time.
    """
    if len(parts) <= PACK_FLAT:
        return [[packed(parts, separator).alias(name)]]
    step, groups = [], []
    for start in range(0, len(parts), PACK_GROUP):
        group = f"__pack:{name}:{start // PACK_GROUP}"
        joined = packed(parts[start : start + PACK_GROUP], separator)
        step.append(pl.when(joined != "").then(joined).alias(group))  # null, not "", when empty
        groups.append(pl.col(group))
    return [step, *packed_steps(groups, name, separator)]


def unpacked(column: str) -> pl.Expr:
    """The packed texts of ``column`` as a list of strings."""
    text = pl.col(column)
    return pl.when(text == "").then(pl.lit([], pl.List(pl.String))).otherwise(text.str.split(SEP))


def unpacked_actions(column: str = ACTIONS) -> pl.Expr:
    """The packed actions of ``column`` as a list of ``{name, text, due}`` records."""
    item = pl.element().str.split_exact(FIELD_SEP, 2).struct.rename_fields(["name", "text", "due"])
    due = pl.when(pl.field("due") != "").then(pl.field("due")).str.to_date("%Y-%m-%d")
    return unpacked(column).list.eval(item.struct.with_fields(due.alias("due"))).cast(pl.List(ACTION_DTYPE))


def packed_text(column: str, separator: str, packed_by: str = SEP) -> pl.Expr:
    """The packed texts of ``column`` (joined by ``packed_by``) joined by ``separator``; null
    when there are none (as :func:`salesrules.outputs.text_frame` renders an empty list)."""
    text = pl.col(column)
    if packed_by == separator:
        return pl.when(text != "").then(text)
    return pl.when(text != "").then(text.str.replace_all(packed_by, separator, literal=True))


def unpack(frame: pl.DataFrame | pl.LazyFrame):
    """``frame`` with the packed reasons, gaps and actions as the lists ``reasons``, ``gaps``
    and ``actions`` (records of name, text and due date); the packed columns are dropped."""
    return frame.with_columns(
        unpacked(REASONS).alias("reasons"), unpacked(GAPS).alias("gaps"), unpacked_actions().alias("actions")
    ).drop(PACKED, strict=False)


def unpack_row(row: dict) -> dict:
    """One row of the plan with its packed reasons, gaps and actions as the lists :func:`unpack`
    makes of them (for a single record, Python does it faster than a query)."""

    def texts(packed_text: str) -> list[str]:
        return packed_text.split(SEP) if packed_text else []

    actions = []
    for item in texts(row[ACTIONS]):
        name, text, due = item.split(FIELD_SEP, 2)
        actions.append({"name": name, "text": text, "due": dt.date.fromisoformat(due) if due else None})
    return {**row, "reasons": texts(row[REASONS]), "gaps": texts(row[GAPS]), "actions": actions}
