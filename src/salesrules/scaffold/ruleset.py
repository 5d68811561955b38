"""``salesrules init``: a starter ruleset whose fields are inferred from a prospect file.

The starter always validates. Its fields take their types from the data; columns that record
an outcome (a close value, won/lost, converted, the date a deal closed) are kept out of the
tiers and suggested as the backtest's outcome; stages follow the order of the common sales
vocabularies, the unknown ones listed for the user to place; tiers come from the quantiles of
a value column; the bands are scaled to the points the ruleset can reach.
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass

import polars as pl

from ..io import coerce
from ..model.columns import RESERVED
from ..model.sections import FieldSpec
from .vocabulary import MAYBE_OUTCOME, closed_kind, is_outcome_name, stage_place, truthy, words

SAMPLE_ROWS = 10_000
_STAGE_COLUMNS = {"stage", "deal_stage", "opportunity_stage", "dealstage", "status", "lead_status", "lead_stage",
                  "pipeline_stage", "sales_stage"}
_MONEY_WORDS = ("amount", "value", "revenue", "price", "deal_size", "arr", "mrr", "budget")
# Numeric columns that identify or code rather than measure.
_NOT_A_MEASURE = ("id", "number", "no", "code", "zip", "postcode", "phone", "year", "index", "score")
TIER_POINTS = (30, 20, 10)
# Placeholders CRM forms write for "no answer"; the starter declares those its file holds.
PLACEHOLDERS = ("Select", "N/A", "NA", "-", "--", "(none)", "null", "n.a.", "?", "#N/A", "not provided")
STAGE_STEP = 5


def snake(name: str) -> str:
    """A field name for a column header: lower case, words joined by _."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    text = re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()
    if not text or text[0].isdigit():
        text = f"f_{text}"
    # Reserved result names, and words YAML reads as a boolean or null rather than a name.
    return f"{text}_value" if text in RESERVED or text in ("true", "false", "null") else text


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
    text = series.drop_nulls().cast(pl.String).str.strip_chars()
    return bool(text.str.contains(r"^[A-Za-z]{2,}[-_/#]?\d|\d[-_/#][A-Za-z]").any())


def _nice(value: float) -> int:
    """``value`` rounded down to two significant digits."""
    if value is None or math.isnan(value) or value <= 0:
        return 0
    digits = int(math.floor(math.log10(value))) - 1
    return int(math.floor(value / 10**digits) * 10**digits) if digits > 0 else int(value)


def quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (every character YAML cannot hold escaped)."""
    out = []
    for char in str(text):
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF or code in _ESCAPED:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else char)
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


_ESCAPED = (0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF)


def comment(text: str) -> str:
    """``text`` safe on one comment line: what YAML cannot hold, or would break the line, escaped."""
    return quoted(text)[1:-1]


@dataclass
class Column:
    """One column of the file as the starter declares it."""

    header: str
    name: str
    type: str | None  # None for the stage column
    key: bool = False
    outcome: bool = False


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _columns(sample: pl.DataFrame) -> tuple[list[Column], list[str], str | None]:
    """The columns to declare, the headers left out (blank ones), and the stage column's header."""
    columns, skipped, stage_header = [], [], None
    taken = {"stage"}
    for header in sample.columns:
        if not header.strip():
            skipped.append(header)
            continue
        series = sample[header]
        ftype = infer_type(header, series)
        if stage_header is None and words(header) in _STAGE_COLUMNS and ftype == "string":
            stage_header = header
            columns.append(Column(header, "stage", None))
            continue
        column = Column(header, _unique(snake(header), taken), ftype)
        column.outcome = is_outcome_name(header)
        columns.append(column)
    for column in columns:
        if column.type is not None and "id" in column.name.split("_"):
            series = sample[column.header]
            if series.null_count() == 0 and series.n_unique() == series.len():
                column.key = True
                break
    if stage_header is not None:  # a close date only closed deals have is an outcome
        closed = sample[stage_header].map_elements(lambda v: closed_kind(v) is not None, return_dtype=pl.Boolean)
        for column in columns:
            if column.type == "date" and words(column.header) in MAYBE_OUTCOME:
                dated = sample[column.header].is_not_null()
                if dated.any() and not (dated & ~closed.fill_null(False)).any():
                    column.outcome = True
    return columns, skipped, stage_header


def _value_column(sample: pl.DataFrame, columns: list[Column]) -> tuple[Column, pl.Series] | None:
    """The column tiers are drawn from: the first money column that is no outcome, else the
    first numeric column that measures something (not a key, code or number)."""
    def values(column: Column) -> pl.Series:
        series = sample[column.header]
        spec = FieldSpec(column.name, column.type)
        return pl.DataFrame({"v": series}).select(
            coerce.coerce_expr(pl.col("v"), spec, series.dtype).cast(pl.Float64)
        ).to_series().drop_nulls()

    candidates = [c for c in columns if c.type == "money" and not c.outcome and not c.key]
    candidates += [
        c for c in columns
        if c.type in ("number", "integer") and not c.outcome and not c.key
        and not set(c.name.split("_")) & set(_NOT_A_MEASURE)
    ]
    for column in candidates:
        series = values(column)
        if series.n_unique() >= 5:
            return column, series
    return None


def _tiers(value: tuple[Column, pl.Series] | None) -> tuple[list[str], int]:
    """The tiers section's lines and the most points a tier gives."""
    if value is None:
        return ["", "# No value column to draw tiers from: add tiers by deal size (docs/ruleset-format.md)."], 0
    column, series = value
    high, medium = _nice(series.quantile(0.8)), _nice(series.quantile(0.5))
    thresholds = [t for t in (high, medium) if t > 0]
    thresholds = sorted(set(thresholds), reverse=True)
    if not thresholds:
        return ["", f"# {column.name} is 0 or less in most records: no tiers drawn from it."], 0
    names = ("high", "medium") if len(thresholds) == 2 else ("high",)
    lines = ["", f"# Value tiers from {column.name}: at least its 80th and 50th percentiles in this file."
             " Set them for your market.", "tiers:"]
    for tier, threshold, points in zip(names, thresholds, TIER_POINTS):
        lines.append(f'  - {{name: {tier}, when: "{column.name} >= {threshold}", points: {points}}}')
    lines.append(f"  - {{name: low, points: {TIER_POINTS[-1] if len(names) == 2 else TIER_POINTS[1]}}}")
    return lines, TIER_POINTS[0]


def money_tiers(fname: str, series: pl.Series, levels_only: bool = False) -> list[str]:
    """The ``tiers`` lines over the money field ``fname`` from ``series`` (as the file writes it):
    thresholds at its 80th and 50th percentiles, as ``>=`` conditions that fall strictly. With
    ``levels_only`` the levels are those of the standard ruleset (``low`` with a condition), so
    that they merge over it, as a CRM preset's starter does."""
    values = pl.DataFrame({"v": series}).select(
        coerce.coerce_expr(pl.col("v"), FieldSpec(fname, "money"), series.dtype)
    ).to_series().drop_nulls()
    quantiles = [values.quantile(q) for q in (0.8, 0.5)] if values.len() else []
    thresholds = sorted({_nice(q) for q in quantiles if q is not None} - {0}, reverse=True)
    if not thresholds:
        return [f"# {fname} is 0 or less in most records: no tiers drawn from it."]
    lines = [f"# Value tiers from {fname}: at least its 80th and 50th percentiles in this file.", "tiers:"]
    for tier, threshold, points in zip(("high", "medium"), thresholds, (50, 30)):
        lines.append(f'  - {{name: {tier}, when: "{fname} >= {threshold}", points: {points}}}')
    lines.append(f'  - {{name: low, when: "{fname} < {thresholds[-1]}", points: 10}}' if levels_only
                 else "  - {name: low, points: 10}")
    return lines


def _stages(sample: pl.DataFrame, header: str | None) -> tuple[list[str], int, dict[str, str]]:
    """The stages section's lines, the most points a stage gives, and the closed stages' values
    (``won``/``lost`` to the value in the file)."""
    if header is None:
        return [], 0, {}
    counts = sample[header].drop_nulls().cast(pl.String).str.strip_chars()
    counts = counts.filter((counts != "") & ~counts.str.to_lowercase().is_in([p.lower() for p in PLACEHOLDERS]))
    counts = counts.value_counts(sort=True)
    values = counts.get_column(counts.columns[0]).to_list()
    known, unknown, closed, outcome = [], [], [], {}
    for value in values:
        kind = closed_kind(value)
        if kind is not None:
            closed.append((kind, value))
            outcome.setdefault(kind, value)
        elif (place := stage_place(value)) is not None:
            known.append((place, value))
        else:
            unknown.append(value)
    ordered = [v for _, v in sorted(known, key=lambda pair: pair[0])] + unknown
    closed.sort(key=lambda pair: pair[0] == "lost")
    lines = ["", "# Stages in the order of the sales cycle, from the common CRM vocabularies."]
    if unknown:
        listed = ", ".join(comment(str(value)) for value in unknown)
        lines.append(f"# Not recognised, placed after the known ones: {listed}. Move them where they belong.")
    lines.append("# Set each stage's probability of closing, and the evidence it needs (entry:).")
    lines.append("stages:")
    taken: set[str] = set()
    for i, value in enumerate(ordered):
        lines.append(_stage_line(value, taken, f", points: {STAGE_STEP * i}"))
    for kind, value in closed:
        lines.append(_stage_line(value, taken, f", closed: {kind}"))
    return lines, STAGE_STEP * max(0, len(ordered) - 1), outcome


def _stage_line(value: str, taken: set[str], extra: str) -> str:
    name = _unique(snake(str(value)), taken)
    alias = f", aliases: [{quoted(value)}]" if str(value) != name else ""
    return f"  - {{name: {name}{alias}{extra}}}"


def _bands(top: int) -> list[str]:
    """Bands scaled to the most points a record can score: A from 70% of it, B from 40%."""
    lines = ["", "scores:", "  priority:", "    min: 0"]
    if top <= 0:
        return lines + ["    bands:", "      - {name: C}"]
    a, b = math.ceil(top * 0.7), math.ceil(top * 0.4)
    bands = ["    bands:", f"      - {{name: A, min: {a}}}"]
    if 0 < b < a:
        bands.append(f"      - {{name: B, min: {b}}}")
    return lines + [f"    # The most a record can score here is {top}; the bands are set from it.", *bands,
                    "      - {name: C}"]


def _backtest_hint(columns: list[Column], stage_header: str | None, closed: dict[str, str],
                   sample: pl.DataFrame) -> str | None:
    """The options of a backtest of this file, from its outcome columns, or None."""
    for column in columns:
        if column.outcome and column.type == "boolean" or words(column.header) in ("converted", "won", "is_won"):
            values = [v for v in sample[column.header].drop_nulls().cast(pl.String).unique().sort().to_list()]
            won = [v for v in values if truthy(v)]
            lost = [v for v in values if not truthy(v)]
            if len(won) == 1 and len(lost) == 1:
                return f"--outcome {shlex.quote(column.header)} --won {shlex.quote(won[0])} --lost {shlex.quote(lost[0])}"
    if stage_header is not None and "won" in closed and "lost" in closed:
        return (f"--outcome {shlex.quote(stage_header)} --won {shlex.quote(closed['won'])} "
                f"--lost {shlex.quote(closed['lost'])}")
    return None


def _placeholders(sample: pl.DataFrame, columns: list[Column]) -> list[str]:
    """The placeholders of :data:`PLACEHOLDERS` that text columns of the sample hold."""
    wanted = {p.lower(): p for p in PLACEHOLDERS}
    found = set()
    for column in columns:
        series = sample[column.header]
        if series.dtype != pl.String:
            continue
        values = series.drop_nulls().str.strip_chars().str.to_lowercase().unique()
        found |= set(values.filter(values.is_in(list(wanted))).to_list())
    return [wanted[p.lower()] for p in PLACEHOLDERS if p.lower() in found]


def starter_ruleset(frame: pl.LazyFrame, name: str, source: str, output: str | None = None) -> str:
    """YAML text of a starter ruleset for the columns of ``frame`` (read from ``source``),
    to be written to ``output`` (None: standard output, to be saved as ``NAME.yaml``)."""
    from .crm import recognise, starter

    sample = frame.head(SAMPLE_ROWS).collect()
    crm = recognise(sample.columns)
    if crm is not None:  # a Salesforce, HubSpot or Pipedrive export: start from its preset
        return starter(crm, sample, name, source, infer_type, snake, money_tiers)
    columns, skipped, stage_header = _columns(sample)
    value = _value_column(sample, columns)
    tier_lines, tier_top = _tiers(value)
    stage_lines, stage_top, closed = _stages(sample, stage_header)
    target = output or f"{name}.yaml"
    src, dst = comment(shlex.quote(source)), comment(shlex.quote(target))
    hint = _backtest_hint(columns, stage_header, closed, sample)
    lines = [
        f"# A starter ruleset for {comment(source)}, written to {comment(target)}"
        + (" (save it there)" if output is None else "") + ".",
        "# Field types were inferred from the data. Adjust the tiers, stages, factors and bands to",
        "# your methodology (docs/ruleset-format.md), then:",
        f"#   salesrules validate {dst}",
        f"#   salesrules evaluate {src} -r {dst}",
        f"#   salesrules report {src} -r {dst}",
    ]
    if hint:
        lines.append(f"#   salesrules backtest {src} -r {dst} {comment(hint)}")
    lines += ["salesrules: 1", f"name: {quoted(name)}", 'version: "0.1"']
    placeholders = _placeholders(sample, columns)
    if placeholders:
        lines += ["", "# Texts this file uses for no value: they read as empty.",
                  f"null_values: [{', '.join(quoted(p) for p in placeholders)}]"]
    lines += ["", "fields:" if columns else "fields: {}"]
    for column in columns:
        parts = [] if column.type is None else [f"type: {column.type}"] + (["key: true"] if column.key else [])
        if column.header != column.name:
            parts.append(f"aliases: [{quoted(column.header)}]")
        note = "  # an outcome, known once a deal closes: kept out of the rules" if column.outcome else ""
        lines.append(f"  {column.name}: {{{', '.join(parts)}}}{note}")
    if skipped:
        lines.append(f"  # {len(skipped)} column(s) without a header left out")
    lines += tier_lines + stage_lines
    lines += ["", "# Factors add points for what speeds a deal up or slows it down (docs/ruleset-format.md).",
              "factors: []"]
    lines += _bands(tier_top + stage_top)
    lines.append("")
    return "\n".join(lines)
