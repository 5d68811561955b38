"""The ``assignment:`` section: which reps may take a record in ``salesrules assign``, their
capacity measure and how the least loaded one is chosen. Each rule's condition is a boolean
column of the plan (``__assign:N``), so eligibility stays columnar."""

from __future__ import annotations

from ...errors import RulesetError
from ...model.sections import Assignment, AssignmentRule
from .schema import EXPRESSION, IDENTIFIER

NAME = "assignment"
SCOPE = "assignment"
RULE_COLUMN = "__assign:{}"
SCHEMA = {
    "assignment": {
        "type": "object",
        "additionalProperties": False,
        "description": "How `salesrules assign` routes open records to reps (every key has a default)",
        "properties": {
            "territory": {**IDENTIFIER, "description": "The record field a rep's territory must match (reps without one cover all)"},
            "capacity": {"enum": ["deals", "workload"], "description": "What a rep's capacity counts: open deals (default) or workload"},
            "strategy": {"enum": ["least_loaded", "round_robin"], "description": "Which eligible rep wins (default: least_loaded)"},
            "rules": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["when"],
                    "properties": {
                        "rep": {"type": "string", "minLength": 1, "description": "The rep the rule is for"},
                        "team": {"type": "string", "minLength": 1, "description": "The team the rule is for"},
                        "when": {**EXPRESSION, "description": "The records the rep (or team) may take"},
                    },
                },
                "description": "Conditions per rep or team; a rule naming neither applies to every rep",
            },
        },
    }
}


def build(ctx) -> dict:
    """The assignment settings (all defaults without the section)."""
    spec = ctx.data.get("assignment") or {}
    rules = []
    for i, rule in enumerate(spec.get("rules") or ()):
        if rule.get("rep") is not None and rule.get("team") is not None:
            raise RulesetError("an assignment rule names a rep or a team, not both", ctx.loc("assignment", "rules", i))
        rules.append(AssignmentRule(
            when=ctx.expr(rule["when"], "assignment", "rules", i, "when"),
            rep=rule.get("rep"), team=rule.get("team"), loc=ctx.loc("assignment", "rules", i),
        ))
    territory = spec.get("territory")
    fields = ctx.built.get("fields", {})
    if territory is not None and territory not in fields:
        raise RulesetError(f"assignment.territory: {territory!r} is not a field", ctx.loc("assignment"))
    return {"assignment": Assignment(
        territory=territory,
        capacity=spec.get("capacity", "deals"),
        strategy=spec.get("strategy", "least_loaded"),
        rules=tuple(rules),
        loc=ctx.loc("assignment"),
    )}


def expressions(ruleset):
    """Each rule's condition."""
    for rule in ruleset.assignment.rules:
        yield rule.when


def compile(compiler, scope):
    """Each rule's condition as a boolean column (a null condition is false)."""
    rules = compiler.ruleset.assignment.rules
    if rules:
        compiler.steps.append([
            compiler.expr(rule.when, scope, "boolean").expr.fill_null(False).alias(RULE_COLUMN.format(i))
            for i, rule in enumerate(rules)
        ])
    return scope
