"""The ``actions`` section: next actions for a rep, with a condition, a text template and a due date.

Actions apply to open deals unless they say ``applies_to: closed``, ``won``, ``lost`` or ``all``.
"""

from __future__ import annotations

import polars as pl

from ...model.columns import (
    ACTIONS,
    ACTIONS_FIRED,
    ACTIONS_TEXT,
    CLOSED,
    FIELD_SEP,
    LOST,
    SEP,
    WON,
)
from ...model.sections import Action
from ..packing import packed
from .schema import EXPRESSION, IDENTIFIER, REMOVE, named_list

NAME = "actions"
SCOPE = "actions"
SCHEMA = {
    "actions": named_list(
        {
            "name": IDENTIFIER,
            "when": EXPRESSION,
            "text": {"type": "string", "minLength": 1},
            "due": EXPRESSION,
            "applies_to": {"enum": ["open", "closed", "won", "lost", "all"]},
            "description": {"type": "string"},
            "remove": REMOVE,
        }
    )
}


def build(ctx) -> dict:
    """The actions, in order."""
    actions = [
        Action(
            name=str(ac["name"]),
            text=str(ac.get("text") or ac["name"]),
            when=ctx.expr(ac.get("when"), "actions", ac["name"], "when"),
            due=ctx.expr(ac.get("due"), "actions", ac["name"], "due"),
            applies_to=ac.get("applies_to", "open"),
            loc=ctx.loc("actions", ac["name"]),
        )
        for ac in ctx.data.get("actions") or []
    ]
    return {"actions": actions}


def expressions(ruleset):
    """Each action's condition and due date."""
    for action in ruleset.actions:
        yield action.when
        yield action.due


def compile(compiler, scope):
    """Each action's condition, text and due date, packed as records and as display text."""
    applies = {
        "open": ~pl.col(CLOSED),
        "closed": pl.col(CLOSED),
        "won": pl.col(WON),
        "lost": pl.col(LOST),
        "all": pl.lit(True),
    }
    conditions, parts, items, displays = [], [], [], []
    # A plan whose lists are display text only (see compile_ruleset) never shows the records.
    display_only = compiler.separator != SEP
    for i, action in enumerate(compiler.ruleset.actions):
        cond = applies[action.applies_to]
        if action.when is not None:
            cond = cond & compiler.expr(action.when, scope, "boolean").expr.fill_null(False)
        due = compiler.expr(action.due, scope, "date").expr.cast(pl.Date) if action.due is not None else pl.lit(None, pl.Date)
        fired = f"__action:{i}"
        conditions.append(cond.alias(fired))
        if due.meta.root_names():  # a date read from the record: rendered only where the action fired
            due = pl.when(pl.col(fired)).then(due)
        text, due_text = compiler.template(action.text, scope, action.loc, only=pl.col(fired)), due.cast(pl.String)
        if display_only:
            # Rendered inside the display text alone, the texts are not copied into columns first.
            parts.append(text)
        else:
            # Columns of their own, computed once for both the packed records and the display text.
            parts += [text.alias(f"__action_text:{i}"), due_text.alias(f"__action_due:{i}")]
            text, due_text = pl.col(f"__action_text:{i}"), pl.col(f"__action_due:{i}")
        # Both are null where the action did not fire, as its text is.
        items.append(pl.concat_str([pl.lit(action.name + FIELD_SEP), text, pl.lit(FIELD_SEP), due_text.fill_null("")]))
        # As people read it: "text (due 2026-11-24)", or the text alone without a due date.
        displays.append(pl.concat_str([text, pl.concat_str([pl.lit(" (due "), due_text, pl.lit(")")]).fill_null("")]))
    if parts:
        compiler.steps.append(conditions + compiler.shown_columns())
        if not display_only:
            compiler.steps.append(parts)
    fired_any = pl.any_horizontal([pl.col(f"__action:{i}") for i in range(len(compiler.ruleset.actions))]) if parts else pl.lit(False)
    compiler.steps.append([packed(items).alias(ACTIONS), packed(displays, compiler.separator).alias(ACTIONS_TEXT), fired_any.alias(ACTIONS_FIRED)])
    return scope
