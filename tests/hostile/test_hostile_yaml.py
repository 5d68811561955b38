"""Hostile YAML: every way a ruleset file can be broken before its contents are even looked at.

Each case runs ``salesrules evaluate`` and ``salesrules validate`` on the file and expects exit
code 1 and one ``error: FILE:LINE:COL: ...`` line, with the workspace left as it was.
"""

from __future__ import annotations

import time

import pytest
from hostile_helpers import fails, location

BILLION_LAUGHS = "salesrules: 1\nname: x\n" + "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 10)
)

CASES = [
    # syntax
    ("unclosed flow sequence", "salesrules: 1\nname: x\nfields: {a: [\n", "4:1", "YAML syntax error"),
    ("unclosed flow mapping", "{salesrules: 1, name: x\n", "2:1", "expected ',' or '}'"),
    ("unterminated quote", 'salesrules: 1\nname: "abc\n', "3:1", "found unexpected end of stream"),
    ("mapping value in a plain scalar", "salesrules: 1\nname: x: y\n", "2:8", "mapping values are not allowed here"),
    ("bad indentation", "salesrules: 1\nname: x\n  bad: indent\n", "3:6", "mapping values are not allowed here"),
    ("list item inside a mapping", "salesrules: 1\nname: x\n- item\n", "3:1", "expected <block end>, but found '-'"),
    ("undefined alias", "salesrules: 1\nname: *nope\n", "2:7", "found undefined alias 'nope'"),
    ("two documents", "---\nsalesrules: 1\nname: x\n---\nb: 2\n", "4:1",
     "expected a single document in the stream, but found another document"),
    ("a NUL character", "salesrules: 1\nname: x\x00\n", "2:8", "character U+0000 is not allowed in YAML text"),
    ("a control character", "salesrules: 1\nname: x\x07y\n", "2:8", "character U+0007 is not allowed"),
    # tabs
    ("tab indentation", "salesrules: 1\nname: x\nfields:\n\tid: string\n", "4:1", "tab characters cannot indent YAML; use spaces"),
    ("tab before a nested key", "salesrules: 1\nname: x\nfields:\n  id:\n\t  type: string\n", "5:1", "tab characters cannot indent YAML"),
    # duplicate keys
    ("duplicate top-level key", "salesrules: 1\nname: x\nname: y\n", "3:1", "duplicate key 'name' (first defined at line 2)"),
    ("duplicate field", "salesrules: 1\nname: x\nfields:\n  a: string\n  b: string\n  a: integer\n", "6:3",
     "duplicate key 'a' (first defined at line 4)"),
    ("duplicate key in a flow mapping", "salesrules: 1\nname: x\nfields: {a: {type: string, type: integer}}\n", "3:28",
     "duplicate key 'type'"),
    ("a list as a mapping key", "salesrules: 1\nname: x\n? [a, b]\n: 1\n", "3:3", "a mapping key must be a plain value"),
    # aliases
    ("billion laughs", BILLION_LAUGHS, "1:1", "document expands to more than 200,000 values"),
    ("recursive alias", "salesrules: 1\nname: &a [*a]\n", "1:1", "document expands to more than 200,000 values"),
    # tags
    ("python object/apply at the top", '!!python/object/apply:os.system ["touch PWNED"]\n', "1:1",
     "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"),
    ("python name", "salesrules: 1\nname: !!python/name:os.system\n", "2:7", "python/name:os.system' is not allowed"),
    ("python object/new", "salesrules: 1\nname: !!python/object/new:os.system [touch PWNED]\n", "2:7",
     "python/object/new:os.system' is not allowed"),
    ("python module", "salesrules: 1\nname: !!python/module:os\n", "2:7", "python/module:os' is not allowed"),
    ("binary", "salesrules: 1\nname: !!binary aGVsbG8=\n", "2:7", "YAML tag 'tag:yaml.org,2002:binary' is not allowed"),
    ("set", "salesrules: 1\nname: !!set {a, b}\n", "2:7", "YAML tag 'tag:yaml.org,2002:set' is not allowed"),
    ("omap", "salesrules: 1\nname: !!omap [a: 1]\n", "2:7", "YAML tag 'tag:yaml.org,2002:omap' is not allowed"),
    ("custom local tag", "salesrules: 1\nname: !custom x\n", "2:7", "YAML tag '!custom' is not allowed"),
    ("core tag that does not fit", "salesrules: 1\nname: x\nfields:\n  a: {type: boolean, required: !!bool yes}\n", "4:32",
     "'yes' is not a boolean (true or false)"),
    ("YAML 1.1 boolean", "salesrules: 1\nname: x\nfields:\n  a: {type: boolean, required: yes}\n", "4:32",
     "fields.a.required: 'yes' should be boolean"),
    # not a mapping
    ("a list", "- salesrules: 1\n- name: x\n", "1:1", "a ruleset must be a mapping, this file is a list"),
    ("an empty list", "[]\n", "1:1", "this file is a list"),
    ("a scalar", "just some text\n", "1:1", "a ruleset must be a mapping, this file is text"),
    ("a number", "42\n", "1:1", "this file is a number"),
    ("a date", "2026-11-22\n", "1:1", "this file is a date"),
    ("a block scalar document", "--- |\n  text\n", "1:1", "this file is text"),
    ("null", "null\n", "1:1", "this file is empty"),
    ("an empty file", "", "1:1", "a ruleset must be a mapping, this file is empty"),
    ("only comments", "# nothing here\n# at all\n", "1:1", "this file is empty"),
    ("only a document marker", "---\n", "1:1", "this file is empty"),
    ("only whitespace", "\n\n   \n", "1:1", "this file is empty"),
    # nesting
    ("deep flow nesting", "salesrules: 1\nname: x\ndescription: " + "[" * 200 + "]" * 200 + "\n", "3:",
     "YAML is nested more than 100 levels deep"),
    ("deep block nesting", "salesrules: 1\nname: x\n" + "".join("  " * i + f"k{i}:\n" for i in range(150)) + "  " * 150 + "v: 1\n",
     "", "YAML is nested more than 100 levels deep"),
]


@pytest.mark.parametrize("text, where, message", [
    ("stages:\n  - {name: open, probability: .nan}\n", "4:31",
     ".nan is not a number a ruleset can use (write a number, or quote it if it is text)"),
    ("factors:\n  - {name: 1e999, when: confirmed, points: 1}\n", "4:12",
     "1e999 is beyond ±1.8e308, the largest number, and cannot be represented (quote it if it is text)"),
    ("factors:\n  - {name: f, when: confirmed, points: -.inf}\n", "4:40",
     "-.inf is beyond ±1.8e308, the largest number, and cannot be represented (quote it if it is text)"),
])
def test_infinity_and_nan_are_refused_where_they_are_written(ws, text, where, message):
    line = ws.ruleset_fails("salesrules: 1\nname: x\n" + text, where, message)
    assert line.endswith(message)


@pytest.mark.parametrize("name, text, where, fragment", CASES, ids=[c[0] for c in CASES])
def test_broken_yaml(ws, name, text, where, fragment):
    path = ws.write("r.yaml", text)
    line = ws.fails(1, f"{path}:{where}", fragment, ruleset=path)
    assert location(line)[0] == str(path)
    assert fails(1, "validate", path, protect=[path], dirs=[ws.root]) == line


def test_python_tags_never_run_code(ws, monkeypatch):
    monkeypatch.chdir(ws.root)
    for text in ['!!python/object/apply:os.system ["touch PWNED"]\n',
                 "salesrules: 1\nname: !!python/object/new:os.system [touch PWNED]\n",
                 "salesrules: 1\nname: !!python/object/apply:subprocess.call [[touch, PWNED]]\n"]:
        path = ws.write("r.yaml", text)
        fails(1, "validate", path, fragments=["is not allowed"])
    assert not (ws.root / "PWNED").exists()


def test_a_file_over_10_mb_is_refused_where_it_passes_the_limit(ws):
    line_text = "# " + "x" * 97 + "\n"  # 100 bytes a line
    text = "salesrules: 1\nname: x\n" + line_text * 105_000
    path = ws.write("huge.yaml", text)
    assert path.stat().st_size > 10_000_000
    started = time.perf_counter()
    line = ws.fails(1, f"{path}:", "file is larger than 10,000,000 bytes, the limit for a ruleset (it passes the limit here)",
                    ruleset=path)
    _, lineno, col = location(line)
    assert (lineno - 3) * 100 + col + 22 == 10_000_001  # the 10,000,001st byte
    assert time.perf_counter() - started < 10


def test_multibyte_text_is_measured_in_bytes(ws):
    path = ws.write("huge.yaml", "salesrules: 1\nname: x\ndescription: " + "é" * 5_100_000 + "\n")
    assert len(path.read_text(encoding="utf-8")) < 10_000_000 < path.stat().st_size
    ws.fails(1, f"{path}:3:", "file is larger than 10,000,000 bytes", ruleset=path)


def test_a_ruleset_that_is_not_utf8_is_located(ws):
    path = ws.write("r.yaml", "salesrules: 1\nname: caf\xe9\n".encode("latin-1"))
    ws.fails(1, f"{path}:2:10: ", ruleset=path)


def test_a_ruleset_that_is_not_utf8_is_one_clean_line(ws):
    path = ws.write("r.yaml", "salesrules: 1\nname: caf\xe9\n".encode("latin-1"))
    ws.fails(1, f"{path}:2:10: ", "not UTF-8 text (byte 0xe9)", ruleset=path)


@pytest.mark.parametrize("text", [
    "\ufeffsalesrules: 1\nname: x\nfields:\n  amount: money\n",           # a byte order mark
    "salesrules: 1\r\nname: x\r\nfields:\r\n  amount: money\r\n",         # Windows line ends
    "%YAML 1.2\n---\nsalesrules: 1\nname: x\nfields:\n  amount: money\n...\n",  # directives and markers
    "salesrules: 1\nname: x\nfields:\n  amount: money\ntiers:\n  - {name: t, when: \"amount > 1\t\"}\n",  # a tab inside quotes
])
def test_awkward_but_valid_yaml_works(ws, text):
    path = ws.write("r.yaml", text)
    outcome = ws.evaluate(ruleset=path)
    assert outcome.code == 0, outcome.output
    assert (ws.root / "results.csv").read_text().startswith("row,")
