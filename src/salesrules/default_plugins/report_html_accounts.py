"""The accounts, territories and segments of the ``html`` report: tables and three inline SVG
charts (the Pareto curve of the accounts, the territories against the average, the cost to
serve each segment), in the page's style and with every value escaped."""

from __future__ import annotations

import polars as pl

from salesrules.default_plugins.html_parts import (
    CHART_WIDTH,
    DASH,
    TRACK_COLOUR,
    _figure,
    _label_text,
    _number,
    _rect,
    _rows,
    _section,
    _shorten,
    _svg,
    _table,
    compact,
    esc,
)

TOP_ACCOUNTS = 25
# Colours of their own, apart from the pipeline charts': A, B and C accounts; potential and
# workload; cost; the average and the 80% line.
CLASS_COLOURS = {"A": "#6d28d9", "B": "#a78bfa", "C": "#ddd6fe"}
POTENTIAL_COLOUR, WORKLOAD_COLOUR, COST_COLOUR = "#b45309", "#be185d", "#15803d"
AVERAGE_COLOUR = "#0f172a"
# Column groups of the tables: the shared heading above "Deals" and "Value".
HEADINGS = {"open_deals": "Open", "open_value": "Open", "won_deals": "Won", "won_value": "Won", "lost_deals": "Lost"}


def account_sections(report) -> list[str]:
    """The accounts, territories and segments sections, where the report has them."""
    parts = []
    if report.accounts is not None and report.accounts.height:
        parts.append(_accounts(report))
    if report.territories is not None and report.territories.height:
        parts.append(_territories(report))
    if report.segments is not None and report.segments.height:
        parts.append(_segments(report))
    return parts


def _accounts(report) -> str:
    frame = report.accounts
    summary = report.account_summary or {}
    shown = frame.head(TOP_ACCOUNTS)
    caption = f"By {summary.get('ranked_by', 'value')}, highest first" + (
        f"; the top {shown.height} of {frame.height}." if shown.height < frame.height else ".")
    text = (f"{summary.get('text', '')}; {summary.get('customers', 0)} existing customers, "
            f"{summary.get('new_accounts', 0)} new accounts.")
    table = _table(shown, [(t, False) for _, t in _rows(shown)], "Account", caption, HEADINGS)
    chart = _figure(*pareto_chart(frame))
    return _section("Accounts", f'<p class="card">{esc(text)}</p>\n<div class="charts one">\n{chart}\n</div>\n{table}')


def pareto_chart(frame: pl.DataFrame) -> tuple[str, str, str]:
    """The Pareto curve as (title, caption, SVG): the cumulative share of value against the share
    of accounts, with the accounts coloured by class and the 80% line."""
    title = "Accounts: the few that bring most"
    caption = "Cumulative share of value, accounts ranked by value: A dark, B light, C palest; the dashes mark 80%."
    left, right, top, bottom = 36, CHART_WIDTH - 8, 12, 212
    width, height = right - left, bottom - top
    count = frame.height
    shares = [_number(s) for s in frame["cumulative_share"].to_list()]
    classes = frame["abc"].to_list()
    parts = []
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = bottom - tick * height
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.2f}" x2="{right}" y2="{y:.2f}"/>'
                     + _label_text(left - 4, round(y + 4, 2), f"{tick:.0%}", anchor="end"))
    step = width / max(count, 1)
    for i, (share, abc) in enumerate(zip(shares, classes)):
        parts.append(_rect(f"bar-{abc}", left + i * step, bottom - share * height, step, share * height,
                           CLASS_COLOURS.get(abc, TRACK_COLOUR)))
    points = " ".join(f"{left + (i + 1) * step:.2f},{bottom - s * height:.2f}" for i, s in enumerate(shares))
    parts.append(f'<polyline class="pareto" points="{left},{bottom} {points}" fill="none" stroke="{AVERAGE_COLOUR}" stroke-width="1.5"/>')
    y80 = bottom - 0.8 * height
    parts.append(f'<line class="cutoff" x1="{left}" y1="{y80:.2f}" x2="{right}" y2="{y80:.2f}" stroke="{AVERAGE_COLOUR}" '
                 'stroke-dasharray="4 3"/>')
    a_count = classes.count("A")
    parts.append(_label_text(right, bottom + 18, f"{count} accounts; {a_count} in A", anchor="end"))
    description = "; ".join(f"{name}: {share:.1%} cumulative, class {abc}" for name, share, abc in
                            zip(frame["group"].head(10).to_list(), shares[:10], classes[:10]))
    return title, caption, _svg("Pareto curve of the accounts", bottom + 26, description, parts)


def _territories(report) -> str:
    frame = report.territories
    settings = report.territory_settings or {}
    tolerance = settings.get("tolerance", 0.15)
    caption = (f"Indexes: 100 is the average territory; balanced within {tolerance:.0%} of it. "
               f"Performance by {str(settings.get('performance_by', 'win_rate')).replace('_', ' ')} against the mean.")
    table = _table(frame, [(t, False) for _, t in _rows(frame)], "Territory", caption, HEADINGS)
    chart = _figure(*territory_chart(frame, tolerance))
    return _section("Territories", f'<div class="charts one">\n{chart}\n</div>\n{table}')


def territory_chart(frame: pl.DataFrame, tolerance: float) -> tuple[str, str, str]:
    """Territories against the average as (title, caption, SVG): the potential and workload
    indexes per territory as bars, the average (100) and the tolerance band marked."""
    title = "Territories against the average"
    caption = "Potential (open value) and workload per territory; 100 is the average territory."
    left, right, top, pitch = 8, CHART_WIDTH - 8, 28, 56
    rows = frame.to_dicts()
    highest = max([_number(r.get("potential_index")) for r in rows] + [_number(r.get("workload_index")) for r in rows] + [100 * (1 + tolerance)])
    scale = (right - left) / (highest * 1.05)
    bottom = top + pitch * len(rows)
    x100 = left + 100 * scale
    band = _rect("band", left + 100 * (1 - tolerance) * scale, top - 6, 200 * tolerance * scale, bottom - top + 6, TRACK_COLOUR)
    parts = [
        _rect("key-potential", 8, 4, 12, 12, POTENTIAL_COLOUR), _label_text(26, 15, "Potential"),
        _rect("key-workload", 100, 4, 12, 12, WORKLOAD_COLOUR), _label_text(118, 15, "Workload"),
        band,
        f'<line class="average" x1="{x100:.2f}" y1="{top - 6}" x2="{x100:.2f}" y2="{bottom:g}" stroke="{AVERAGE_COLOUR}" stroke-width="2"/>',
        _label_text(round(x100, 2), bottom + 16, "100 = average", anchor="middle"),
    ]
    details = []
    for i, row in enumerate(rows):
        y = top + i * pitch
        potential, workload = _number(row.get("potential_index")), _number(row.get("workload_index"))
        name = str(row.get("group"))
        balanced = {True: "balanced", False: "not balanced"}.get(row.get("balanced"), DASH)
        detail = f"{name}: potential {potential:.0f}, workload {workload:.0f}, {balanced}"
        details.append(detail)
        parts.append(f"<g><title>{esc(detail)}</title>" + _label_text(left, y + 10, _shorten(name, 28), "name")
                     + _label_text(right, y + 10, f"{potential:.0f} / {workload:.0f}", anchor="end")
                     + _rect("bar-potential", left, y + 15, potential * scale, 14, POTENTIAL_COLOUR)
                     + _rect("bar-workload", left, y + 31, workload * scale, 14, WORKLOAD_COLOUR) + "</g>")
    return title, caption, _svg(title, bottom + 24, "; ".join(details), parts)


def _segments(report) -> str:
    frame = report.segments
    totals = [t for t in (report.segment_totals or []) if t.get("cost") is not None]
    lines = "".join(f"<li>Cost to serve by {esc(t['classification'])}: <strong>{esc(compact(t['cost']))}</strong></li>"
                    for t in totals)
    table = _table(frame, [(t, False) for _, t in _rows(frame)], "Classification", "Open deals per level of each classification.", {})
    charts = "".join(_figure(*cost_chart(frame.filter(pl.col("classification") == t["classification"]), t["classification"]))
                     for t in totals)
    body = (f'<ul class="card">{lines}</ul>\n<div class="charts one">\n{charts}\n</div>\n' if totals else "") + table
    return _section("Segments", body)


def cost_chart(frame: pl.DataFrame, name: str) -> tuple[str, str, str]:
    """The cost to serve each level of one classification as (title, caption, SVG), with its
    share of the open value beside it."""
    title = f"Cost to serve by {name}"
    caption = "Cost per segment (deals × cost per deal), and the segment's share of the open value."
    left, right, top, pitch = 8, CHART_WIDTH - 8, 8, 40
    rows = frame.to_dicts()
    highest = max([_number(r.get("cost")) for r in rows] + [1.0])
    scale = (right - left) * 0.75 / highest
    parts, details = [], []
    for i, row in enumerate(rows):
        y = top + i * pitch
        cost, share = _number(row.get("cost")), row.get("value_share")
        shown_share = DASH if share is None else f"{share:.0%} of value"
        detail = f"{row.get('segment')}: {row.get('deals')} deals, cost {compact(cost)}, {shown_share}"
        details.append(detail)
        parts.append(f"<g><title>{esc(detail)}</title>" + _label_text(left, y + 10, _shorten(str(row.get("segment")), 24), "name")
                     + _label_text(right, y + 10, f"{compact(cost)} \u00b7 {shown_share}", anchor="end")
                     + _rect("bar-cost", left, y + 15, cost * scale, 14, COST_COLOUR) + "</g>")
    return title, caption, _svg(title, top + pitch * len(rows) + 4, "; ".join(details), parts)
