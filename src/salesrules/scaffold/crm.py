"""CRM exports recognised by their headers, and the starter ruleset ``init`` writes for one:
it extends the CRM's preset (``builtin:salesforce``, ``builtin:hubspot``, ``builtin:pipedrive``),
which maps the export's standard columns and stages, and declares only the columns it does not."""

from __future__ import annotations

import json

import polars as pl

from ..model.columns import normal_name

# Headers that only one CRM's export writes; three of them recognise the export.
SIGNATURES = {
    "salesforce": ("Opportunity Name", "Opportunity Owner", "Opportunity ID", "Probability (%)", "Fiscal Period",
                   "Next Step", "Last Activity"),
    "hubspot": ("Record ID", "Deal Name", "Deal Stage", "Deal owner", "Pipeline", "Create Date",
                "Associated Company"),
    "pipedrive": ("Deal - ID", "Deal - Title", "Deal - Value", "Deal - Stage", "Deal - Owner", "Deal - Status",
                  "Deal - Organization"),
}
LABELS = {"salesforce": "a Salesforce opportunity export", "hubspot": "a HubSpot deals export",
          "pipedrive": "a Pipedrive deals export"}
MINIMUM = 3


def recognise(columns: list[str]) -> str | None:
    """The CRM whose export has these headers (``salesforce``, ``hubspot``, ``pipedrive``), or None."""
    have = {normal_name(c) for c in columns}
    scores = {crm: sum(normal_name(h) in have for h in headers) for crm, headers in SIGNATURES.items()}
    best = max(scores, key=scores.get)
    if scores[best] < MINIMUM or list(scores.values()).count(scores[best]) > 1:
        return None
    return best


def known_columns(crm: str) -> set[str]:
    """The normalised column names the CRM's preset (with the standard fields) reads."""
    from ..loader.load import load

    ruleset = load(f"builtin:{crm}")
    names = set()
    for name, spec in ruleset.fields.items():
        names |= {normal_name(name), *(normal_name(a) for a in spec.aliases)}
    return names | {"stage"}


def starter(crm: str, frame: pl.DataFrame, name: str, source: str, infer_type, snake, money_tiers) -> str:
    """YAML text of a starter ruleset for an export of ``crm``: the preset and the other columns."""
    known = known_columns(crm)
    extra = [c for c in frame.columns if normal_name(c) not in known]
    lines = [
        "# yaml-language-server: $schema=https://salesrules.dev/schema/ruleset-1.json",
        f"# A starter ruleset for {source}, {LABELS[crm]}: builtin:{crm} maps its standard",
        "# columns, its default stages and their probabilities; the methodology is builtin:standard.",
        f"# Adjust the tiers, factors and bands, then run  salesrules validate {name}.yaml",
        "salesrules: 1",
        f"name: {json.dumps(name)}",
        'version: "0.1"',
        f"extends: [builtin:standard, builtin:{crm}]",
    ]
    if extra:
        lines += ["", "# The columns the preset does not know, with types inferred from the data.", "fields:"]
        for column in extra:
            fname = snake(column)
            alias = f", aliases: [{json.dumps(column)}]" if column != fname else ""
            lines.append(f"  {fname}: {{type: {infer_type(column, frame[column])}{alias}}}")
    from ..loader.load import load

    value = load(f"builtin:{crm}").fields["deal_value"]
    column = next((c for c in frame.columns if normal_name(c) in {normal_name(a) for a in value.aliases}), None)
    if column is not None:
        lines += [""] + money_tiers("deal_value", frame[column], levels_only=True)
    return "\n".join(lines) + "\n"
