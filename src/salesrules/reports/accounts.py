"""Accounts: one row per account with its deals, values, score roll-up, customer flag and ABC
class (the smallest set of top accounts whose value reaches 80% of the total is A, B continues
to 95%, C is the rest). Money is summed in whole cents and the ABC cut-offs are compared in
whole numbers, so a class never depends on floating point.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..errors import UsageError, did_you_mean
from .pipeline import money, whole_cents

ACCOUNT_COLUMNS = [
    "group", "deals", "open_deals", "open_value", "won_value", "value", "share", "cumulative_share", "abc",
    "score", "band", "customer",
]
ROLLUPS = ("max", "sum", "mean")
MILLION = 1_000_000


@dataclass(frozen=True)
class AccountFields:
    """The fields the accounts section reads, resolved against a plan."""

    by: str
    customer: str | None
    value: str  # "all" or "won": what the ABC ranks
    score: str  # the roll-up of the open records' scores
    a: float
    b: float
    bands: tuple[str, ...]


def account_fields(plan) -> AccountFields | None:
    """The accounts settings of ``plan``: the group field is ``reports.accounts.by``, else
    ``account``, else ``company``; None when the ruleset has none of them."""
    settings = plan.ruleset.reports.accounts
    fields = plan.fields
    by = settings.by or next((f for f in ("account", "company") if f in fields), None)
    if by is None:
        return None
    if by not in fields:
        raise UsageError(f"reports.accounts.by: {by!r} is not a field{did_you_mean(by, fields)}")
    customer = settings.customer
    if customer is not None and getattr(fields.get(customer), "type", None) != "boolean":
        raise UsageError(f"reports.accounts.customer: {customer!r} is not a boolean field")
    score = plan.ruleset.scores.get(plan.ruleset.ranking_score)
    bands = tuple(b.name for b in score.bands) if score is not None else ()
    return AccountFields(by, customer, settings.value, settings.score, settings.a, settings.b, bands)


def accounts(records: pl.DataFrame, spec: AccountFields) -> tuple[pl.DataFrame, dict]:
    """The accounts table (sorted by value descending, then name) and its summary.

    ``records`` has one row per record: ``account``, ``cents`` (the value in whole cents),
    ``open``, ``won_ever`` (won, whatever the period), ``score``, ``band`` and ``customer``.
    Records without an account are left out; the summary counts them.
    """
    known = records.filter(pl.col("account").is_not_null())
    band = pl.col("band").replace_strict(band_index(spec), default=None, return_dtype=pl.Int64)
    grouped = known.with_columns(band.alias("band")).group_by("account").agg(**account_sums(spec))
    return account_table(grouped, spec, records.height - known.height)


def band_index(spec: AccountFields) -> dict[str, int]:
    """Each band's place, best first: an account's best band is the smallest."""
    return {name: i for i, name in enumerate(spec.bands)}


def account_sums(spec: AccountFields) -> dict[str, pl.Expr]:
    """What is summed per account from the record columns (``band`` as its :func:`band_index`)."""
    cents = pl.col("cents").fill_null(0)
    open_ = pl.col("open")
    rolled = {"max": pl.col("score").filter(open_).max(), "sum": pl.col("score").filter(open_).sum(),
              "mean": pl.col("score").filter(open_).mean()}[spec.score]
    return {
        "deals": pl.len().cast(pl.Int64),
        "open_deals": open_.sum().cast(pl.Int64),
        "c:open": cents.filter(open_).sum().cast(pl.Int128),
        "c:won": cents.filter(pl.col("won_ever")).sum().cast(pl.Int128),
        "c:all": cents.sum().cast(pl.Int128),
        "score": pl.when(open_.any()).then(rolled.cast(pl.Float64)),
        "best": pl.col("band").filter(open_).min(),
        "customer": (pl.col("won_ever") | pl.col("customer").fill_null(False)).any(),
    }


def account_table(grouped: pl.DataFrame, spec: AccountFields, without_account: int) -> tuple[pl.DataFrame, dict]:
    """The accounts table and its summary from the :func:`account_sums` of each account (summed
    here or by another engine)."""
    band_order = band_index(spec)
    ranked = pl.col("c:won") if spec.value == "won" else pl.col("c:all")
    grouped = grouped.with_columns(ranked.alias("c:value")).sort(["c:value", "account"], descending=[True, False])
    table = classify(grouped, spec.a, spec.b).with_columns(
        pl.col("account").alias("group"),
        money(pl.col("c:open")).alias("open_value"),
        money(pl.col("c:won")).alias("won_value"),
        money(pl.col("c:value")).alias("value"),
        pl.col("best").replace_strict({i: n for n, i in band_order.items()}, default=None, return_dtype=pl.String).alias("band"),
    ).select(ACCOUNT_COLUMNS)
    return table, summary(table, without_account, spec)


def classify(frame: pl.DataFrame, a: float, b: float) -> pl.DataFrame:
    """``share``, ``cumulative_share`` and ``abc`` of accounts already sorted by ``c:value``
    (whole cents). An account is A when the accounts before it hold less than ``a`` of the total
    (so the account that crosses the cut-off is A), B likewise up to ``b``, else C. With no
    positive total every account is C."""
    value = pl.col("c:value")
    total = value.sum()
    before = value.cum_sum() - value
    a_m, b_m = round(a * MILLION), round(b * MILLION)
    abc = (
        pl.when(total <= 0).then(pl.lit("C"))
        .when(before * MILLION < total * a_m).then(pl.lit("A"))
        .when(before * MILLION < total * b_m).then(pl.lit("B"))
        .otherwise(pl.lit("C"))
    )
    positive = pl.when(total > 0)
    return frame.with_columns(
        positive.then(value.cast(pl.Float64) / total.cast(pl.Float64)).alias("share"),
        positive.then(value.cum_sum().cast(pl.Float64) / total.cast(pl.Float64)).alias("cumulative_share"),
        abc.alias("abc"),
    )


def summary(table: pl.DataFrame, without_account: int, spec: AccountFields) -> dict:
    """How concentrated the value is: the A accounts' share of accounts and of value, the
    counts per class, existing customers against new accounts, and the records without an account."""
    count = table.height
    a_rows = table.filter(pl.col("abc") == "A")
    a_value = a_rows["share"].sum() if a_rows.height else 0.0
    classes = {c: table.filter(pl.col("abc") == c).height for c in ("A", "B", "C")}
    customers = int(table["customer"].sum()) if count else 0
    a_accounts = a_rows.height / count if count else None
    text = (f"{a_accounts:.0%} of accounts ({a_rows.height} of {count}) bring {a_value:.0%} of value"
            if count and a_rows.height else "no account has any value")
    return {
        "by": spec.by, "accounts": count, "classes": classes,
        "a_share_of_accounts": a_accounts, "a_share_of_value": a_value if a_rows.height else None,
        "customers": customers, "new_accounts": count - customers, "without_account": without_account,
        "ranked_by": "won value" if spec.value == "won" else "value of all deals", "score_rollup": spec.score,
        "cutoffs": {"a": spec.a, "b": spec.b}, "text": text,
    }


def record_columns(results: pl.DataFrame, spec: AccountFields, value: str) -> pl.DataFrame:
    """One row per record with what the accounts section reads."""
    from ..model.columns import CLOSED, WON

    customer = pl.col(spec.customer) if spec.customer else pl.lit(False)
    return results.select(
        pl.col(spec.by).cast(pl.String).alias("account"),
        whole_cents(pl.col(value).cast(pl.Float64)).alias("cents"),
        (~pl.col(CLOSED)).alias("open"),
        pl.col(WON).alias("won_ever"),
        pl.col("score").cast(pl.Float64).alias("score"),
        pl.col("band").cast(pl.String).alias("band"),
        customer.cast(pl.Boolean).alias("customer"),
    )


def per_record(results: pl.DataFrame, table: pl.DataFrame, spec: AccountFields) -> pl.DataFrame:
    """Each record's account class and rolled-up score (null without an account), in record order."""
    lookup = table.select(pl.col("group").alias("__account"), pl.col("abc").alias("account_abc"),
                          pl.col("score").alias("account_score"))
    return (results.select(pl.col(spec.by).cast(pl.String).alias("__account"))
            .join(lookup, on="__account", how="left", maintain_order="left")
            .select("account_abc", "account_score"))


def account_columns(ruleset, data, *, as_of=None, **options) -> pl.DataFrame:
    """``account_abc`` and ``account_score`` of every record of ``data``, in the order (and with
    the de-duplication and skipped rows) of ``evaluate`` with the same options: the frame-level
    values ``evaluate --with-account`` adds, computed over the whole file after the per-record plan."""
    from ..compiler.plan import compile_ruleset
    from ..model.columns import CLOSED, WON
    from ..runners.local import evaluate_full
    from .settings import resolve

    plan = compile_ruleset(ruleset, as_of)
    spec = account_fields(plan)
    if spec is None:
        raise UsageError("--with-account needs an account field: declare account or company, or name one with reports.accounts.by")
    value = resolve(plan).value
    columns = tuple(dict.fromkeys(c for c in (spec.by, spec.customer, value, "score", "band", CLOSED, WON) if c))
    results = evaluate_full(ruleset, data, as_of=plan.as_of, internal=True, columns=columns, **options).results
    table, _ = accounts(record_columns(results, spec, value), spec)
    return per_record(results, table, spec)
