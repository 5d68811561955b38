"""Usage errors (options, commands), plugin errors and a few other commands given bad input.

Click's own usage errors are one ``error:`` line too (exit 2). Plugin failures are exit 2 and one
line naming the plugin. Plugins load into the process, so those cases run in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hostile_helpers import AS_OF, fails


@pytest.mark.parametrize("args, fragment", [
    (["nocommand"], "No such command 'nocommand'. (see 'salesrules --help')"),
    (["evaluate"], "Missing argument 'FILE'. (see 'salesrules evaluate --help')"),
    (["evaluate", "DATA"], "Missing option '-r' / '--ruleset'."),
    (["evaluate", "DATA", "-r", "RULES", "--as-of", "2026-13-01"], "Invalid value for '--as-of': '2026-13-01' is not a date"),
    (["evaluate", "DATA", "-r", "RULES", "--as-of", "tomorrow"], "'tomorrow' is not a date (YYYY-MM-DD)"),
    (["evaluate", "DATA", "-r", "RULES", "--on-error", "ignore"], "Invalid value for '--on-error': 'ignore' is not one of"),
    (["evaluate", "DATA", "-r", "RULES", "--on-duplicate", "both"], "Invalid value for '--on-duplicate'"),
    (["evaluate", "DATA", "-r", "RULES", "--frobnicate"], "No such option '--frobnicate'."),
    (["evaluate", "DATA", "-r"], "Option '-r' requires an argument."),
    (["validate"], "Missing argument 'RULESETS...'."),
    (["--no-such-global-option", "plugins"], "No such option '--no-such-global-option'. (see 'salesrules --help')"),
])
def test_usage_errors_are_one_line(ws, args, fragment):
    args = [{"DATA": ws.data, "RULES": ws.ruleset}.get(a, a) for a in args]
    line = fails(2, *args, protect=ws.protected(), dirs=[ws.root])
    assert fragment in line, line


@pytest.mark.parametrize("args, where, fragment", [
    (["init", "NOPE"], "NOPE: ", "file not found"),
    (["init", "DATA", "-o", "DATA"], "DATA: ", "the output would overwrite the input file"),
    (["init", "DATA", "-o", "MISSING/r.yaml"], "MISSING/r.yaml: ", "output directory 'MISSING' does not exist"),
    (["new-plugin", "Bad_Name", "--dir", "ROOT"], "", "plugin name 'Bad_Name' must be lower case"),
])
def test_other_commands_with_bad_input(ws, args, where, fragment):
    names = {"NOPE": str(ws.root / "nope.csv"), "DATA": str(ws.data), "MISSING": str(ws.root / "missing"),
             "ROOT": str(ws.root)}
    for name, value in names.items():
        args = [a.replace(name, value) for a in args]
        where, fragment = where.replace(name, value), fragment.replace(name, value)
    fails(2, *args, where=where, fragments=[fragment], protect=ws.protected(), dirs=[ws.root])


# ---------------------------------------------------------------- plugins (in a subprocess)


def salesrules(*args, cwd, env=None):
    done = subprocess.run([sys.executable, "-m", "salesrules", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stderr.strip().splitlines()


def test_a_missing_plugins_dir(ws):
    code, lines = salesrules("--plugins-dir", ws.root / "nope", "plugins", cwd=ws.root)
    assert code == 2 and lines == [f"error: --plugins-dir {ws.root / 'nope'}: not a directory"]


def test_a_plugin_that_fails_to_import(ws):
    (ws.root / "plugins").mkdir()
    (ws.root / "plugins" / "broken.py").write_text("raise RuntimeError('boom')\n")
    code, lines = salesrules("--plugins-dir", ws.root / "plugins", "evaluate", ws.data, "-r", ws.ruleset, cwd=ws.root)
    assert code == 2 and lines == [f"error: {ws.root / 'plugins' / 'broken.py'}: plugin failed to load: RuntimeError: boom"]


def test_a_plugin_function_that_raises(ws):
    (ws.root / "plugins").mkdir()
    (ws.root / "plugins" / "bad.py").write_text(
        "import salesrules\n\n@salesrules.hookimpl\ndef register_functions(register):\n"
        "    register('boom', lambda call: 1 / 0, args=['numeric'], returns='number')\n")
    ruleset = ws.write("r.yaml", "salesrules: 1\nname: x\nfields:\n  amount: money\ntiers:\n  - {name: a, when: \"boom(amount) > 1\"}\n")
    code, lines = salesrules("--plugins-dir", ws.root / "plugins", "evaluate", ws.data, "-r", ruleset, "-o", ws.out,
                             cwd=ws.root)
    assert code == 2
    assert lines == [f"error: {ruleset}:6:22: plugin 'plugins-dir:bad' failed in function boom(): "
                     "ZeroDivisionError: division by zero"]


def test_an_output_format_that_raises_leaves_no_file(ws):
    (ws.root / "plugins").mkdir()
    (ws.root / "plugins" / "fmt.py").write_text(
        "import salesrules\n\ndef write(frame, stream, context):\n    stream.write(b'half')\n    raise ValueError('broken writer')\n\n"
        "@salesrules.hookimpl\ndef register_output_formats(register):\n"
        "    register('broken', write, extension='.broken', binary=True)\n")
    before = ws.out.read_bytes()
    code, lines = salesrules("--plugins-dir", ws.root / "plugins", "evaluate", ws.data, "-r", ws.ruleset,
                             "-o", ws.out, "-f", "broken", "--as-of", AS_OF, cwd=ws.root)
    assert code == 2 and len(lines) == 1
    assert lines[0].startswith("error: output format 'broken' (plugins-dir:fmt) failed: ValueError: broken writer")
    assert ws.out.read_bytes() == before
    assert sorted(os.listdir(ws.root)) == ["data.csv", "out.csv", "plugins", "rules.yaml"]


def test_an_installed_plugin_that_fails_to_load(ws):
    site = ws.root / "site"
    (site / "broken_salesrules_plugin-1.0.dist-info").mkdir(parents=True)
    (site / "broken_salesrules_plugin-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: broken-salesrules-plugin\nVersion: 1.0\n")
    (site / "broken_salesrules_plugin-1.0.dist-info" / "entry_points.txt").write_text("[salesrules]\nbroken = broken_plugin\n")
    (site / "broken_plugin.py").write_text("raise ImportError('a dependency is missing')\n")
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    code, lines = salesrules("evaluate", ws.data, "-r", ws.ruleset, "-o", ws.out, cwd=ws.root, env=env)
    assert code == 2
    assert lines == ["error: a plugin failed to load: ImportError: a dependency is missing"]
    code, lines = salesrules("--version", cwd=ws.root, env=env)
    assert code == 0


def test_an_unforeseen_failure_is_one_line_and_debug_shows_the_traceback(ws, monkeypatch):
    import salesrules.cli.evaluate

    def boom(fmt):
        raise RuntimeError("boom")

    monkeypatch.setattr(salesrules.cli.evaluate, "_check_format", boom)
    fails(2, "evaluate", ws.data, "-r", ws.ruleset, "-o", ws.out,
          where="internal error: RuntimeError: boom (run with --debug for details)",
          protect=ws.protected(), dirs=[ws.root])


@pytest.mark.parametrize("command", ["validate", "evaluate"])
def test_debug_shows_a_traceback(ws, command):
    args = [str(ws.root / "nope.yaml")] if command == "validate" else [str(ws.data), "-r", str(ws.root / "nope.yaml")]
    done = subprocess.run([sys.executable, "-m", "salesrules", "--debug", command, *args],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "Traceback" in done.stderr and "InputError: " in done.stderr
