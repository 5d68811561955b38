"""Hostile ``extends``: cycles, missing files, unknown builtins, broken parents, bad targets.

Errors point at the ``extends`` entry (file:line:column) or, for a broken parent, into the parent.
"""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest
from hostile_helpers import fails, run


def write(ws, name, text):
    return ws.write(name, text)


def test_a_cycle_names_the_chain(ws):
    a = write(ws, "a.yaml", "salesrules: 1\nname: a\nextends: [b.yaml]\n")
    b = write(ws, "b.yaml", "salesrules: 1\nname: b\nextends: [a.yaml]\n")
    ws.fails(1, f"{b}:3:11: ", "extends cycle: a.yaml -> b.yaml -> a.yaml", ruleset=a)
    assert fails(1, "validate", a, protect=[a, b]) == f"error: {b}:3:11: extends cycle: a.yaml -> b.yaml -> a.yaml"


def test_a_three_file_cycle(ws):
    a = write(ws, "a.yaml", "salesrules: 1\nname: a\nextends: [b.yaml]\n")
    write(ws, "b.yaml", "salesrules: 1\nname: b\nextends: [c.yaml]\n")
    c = write(ws, "c.yaml", "salesrules: 1\nname: c\nextends:\n  - builtin:standard\n  - a.yaml\n")
    ws.fails(1, f"{c}:5:5: ", "extends cycle: a.yaml -> b.yaml -> c.yaml -> a.yaml", ruleset=a)


def test_extending_itself(ws):
    path = write(ws, "s.yaml", "salesrules: 1\nname: s\nextends: s.yaml\n")
    ws.fails(1, f"{path}:3:10: ", "extends cycle: s.yaml -> s.yaml", ruleset=path)


def test_a_missing_parent(ws):
    path = write(ws, "m.yaml", "salesrules: 1\nname: m\nextends: [builtin:standard, nope.yaml]\n")
    ws.fails(1, f"{path}:3:29: ", "extended ruleset 'nope.yaml' not found", ruleset=path)


@pytest.mark.parametrize("ref, fragment", [
    ("builtin:standart", "unknown ruleset 'builtin:standart' (did you mean 'standard'?)"),
    ("builtin:", "unknown ruleset 'builtin:'"),
    ("acme:standard", "unknown ruleset 'acme:standard'"),
    ("builtin:../../etc/passwd", "unknown ruleset 'builtin:../../etc/passwd'"),
])
def test_an_unknown_builtin(ws, ref, fragment):
    path = write(ws, "u.yaml", f"salesrules: 1\nname: u\nextends: ['{ref}']\n")
    ws.fails(1, f"{path}:3:11: ", fragment, ruleset=path)


def test_an_unknown_builtin_on_the_command_line(ws):
    fails(1, "evaluate", ws.data, "-r", "builtin:standart", "-o", ws.out, where="unknown ruleset 'builtin:standart'",
          fragments=["did you mean 'standard'?"], protect=ws.protected(), dirs=[ws.root])


def test_an_error_in_a_parent_points_into_the_parent(ws):
    parent = write(ws, "p.yaml", "salesrules: 1\nname: p\nfields:\n  a: {type: strng}\n")
    child = write(ws, "c.yaml", "salesrules: 1\nname: c\nextends: [p.yaml]\n")
    ws.fails(1, f"{parent}:4:13: ", "fields.a.type: 'strng' is not one of", ruleset=child)


def test_an_expression_error_inherited_from_a_parent_points_into_the_parent(ws):
    parent = write(ws, "p.yaml", "salesrules: 1\nname: p\nfields:\n  a: integer\ntiers:\n  - {name: t, when: \"b > 1\"}\n")
    child = write(ws, "c.yaml", "salesrules: 1\nname: c\nextends: [p.yaml]\n")
    ws.fails(1, f"{parent}:6:22: ", "unknown field 'b'", ruleset=child)


def test_parents_that_disagree(ws):
    write(ws, "p1.yaml", "salesrules: 1\nname: p1\nfields:\n  a: integer\n")
    write(ws, "p2.yaml", "salesrules: 1\nname: p2\nfields:\n  a: string\n")
    child = write(ws, "c.yaml", "salesrules: 1\nname: c\nextends: [p1.yaml, p2.yaml]\n")
    ws.fails(1, f"{child}:3:10: ", "fields.a.type is defined differently by", ruleset=child)


def test_removing_an_item_that_is_not_inherited(ws):
    child = write(ws, "c.yaml", "salesrules: 1\nname: c\nextends: [builtin:standard]\nfactors:\n  - {name: mergr, remove: true}\n")
    line = ws.fails(1, f"{child}:5:", "mergr", ruleset=child)
    assert "did you mean 'merger'" in line


@pytest.mark.parametrize("target, place, fragment", [
    ("/dev/null", "{child}:3:11: ", "extended ruleset '/dev/null' is not a regular file"),
    ("/etc/hostname", "/etc/hostname:1:1: ", "a ruleset must be a mapping"),
])
def test_a_parent_that_is_not_a_ruleset(ws, target, place, fragment):
    import os

    if not os.path.exists(target):
        pytest.skip(f"no {target} here")
    child = write(ws, "c.yaml", f"salesrules: 1\nname: c\nextends: ['{target}']\n")
    ws.fails(1, place.format(child=child), fragment, ruleset=child)


def test_a_parent_that_is_a_directory_is_one_clean_line(ws):
    (ws.root / "sub").mkdir()
    child = write(ws, "c.yaml", "salesrules: 1\nname: c\nextends: [sub]\n")
    outcome = run("validate", child, protect=[child])
    assert outcome.code in (1, 2) and "is a directory" in outcome.line


def test_a_parent_that_is_a_directory_is_located_at_the_extends_entry(ws):
    (ws.root / "sub").mkdir()
    child = write(ws, "c.yaml", "salesrules: 1\nname: c\nextends: [sub]\n")
    fails(1, "validate", child, where=f"{child}:3:11: ")


def test_a_very_long_extends_chain_is_a_located_error(ws):
    for i in range(1500):
        ws.write(f"chain{i}.yaml", f"salesrules: 1\nname: c{i}\n" + (f"extends: [chain{i + 1}.yaml]\n" if i < 1499 else ""))
    outcome = run("validate", ws.root / "chain0.yaml")
    assert "internal error" not in outcome.line and outcome.line.startswith(f"error: {ws.root}")


def test_naming_one_parent_many_times_stays_fast(ws):
    path = ws.write("wide.yaml", "salesrules: 1\nname: w\nextends: [" + ", ".join(["builtin:standard"] * 1000) + "]\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "salesrules", "validate", str(path)], capture_output=True, timeout=300)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    assert cpu < 10, f"{cpu:.1f} s of CPU"  # the CPU used, which a busy machine barely changes
