"""docs/errors.md stays true: every documented command prints exactly the documented lines and exit code.

``console`` blocks hold ``$ salesrules ...  # exit N`` followed by the lines the command prints on
stderr; they are run from the root of the repository (in-process, or in a subprocess when they
load plugins). ``text`` blocks hold example lines that need a setup a command line cannot show (a
signal, a full disk, a huge file): the message of each, without its file and place, must be
asserted verbatim by one of the catalogue's tests.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest
from hostile_helpers import ROOT, run

DOC = ROOT / "docs" / "errors.md"
BLOCK = re.compile(r"```(console|text)\n(.*?)```", re.S)
COMMAND = re.compile(r"^\$ (salesrules .*?)\s+# exit (\d+)$")
PLACE = re.compile(r"^[^\s:]+(:\d+(:\d+)?)?: ")


def examples():
    text = DOC.read_text()
    for kind, block in BLOCK.findall(text):
        if kind == "console":
            command = None
            for line in block.splitlines():
                found = COMMAND.match(line)
                if found:
                    if command:
                        yield pytest.param(*command, id=command[0])
                    command = (found.group(1), int(found.group(2)), [])
                elif command:
                    command[2].append(line)
            if command:
                yield pytest.param(*command, id=command[0])


EXAMPLES = list(examples())


def test_the_doc_has_examples_of_every_kind():
    codes = {param.values[1] for param in EXAMPLES}
    assert codes == {1, 2} and len(EXAMPLES) >= 40


@pytest.mark.parametrize("command, code, expected", EXAMPLES)
def test_documented_command_prints_the_documented_lines(command, code, expected, monkeypatch):
    args = shlex.split(command)[1:]
    assert args[0] != "--debug"
    if "--plugins-dir" in args:  # plugins load into the process: keep them out of this one
        done = subprocess.run([sys.executable, "-m", "salesrules", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
        got_code, lines = done.returncode, done.stderr.splitlines()
    else:
        monkeypatch.chdir(ROOT)
        replace = os.replace

        def no_device(source, target, *a, **k):  # a safety net: never rename a file over /dev/full
            if str(target).startswith("/dev/"):
                raise PermissionError(13, "refusing to replace a device in a test")
            return replace(source, target, *a, **k)

        monkeypatch.setattr(os, "replace", no_device)
        outcome = run(*args)
        got_code, lines = outcome.code, outcome.stderr.splitlines()
    assert (got_code, lines) == (code, expected)
    assert not (ROOT / "results.csv").exists() and not (ROOT / "results.xls").exists()


def test_text_examples_are_asserted_by_the_catalogue():
    sources = "\n".join(path.read_text() for path in (ROOT / "tests" / "hostile").glob("test_*.py")
                        if path.name != "test_hostile_errors_doc.py")
    lines = [line for kind, block in BLOCK.findall(DOC.read_text()) if kind == "text"
             for line in block.splitlines() if line.startswith("error: ")]
    assert len(lines) >= 10
    for line in lines:
        message = PLACE.sub("", line.removeprefix("error: "))
        assert message in sources, f"no catalogue test asserts {message!r}"
