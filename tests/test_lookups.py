"""Names looked up by comparison give what a hash lookup gives (salesrules.language.lookups)."""

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from salesrules.language.lookups import COMPARED_NAMES, looked_up, one_of

NAMES = st.lists(st.text(max_size=4), unique=True, max_size=COMPARED_NAMES + 3)


@st.composite
def cases(draw):
    """Names (a few, or more than are compared), a result for each, and a column of those names,
    other texts and nulls."""
    names = draw(NAMES)
    results = draw(st.lists(st.integers(-5, 5) | st.none(), min_size=len(names), max_size=len(names)))
    values = draw(st.lists(st.sampled_from(names) | st.text(max_size=4) | st.none(), max_size=30)
                  if names else st.lists(st.text(max_size=4) | st.none(), max_size=30))
    return names, results, values


@settings(max_examples=200, deadline=None)
@given(cases(), st.sampled_from([None, 0, 7]), st.sampled_from(["eager", "in-memory", "streaming"]))
def test_looked_up_and_one_of_agree_with_a_hash_lookup(case, default, engine):
    names, results, values = case
    frame = pl.DataFrame({"x": values}, schema={"x": pl.String})
    x = pl.col("x")
    expected_results = x.replace_strict(names, results, default=default, return_dtype=pl.Int64) if names else \
        pl.repeat(pl.lit(default, pl.Int64), pl.len())
    exprs = [
        looked_up(x, names, results, pl.Int64, default).alias("got"),
        expected_results.alias("want"),
        one_of(x, names).alias("in"),
        x.is_in(names).fill_null(False).alias("in_want") if names else pl.repeat(False, pl.len()).alias("in_want"),
    ]
    lazy = frame.lazy().select(exprs)
    got = lazy.collect() if engine == "eager" else lazy.collect(engine=engine)
    assert got["got"].to_list() == got["want"].to_list()
    assert got["in"].to_list() == got["in_want"].to_list()
    assert got.height == len(values)


def test_a_few_names_are_compared_and_more_are_hashed():
    few, many = [str(i) for i in range(COMPARED_NAMES)], [str(i) for i in range(COMPARED_NAMES + 1)]
    assert "replace_strict" not in str(looked_up(pl.col("x"), few, list(range(len(few))), pl.Int64))
    assert "replace_strict" in str(looked_up(pl.col("x"), many, list(range(len(many))), pl.Int64))
    assert "is_in" not in str(one_of(pl.col("x"), few))
    assert "is_in" in str(one_of(pl.col("x"), many))
