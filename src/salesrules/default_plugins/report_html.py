"""The built-in ``html`` report format: one self-contained page for a browser, a phone or paper.

The page carries its own style sheet (with a print style) and draws its charts as inline
SVG: expected value (won plus weighted) against quota per group, the funnel of the open
stages with the share of deals that moved on from each, and, where the report has them, the
Pareto curve of the accounts, the territories against the average and the cost to serve. It loads nothing and runs no script,
and every value is escaped, so a report made from anyone's CRM export is safe to open and to
pass around. Tables show the figures as every report format does (:func:`as_text`: money with
cents, shares as percentages, coverage as a multiple, none as an en dash); headlines and charts
round amounts (``471.2k``, ``1.15M``).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

import polars as pl

from salesrules.default_plugins.html_parts import (
    CHART_WIDTH,
    DASH,
    FUNNEL_WIDEST,
    STAGE_COLOUR,
    TRACK_COLOUR,
    _figure,
    _label,
    _label_text,
    _number,
    _rect,
    _rows,
    _section,
    _shorten,
    _svg,
    _table,
    _text,
    compact,
    esc,
)
from salesrules.default_plugins.report_html_accounts import account_sections
from salesrules.hookspecs import hookimpl
from salesrules.io.outputs import OutputContext

if TYPE_CHECKING:  # the reports are imported when a report is written, not when the plugin loads
    from salesrules.reports.model import Report

WON_COLOUR, WEIGHTED_COLOUR, QUOTA_COLOUR = "#1d4ed8", "#93c5fd", "#0f172a"
HEADINGS = {
    "Open": ("open_deals", "open_value", "weighted_value"), "Won": ("won_deals", "won_value"), "Lost": ("lost_deals",),
    "Quota": ("quota", "gap", "left_to_build"), "Outlook": ("expected", "attainment", "coverage"),
    "Forecast": ("forecast_commit", "forecast_best_case", "forecast_pipeline"),
}
HEADING_OF = {column: heading for heading, columns in HEADINGS.items() for column in columns}
COVERAGE_SOURCES = {"default": "default", "ruleset": "set by the ruleset", "win rate": "from the win rate"}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")

STYLE = """
:root{color-scheme:light;--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;--soft:#f8fafc}*{box-sizing:border-box}
body{margin:0;background:#f1f5f9;color:var(--ink);-webkit-text-size-adjust:100%;
 font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1280px;margin:0 auto;padding:36px 24px 40px}
h1{font-size:30px;line-height:1.2;margin:0;letter-spacing:-.015em}h2{font-size:18px;margin:0 0 12px}
section{margin-top:32px}figure{margin:0}
.eyebrow,dt,.kpi .label,thead th,.who{font-size:12px;font-weight:600;letter-spacing:.06em;
 text-transform:uppercase;color:var(--muted)}
.subtitle{margin:6px 0 0;color:#334155}.none{color:#94a3b8}
.card,.scroll{background:#fff;border:1px solid var(--line);border-radius:12px;box-shadow:0 1px 2px #0f172a0d}
.card{padding:18px 20px}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:16px;margin-top:24px}
.kpi .value{display:block;font-size:30px;font-weight:700;line-height:1.25;font-variant-numeric:tabular-nums}
.kpi .note,.muted,figcaption span,caption{color:var(--muted);font-size:13px}
dl{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:14px 24px;margin:0}
dd{margin:2px 0 0;font-weight:600;overflow-wrap:anywhere}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}caption{text-align:left;padding:12px 10px 4px}
table{border-collapse:separate;border-spacing:0;width:100%;font-size:13.5px;line-height:20px;
 font-variant-numeric:tabular-nums}
th,td{padding:9px 10px;text-align:right;vertical-align:middle;white-space:nowrap;border-bottom:1px solid var(--line)}
thead th{background:var(--soft);font-size:11px;white-space:normal;vertical-align:bottom}
thead th[scope=colgroup]{text-align:center;border-bottom:2px solid #cbd5e1}
th[scope=row],th.text,td.text{text-align:left}
tbody th[scope=row]{position:sticky;left:0;background:#fff;font-weight:600;max-width:16em;overflow:hidden;
 text-overflow:ellipsis}
tbody tr:last-child>*{border-bottom:0}
tbody tr.total>*{font-weight:700;background:var(--soft);border-top:2px solid var(--ink)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px}
.charts.one{grid-template-columns:minmax(0,640px);margin:16px 0}
figcaption strong{display:block;font-size:16px}.chart .grid{stroke:var(--line)}
svg.chart{display:block;width:100%;height:auto;margin-top:14px;font-family:inherit}
.chart text{fill:#475569}.chart .name{fill:var(--ink);font-weight:600}.chart .sub{font-size:.9em}
.advice{list-style:none;margin:0;padding:0;display:grid;gap:12px}.advice p{margin:4px 0 0}.because{color:#334155}
footer{margin-top:36px;color:var(--muted);font-size:12px;overflow-wrap:anywhere}
@media (max-width:640px){main{padding:22px 12px 28px}h1{font-size:23px}dl{grid-template-columns:1fr 1fr}
 .kpis{grid-template-columns:1fr 1fr;gap:10px}.card{padding:14px 12px}.kpi .value{font-size:22px}
 th,td{padding:8px}thead th{white-space:nowrap}.chart{font-size:15px}}
@media print{@page{size:landscape;margin:12mm}
 body{background:none;font-size:10pt}main{max-width:none;padding:0}
 .card,.scroll{border-color:#cbd5e1;box-shadow:none}.scroll{overflow:visible}
 table{font-size:7.5pt;line-height:1.4}th,td{padding:4px 6px}
 thead th,tbody th[scope=row],tbody tr.total>*{background:none;position:static}
 table,figure,.kpis,dl,.advice li{break-inside:avoid;page-break-inside:avoid}
 h2{break-after:avoid;page-break-after:avoid}.charts{grid-template-columns:1fr 1fr}}
"""


def write_html(report: Report, stream, context: OutputContext) -> None:
    """Write the report as one self-contained HTML page to a text stream."""
    stream.write(render_html(report, context))


def render_html(report: Report, context: OutputContext | None = None) -> str:
    """The report's HTML page: headline, settings, pipeline, charts, stages and advice."""
    facts = {**(context.provenance if context else {}), **report.provenance}
    groups, totals, stages = _rows(report.pipeline), _rows(report.total), _rows(report.stages)
    by = _label(report.settings.get("by") or "group")
    ruleset = " ".join(_text(facts.get(key)) for key in ("ruleset", "ruleset_version")).strip()
    title = f"Pipeline report {DASH} {ruleset}" if ruleset else "Pipeline report"
    charts = f"{_figure(*expected_chart(groups, by))}\n{_figure(*funnel_chart(stages))}"
    body = [
        _header(facts),
        _headline(*totals[0]) if totals else "",
        _section("Settings", f'<dl class="card">{_settings(report.settings)}</dl>'),
        _section("Pipeline", pipeline_table(report.pipeline, groups, totals, by)),
        f'<section class="charts">\n{charts}\n</section>',
        _section("Stages", stages_table(report.stages, stages)),
        *account_sections(report),
        _section("Next steps", recommendations_list(report.recommendations.to_dicts())),
        f"<footer>{_provenance(facts)}</footer>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        f'<meta name="generator" content="salesrules">\n<title>{esc(title)}</title>\n'
        f"<style>{STYLE}</style>\n</head>\n<body>\n<main>\n" + "\n".join(filter(None, body))
        + "\n</main>\n</body>\n</html>\n"
    )


# --- Text -------------------------------------------------------------------------------------


def _date(value: Any) -> str:
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(_text(value))
    except ValueError:
        return _text(value)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


# --- Page parts -------------------------------------------------------------------------------


def _header(facts: dict) -> str:
    as_of = facts.get("as_of")
    when = f'<time datetime="{esc(as_of)}">{esc(_date(as_of))}</time>' if as_of else DASH
    ruleset = f"Ruleset <strong>{esc(facts.get('ruleset') or DASH)}</strong>"
    if facts.get("ruleset_version") is not None:
        ruleset += f", version {esc(facts['ruleset_version'])}"
    return ('<header>\n<p class="eyebrow">salesrules</p>\n<h1>Pipeline report</h1>\n'
            f'<p class="subtitle">{ruleset} \u00b7 as of {when}</p>\n</header>')


def _headline(total: dict, text: dict) -> str:
    """Four cards with the totals a sales manager looks at first."""
    cards = [
        ("Won", compact(total.get("won_value")), f"{text.get('won_deals')} deals"),
        ("Open pipeline", compact(total.get("open_value")),
         f"{text.get('open_deals')} deals, {compact(total.get('weighted_value'))} weighted"),
        ("Expected", compact(total.get("expected")), "won + weighted open value"),
        ("Attainment", text.get("attainment", DASH), f"of {compact(total.get('quota'))} quota"),
    ]
    items = "".join(f'<div class="card kpi"><span class="label">{esc(label)}</span><span class="value">'
                    f'{esc(value)}</span><span class="note">{esc(note)}</span></div>' for label, value, note in cards)
    return f'<section class="kpis" aria-label="Headline figures">{items}</section>'


def _settings(settings: dict) -> str:
    period = settings.get("period")
    shown_period = f" {DASH} ".join(map(_text, period)) if period else "All dates"
    if period and settings.get("close_date"):
        shown_period += f" (by {settings['close_date']})"
    multiple, source = settings.get("coverage_multiple"), settings.get("coverage_source")
    coverage = DASH if multiple is None else f"{multiple:g}\u00d7"
    coverage += f" ({COVERAGE_SOURCES.get(source, source)})" if source else ""
    pairs = [
        ("Grouped by", settings.get("by")), ("Value field", settings.get("value")), ("Period", shown_period),
        ("Coverage multiple", coverage), ("Lost deals left out of conversion", settings.get("lost_left_out")),
    ]
    return "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(DASH if v is None else v)}</dd></div>" for k, v in pairs)


def _provenance(facts: dict) -> str:
    parts = [f"Ruleset {_text(facts.get('ruleset'))} {_text(facts.get('ruleset_version'))}".strip()]
    parts += [f"{name} {facts[key]}" for key, name in (("ruleset_hash", "hash"), ("as_of", "as of")) if facts.get(key)]
    return " \u00b7 ".join(map(esc, parts + ["made with salesrules"]))


def recommendations_list(recommendations: list[dict]) -> str:
    """The advice, each in bold with the figures behind it and whom it is for."""
    from salesrules.reports.model import TOTAL

    if not recommendations:
        return '<p class="card muted">Nothing stands out.</p>'
    items = []
    for item in recommendations:
        who = "Overall" if item.get("group") == TOTAL else item.get("group")
        because = f' <span class="because">{DASH} {esc(item["because"])}</span>' if item.get("because") else ""
        items.append(f'<li class="card"><span class="who">{esc(who)}</span>'
                     f'<p><strong>{esc(item.get("advice"))}</strong>{because}</p></li>')
    return '<ol class="advice">\n' + "\n".join(items) + "\n</ol>"


# --- Tables -----------------------------------------------------------------------------------


def pipeline_table(frame: pl.DataFrame, groups: list, totals: list, by: str) -> str:
    """The pipeline table: one row per group, then the total row."""
    rows = [(text, False) for _, text in groups] + [({**text, "group": "Total"}, True) for _, text in totals]
    return _table(frame, rows, by, f"Per {by.lower()}, then the total over every deal.", HEADING_OF)


def stages_table(frame: pl.DataFrame, stages: list) -> str:
    """The stages table: the open stages in order, then the closed ones."""
    caption = "Conversion: the share of the deals that reached a stage which went on to the next."
    return _table(frame, [(text, False) for _, text in stages], "Stage", caption, {})


# --- Charts -----------------------------------------------------------------------------------


def _ticks(top: float) -> tuple[float, list[float]]:
    """A round upper bound at or above ``top`` and the axis ticks up to it."""
    top = max(top, 1.0)
    magnitude = 10 ** math.floor(math.log10(top / 5))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= top / 5)
    count = math.ceil(top / step - 1e-9)
    return count * step, [i * step for i in range(count + 1)]


def _legend() -> list[str]:
    return [
        _rect("key-won", 8, 4, 12, 12, WON_COLOUR), _label_text(26, 15, "Won"),
        _rect("key-weighted", 76, 4, 12, 12, WEIGHTED_COLOUR), _label_text(94, 15, "Weighted open"),
        f'<line x1="214" y1="2" x2="214" y2="18" stroke="{QUOTA_COLOUR}" stroke-width="3"/>',
        _label_text(222, 15, "Quota"),
    ]


def _axis(ticks: list[float], scale: float, left: float, top: float, bottom: float) -> list[str]:
    parts = []
    for tick in ticks:
        x = left + tick * scale
        anchor = "start" if tick == 0 else "end" if tick == ticks[-1] else "middle"
        parts.append(f'<line class="grid" x1="{x:.2f}" y1="{top:g}" x2="{x:.2f}" y2="{bottom:g}"/>'
                     + _label_text(round(x, 2), bottom + 16, compact(tick), anchor=anchor))
    return parts


def _group_bars(group: dict, text: dict, y: float, left: float, right: float, scale: float) -> tuple[str, str]:
    """One group's row of chart 1, and its figures in words."""
    name, quota = _text(group.get("group")), _number(group.get("quota"))
    won, weighted = _number(group.get("won_value")) * scale, _number(group.get("weighted_value")) * scale
    detail = f"{name}: won {text.get('won_value')}, weighted {text.get('weighted_value')}, quota {text.get('quota')}"
    figure = f"{compact(group.get('expected'))} expected" + (f" of {compact(quota)}" if quota else "")
    parts = [f"<g><title>{esc(detail)}</title>", _label_text(left, y + 12, _shorten(name, 28), "name"),
             _label_text(right, y + 12, figure, anchor="end")]
    if quota:
        parts.append(_rect("track", left, y + 19, quota * scale, 20, TRACK_COLOUR))
    parts += [_rect("bar-won", left, y + 19, won, 20, WON_COLOUR),
              _rect("bar-weighted", left + won, y + 19, weighted, 20, WEIGHTED_COLOUR)]
    if quota:
        x = left + quota * scale
        parts.append(f'<line class="quota" x1="{x:.2f}" y1="{y + 15:g}" x2="{x:.2f}" y2="{y + 43:g}" '
                     f'stroke="{QUOTA_COLOUR}" stroke-width="3"/>')
    return "".join(parts) + "</g>", detail


def expected_chart(groups: list[tuple[dict, dict]], by: str) -> tuple[str, str, str]:
    """Chart 1 as (title, caption, SVG): won and weighted value stacked per group, quota marked."""
    title = "Expected against quota"
    caption = f"Won plus weighted open value per {by.lower()}; the dark mark is the quota."
    if not groups:
        return title, caption, '<p class="muted">No groups.</p>'
    left, right, top, pitch = 8, CHART_WIDTH - 8, 40, 52
    highest = max(max(_number(g.get("won_value")) + _number(g.get("weighted_value")), _number(g.get("quota")))
                  for g, _ in groups)
    domain, ticks = _ticks(highest)
    scale, bottom = (right - left) / domain, top + pitch * len(groups)
    rows = [_group_bars(group, text, top + i * pitch, left, right, scale) for i, (group, text) in enumerate(groups)]
    parts = _legend() + _axis(ticks, scale, left, top - 8, bottom) + [row for row, _ in rows]
    return title, caption, _svg(f"{title}, per {by.lower()}", bottom + 24, "; ".join(d for _, d in rows), parts)


def _stage_bar(stage: dict, text: dict, following: Any, y: float, scale: float) -> tuple[str, str]:
    """One open stage's row of the funnel, and its figures in words."""
    name, share, middle = _text(stage.get("stage")), text.get("conversion"), CHART_WIDTH / 2
    width = _number(stage.get("value")) * scale
    detail = f"{name}: {text.get('deals')} deals, {text.get('value')}"
    detail += "" if stage.get("conversion") is None else f", {share} reached {_text(following)}"
    parts = [f"<g><title>{esc(detail)}</title>",
             _rect("track", middle - FUNNEL_WIDEST / 2, y, FUNNEL_WIDEST, 30, TRACK_COLOUR),
             _rect("bar-stage", middle - width / 2, y, width, 30, STAGE_COLOUR),
             _label_text(8, y + 12, _shorten(name, 13), "name"),
             _label_text(8, y + 28, f"{text.get('deals')} deals", "sub"),
             _label_text(CHART_WIDTH - 8, y + 20, compact(stage.get("value")), "name", "end")]
    if stage.get("conversion") is not None:
        step = f"\u25bc {share} to {_shorten(_text(following), 24)}"
        parts.append(_label_text(middle, y + 48, step, "step", "middle"))
    return "".join(parts) + "</g>", detail


def funnel_chart(stages: list[tuple[dict, dict]]) -> tuple[str, str, str]:
    """Chart 2 as (title, caption, SVG): open value per open stage, conversion between stages."""
    title = "Stage funnel"
    caption = "Open value per stage; between the bars, the share of deals that moved on."
    open_stages = [(s, text) for s, text in stages if s.get("closed") is None]
    if not open_stages:
        return title, caption, '<p class="muted">No open stages.</p>'
    won = next((s.get("stage") for s, _ in stages if s.get("closed") == "won"), "won")
    scale = FUNNEL_WIDEST / max(max(_number(s.get("value")) for s, _ in open_stages), 1.0)
    following = [s.get("stage") for s, _ in open_stages[1:]] + [won]
    rows = [_stage_bar(s, text, after, 4 + i * 60, scale)
            for i, ((s, text), after) in enumerate(zip(open_stages, following))]
    svg = _svg("Stage funnel of open deals", 4 + 60 * len(rows), "; ".join(d for _, d in rows), [r for r, _ in rows])
    return title, caption, svg


@hookimpl
def register_report_formats(register):
    """Register ``html`` (``.html``): one self-contained page with tables and charts."""
    register("html", write_html, extension=".html", binary=False)
