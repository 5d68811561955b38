"""``salesrules init``: a starter ruleset whose fields are inferred from a prospect file."""

from __future__ import annotations

import json
import math
import re

import polars as pl

from ..io import coerce
from ..model.columns import RESERVED
from ..model.sections import FieldSpec

SAMPLE_ROWS = 10_000
MAX_ENUM_VALUES = 12
_STAGE_COLUMNS = {"stage", "deal_stage", "opportunity_stage", "dealstage", "status", "lead_status"}
_MONEY_WORDS = ("amount", "value", "revenue", "price", "deal_size", "arr", "mrr", "budget")


def snake(name: str) -> str:
    """A field name for a column header: lower case, words joined by _."""
    text = re.sub(r"[^0-9a-zA-Z]+", "_", name.strip()).strip("_").lower()
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    if not text or text[0].isdigit():
        text = f"f_{text}"
    return f"{text}_value" if text in RESERVED else text


def _converts(series: pl.Series, spec: FieldSpec) -> bool:
    values = series.drop_nulls()
    if values.dtype == pl.String:
        values = values.filter(values.str.strip_chars() != "")
    if values.len() == 0:
        return False
    converted = pl.DataFrame({"v": values}).select(coerce.coerce_expr(pl.col("v"), spec, values.dtype)).to_series()
    return converted.null_count() == 0


def infer_type(name: str, series: pl.Series) -> str:
    """The most specific field type every non-blank value of ``series`` converts to."""
    normal = snake(name)
    if series.dtype == pl.String and _codes(series):
        # Codes such as OPP-0001 are identifiers, however a money parser might read them.
        return "boolean" if _converts(series, FieldSpec(normal, "boolean")) else "string"
    for candidate in ("boolean", "integer", "date"):
        if _converts(series, FieldSpec(normal, candidate)):
            if candidate == "integer" and any(w in normal for w in _MONEY_WORDS):
                return "money"
            return candidate
    if _converts(series, FieldSpec(normal, "number")):
        text = series.drop_nulls().cast(pl.String)
        has_symbol = text.str.contains(r"\p{Sc}|[A-Z]{3}").any()
        return "money" if has_symbol or any(w in normal for w in _MONEY_WORDS) else "number"
    return "string"


def _codes(series: pl.Series) -> bool:
    """True when some value mixes letters with digits in a way no amount is written."""
    text = series.drop_nulls().str.strip_chars()
    return bool(text.str.contains(r"^[A-Za-z]{2,}[-_/#]?\d|\d[-_/#][A-Za-z]").any())


def _nice(value: float) -> int:
    """``value`` rounded down to two significant digits."""
    if value <= 0 or math.isnan(value):
        return 0
    digits = int(math.floor(math.log10(value))) - 1
    return int(math.floor(value / 10**digits) * 10**digits)


def money_tiers(fname: str, series: pl.Series, levels_only: bool = False) -> list[str]:
    """The ``tiers`` lines: thresholds from the 80th and 50th percentiles of ``series``.

    With ``levels_only`` the levels say what the standard ruleset's say (``low`` with a
    condition), so that they merge over it.
    """
    values = pl.DataFrame({"v": series}).select(
        coerce.coerce_expr(pl.col("v"), FieldSpec(fname, "money"), series.dtype)
    ).to_series().drop_nulls()
    high = _nice(values.quantile(0.8) or 0) if values.len() else 0
    medium = _nice(values.quantile(0.5) or 0) if values.len() else 0
    low = f'{{name: low, when: "{fname} < {medium}", points: 10}}' if levels_only else "{name: low, points: 10}"
    return [
        "# Value tiers: thresholds from this file's 80th and 50th percentiles.",
        "tiers:",
        f'  - {{name: high, when: "{fname} > {high}", points: 50}}',
        f'  - {{name: medium, when: "{fname} >= {medium}", points: 30}}',
        f"  - {low}",
    ]


def starter_ruleset(frame: pl.LazyFrame, name: str, source: str) -> str:
    """YAML text of a starter ruleset for the columns of ``frame``; for a recognised CRM export
    (Salesforce, HubSpot, Pipedrive) one that extends the CRM's preset."""
    from .crm import recognise, starter

    sample = frame.head(SAMPLE_ROWS).collect()
    crm = recognise(sample.columns)
    if crm is not None:
        return starter(crm, sample, name, source, infer_type, snake, money_tiers)
    fields, stage_values, money = [], None, None
    key = None
    for column in sample.columns:
        series = sample[column]
        fname = snake(column)
        ftype = infer_type(column, series)
        if fname in ("stage", *(_STAGE_COLUMNS)) and stage_values is None and ftype == "string":
            stage_values = [v for v in series.drop_nulls().unique(maintain_order=True).to_list() if str(v).strip()]
            fields.append(("stage", None, column))
            continue
        spec = {"type": ftype}
        if key is None and "id" in fname.split("_") and series.null_count() == 0 and series.n_unique() == series.len():
            spec["key"] = True
            key = fname
        if money is None and ftype == "money":
            money = (fname, series)
        fields.append((fname, spec, column))
    lines = [
        "# yaml-language-server: $schema=https://salesrules.dev/schema/ruleset-1.json",
        f"# A starter ruleset for {source}: field types were inferred from its data.",
        "# Adjust the tiers, stages, factors and bands to your methodology, then run",
        f"#   salesrules validate {name}.yaml",
        "salesrules: 1",
        f"name: {json.dumps(name)}",
        'version: "0.1"',
        "",
        "fields:",
    ]
    for fname, spec, column in fields:
        parts = [] if spec is None else [f"type: {spec['type']}"] + (["key: true"] if spec.get("key") else [])
        if column != fname:
            parts.append(f"aliases: [{json.dumps(column)}]")
        lines.append(f"  {fname}: {{{', '.join(parts)}}}")
    if money is not None:
        lines += [""] + money_tiers(*money)
    if stage_values:
        lines += ["", "# Stages in the order of the sales cycle: reorder them and set probabilities.", "stages:"]
        seen = set()
        for value in stage_values:
            sname = snake(str(value))
            if sname in seen:
                continue
            seen.add(sname)
            extra = ""
            low = sname.lower()
            if "won" in low.split("_"):
                extra = ", closed: won"
            elif "lost" in low.split("_"):
                extra = ", closed: lost"
            alias = f", aliases: [{json.dumps(str(value))}]" if str(value) != sname else ""
            lines.append(f"  - {{name: {sname}{alias}{extra}}}")
    lines += [
        "",
        "factors: []",
        "",
        "scores:",
        "  priority:",
        "    min: 0",
        "    bands:",
        "      - {name: A, min: 70}",
        "      - {name: B, min: 40}",
        "      - {name: C}",
        "",
    ]
    return "\n".join(lines)
