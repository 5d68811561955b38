"""What each factor and each field says about the outcome on its own, for the backtest.

A factor's figures: how often it fired among the won and among the lost deals, the win rate
when it fired and its lift over the overall win rate, and its own AUC (the factor as a 0/1
score). A field's separation is its AUC alone: numbers, dates and booleans as they are (a
missing value below every other), text and enum values by the win rate of their value.
A factor or field whose AUC alone is at least :data:`LEAK_AUC` (or at most 1 minus it)
separates won from lost almost perfectly, which a value known before the outcome rarely
does: it is probably filled in after the deal closed (a close value, a lost reason, a
"closed by" tag), and a rule that reads it scores the past.
"""

from __future__ import annotations

import polars as pl

LEAK_AUC = 0.9
# Text fields with more distinct values than this share of the closed deals are identifiers:
# each value's win rate would separate won from lost by construction.
MAX_DISTINCT_SHARE = 0.2


def auc(scores: pl.Series, won: pl.Series) -> float | None:
    """The AUC of ``scores`` for won against lost (Mann-Whitney U over n_won * n_lost, ties averaged)."""
    frame = pl.DataFrame({"score": scores, "won": won}).drop_nulls()
    n_won = int(frame["won"].sum())
    n_lost = frame.height - n_won
    if n_won == 0 or n_lost == 0:
        return None
    ranks = frame.select(pl.col("score").rank("average").alias("rank"), pl.col("won"))
    rank_sum = ranks.filter(pl.col("won"))["rank"].sum()
    return (rank_sum - n_won * (n_won + 1) / 2) / (n_won * n_lost)


def separation(value: float | None) -> float | None:
    """How well an AUC separates, whichever way round: max(auc, 1 - auc)."""
    return None if value is None else max(value, 1 - value)


def factor_figures(closed: pl.DataFrame, factors: dict[str, str], overall: float) -> list[dict]:
    """Per factor (name to the column of its condition in ``closed``, which has ``won``): fired
    among won and lost, win rate when fired, lift, own AUC."""
    out = []
    won = closed.get_column("won")
    for name, column in factors.items():
        fired = closed.get_column(column).fill_null(False)
        fired_won = int((fired & won).sum())
        fired_lost = int((fired & ~won).sum())
        count = fired_won + fired_lost
        rate = fired_won / count if count else None
        out.append({
            "factor": name, "fired_won": fired_won, "fired_lost": fired_lost,
            "fired_won_share": _share(fired_won, int(won.sum())), "fired_lost_share": _share(fired_lost, int((~won).sum())),
            "win_rate": rate, "lift": rate / overall if rate is not None and overall else None,
            "auc": auc(fired.cast(pl.Int8), won),
        })
    return out


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def field_separations(closed: pl.DataFrame, fields: dict, skip: set[str]) -> list[dict]:
    """Each field's AUC alone over the closed deals (``closed`` has ``won`` and the typed
    fields), for the fields not in ``skip``; fields that cannot be scored are left out."""
    won = closed.get_column("won")
    out = []
    for name, spec in fields.items():
        if name in skip or name not in closed.columns:
            continue
        score = _as_score(closed.get_column(name), spec.type, won)
        if score is None:
            continue
        value = auc(score, won)
        if value is not None:
            out.append({"field": name, "auc": value})
    return out


def _as_score(values: pl.Series, kind: str, won: pl.Series) -> pl.Series | None:
    """A number per deal that orders ``values``: missing below every value."""
    if values.null_count() == values.len():
        return None
    if kind in ("integer", "number", "money", "boolean", "date"):
        numbers = values.cast(pl.Int32) if kind == "date" else values.cast(pl.Float64)
        numbers = numbers.cast(pl.Float64)
        floor = numbers.min()
        return numbers.fill_null(floor - 1).fill_nan(floor - 1)
    text = values.cast(pl.String).fill_null("\0none")
    if text.n_unique() > max(10, MAX_DISTINCT_SHARE * text.len()):
        return None
    rates = pl.DataFrame({"v": text, "won": won}).group_by("v").agg(pl.col("won").mean().alias("rate"))
    return pl.DataFrame({"v": text}).join(rates, on="v", how="left", maintain_order="left").get_column("rate")


def leak_warnings(factors: list[dict], fields: list[dict]) -> list[dict]:
    """The factors and fields that alone separate won from lost almost perfectly."""
    found = []
    for kind, items in (("factor", factors), ("field", fields)):
        for item in items:
            value = separation(item["auc"])
            if value is not None and value >= LEAK_AUC:
                name = item[kind]
                found.append({
                    "kind": kind, "name": name, "auc": item["auc"],
                    "message": f"{kind} {name!r} alone separates won from lost almost perfectly "
                               f"(AUC {item['auc']:.3f}): it is probably filled in after the outcome; "
                               "a rule that reads it scores the past, not the prospect",
                })
    return found
