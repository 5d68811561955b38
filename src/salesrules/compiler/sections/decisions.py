"""The ``decisions`` section: DMN decision tables, compiled to polars like every other rule.

Each decision reads its inputs (expressions over fields), matches every rule's unary tests
(:mod:`salesrules.language.unary`) as boolean columns, and combines the matches by its hit
policy (:mod:`salesrules.compiler.hit_policies`) into one result column named after the
decision. Later decisions and every later section see the result under the decision's
``as`` name. Violations of UNIQUE or ANY and records no rule matches are gaps of the record;
the numbers of the matching rules are kept for the receipt.
"""

from __future__ import annotations

import polars as pl

from ...errors import ExpressionError, RulesetError, did_you_mean
from ...model.columns import GAPS, RESERVED, normal_name
from ...model.decisions import (
    AGGREGATIONS,
    HIT_POLICIES,
    HIT_POLICY_LETTERS,
    OUTPUT_TYPES,
    Decision,
    DecisionInput,
    DecisionOutput,
    DecisionRule,
    identifier,
)
from ...model.sections import Expr
from ...model.types import INTEGER, Type, named
from ..packing import packed
from .schema import EXPRESSION, IDENTIFIER, REMOVE, named_list

NAME = "decisions"
SCOPE = "decisions"
OUTPUT_PLACE = 5
DECISION_GAPS = "__decision_gaps"
RULES = "__rules:"  # + the decision's name: the numbers of its matching rules ("1,3"), for receipts

_CELL = {"oneOf": [{"type": "string", "maxLength": 4000}, {"type": "number"}, {"type": "boolean"}, {"type": "null"}]}
_VALUES = {"type": "array", "items": {"type": ["string", "number", "boolean"]}, "minItems": 1}
_INPUT = {
    "oneOf": [
        EXPRESSION,
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["expression"],
            "properties": {"expression": EXPRESSION, "label": {"type": "string"}, "values": _VALUES},
        },
    ]
}
_OUTPUT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "type": {"enum": list(OUTPUT_TYPES)},
        "values": {**_VALUES, "description": "The output's values, in priority order (PRIORITY, OUTPUT ORDER)"},
        "default": {**_CELL, "description": "The output entry when no rule matches (single-hit tables)"},
    },
}
_RULE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["when", "then"],
    "properties": {
        "when": {"type": "array", "items": _CELL, "description": "One FEEL unary test per input"},
        "then": {
            "description": "The output entry, or one per output (a list, or a mapping by output name)",
            "oneOf": [_CELL, {"type": "array", "items": _CELL}, {"type": "object", "additionalProperties": _CELL}],
        },
        "description": {"type": "string"},
    },
}
SCHEMA = {
    "decisions": named_list({
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "as": IDENTIFIER,
        "hit_policy": {"enum": [*HIT_POLICIES, *HIT_POLICY_LETTERS]},
        "aggregation": {"enum": list(AGGREGATIONS)},
        "inputs": {"type": "array", "items": _INPUT},
        "outputs": {"type": "array", "minItems": 1, "items": _OUTPUT},
        "rules": {"type": "array", "items": _RULE},
        "description": {"type": "string"},
        "remove": REMOVE,
    }),
}


def cell_text(value) -> str:
    """A cell from YAML as FEEL text: text as written, numbers and booleans as literals."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _loc(value, fallback):
    return getattr(value, "loc", None) or fallback


def _item_locs(items, fallback) -> list:
    locs = list(getattr(items, "item_locs", None) or [])
    return [locs[i] if i < len(locs) else _loc(item, fallback) for i, item in enumerate(items)]


def build(ctx) -> dict:
    """The decisions, in order."""
    decisions = []
    for item in ctx.data.get("decisions") or []:
        name = str(item["name"])
        loc = ctx.loc("decisions", name)
        policy, aggregation = str(item.get("hit_policy", "UNIQUE")), item.get("aggregation")
        if policy in HIT_POLICY_LETTERS:
            policy, implied = HIT_POLICY_LETTERS[policy]
            aggregation = aggregation or implied
        if aggregation is not None and policy != "COLLECT":
            raise RulesetError(f"decision {name!r}: aggregation {aggregation} goes with hit policy COLLECT only", loc)
        inputs = []
        raw_inputs = item.get("inputs") or []
        for raw, iloc in zip(raw_inputs, _item_locs(raw_inputs, loc)):
            spec = raw if isinstance(raw, dict) else {"expression": raw}
            text = spec["expression"]
            inputs.append(DecisionInput(
                expression=ctx.expr(text, "decisions", name, "inputs"),
                label=spec.get("label"),
                values=tuple(spec["values"]) if spec.get("values") else None,
                loc=iloc,
            ))
        outputs = tuple(
            DecisionOutput(
                name=str(o["name"]),
                type=str(o.get("type", "string")),
                values=tuple(o["values"]) if o.get("values") else None,
                default=cell_text(o["default"]) if "default" in o else None,
                loc=oloc,
            )
            for o, oloc in zip(item.get("outputs") or [], _item_locs(item.get("outputs") or [], loc))
        ) or (DecisionOutput(name=name, type="string", loc=loc),)
        rules = tuple(
            _rule(name, i, r, rloc, inputs, outputs)
            for i, (r, rloc) in enumerate(zip(item.get("rules") or [], _item_locs(item.get("rules") or [], loc)))
        )
        decisions.append(Decision(
            name=name,
            alias=str(item.get("as") or identifier(name)),
            hit_policy=policy,
            aggregation=aggregation,
            inputs=tuple(inputs),
            outputs=outputs,
            rules=rules,
            description=str(item.get("description", "")),
            loc=loc,
        ))
    return {"decisions": decisions}


def _rule(name, i, raw, loc, inputs, outputs) -> DecisionRule:
    where = f"decision {name!r} rule {i + 1}"
    tests = raw["when"]
    if len(tests) != len(inputs):
        raise RulesetError(f"{where} has {len(tests)} tests for {len(inputs)} inputs", loc)
    then = raw["then"]
    if isinstance(then, dict):
        unknown = [k for k in then if k not in {o.name for o in outputs}]
        if unknown:
            raise RulesetError(f"{where}: no output named {unknown[0]!r}{did_you_mean(unknown[0], [o.name for o in outputs])}", loc)
        entries = [then.get(o.name) for o in outputs]
        entry_locs = [_loc(then.get(o.name), loc) for o in outputs]
    else:
        entries = list(then) if isinstance(then, list) else [then]
        entry_locs = _item_locs(then, loc) if isinstance(then, list) else [_loc(then, loc)]
    if len(entries) != len(outputs):
        raise RulesetError(f"{where} has {len(entries)} output entries for {len(outputs)} outputs", loc)
    return DecisionRule(
        tests=tuple(cell_text(t) for t in tests),
        outputs=tuple(cell_text(e) for e in entries),
        description=raw.get("description"),
        loc=loc,
        test_locs=tuple(_item_locs(tests, loc)),
        output_locs=tuple(entry_locs),
    )


def expressions(ruleset):
    """Each decision's input expressions, and the fields its cells name (``< credit_limit``)."""
    for decision in ruleset.decisions:
        for inp in decision.inputs:
            yield inp.expression
        for rule in decision.rules:
            for text in rule.tests:
                yield from _named(text, rule.loc)


def _named(text: str, loc):
    from ...language.unary import Name, UnaryTestError, parse_tests

    try:
        tests = parse_tests(text)
    except UnaryTestError:
        return
    for test in tests.positives:
        for end in (getattr(test, "value", None), getattr(test, "low", None), getattr(test, "high", None)):
            if isinstance(end, Name) and end.text.isidentifier():
                yield Expr(end.text, loc)


def outputs(ruleset) -> list[str]:
    """One result column per decision, named after it."""
    return [d.name for d in ruleset.decisions]


_DTYPES = {"string": pl.String, "number": pl.Float64, "money": pl.Float64, "integer": pl.Int64, "boolean": pl.Boolean,
           "date": pl.Date}


def compile(compiler, scope):
    """Every decision in order, each seeing the fields and the decisions before it."""
    decisions = compiler.ruleset.decisions
    if not decisions:
        return scope
    taken = {normal_name(n) for n in [*compiler.fields, *RESERVED]}
    gaps = []
    for number, decision in enumerate(decisions):
        if normal_name(decision.name) in taken or normal_name(decision.alias) in taken - {normal_name(decision.name)}:
            raise RulesetError(f"decision {decision.name!r} has the name of a field or a result; rename it", decision.loc)
        taken |= {normal_name(decision.name), normal_name(decision.alias)}
        scope, gap = _compile_one(compiler, decision, number, scope)
        gaps.extend(gap)
    compiler.steps.append([packed(gaps, compiler.separator).alias(DECISION_GAPS)])
    return scope


def _resolver(scope):
    by_normal = {normal_name(n): v for n, v in scope.names.items()}
    return lambda text: scope.names.get(text) or by_normal.get(normal_name(text))


def _compile_one(compiler, decision: Decision, number: int, scope):
    # The unary tests and the hit policies are imported with the first decision table:
    # a ruleset without one does not need them.
    from ...language.unary import UnaryTestError, compile_tests, parse_tests
    from ..hit_policies import TableColumns, matched_count, matched_text, table_result

    prefix = f"__dt{number}:"
    where = f"decision {decision.name!r}"
    input_cols, input_types = [], []
    for j, inp in enumerate(decision.inputs):
        compiled = _compiled(compiler, inp.expression, scope, f"{where} input {j + 1}")
        input_cols.append(compiled.expr.alias(f"{prefix}in{j}"))
        input_types.append(compiled.type)
    compiler.steps.append(input_cols)
    resolve = _resolver(scope)
    hit_cols = []
    for i, rule in enumerate(decision.rules):
        conditions = []
        for j, text in enumerate(rule.tests):
            cell = f"{where} rule {i + 1} input {j + 1}"
            cloc = rule.test_locs[j] if j < len(rule.test_locs) else rule.loc
            try:
                tests = parse_tests(text)
            except UnaryTestError as exc:
                raise RulesetError(f"{cell}: {text!r} is no unary test: {exc} (at character {exc.col})", cloc) from None
            if tests.any:
                continue
            conditions.append(compile_tests(tests, pl.col(f"{prefix}in{j}"), input_types[j], resolve, cell, cloc))
        hit = pl.all_horizontal(conditions).fill_null(False) if conditions else pl.lit(True)
        hit_cols.append(hit.alias(f"{prefix}r{i}"))
    if hit_cols:
        compiler.steps.append(hit_cols)
    hits = [pl.col(f"{prefix}r{i}") for i in range(len(decision.rules))]
    entries, constants = [], []
    for i, rule in enumerate(decision.rules):
        row, consts = [], []
        for k, (text, out) in enumerate(zip(rule.outputs, decision.outputs)):
            oloc = rule.output_locs[k] if k < len(rule.output_locs) else rule.loc
            expr, const = _entry(compiler, text, out, scope, f"{where} rule {i + 1} output {out.name!r}", oloc)
            row.append(expr)
            consts.append(const)
        entries.append(row)
        constants.append(consts)
    defaults = [
        _entry(compiler, o.default, o, scope, f"{where} output {o.name!r} default", o.loc)[0] if o.default is not None else None
        for o in decision.outputs
    ]
    priorities = _priorities(decision, entries, constants, where) if decision.hit_policy in ("PRIORITY", "OUTPUT ORDER") else None
    if decision.aggregation in ("SUM", "MIN", "MAX") or decision.aggregation == "COUNT":
        if len(decision.outputs) != 1:
            raise RulesetError(f"{where}: {decision.aggregation} aggregates one output, this table has {len(decision.outputs)}", decision.loc)
        if decision.aggregation == "SUM" and decision.outputs[0].type not in ("number", "integer", "money"):
            raise RulesetError(f"{where}: SUM adds numbers, output {decision.outputs[0].name!r} is {decision.outputs[0].type}", decision.loc)
    cols = TableColumns([o.name for o in decision.outputs], hits, entries, constants, defaults, priorities,
                        decimal=decision.outputs[0].type in ("number", "money"))
    count_col = f"{prefix}count"
    compiler.steps.append([
        matched_count(hits).alias(count_col),
        matched_text(hits).alias(RULES + decision.name),
    ])
    count = pl.col(count_col)
    result, violation = table_result(decision.hit_policy, decision.aggregation, cols, count, pl.col(RULES + decision.name))
    step = [result.alias(decision.name)]
    if violation is not None:
        step.append(violation.alias(f"{prefix}violation"))
    compiler.steps.append(step)
    gaps = [pl.when(count == 0).then(pl.lit(f"{decision.name}: no rule matches"))]
    if violation is not None:
        gaps.append(pl.when(pl.col(f"{prefix}violation")).then(pl.concat_str([
            pl.lit(f"{decision.name}: rules "), pl.col(RULES + decision.name).str.replace_all(",", ", ", literal=True),
            pl.lit(f" match, which {decision.hit_policy} does not allow"),
        ])))
    return scope.child(_names(decision)), gaps


def _names(decision: Decision) -> dict:
    """The names later rules see: the result, or each of several outputs as ``alias_output``."""
    column = pl.col(decision.name)
    if decision.aggregation == "COUNT":
        return {decision.alias: (INTEGER, column)}
    if decision.gives_list:
        return {}
    if len(decision.outputs) == 1:
        return {decision.alias: (named(decision.outputs[0].type), column)}
    return {
        f"{decision.alias}_{identifier(o.name)}": (named(o.type), column.struct.field(o.name)) for o in decision.outputs
    }


def _entry(compiler, text: str, output: DecisionOutput, scope, where: str, loc):
    """An output entry as a polars expression of the output's type, and whether it is a literal."""
    from ...language.unary import kind, literal_expr, parse_literal

    dtype = _DTYPES[output.type]
    literal = parse_literal(text)
    t = Type(output.type)
    if literal is not None:
        if literal.type.name != "null" and kind(literal.type) != kind(t):
            raise RulesetError(f"{where}: {text} is {kind(literal.type)}, the output is {output.type}", loc)
        if output.values is not None and literal.type.name != "null" and literal.value not in output.values:
            raise RulesetError(f"{where}: {text} is not one of the output's values {list(output.values)}", loc)
        return literal_expr(literal, t).cast(dtype), True
    compiled = _compiled(compiler, Expr(text, loc), scope, where)
    if compiled.type.name != "null" and kind(compiled.type) != kind(t):
        raise RulesetError(f"{where}: {text!r} is {compiled.type.name}, the output is {output.type}", loc)
    return compiled.expr.cast(dtype), False


def _compiled(compiler, source: Expr, scope, where: str):
    """An expression compiled, its errors saying which cell of which table they are in."""
    try:
        return compiler.expr(source, scope, None)
    except ExpressionError as exc:
        raise type(exc)(f"{where}: {exc.message}", exc.loc) from None


def _priorities(decision: Decision, entries, constants, where: str) -> list[pl.Expr]:
    """Each rule's priority (smaller first): its outputs' places in their value lists, the
    first output deciding. Outputs without values do not count; a value not listed comes last."""
    ranked = [(k, o) for k, o in enumerate(decision.outputs) if o.values]
    if not ranked:
        raise RulesetError(f"{where}: {decision.hit_policy} needs the outputs' values in priority order", decision.loc)
    keys = []
    for row, consts in zip(entries, constants):
        if all(consts[k] for k, _ in ranked):
            key = 0
            for k, out in ranked:
                value = pl.select(row[k]).item()
                key = key * (len(out.values) + 1) + (out.values.index(value) if value in out.values else len(out.values))
            keys.append(pl.lit(key, pl.Int64))
            continue
        key = pl.lit(0, pl.Int64)
        for k, out in ranked:
            size = len(out.values) + 1
            place = row[k].replace_strict(list(out.values), list(range(len(out.values))), default=len(out.values),
                                          return_dtype=pl.Int64)
            key = key * size + place
        keys.append(key)
    return keys


def merge_gaps(compiler, scope):
    """After the stages: the decisions' gaps join the record's gaps."""
    if compiler.ruleset.decisions:
        compiler.steps.append([packed([
            pl.when(pl.col(GAPS) != "").then(pl.col(GAPS)),
            pl.when(pl.col(DECISION_GAPS) != "").then(pl.col(DECISION_GAPS)),
        ], compiler.separator).alias(GAPS)])
    return scope


class DecisionGaps:
    """The phase of :func:`merge_gaps`, listed in SECTIONS after the stages."""

    NAME = "decision_gaps"
    compile = staticmethod(merge_gaps)
