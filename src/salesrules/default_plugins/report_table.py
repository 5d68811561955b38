"""The built-in ``table`` report format: the report for people at a console, readable at 80
columns. Amounts are compact (``12.9M``, ``547.8k``); ``json``, ``xlsx`` and ``html`` carry the
exact figures. Control characters in the data are never sent to the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from salesrules.errors import printable
from salesrules.hookspecs import hookimpl
from salesrules.io.outputs import OutputContext

if TYPE_CHECKING:  # rich is imported when a report is drawn, not when the plugin loads
    from rich.table import Table

PIPELINE = [
    ("group", "group"), ("open_deals", "open"), ("open_value", "value"), ("weighted_value", "wtd"),
    ("won_value", "won"), ("quota", "quota"), ("left_to_build", "build"), ("attainment", "att"),
    ("coverage", "cover"),
]
QUOTA_COLUMNS = {"quota", "left_to_build", "attainment", "coverage"}
LEGEND = ("open: open deals; value: their value; wtd: weighted by stage probability; won: won value; "
          "build: left to build from nothing; att: attainment; cover: open value over the gap")
STAGES = [
    ("stage", "stage"), ("deals", "deals"), ("value", "value"), ("weighted_value", "weighted"),
    ("avg_days_in_stage", "days"), ("reached", "reached"), ("conversion", "to next"),
]

ACCOUNTS = [
    ("group", "account"), ("deals", "deals"), ("open_value", "open"), ("won_value", "won"), ("value", "value"),
    ("cumulative_share", "cum"), ("abc", "abc"), ("score", "score"), ("customer", "cust"),
]
TERRITORIES = [
    ("group", "territory"), ("accounts", "accts"), ("reps", "reps"), ("open_deals", "open"), ("open_value", "value"),
    ("potential_index", "pot"), ("workload_index", "load"), ("balanced", "bal"), ("win_rate", "win"),
    ("attainment", "att"), ("performance", "perf"),
]
TERRITORY_LEGEND = "pot, load: potential (open value) and workload, 100 = the average territory; bal: both within the tolerance"
SEGMENTS = [
    ("classification", "classification"), ("segment", "segment"), ("deals", "deals"), ("deal_share", "share"),
    ("value", "value"), ("value_share", "of value"), ("cost", "cost"),
]
TOP_ACCOUNTS = 10


def write_table(report, stream, context: OutputContext) -> None:
    """Render the report as rich tables and a list of advice to a text stream."""
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, width=context.width or (None if context.is_terminal else 80),
                      force_terminal=context.is_terminal, color_system="auto" if context.is_terminal else None,
                      no_color=not context.is_terminal, highlight=False, emoji=False, markup=False)
    p = report.provenance
    console.print(Text(f"Pipeline report: {_clean(p.get('ruleset'))} {_clean(p.get('ruleset_version'))}, "
                       f"as of {p.get('as_of')}", style="bold"))
    settings = report.settings
    console.print(Text(f"by {_clean(settings.get('by') or 'nothing')}, value {_clean(settings.get('value'))}"
                       + (f", closed {settings['period'][0]}..{settings['period'][1]}" if settings.get("period") else "")))
    pipeline = pl.concat([report.pipeline, report.total], how="vertical_relaxed")
    columns = PIPELINE if pipeline["quota"].is_not_null().any() else [c for c in PIPELINE if c[0] not in QUOTA_COLUMNS]
    console.print(_table("Pipeline", pipeline, columns))
    console.print(Text(LEGEND, style="dim"))
    console.print(_table("Stages", report.stages, STAGES))
    if settings.get("lost_left_out"):
        console.print(Text(f"{settings['lost_left_out']} lost deals without the stage they reached are left out of conversion."))
    _more_sections(console, report)
    console.print(Text("What to do next", style="bold"))
    if report.recommendations.is_empty():
        console.print(Text("  Nothing stands out."))
    for group, advice, because in report.recommendations.iter_rows():
        line = Text("  \u2022 ")
        line.append(f"{_clean(group)}: {_clean(advice)}", style="bold")
        line.append(f" \u2014 {_clean(because)}")
        console.print(line)


def _more_sections(console, report) -> None:
    """Accounts (the top ones), territories and segments, where the report has them."""
    from rich.text import Text

    if report.accounts is not None and report.accounts.height:
        shown = report.accounts.head(TOP_ACCOUNTS)
        more = report.accounts.height - shown.height
        console.print(_table("Accounts" + (f" (top {TOP_ACCOUNTS} of {report.accounts.height})" if more else ""), shown, ACCOUNTS))
        summary = report.account_summary or {}
        console.print(Text(f"{_clean(summary.get('text'))}; {summary.get('customers', 0)} existing customers, "
                           f"{summary.get('new_accounts', 0)} new accounts"))
    if report.territories is not None and report.territories.height:
        frame = report.territories
        columns = [c for c in TERRITORIES if c[0] != "attainment" or frame["attainment"].is_not_null().any()]
        console.print(_table("Territories", frame, columns))
        console.print(Text(TERRITORY_LEGEND, style="dim"))
    if report.segments is not None and report.segments.height:
        frame = report.segments
        columns = [c for c in SEGMENTS if c[0] != "cost" or frame["cost"].is_not_null().any()]
        console.print(_table("Segments (open deals)", frame, columns))
        for total in report.segment_totals or ():
            if total.get("cost") is not None:
                console.print(Text(f"Cost to serve by {_clean(total['classification'])}: {_compact(total['cost'])}"))


def _table(title: str, frame: pl.DataFrame, columns: list[tuple[str, str]]) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(title, style="bold"), box=box.SIMPLE_HEAD, padding=(0, 0, 0, 1), pad_edge=False,
                  title_justify="left")
    present = [(name, header) for name, header in columns if name in frame.columns]
    for name, header in present:
        numeric = frame.schema[name].is_numeric()
        short = numeric or frame.schema[name] == pl.Boolean or name == "abc"  # yes or no; A, B or C
        table.add_column(Text(header), justify="right" if numeric else "left", overflow="fold",
                         no_wrap=short, min_width=None if short else 10)
    for row in frame.select([name for name, _ in present]).iter_rows(named=True):
        bold = row.get("group") == "total"
        table.add_row(*(Text(_figure(name, value), style="bold" if bold else "") for name, value in row.items()))
    return table


def _figure(name: str, value) -> str:
    """A value as the table shows it: compact amounts, whole percentages, multiples, en dash for none."""
    if value is None:
        return "\u2013"
    if name in ("attainment", "conversion", "cumulative_share", "share", "win_rate", "deal_share", "value_share"):
        return f"{value:.0%}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name in ("potential_index", "workload_index", "score"):
        return f"{value:.0f}"
    if name == "coverage":
        return f"{value:.1f}\u00d7"
    if name == "avg_days_in_stage":
        return f"{value:.0f}"
    if name in ("open_value", "weighted_value", "won_value", "quota", "left_to_build", "value", "cost"):
        return _compact(value)
    return _clean(value)


def _compact(amount: float) -> str:
    size = abs(amount)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{amount / limit:.1f}{suffix}"
    return f"{amount:.0f}"


def _clean(value) -> str:
    """Text with every control character (escape sequences, bidi overrides) made harmless."""
    return printable("" if value is None else str(value))


@hookimpl
def register_report_formats(register):
    """Register ``table``; no extension selects it, it is meant for a terminal."""
    register("table", write_table, extension="", binary=False)
