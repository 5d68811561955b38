"""The pieces of the ``html`` report's page: escaped text, rounded amounts, sections, tables
and the primitives of the inline SVG charts, shared by :mod:`.report_html` and
:mod:`.report_html_accounts`."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable
from typing import Any

import polars as pl


DASH = "\u2013"
STAGE_COLOUR, TRACK_COLOUR = "#0f766e", "#f1f5f9"
CHART_WIDTH, FUNNEL_WIDEST = 440, 200
LABELS = {
    "open_deals": "Deals", "open_value": "Value", "weighted_value": "Weighted", "won_deals": "Deals",
    "won_value": "Value", "lost_deals": "Deals", "forecast_commit": "Commit", "forecast_best_case": "Best case",
    "forecast_pipeline": "Pipeline", "avg_days_in_stage": "Avg. days in stage",
}

# Control characters (C0, C1) and bidirectional overrides, which could disguise a name.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _rows(frame: pl.DataFrame) -> list[tuple[dict, dict]]:
    """Each row of ``frame`` twice: its values (to draw) and its text (to show)."""
    from salesrules.reports.model import as_text

    return list(zip(frame.to_dicts(), as_text(frame).to_dicts()))


def esc(value: Any) -> str:
    """``value`` as text safe in HTML and SVG: escaped, quotes too, control characters dropped."""
    from html import escape  # imported when a page is written, not when the plugin loads

    return escape(_CONTROL.sub("", _text(value)), quote=True)


def compact(value: float | None) -> str:
    """A rounded amount for headlines and charts: ``471.2k``, ``1.15M``, ``950``."""
    if value is None or not math.isfinite(value):
        return DASH
    for unit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= unit:
            text = f"{value / unit:.{2 if abs(value) < 10 * unit else 1}f}"
            return text.rstrip("0").rstrip(".") + suffix
    return f"{value:,.0f}"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _label(name: str) -> str:
    return LABELS.get(name) or name.replace("_", " ").strip().capitalize()


def _number(value: Any) -> float:
    """A figure to draw: never negative, none as 0."""
    return max(float(value), 0.0) if isinstance(value, (int, float)) and math.isfinite(value) else 0.0


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _section(title: str, content: str) -> str:
    return f"<section>\n<h2>{esc(title)}</h2>\n{content}\n</section>"


def _table(frame: pl.DataFrame, rows: list[tuple[dict, bool]], first: str, caption: str, headings: dict) -> str:
    align = {name: "num" if dtype.is_numeric() else "text" for name, dtype in frame.schema.items()}
    body = "\n".join(_row(frame.columns, row, align, total) for row, total in rows)
    return (f'<div class="scroll" role="region" aria-label="{esc(first)} table" tabindex="0">\n<table>\n'
            f"<caption>{esc(caption)}</caption>\n{_head(frame.columns, first, headings, align)}\n"
            f"<tbody>\n{body}\n</tbody>\n</table>\n</div>")


def _head(columns: list[str], first: str, headings: dict[str, str], align: dict[str, str]) -> str:
    """Column headers; columns under a shared heading get a second row."""
    names = [first] + [_label(c) for c in columns[1:]]
    runs = [(h, list(run)) for h, run in itertools.groupby(range(len(columns)), lambda i: headings.get(columns[i]))]
    cols = "".join(f'<colgroup span="{len(run)}"></colgroup>' for _, run in runs)
    top, bottom = [], []
    for heading, run in runs:
        if heading is None:
            span = ' rowspan="2"' if headings else ""
            top += [f'<th scope="col"{span} class="{align[columns[i]]}">{esc(names[i])}</th>' for i in run]
        else:
            top.append(f'<th scope="colgroup" colspan="{len(run)}">{esc(heading)}</th>')
            bottom += [f'<th scope="col" class="{align[columns[i]]}">{esc(names[i])}</th>' for i in run]
    rows = "".join(f"<tr>{''.join(cells)}</tr>" for cells in (top, bottom) if cells)
    return f"{cols}\n<thead>{rows}</thead>"


def _row(columns: list[str], row: dict, align: dict[str, str], total: bool) -> str:
    cells = [f'<th scope="row">{esc(row.get(columns[0]))}</th>']
    for column in columns[1:]:
        none = " none" if row.get(column) == DASH else ""
        cells.append(f'<td class="{align[column]}{none}">{esc(row.get(column))}</td>')
    css = ' class="total"' if total else ""
    return f"<tr{css}>{''.join(cells)}</tr>"


def _figure(title: str, caption: str, svg: str) -> str:
    return (f'<figure class="card">\n<figcaption><strong>{esc(title)}</strong>'
            f"<span>{esc(caption)}</span></figcaption>\n{svg}\n</figure>")


def _svg(label: str, height: float, description: str, parts: Iterable[str]) -> str:
    return (f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {height:g}" width="100%" role="img" '
            f'aria-label="{esc(label)}" font-size="12">\n<title>{esc(label)}</title>\n'
            f"<desc>{esc(description)}</desc>\n" + "\n".join(parts) + "\n</svg>")


def _rect(css: str, x: float, y: float, width: float, height: float, fill: str) -> str:
    return f'<rect class="{css}" x="{x:.2f}" y="{y:.2f}" width="{width:.2f}" height="{height:.2f}" fill="{fill}"/>'


def _label_text(x: float, y: float, text: str, css: str = "", anchor: str = "start") -> str:
    attributes = f' class="{css}"' if css else ""
    return f'<text{attributes} x="{x:g}" y="{y:g}" text-anchor="{anchor}">{esc(text)}</text>'

