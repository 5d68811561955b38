"""Every output format, whatever the ruleset and the data: a valid file, or clean error lines.

Small random rulesets (fields of every type, optional or with defaults, tiers, factors with
conditions from a small grammar, reason and action templates, stages), some slightly wrong (an
unknown name, a type mismatch, a syntax error, a bad pattern or placeholder), run with
``salesrules evaluate`` over small random files (hostile text: formulas, control characters,
unicode, empty cells; values that cannot be read; columns left out, with or without
``--allow-missing``) through every output format
the plugin registry knows, new ones included. Each run either writes a file that reads back (CSV,
JSON, NDJSON, Parquet and xlsx parsed, with one record per input row; the others non-empty) or
fails cleanly: exit 1 with located ruleset errors, or exit 2 with exactly one located line; never
an internal error or a traceback.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import tempfile
from pathlib import Path

import polars as pl
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesrules.cli import cli
from salesrules.plugins import get_registry

FORMATS = sorted(get_registry().output_formats)
TYPES = ["string", "integer", "number", "money", "boolean", "date", "enum"]
HOSTILE = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=y", "\x1b[31mred", "\u202eevil", "\x07bell", "é",
           "漢字", "😀", "", " ", "a,b", 'quo"te', "line\nbreak", "  padded  ", "0", "-1", "N/A"]
VALID = {
    "string": st.sampled_from(["Acme", "Globex", "x"]),
    "integer": st.integers(-5, 2_000_000).map(str),
    "number": st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.3f}"),
    "money": st.sampled_from(["$1,200.50", "€1.000,00", "500", "(1,000.00)", "0"]),
    "boolean": st.sampled_from(["yes", "no", "true", "0", "Y"]),
    "date": st.sampled_from(["2026-11-01", "2025-01-31", "2027-06-30"]),
    "enum": st.sampled_from(["small", "Big", "medium"]),
}
ENUM_VALUES = ["small", "medium", "big"]
NUMERIC = {"integer", "number", "money"}
_counter = itertools.count()


def condition(fields: dict[str, str]) -> st.SearchStrategy[str]:
    """A condition over ``fields`` from a small grammar (each part type-checks)."""
    atoms = [st.just("true")]
    for name, kind in fields.items():
        if kind in NUMERIC:
            atoms.append(st.builds(lambda op, n, name=name: f"{name} {op} {n}", st.sampled_from([">", ">=", "<", "=="]),
                                   st.integers(-10, 1_000_000)))
            atoms.append(st.just(f"{name} * 2 + 1 > 100"))
        elif kind == "string":
            atoms += [st.just(f"contains(lower({name}), 'a')"), st.just(f"matches({name}, '^[A-Z]')"),
                      st.just(f"{name} == 'Acme'")]
        elif kind == "boolean":
            atoms += [st.just(name), st.just(f"not {name}")]
        elif kind == "date":
            atoms.append(st.just(f"days_since({name}) > 30"))
        elif kind == "enum":
            atoms.append(st.just(f"{name} == 'big'"))
        atoms.append(st.just(f"{name} is None"))
    atom = st.one_of(atoms)
    return st.one_of(atom, st.builds(lambda a, op, b: f"({a}) {op} ({b})", atom, st.sampled_from(["and", "or"]), atom))


@st.composite
def rulesets(draw) -> tuple[dict, list[str]]:
    """A ruleset (as data) and the fields a data file may carry."""
    count = draw(st.integers(1, 4))
    kinds = draw(st.lists(st.sampled_from(TYPES), min_size=count, max_size=count))
    fields: dict[str, dict] = {"id": {"type": "string", "key": True}}
    typed = {}
    for i, kind in enumerate(kinds):
        name = f"f{i}_{kind}"
        spec: dict = {"type": kind}
        if kind == "enum":
            spec["values"] = {"small": [], "medium": ["Med"], "big": ["Big", "BIG"]}
        extra = draw(st.sampled_from(["", "optional", "default"]))
        if extra == "optional":
            spec["optional"] = True
        elif extra == "default":
            spec["default"] = {"string": "none", "integer": 0, "number": 0.5, "money": 0, "boolean": False,
                               "date": "2026-01-01", "enum": "small"}[kind]
        fields[name] = spec
        typed[name] = kind
    cond = condition(typed)
    tiers = [{"name": f"t{i}", "when": draw(cond), "points": draw(st.integers(-20, 50))} for i in range(draw(st.integers(0, 2)))]
    if draw(st.booleans()) or not tiers:
        tiers.append({"name": "rest", "points": 1})
    placeholders = list(typed) + ["id"]
    factors = [{"name": f"factor{i}", "when": draw(cond), "points": draw(st.integers(-30, 30)),
                "reason": draw(st.sampled_from([f"Reason {{{p}}}" for p in placeholders] + ["plain", "=formula"]))}
               for i in range(draw(st.integers(0, 3)))]
    ruleset: dict = {"salesrules": 1, "name": "prop", "version": "1", "fields": fields, "tiers": tiers}
    if factors:
        ruleset["factors"] = factors
    if draw(st.booleans()):
        ruleset["actions"] = [{"name": "call", "when": draw(cond), "text": f"Call {{id}} about {{{draw(st.sampled_from(placeholders))}}}"}]
    if draw(st.booleans()):
        ruleset["stages"] = [{"name": "open", "aliases": ["Open"]}, {"name": "won", "closed": "won", "aliases": ["Won"]}]
        typed["stage"] = "stage"
    if draw(st.integers(0, 4)) == 4:  # one ruleset in five has a mistake
        ruleset = draw(slightly_wrong(ruleset))
    return ruleset, list(typed)


def slightly_wrong(ruleset: dict) -> st.SearchStrategy[dict]:
    """``ruleset`` with one mistake a person makes."""
    def broken(kind: str) -> dict:
        bad = json.loads(json.dumps(ruleset))
        level = bad["tiers"][0]
        if kind == "unknown name":
            level["when"] = "no_such_field > 1"
        elif kind == "type mismatch":
            level["when"] = "id > 1"
        elif kind == "syntax":
            level["when"] = "id == ("
        elif kind == "pattern":
            level["when"] = "matches(id, '(unclosed')"
        elif kind == "placeholder":
            bad.setdefault("factors", []).append({"name": "oops", "when": "true", "points": 1, "reason": "About {nothing}"})
        elif kind == "schema":
            bad["fields"]["id"]["type"] = "currency"
        elif kind == "points":
            level["points"] = "id + 1"
        return bad

    return st.sampled_from(["unknown name", "type mismatch", "syntax", "pattern", "placeholder", "schema", "points"]).map(broken)


@st.composite
def data_files(draw, fields: list[str]) -> tuple[list[str], list[list[str]]]:
    """A header and rows: every field's column, some left out, values valid, junk or hostile."""
    columns = ["id"] + [f for f in fields if draw(st.integers(0, 9)) < 9]
    if draw(st.integers(0, 9)) == 0:
        columns.append(draw(st.sampled_from(HOSTILE[:8])) + "extra")  # a column no field reads
    rows = []
    for i in range(draw(st.integers(0, 4))):
        row = []
        for column in columns:
            kind = column.split("_", 1)[1] if column.startswith("f") and "_" in column else None
            if column == "id":
                value = f"{i}{draw(st.sampled_from(HOSTILE))}"
            elif column == "stage":
                value = draw(st.sampled_from(["Open", "Won", "", "open", "WON ", "=Won"]))
            elif kind == "string":
                value = draw(st.one_of(VALID[kind], st.sampled_from(HOSTILE)))
            elif kind in VALID:  # now and then a value that cannot be read
                value = draw(st.sampled_from(HOSTILE)) if draw(st.integers(0, 11)) == 11 else draw(VALID[kind])
            else:
                value = draw(st.sampled_from(HOSTILE))
            row.append(value)
        rows.append(row)
    return columns, rows


def records_in(path: Path, fmt: str) -> int | None:
    """The number of records the output file holds, read back with a parser of its format
    (None for the formats read by people, which must only be non-empty)."""
    if fmt == "parquet":
        return pl.read_parquet(path).height
    if fmt == "xlsx":
        import fastexcel

        return fastexcel.read_excel(str(path)).load_sheet("results").to_polars().height
    text = path.read_bytes().decode("utf-8-sig")
    if fmt == "json":
        document = json.loads(text)
        assert set(document) >= {"provenance", "records"}
        return len(document["records"])
    if fmt == "ndjson":
        return len([json.loads(line) for line in text.splitlines() if line.strip()])
    if fmt.endswith("csv"):
        table = list(csv.reader(io.StringIO(text, newline="")))
        assert table and table[0], "a CSV without a header"
        return len(table) - 1
    assert text.strip(), f"an empty {fmt} output"
    return None


LOCATED_RULESET = r"^error: {path}:\d+:\d+: \S"


@pytest.fixture(scope="module")
def work():
    with tempfile.TemporaryDirectory(prefix="salesrules-formats-") as name:
        yield Path(name)


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=15, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_format_writes_a_valid_file_or_one_clean_error(work, fmt, data):
    ruleset, fields = data.draw(rulesets())
    columns, rows = data.draw(data_files(fields))
    n = next(_counter)
    rules = work / f"rules{n}.yaml"
    rules.write_text(yaml.safe_dump(ruleset, allow_unicode=True, sort_keys=False), encoding="utf-8")
    source = work / f"data{n}.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    extension = get_registry().output_formats[fmt].extension or ".txt"
    out = work / f"out{n}{extension}"
    allow = ["--allow-missing"] if data.draw(st.booleans()) else []
    result = CliRunner().invoke(cli, ["evaluate", str(source), "-r", str(rules), "-f", fmt, "-o", str(out),
                                      "--as-of", "2026-11-22", "-q", *allow])
    stderr = result.stderr
    assert "Traceback" not in result.output and "internal error" not in stderr, stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 0:
        assert all(line.startswith(f"warning: {source}: no column for field ") for line in stderr.splitlines()), stderr
        count = records_in(out, fmt)
        assert count is None or count == len(rows), (fmt, count, len(rows))
        return
    assert not out.exists(), "a failed run left an output"
    lines = stderr.splitlines()
    if result.exit_code == 1:  # the ruleset is wrong: every error located in it
        assert lines and all(re.match(LOCATED_RULESET.format(path=re.escape(str(rules))), line) for line in lines), stderr
        return
    assert result.exit_code == 2, (result.exit_code, stderr)
    assert len(lines) == 1, stderr
    assert lines[0].startswith((f"error: {source}", f"error: {rules}")), stderr
