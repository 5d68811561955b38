"""Hostile text in values: what a prospect file or a ruleset holds reaches every output as text.

A value may look like a spreadsheet formula, a link, a terminal escape sequence or markup; in
the key, the input columns (``--with-input``), the column names, and the reasons and actions
built from templates. Every output shows it as the literal text it is.
"""

from __future__ import annotations

import re
import zipfile

import polars as pl
from hostile_helpers import AS_OF, run

# A ruleset whose reasons, actions and gaps quote the company, as templates do.
TEMPLATED = """\
salesrules: 1
name: templated
version: "1"
fields:
  id: {type: string, key: true}
  amount: {type: money}
  company: {type: string}
  delta: {type: number}
tiers:
  - {name: high, when: "amount > 1000", points: 50}
  - {name: low, points: 10}
factors:
  - {name: big, when: "amount > 0", points: 10, reason: "Big {company}"}
actions:
  - {name: call, when: "amount > 0", text: "Call {company}"}
"""

FORMULAS = [
    '=HYPERLINK("http://evil.example","click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    "\t=2+2",
    "\r=3+3",
    "http://evil.example/x",
]
# A column name is data too. (Not one with a doubled quote: polars keeps "" in a header.)
HEADER = "=cmd|' /C calc'!A0"


def hostile_file(ws, values, header="note"):
    """A data file with one record per value: in the key, the company, and a column ``header``."""
    frame = pl.DataFrame({
        "id": values,
        "amount": [str(5000 + i) for i in range(len(values))],
        "company": values,
        "delta": ["-3"] * len(values),
        header: values,
    })
    path = ws.root / "hostile.csv"
    frame.write_csv(path)
    return path


def evaluate(ws, data, out, *extra, ruleset=TEMPLATED):
    rules = ws.write("templated.yaml", ruleset)
    outcome = run("evaluate", data, "-r", rules, "-o", out, "--as-of", AS_OF, "--with-input", *extra)
    assert outcome.code == 0, outcome.output
    return outcome


# --- xlsx ------------------------------------------------------------------------------------


def sheets_xml(path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/"))


def test_xlsx_writes_formulas_and_links_as_text(ws):
    data = hostile_file(ws, FORMULAS, header=HEADER)
    out = ws.root / "out.xlsx"
    evaluate(ws, data, out)
    xml = sheets_xml(out)
    assert "<f>" not in xml and "<hyperlink" not in xml.lower()
    sheet = pl.read_excel(out, sheet_name="results")
    trimmed = [v.strip() for v in FORMULAS]  # fields are read trimmed; input columns are as they came
    assert sheet["id"].to_list() == trimmed
    assert sheet[HEADER].to_list() == FORMULAS
    assert sheet["company"].to_list() == FORMULAS
    assert sheet["reasons"].to_list() == [f"Big {v}" for v in trimmed]
    assert sheet["actions"].to_list() == [f"Call {v}" for v in trimmed]
    assert sheet["delta"].to_list() == ["-3"] * len(FORMULAS)  # input text stays text


def test_xlsx_writes_a_ruleset_s_formula_like_text_as_text(ws):
    ruleset = TEMPLATED.replace('"Big {company}"', '"=1+2"').replace('version: "1"', 'version: "=3+4"')
    data = hostile_file(ws, ["A-1"])
    out = ws.root / "out.xlsx"
    evaluate(ws, data, out, ruleset=ruleset)
    assert "<f>" not in sheets_xml(out)
    assert pl.read_excel(out, sheet_name="results")["reasons"].to_list() == ["=1+2"]
    provenance = dict(pl.read_excel(out, sheet_name="provenance").rows())
    assert provenance["ruleset_version"] == "=3+4"


def test_xlsx_keeps_numbers_as_numbers(ws):
    data = hostile_file(ws, ["A-1"])
    out = ws.root / "out.xlsx"
    evaluate(ws, data, out)
    xml = sheets_xml(out)
    assert re.search(r'<c r="H2"[^>]*><v>60</v></c>', xml), "the score is a number cell"
