"""Rewrite the example outputs in docs/explain.md, diff.md, backtest.md, reports.md and databases.md from real runs.

Each example sits between ``<!-- output: NAME -->`` and ``<!-- end -->``; this script runs the
command (or Python snippet) that NAME stands for, from the project root, and writes the command
and its output in between. Run it after changing a command, a shipped ruleset or the example
data:

    python docs/generate_examples.py           # rewrite the blocks that changed
    python docs/generate_examples.py --check   # exit 1, naming them, when a doc is out of date
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("explain.md", "diff.md", "backtest.md", "reports.md", "databases.md")
MARKER = re.compile(r"(<!-- output: (?P<name>[\w.-]+) -->\n)(?P<body>.*?)(<!-- end -->)", re.S)


@dataclass(frozen=True)
class Python:
    """A Python snippet: the block shows the code, then what it prints."""

    code: str


@dataclass(frozen=True)
class File:
    """A file of the project, shown whole (e.g. a ruleset an example runs)."""

    path: str
    language: str = "yaml"


AS_OF = "--as-of 2026-11-22"
MAVEN = "tests/data/maven/sales_pipeline.csv -r tests/data/maven/maven.yaml"
OFFICES = ("salesrules report tests/data/maven/sales_pipeline.csv -r tests/data/maven/company.yaml --by territory "
           "--quotas tests/data/maven/quotas-offices.csv --period 2017-01-01..2017-12-31")

EXAMPLES: dict[str, str | Python | File] = {
    "explain-text": f"salesrules explain examples/prospects.csv -r builtin:standard --id OPP-00000019 {AS_OF}",
    "explain-clamp": f"salesrules explain examples/prospects.csv -r builtin:standard --id OPP-00000120 {AS_OF}",
    "explain-json": f"salesrules explain examples/prospects.csv -r builtin:standard --id OPP-00000033 {AS_OF} -f json",
    "explain-compact": Python(
        "import salesrules\n"
        "from salesrules.runners import evaluate_full\n"
        "from salesrules.analysis.receipts import compact_reasons\n"
        "\n"
        'ruleset = salesrules.load("builtin:standard")\n'
        'evaluation = evaluate_full(ruleset, "examples/prospects.csv", as_of="2026-11-22", internal=True)\n'
        "results = evaluation.results\n"
        'explained = results.select("id", "score", compact_reasons(results, evaluation.plan).alias("explain"))\n'
        "for row in explained.head(4).iter_rows():\n"
        "    print(*row, sep=\" | \")\n"
    ),
    "diff-ruleset": File("docs/examples/standard-v2.yaml"),
    "diff-table": f"salesrules diff examples/prospects.csv -r builtin:standard -r docs/examples/standard-v2.yaml {AS_OF} --top 3",
    "diff-json": f"salesrules diff examples/prospects.csv -r builtin:standard -r docs/examples/standard-v2.yaml {AS_OF} --top 1 --by territory -f json",
    "diff-csv": f"salesrules diff examples/prospects.csv -r builtin:standard -r docs/examples/standard-v2.yaml {AS_OF} -f csv | head -6",
    "backtest-maven": f"salesrules backtest {MAVEN} --outcome deal_stage --won Won --lost Lost",
    "backtest-maven-json": f"salesrules backtest {MAVEN} --outcome deal_stage --won Won --lost Lost -f json",
    "backtest-stages": (
        "salesrules backtest docs/examples/closed-deals.csv -r builtin:standard --outcome Stage "
        f"--won 'Closed Won' --lost 'Closed Lost' --stage-field 'Last Stage' {AS_OF}"
    ),
    "report-table": f"{OFFICES} -f table",
    "report-json": f"{OFFICES} -f json | head -42",
    "report-python": Python(
        "import salesrules\n"
        "\n"
        'ruleset = salesrules.load("tests/data/maven/company.yaml")\n'
        'report = ruleset.report("tests/data/maven/sales_pipeline.csv", by="territory",\n'
        '                        quotas="tests/data/maven/quotas-offices.csv", period="2017-01-01..2017-12-31")\n'
        'print(report.pipeline.select("group", "won_value", "quota", "attainment"))\n'
        'print(report.settings["coverage_multiple"], report.settings["coverage_source"])\n'
    ),
    "accounts-ruleset": File("tests/data/maven/accounts.yaml"),
    "accounts-python": Python(
        "import polars as pl\n"
        "import salesrules\n"
        "\n"
        'ruleset = salesrules.load("tests/data/maven/accounts.yaml")\n'
        'report = ruleset.report("tests/data/maven/sales_pipeline.csv", by="territory")\n'
        'print(report.account_summary["text"])\n'
        "with pl.Config(tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True, fmt_float=\"full\"):\n"
        '    print(report.accounts.select("group", "deals", "won_value", pl.col("cumulative_share").round(4), "abc", "score").head(4))\n'
        '    print(report.accounts.group_by("abc").agg(pl.len().alias("accounts"), pl.col("won_value").sum()).sort("abc"))\n'
    ),
    "territories-python": Python(
        "import polars as pl\n"
        "import salesrules\n"
        "\n"
        'ruleset = salesrules.load("tests/data/maven/accounts.yaml")\n'
        'report = ruleset.report("tests/data/maven/sales_pipeline.csv", by="territory")\n'
        "with pl.Config(tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True, fmt_float=\"full\", tbl_width_chars=100):\n"
        '    print(report.territories.select("group", "reps", "open_deals", "open_value", "workload",\n'
        '                                    pl.col("potential_index", "workload_index").round(1), "balanced"))\n'
        '    print(report.segments.filter(pl.col("classification") == "channel").select("segment", "deals", "value", "cost"))\n'
    ),
    "assign-small": (
        "salesrules assign tests/data/accounts/deals.csv -r tests/data/accounts/ruleset.yaml "
        "--reps tests/data/accounts/reps.csv -f csv"
    ),
    "assign-python": Python(
        "import polars as pl\n"
        "import salesrules\n"
        "from salesrules.reports.assignment import assign\n"
        "\n"
        'ruleset = salesrules.load("tests/data/maven/accounts.yaml")\n'
        'result = assign(ruleset, "tests/data/maven/sales_pipeline.csv", "tests/data/maven/reps.csv", reassign=True)\n'
        "with pl.Config(tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True, fmt_str_lengths=100, tbl_width_chars=100):\n"
        '    print(result.reps.group_by("territory").agg(pl.len().alias("reps"), pl.col("load_before").sum(),\n'
        '                                               pl.col("load_after").sum(), pl.col("capacity").sum()).sort("territory"))\n'
        '    for row in result.records.filter(pl.col("rank") <= 2).sort("rank").iter_rows(named=True):\n'
        '        print(row["id"], row["owner"], "->", row["new_owner"], "|", row["reason"])\n'
        'print(result.unassigned.height, "left unassigned, the first because:")\n'
        'print(result.unassigned["reason"][0])\n'
    ),
    **{
        f"crm-{crm}": f"salesrules evaluate examples/crm/{crm}.csv -r docs/examples/acme-{crm}.yaml {AS_OF} -f csv"
        for crm in ("salesforce", "hubspot", "pipedrive")
    },
    "crm-ruleset": File("docs/examples/acme-hubspot.yaml"),
    "crm-init": "salesrules init examples/crm/pipedrive.csv --name acme",
    "crm-pipedrive-import": (
        f"salesrules evaluate examples/crm/pipedrive.csv -r docs/examples/acme-pipedrive.yaml {AS_OF} -f pipedrive-csv | head -3"
    ),
    "databases-sqlite": Python(
        "import sqlite3\n"
        "import tempfile\n"
        "\n"
        "import polars as pl\n"
        "import salesrules\n"
        "from click.testing import CliRunner\n"
        "from salesrules.cli import cli\n"
        "\n"
        "# A CRM export loaded into SQLite as text, the way an ETL job leaves it.\n"
        "crm = tempfile.mkdtemp() + \"/crm.db\"\n"
        "export = pl.read_csv(\"examples/prospects.csv\", infer_schema=False)\n"
        "with sqlite3.connect(crm) as db:\n"
        "    db.execute(\"CREATE TABLE prospects (\" + \", \".join(f'\"{c}\" TEXT' for c in export.columns) + \")\")\n"
        "    db.executemany(f\"INSERT INTO prospects VALUES ({', '.join('?' * export.width)})\", export.rows())\n"
        "\n"
        "run = [\"evaluate\", crm, \"--table\", \"prospects\", \"-r\", \"builtin:standard\", \"--as-of\", \"2026-11-22\", \"-o\", crm]\n"
        "print(CliRunner().invoke(cli, run).exit_code)\n"
        "print(CliRunner().invoke(cli, run).output.replace(crm, \"crm.db\"), end=\"\")  # the table exists now\n"
        "print(CliRunner().invoke(cli, run + [\"--if-exists\", \"replace\"]).exit_code)\n"
        "with sqlite3.connect(crm) as db:\n"
        "    top = db.execute(\"SELECT id, tier, stage, score, rank, ruleset, as_of FROM results WHERE rank <= 3 ORDER BY rank\")\n"
        "    for row in top.fetchall():\n"
        "        print(row)\n"
        "\n"
        "# The same records, read from the table or from the CSV file, give the same results.\n"
        "ruleset = salesrules.load(\"builtin:standard\")\n"
        "from_table = ruleset.evaluate(crm, table=\"prospects\", as_of=\"2026-11-22\")\n"
        "print(from_table.equals(ruleset.evaluate(\"examples/prospects.csv\", as_of=\"2026-11-22\")))\n"
    ),
}


def _commands():
    sys.path.insert(0, str(ROOT / "src"))
    from salesrules.cli.assign import assign
    from salesrules.cli.backtest import backtest_command
    from salesrules.cli.diff import diff_command
    from salesrules.cli.evaluate import evaluate
    from salesrules.cli.explain import explain_command
    from salesrules.cli.init import init
    from salesrules.cli.report import report

    return {"explain": explain_command, "diff": diff_command, "backtest": backtest_command, "report": report,
            "assign": assign, "evaluate": evaluate, "init": init}


def run_command(line: str) -> str:
    """Run ``salesrules ...`` (optionally ``| head -N``) from the project root; its standard output."""
    from click.testing import CliRunner

    head = None
    if "|" in line:
        line, pipe = (part.strip() for part in line.split("|", 1))
        match = re.fullmatch(r"head -(?:n )?(\d+)", pipe)
        if not match:
            raise SystemExit(f"unsupported pipe in example: {pipe!r}")
        head = int(match.group(1))
    words = shlex.split(line)
    if words[0] != "salesrules":
        raise SystemExit(f"examples run salesrules, not {words[0]!r}")
    command = _commands()[words[1]]
    result = CliRunner().invoke(command, words[2:], catch_exceptions=False)
    if result.exit_code != 0:
        raise SystemExit(f"example failed ({result.exit_code}): {line}\n{result.output}")
    output = result.stdout
    if head is not None:
        output = "".join(output.splitlines(keepends=True)[:head])
    return output


def run_python(code: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<example>", "exec"), {"__name__": "__example__"})
    return out.getvalue()


def block(name: str) -> str:
    """The Markdown that goes between the markers of example ``name``."""
    example = EXAMPLES[name]
    if isinstance(example, File):
        return f"```{example.language}\n{(ROOT / example.path).read_text(encoding='utf-8')}```\n"
    if isinstance(example, Python):
        return f"```python\n{example.code}```\n\n```\n{run_python(example.code)}```\n"
    return f"```console\n$ {example}\n{run_command(example)}```\n"


def render(text: str, path: str, used: set) -> str:
    def replace(match: re.Match) -> str:
        name = match.group("name")
        if name not in EXAMPLES:
            raise SystemExit(f"{path}: unknown example {name!r}; known: {', '.join(EXAMPLES)}")
        used.add(name)
        return match.group(1) + block(name) + match.group(4)

    return MARKER.sub(replace, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 when a doc is out of date")
    args = parser.parse_args(argv)
    previous = Path.cwd()
    os.chdir(ROOT)  # the examples use paths relative to the project root
    try:
        stale, used = [], set()
        for name in DOCS:
            path = ROOT / "docs" / name
            text = path.read_text(encoding="utf-8")
            new = render(text, f"docs/{name}", used)
            if new != text:
                stale.append(f"docs/{name}")
                if not args.check:
                    path.write_text(new, encoding="utf-8")
        unused = [name for name in EXAMPLES if name not in used]
        if unused:
            print(f"examples not used in any doc: {', '.join(unused)}", file=sys.stderr)
            return 1
    finally:
        os.chdir(previous)
    if stale:
        verb = "out of date" if args.check else "rewritten"
        print(f"{verb}: {', '.join(stale)}" + (" (run python docs/generate_examples.py)" if args.check else ""),
              file=sys.stderr)
        return 1 if args.check else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
