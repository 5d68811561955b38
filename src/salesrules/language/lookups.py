"""Lookups of names, such as an enum value's points or position: a few names are compared
one by one, more are looked up in a hash table."""

from __future__ import annotations

import polars as pl

# Up to this many names, a name is looked up by comparing it with each in turn, which costs
# polars less than a hash lookup (see looked_up). Not more: each comparison is an expression
# of its own, and a query of one record (evaluate_one) costs in proportion to its expressions;
# at ten names (the nine stages) it took 0.7 ms longer, at four as long as a hash lookup.
COMPARED_NAMES = 4


def looked_up(value: pl.Expr, names: list[str], results: list, dtype: pl.DataType, default=None) -> pl.Expr:
    """The result of the name in ``value`` (``results[i]`` for ``names[i]``, of ``dtype``);
    ``default`` for other names and null.

    A few names are compared one by one (a chain of when/then), more are looked up by
    ``replace_strict``: for the four names of a tier the chain takes half as long.
    """
    if len(names) > COMPARED_NAMES:
        return value.replace_strict(names, results, default=default, return_dtype=dtype)
    chain = pl
    for name, result in zip(names, results):
        chain = chain.when(value == name).then(pl.lit(result, dtype))
    return pl.lit(default, dtype) if chain is pl else chain.otherwise(pl.lit(default, dtype))


def one_of(value: pl.Expr, names: list[str]) -> pl.Expr:
    """Whether the name in ``value`` is one of ``names`` (false for null)."""
    if not names:
        return pl.lit(False)
    if len(names) > COMPARED_NAMES:
        return value.is_in(names).fill_null(False)
    test = value == names[0]
    for name in names[1:]:
        test = test | (value == name)
    return test.fill_null(False)
