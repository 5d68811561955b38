"""Decision tables against an independent per-record computation of the DMN 1.5 semantics, on
generated tables and records: every hit policy, the unary tests, null inputs."""

from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import escape

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

import salesrules

POLICIES = ["UNIQUE", "ANY", "PRIORITY", "FIRST", "RULE ORDER", "OUTPUT ORDER", "COLLECT",
            "C+", "C<", "C>", "C#"]
VALUES = [10, 20, 30]  # the output values, in priority order

numbers = st.integers(-5, 5)


@st.composite
def cells(draw):
    """A unary test and its meaning as a Python predicate over an int or None."""
    a = draw(numbers)
    b = draw(st.integers(a, 6))
    forms = [
        ("-", lambda x: True),
        (f"< {a}", lambda x: x is not None and x < a),
        (f">= {a}", lambda x: x is not None and x >= a),
        (f"{a}", lambda x: x == a),
        (f"!= {a}", lambda x: x != a),
        (f"[{a}..{b}]", lambda x: x is not None and a <= x <= b),
        (f"({a}..{b}]", lambda x: x is not None and a < x <= b),
        (f"]{a}..{b}[", lambda x: x is not None and a < x < b),
        (f"{a}, {b}", lambda x: x in (a, b)),
        (f"not({a})", lambda x: x != a),
        (f"not(< {a})", lambda x: x is not None and not x < a),
        ("null", lambda x: x is None),
        ("not(null)", lambda x: x is not None),
        (f"{a}, null", lambda x: x is None or x == a),
    ]
    return draw(st.sampled_from(forms))


@st.composite
def tables(draw):
    n_inputs = draw(st.integers(1, 2))
    rules = draw(st.lists(st.tuples(st.lists(cells(), min_size=n_inputs, max_size=n_inputs), st.sampled_from(VALUES)),
                          min_size=1, max_size=6))
    policy = draw(st.sampled_from(POLICIES))
    default = draw(st.sampled_from([None, 30])) if policy in ("UNIQUE", "ANY", "PRIORITY", "FIRST") else None
    return n_inputs, rules, policy, default


def expected(table, record):
    """The DMN result computed record by record, independently of the compiler."""
    n_inputs, rules, policy, default = table
    xs = [record[f"x{j}"] for j in range(n_inputs)]
    matched = [out for tests, out in rules if all(test(x) for (_, test), x in zip(tests, xs))]
    if policy in ("UNIQUE", "ANY", "PRIORITY", "FIRST"):
        if not matched:
            return default
        if policy == "UNIQUE":
            return matched[0] if len(matched) == 1 else None
        if policy == "ANY":
            return matched[0] if len(set(matched)) == 1 else None
        if policy == "PRIORITY":
            return min(matched, key=VALUES.index)
        return matched[0]
    if policy == "C#":
        return len(matched)
    if not matched:
        return None
    if policy == "C+":
        return sum(matched)
    if policy == "C<":
        return min(matched)
    if policy == "C>":
        return max(matched)
    if policy == "OUTPUT ORDER":
        return sorted(matched, key=VALUES.index)
    return matched


def ruleset_for(table, tmp_path):
    n_inputs, rules, policy, default = table
    output = {"name": "out", "type": "integer", "values": VALUES}
    if default is not None:
        output["default"] = default
    data = {
        "salesrules": 1,
        "name": "oracle",
        "fields": {f"x{j}": "integer" for j in range(n_inputs)},
        "decisions": [{
            "name": "Result",
            "hit_policy": policy,
            "inputs": [f"x{j}" for j in range(n_inputs)],
            "outputs": [output],
            "rules": [{"when": [text for text, _ in tests], "then": out} for tests, out in rules],
        }],
    }
    path = tmp_path / "oracle.yaml"
    path.write_text(json.dumps(data))  # JSON is YAML
    return salesrules.load(path)


records = st.lists(st.fixed_dictionaries({"x0": st.none() | st.integers(-7, 8), "x1": st.none() | st.integers(-7, 8)}),
                   min_size=1, max_size=25)


@settings(max_examples=200, deadline=None)
@given(table=tables(), rows=records)
def test_decision_tables_agree_with_the_semantics_record_by_record(tmp_path_factory, table, rows):
    ruleset = ruleset_for(table, tmp_path_factory.mktemp("t"))
    frame = pl.DataFrame(rows, schema={"x0": pl.Int64, "x1": pl.Int64})
    results = ruleset.evaluate(frame, as_of=None).sort("row")["Result"].to_list()
    assert results == [expected(table, r) for r in rows]
    one = {k: v for k, v in rows[0].items() if k in ruleset.fields}
    assert ruleset.evaluate_one(one)["Result"] == expected(table, rows[0])


@settings(max_examples=80, deadline=None)
@given(table=tables(), rows=records)
def test_violations_and_unmatched_records_are_gaps(tmp_path_factory, table, rows):
    n_inputs, rules, policy, _ = table
    ruleset = ruleset_for(table, tmp_path_factory.mktemp("t"))
    gaps = ruleset.evaluate(pl.DataFrame(rows, schema={"x0": pl.Int64, "x1": pl.Int64})).sort("row")["gaps"].to_list()
    for record, record_gaps in zip(rows, gaps):
        xs = [record[f"x{j}"] for j in range(n_inputs)]
        matched = [(i + 1, out) for i, (tests, out) in enumerate(rules) if all(t(x) for (_, t), x in zip(tests, xs))]
        wanted = []
        if not matched:
            wanted.append("Result: no rule matches")
        violated = (policy == "UNIQUE" and len(matched) > 1) or (policy == "ANY" and len({o for _, o in matched}) > 1)
        if violated:
            numbers_ = ", ".join(str(i) for i, _ in matched)
            wanted.append(f"Result: rules {numbers_} match, which {policy} does not allow")
        assert record_gaps == wanted


def dmn_for(table, tmp_path) -> Path:
    """The same table as a DMN 1.5 model, as another tool would write it."""
    n_inputs, rules, policy, default = table
    policy, aggregation = {"C+": ("COLLECT", "SUM"), "C<": ("COLLECT", "MIN"), "C>": ("COLLECT", "MAX"),
                           "C#": ("COLLECT", "COUNT")}.get(policy, (policy, None))
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" name="oracle" namespace="urn:oracle">']
    lines += [f'<inputData id="x{j}" name="x{j}"><variable name="x{j}" typeRef="number"/></inputData>' for j in range(n_inputs)]
    lines.append('<decision id="d" name="Result"><variable name="Result" typeRef="number"/>')
    lines.append(f'<decisionTable hitPolicy="{policy}"{agg}>')
    lines += [f'<input><inputExpression typeRef="number"><text>x{j}</text></inputExpression></input>' for j in range(n_inputs)]
    default_entry = f"<defaultOutputEntry><text>{default}</text></defaultOutputEntry>" if default is not None else ""
    lines.append(f'<output name="out" typeRef="number"><outputValues><text>{", ".join(map(str, VALUES))}</text>'
                 f"</outputValues>{default_entry}</output>")
    for tests, out in rules:
        cells = "".join(f"<inputEntry><text>{escape(text)}</text></inputEntry>" for text, _ in tests)
        lines.append(f"<rule>{cells}<outputEntry><text>{out}</text></outputEntry></rule>")
    lines += ["</decisionTable>", "</decision>", "</definitions>"]
    path = tmp_path / "oracle.dmn"
    path.write_text("\n".join(lines))
    return path


@settings(max_examples=60, deadline=None)
@given(table=tables(), rows=records)
def test_a_yaml_table_and_the_same_dmn_table_give_identical_results(tmp_path_factory, table, rows):
    folder = tmp_path_factory.mktemp("t")
    frame = pl.DataFrame(rows, schema={"x0": pl.Int64, "x1": pl.Int64})
    from_yaml = ruleset_for(table, folder).evaluate(frame).sort("row").select("Result", "gaps")
    from_dmn = salesrules.load(dmn_for(table, folder)).evaluate(frame).sort("row").select("Result", "gaps")
    assert from_yaml.with_columns(pl.col("Result").cast(from_dmn.schema["Result"])).equals(from_dmn)
