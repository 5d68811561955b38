"""Shared by the hostile-input catalogue: run the real command line and check what a failed run
must leave behind.

Every catalogue case runs ``salesrules`` (click's CliRunner on :data:`salesrules.cli.cli`, or a
subprocess where signals matter) and checks the contract of a failure:

* the exit code (1 for ruleset and validation failures, 2 for usage and input errors);
* exactly one line on stderr, starting ``error: ``, naming the file and the place;
* no traceback anywhere in the output;
* every protected file (inputs, an existing output) byte-identical, with the same mtime;
* no file added to or removed from the watched directories (no temporary file left behind).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from salesrules.cli import cli

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
AS_OF = "2026-11-22"

# The ruleset most catalogue cases run with: every field type, a required field and a key.
RULESET = """\
salesrules: 1
name: hostile
version: "1"
fields:
  id: {type: string, key: true, aliases: ["Opportunity ID"]}
  amount: {type: money, required: true, aliases: [Amount]}
  created: {type: date, aliases: ["Created Date"]}
  confirmed: {type: boolean, default: false, aliases: ["Budget Confirmed"]}
  industry: {type: enum, values: {software: [Software, SaaS], manufacturing: [Manufacturing]}, aliases: [Industry]}
  company: {type: string, aliases: ["Account Name"]}
tiers:
  - {name: high, when: "amount > 1_000_000", points: 50}
  - {name: low, points: 10}
factors:
  - {name: confirmed, when: confirmed, points: 10, reason: Budget confirmed}
"""

DATA_CSV = """\
Opportunity ID,Amount,Created Date,Budget Confirmed,Industry,Account Name
A-1,"$2,000,000.00",2026-01-15,Yes,Software,Acme
A-2,"$250,000.00",2026-03-01,No,Manufacturing,Bolt
"""

PRECIOUS = b"an existing output that a failed run must leave exactly as it is\n"


@dataclass
class Outcome:
    """What one command line run produced."""

    code: int
    stdout: str
    stderr: str
    output: str
    exception: BaseException | None

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    @property
    def line(self) -> str:
        """The one error line (asserting there is exactly one)."""
        assert len(self.lines) == 1, f"expected one line on stderr, got:\n{self.stderr}"
        return self.lines[0]


def snapshot(paths) -> dict:
    """Bytes and mtime of every existing file among ``paths``; None for missing ones."""
    taken = {}
    for path in paths:
        path = Path(path)
        if path.is_file():
            taken[path] = (path.read_bytes(), path.stat().st_mtime_ns)
        else:
            taken[path] = None
    return taken


def listing(directories) -> dict:
    """Names in each directory (hidden ones too: temporary outputs start with a dot)."""
    return {Path(d): sorted(os.listdir(d)) for d in directories if Path(d).is_dir()}


def run(*args, protect=(), dirs=(), input=None, env=None) -> Outcome:
    """Run ``salesrules ARGS`` in-process; check that ``protect`` files and ``dirs`` listings are unchanged."""
    before, names = snapshot(protect), listing(dirs)
    result = CliRunner().invoke(cli, [str(a) for a in args], input=input, env=env, prog_name="salesrules")
    outcome = Outcome(result.exit_code, result.stdout, result.stderr, result.output, result.exception)
    assert "Traceback" not in result.output, result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"the command raised {result.exception!r}") from result.exception
    after = snapshot(protect)
    for path, taken in before.items():
        assert after[path] == taken, f"{path} was changed by a run that exited {outcome.code}"
    assert listing(dirs) == names, f"files were added or removed: {names} -> {listing(dirs)}"
    return outcome


def fails(code: int, *args, where: str | None = None, fragments=(), protect=(), dirs=(), input=None) -> str:
    """Run and check a clean failure: ``code``, one ``error:`` line starting with ``where``.

    ``where`` is the expected beginning after ``error: ``, e.g. ``"r.yaml:3:7: "`` (file, line,
    column) or ``"data.csv: row 70000, column 'Amount': "``. Returns the line.
    """
    outcome = run(*args, protect=protect, dirs=dirs, input=input)
    assert outcome.code == code, (outcome.code, outcome.output)
    line = outcome.line
    assert line.startswith("error: "), line
    if where is not None:
        assert line.startswith("error: " + where), f"{line!r} does not start with {'error: ' + where!r}"
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


LOCATED = re.compile(r"^error: (?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): ")


def location(line: str) -> tuple[str, int, int]:
    """``(file, line, column)`` of a located error line."""
    found = LOCATED.match(line)
    assert found, f"no file:line:column in {line!r}"
    return found["file"], int(found["line"]), int(found["col"])


class Workspace:
    """A folder with a ruleset, a data file and an existing output, all protected by every run."""

    def __init__(self, root: Path):
        self.root = root
        self.ruleset = root / "rules.yaml"
        self.data = root / "data.csv"
        self.out = root / "out.csv"
        self.ruleset.write_text(RULESET)
        self.data.write_text(DATA_CSV)
        self.out.write_bytes(PRECIOUS)

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.root / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def protected(self, *extra) -> list[Path]:
        return [self.ruleset, self.data, self.out, *map(Path, extra)]

    def evaluate(self, data=None, ruleset=None, *extra, out=None) -> Outcome:
        """Run ``evaluate`` (to a new file by default); inputs stay unchanged, no temporary file is left."""
        data, ruleset, out = data or self.data, ruleset or self.ruleset, out or self.root / "results.csv"
        outcome = run("evaluate", data, "-r", ruleset, "-o", out, "--as-of", AS_OF, *extra,
                      protect=[self.ruleset, self.data, self.out, data, ruleset])
        assert not [n for n in os.listdir(self.root) if n.startswith(".") and n.endswith(".tmp")]
        return outcome

    def fails(self, code: int, where: str | None = None, *fragments, data=None, ruleset=None,
              extra=(), out=None) -> str:
        """``evaluate`` fails cleanly: the workspace is as it was, one error line."""
        data, ruleset, out = data or self.data, ruleset or self.ruleset, out or self.out
        return fails(code, "evaluate", data, "-r", ruleset, "-o", out, "--as-of", AS_OF, *extra,
                     where=where, fragments=fragments, protect=self.protected(data, ruleset),
                     dirs=[self.root])

    def ruleset_fails(self, text: str, where: str, *fragments, code: int = 1, name: str = "r.yaml") -> str:
        """A ruleset with ``text`` fails ``evaluate`` and ``validate`` at ``where`` (``LINE:COL``)."""
        path = self.write(name, text)
        line = self.fails(code, f"{path}:{where}: ", *fragments, ruleset=path)
        again = fails(code, "validate", path, where=f"{path}:{where}: ", protect=[path], dirs=[self.root])
        assert again == line
        return line
