"""The built-in ``markdown`` report format: the settings, then one table per section."""

from __future__ import annotations

from salesrules.default_plugins.output_markdown import markdown_text
from salesrules.hookspecs import hookimpl
from salesrules.io.outputs import OutputContext

TITLES = {"pipeline": "Pipeline", "stages": "Stages", "recommendations": "What to do next", "accounts": "Accounts",
          "territories": "Territories", "segments": "Segments"}
NUMERIC = ("Int", "UInt", "Float")


def write_markdown(report, stream, context: OutputContext) -> None:
    """Write the report as Markdown: a heading, the settings, and a table per section."""
    p = report.provenance
    stream.write(f"# Pipeline report: {_cell(p.get('ruleset'))} {_cell(p.get('ruleset_version'))}\n\n")
    stream.write(f"As of {p.get('as_of')}. {_settings_line(report.settings)}\n")
    for name, frame in report.sections().items():
        stream.write(f"\n## {TITLES.get(name, name)}\n\n")
        if name == "accounts" and report.account_summary:
            stream.write(_cell(report.account_summary.get("text", "")) + ".\n\n")
        if frame.is_empty():
            stream.write("None.\n")
            continue
        from salesrules.reports.model import as_text

        text = as_text(frame)
        right = [str(dtype).startswith(NUMERIC) for dtype in frame.dtypes]
        stream.write("| " + " | ".join(_cell(c) for c in frame.columns) + " |\n")
        stream.write("|" + "|".join("---:" if r else "---" for r in right) + "|\n")
        for row in text.iter_rows():
            # A figure's text (digits, separators, %, ×, an en dash) has no markdown in it.
            stream.write("| " + " | ".join(v if number else _cell(v) for v, number in zip(row, right)) + " |\n")


def _settings_line(settings: dict) -> str:
    parts = [f"Grouped by {settings.get('by') or 'nothing'}; value: {settings.get('value')}"]
    if settings.get("period"):
        parts.append(f"won and lost deals closed {settings['period'][0]} to {settings['period'][1]}")
    parts.append(f"required coverage {settings.get('coverage_multiple')}\u00d7 ({settings.get('coverage_source')})")
    if settings.get("lost_left_out"):
        parts.append(f"{settings['lost_left_out']} lost deals without the stage they reached are left out of conversion")
    return _cell("; ".join(parts)) + "."


def _cell(value) -> str:
    """Text that stays text in a Markdown table: no raw HTML, links, emphasis or cell breaks."""
    return markdown_text("" if value is None else " ".join(str(value).split()))


@hookimpl
def register_report_formats(register):
    """Register ``markdown`` (``.md``)."""
    register("markdown", write_markdown, extension=".md", binary=False)
