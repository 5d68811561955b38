"""The words of CRM exports that ``init`` recognises: the stages of a sales cycle in their
order, and the columns that record an outcome (filled only once a deal is won or lost)."""

from __future__ import annotations

import re

# The stages of the common CRMs and methodologies, in the order of the sales cycle. Each entry
# is a set of names (as snake_case words) that mean the same step; a stage whose name is, or
# starts or ends with, one of them takes that place.
STAGE_ORDER: tuple[tuple[str, ...], ...] = (
    ("suspect", "new", "lead_in", "open", "unqualified"),
    ("lead", "mql", "marketing_qualified", "marketing_qualified_lead", "inquiry"),
    ("attempting", "attempted", "attempting_contact", "contacted", "contact_made", "working", "in_progress"),
    ("prospecting", "prospect", "sql", "sales_qualified", "sales_qualified_lead"),
    ("engaging", "engaged", "appointment_scheduled", "appointmentscheduled", "meeting", "meeting_scheduled"),
    ("qualification", "qualify", "qualified", "qualifiedtobuy", "qualified_to_buy"),
    ("discovery", "needs_analysis", "needs_assessment", "analysis"),
    ("demo", "demo_scheduled", "presentation", "presentationscheduled", "presentation_scheduled",
     "value_proposition"),
    ("evaluation", "trial", "pilot", "poc", "proof_of_concept", "technical_validation"),
    ("id_decision_makers", "decision_makers", "decisionmakerboughtin", "decision_maker_bought_in",
     "perception_analysis", "business_case"),
    ("proposal", "proposal_made", "proposal_price_quote", "quote", "quoted", "price_quote", "proposal_sent"),
    ("negotiation", "negotiations_started", "negotiation_review", "negotiating", "contractsent",
     "contract_sent", "commit", "verbal", "verbal_commit", "contract"),
)
WON_STAGES = ("won", "closed_won", "closedwon", "win", "converted", "closed_converted", "customer", "deal_won")
LOST_STAGES = ("lost", "closed_lost", "closedlost", "loss", "closed_not_converted", "disqualified",
               "dead", "deal_lost", "unqualified_closed")

# Columns whose values are known only once a deal has closed: a rule that reads one scores the
# past, not the prospect (see docs/backtest.md).
OUTCOME_EXACT = {
    "won", "lost", "is_won", "is_lost", "is_closed", "closed", "converted", "is_converted", "conversion",
    "outcome", "result", "win", "closed_won", "won_lost", "win_loss",
    "close_value", "closed_value", "won_value", "won_amount", "closed_amount", "revenue_won", "final_value",
    "closed_date", "closed_at", "closed_on", "date_closed", "won_date", "won_at", "lost_date", "lost_at",
    "lost_reason", "loss_reason", "close_reason", "closed_reason", "reason_lost", "won_reason",
}
# A close date is an expected date in some CRMs (Salesforce's CloseDate) and the day a deal
# closed in others: it is an outcome when only closed deals have one.
MAYBE_OUTCOME = {"close_date", "date_of_close", "closing_date"}
_TRUE_WORDS = {"1", "true", "yes", "y", "won", "converted", "t"}


def words(name: str) -> str:
    """``name`` as lower-case words joined by ``_`` (``Closed Won`` gives ``closed_won``)."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name).strip())
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()


def stage_place(name: str) -> int | None:
    """The place of a stage name in :data:`STAGE_ORDER`, or None when it is not recognised.

    Closed stages are not placed here (see :func:`closed_kind`).
    """
    text = words(name)
    text = re.sub(r"^\d+_", "", text)  # "1. Prospecting"
    for place, names in enumerate(STAGE_ORDER):
        if text in names:
            return place
    for place, names in enumerate(STAGE_ORDER):
        if any(text.startswith(n + "_") or text.endswith("_" + n) for n in names):
            return place
    return None


def closed_kind(name: str) -> str | None:
    """``won`` or ``lost`` for the name of a closed stage, else None."""
    text = re.sub(r"^\d+_", "", words(name))
    parts = text.split("_")
    if text in LOST_STAGES or "lost" in parts or "loss" in parts:
        return "lost"
    if text in WON_STAGES or "won" in parts:
        return "won"
    return None


def is_outcome_name(name: str) -> bool:
    """Whether a column of this name records an outcome whatever its values."""
    return words(name) in OUTCOME_EXACT


def truthy(value) -> bool:
    """Whether a value of a yes/no outcome column means won (1, true, yes, won...)."""
    return str(value).strip().lower() in _TRUE_WORDS
