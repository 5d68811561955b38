"""Benchmarks of salesrules on generated CRM prospect files, printed as plain-text tables.

    python benchmarks/run.py                       # e2e, loop, factors, latency at 1,000,000 rows
    python benchmarks/run.py --rows 20000 --repeat 1 --only e2e,latency
    python benchmarks/run.py --only rows --scaling-rows 100000,300000,1000000
    python benchmarks/run.py --only huge --huge 10000000 --json results.json

Sections (``--only`` picks some; the default is ``e2e,loop,factors,latency,report``, plus ``huge``
when ``--huge`` is given):

``e2e``
    Whole processes, start-up included, for CSV to CSV and Parquet to Parquet: the floor
    (polars reads the input and writes it back) and ``salesrules evaluate`` with
    ``benchmarks/ruleset.yaml``, run side by side (floor, salesrules, floor, salesrules...)
    ``--repeat`` times. Medians, the ratio to the floor, rows per second and the peak
    memory of each child process (``ru_maxrss`` from ``os.wait4``). Also the time to load
    and compile the ruleset, measured in this process.
``loop``
    ``benchmarks/loop_engine.py``, the same rules as a plain per-record Python loop, on the
    same CSV: time, rows per second, ratio to salesrules, and whether its output file is
    the same as salesrules' (sha256).
``handwritten``
    ``benchmarks/handwritten.py``, the benchmark ruleset written by hand as one polars query,
    against ``salesrules evaluate`` on the same ``--rows`` file, CSV to CSV and Parquet to
    Parquet, whole processes side by side with the floor (floor, hand-written, salesrules...)
    ``--repeat`` times: medians of wall and CPU time, the ratio salesrules / hand-written (at
    most 1.2), and whether the two output files are the same (sha256).
``columns``
    ``--columns id,tier,score,band``, CSV to CSV on the same ``--rows`` file: salesrules against
    the hand-written version computing only those columns (at most 1.3 times as long), and
    against the same with ``--checked`` (reading the input as text and checking every value
    and key, as salesrules does; reported, not a target), side by side; then
    ``benchmarks/record_engine.py``, the same rules in a per-record rules engine
    (zen-engine), on the first ``--record-rows`` rows, its rate extrapolated to ``--rows`` when
    fewer: salesrules must be at least 25 times as fast, with the same results.
``rows``
    ``salesrules evaluate`` on CSV files of ``--scaling-rows`` rows: time and time per
    million rows.
``factors``
    Generated rulesets with ``--factor-counts`` factors over the benchmark fields: load
    and compile time (in this process) and whole-process evaluation time on a CSV file of
    ``--factor-rows`` rows, each also per factor.
``latency``
    ``evaluate_one`` on one record (median of ``--latency-calls`` calls after a warm-up, in
    ``--repeat`` processes of their own) and ``salesrules --version`` as a whole process.
``report``
    ``salesrules report`` (JSON) against ``salesrules evaluate`` (CSV) with
    ``builtin:standard`` on the same ``--rows`` CSV, side by side: the report may take at most
    1.5 times as long.
``table``
    The terminal table of the top records (``-f table --limit 40``, 120 columns wide) against
    writing every result as CSV, on the same ``--rows`` CSV, whole processes side by side: the
    table may take at most 1.2 times as long (only the rows shown are formatted).
``huge``
    ``salesrules evaluate`` on a CSV file of ``--huge`` rows, CSV to CSV, with the default
    ``SALESRULES_SPILL=auto`` (peak memory checked against 1 GiB), then again with
    ``SALESRULES_SPILL=never`` (all in memory); the two output files must have the same
    sha256. Then the same for a Parquet file, Parquet to Parquet, whose two outputs must have
    the same decoded content (the sha256 of polars' row hashes).

Inputs are written by ``benchmarks/generate.py`` into ``--workdir`` and kept there, named
by rows, seed and format, so later runs reuse them. Every figure is printed with its unit,
and the targets each measurement has are marked PASS or FAIL. ``--json FILE`` also writes
the tables, the raw figures and the targets as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

HERE = Path(__file__).resolve().parent
RULESET = HERE / "ruleset.yaml"
GENERATE = HERE / "generate.py"
LOOP_ENGINE = HERE / "loop_engine.py"
HANDWRITTEN = HERE / "handwritten.py"
RECORD_ENGINE = HERE / "record_engine.py"
AS_OF = "2026-11-22"
MIB = 1 << 20
GIB = 1 << 30

FLOOR = {
    "csv": "import polars as pl, sys; pl.read_csv(sys.argv[1]).write_csv(sys.argv[2])",
    "parquet": "import polars as pl, sys; pl.read_parquet(sys.argv[1]).write_parquet(sys.argv[2])",
}
SECTIONS = ("e2e", "loop", "handwritten", "columns", "rows", "factors", "latency", "report", "table", "huge")
DEFAULT_SECTIONS = ("e2e", "loop", "factors", "latency", "report")

# The targets, by the figure they apply to.
REPORT_RATIO_LIMIT = 1.5
TABLE_RATIO_LIMIT = 1.2
HANDWRITTEN_RATIO_LIMIT = 1.2
COLUMNS_RATIO_LIMIT = 1.3
RECORD_ENGINE_SPEEDUP = 25
# The columns of the columns section: what the score needs, and no text.
FOUR_COLUMNS = "id,tier,score,band"
COMPILE_FACTORS = 1000
COMPILE_LIMIT_S = 1.0
# evaluate_one's old 5 ms target is retired: it is kept measured, and must not regress from this.
EVALUATE_ONE_LIMIT_S = 0.00564
VERSION_LIMIT_S = 0.3
HUGE_PEAK_LIMIT = GIB

# One record for evaluate_one, as a CRM export writes it (the first generated row).
RECORD = {
    "id": "OPP-00000001",
    "company": "Harbor Academy",
    "territory": "South",
    "country": "US",
    "industry": "Education",
    "lead_source": "Website",
    "deal_value": "$873,923.92",
    "stage": "Presentation",
    "created": "2025-12-05",
    "last_contact": "2026-10-22",
    "next_step_date": "2026-12-21",
    "next_appointment": "",
    "close_date": "2027-01-30",
    "stage_entered": "2026-03-04",
    "budget_available_from": "",
    "supplier_contract_until": "",
    "decision_makers": "1",
    "contacts": "10",
    "decision_maker_confirmed": "No",
    "budget_confirmed": "No",
    "demo_requested": "No",
    "sample_requested": "No",
    "trial_requested": "No",
    "new_buyer": "No",
    "merger_pending": "No",
    "need_identified": "Yes",
}


# --- pure helpers --------------------------------------------------------------------


def median(values: Iterable[float]) -> float:
    """The median of ``values`` (the mean of the middle two for an even count)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("median of no values")
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str | None = None) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned.

    Columns are separated by two spaces and the header is underlined with dashes; a title,
    when given, comes first. Lines carry no trailing spaces.
    """
    table = [[str(cell) for cell in headers]] + [[str(cell) for cell in row] for row in rows]
    if any(len(row) != len(headers) for row in table):
        raise ValueError("every row needs one cell per header")
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        parts = [cells[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:])]
        return "  ".join(parts).rstrip()

    lines = [title] if title else []
    lines += [line(table[0]), "  ".join("-" * width for width in widths)]
    lines += [line(row) for row in table[1:]]
    return "\n".join(lines)


def fmt_seconds(seconds: float) -> str:
    """Seconds with two decimals: ``12.35 s``."""
    return f"{seconds:.2f} s"


def fmt_ms(seconds: float) -> str:
    """Milliseconds with two decimals: ``3.14 ms``."""
    return f"{seconds * 1e3:.2f} ms"


def fmt_us(seconds: float) -> str:
    """Microseconds with one decimal: ``512.0 µs``."""
    return f"{seconds * 1e6:.1f} µs"


def fmt_rate(rows: int, seconds: float) -> str:
    """Rows per second, whole, with thousands separators: ``95,057 rows/s``."""
    return f"{rows / seconds:,.0f} rows/s"


def fmt_ratio(ratio: float) -> str:
    """A ratio with two decimals: ``1.25x``."""
    return f"{ratio:.2f}x"


def fmt_mib(size: float) -> str:
    """A size in bytes as whole MiB: ``512 MiB``."""
    return f"{size / MIB:,.0f} MiB"


def fmt_rows(rows: int) -> str:
    """A row count with thousands separators: ``1,000,000 rows``."""
    return f"{rows:,} rows"


def verdict(passed: bool) -> str:
    """``PASS`` or ``FAIL``."""
    return "PASS" if passed else "FAIL"


def parse_counts(text: str) -> list[int]:
    """Comma-separated positive whole numbers (``_`` allowed inside one): ``"100_000,300000"``."""
    counts = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        value = int(part)
        if value < 1:
            raise ValueError(f"{value} is not a positive count")
        counts.append(value)
    if not counts:
        raise ValueError("no counts given")
    return counts


def choose_sections(only: str | None, huge: int | None, no_loop: bool) -> list[str]:
    """The sections to run, in the order of :data:`SECTIONS`.

    ``only`` (comma-separated names) overrides the default, which is :data:`DEFAULT_SECTIONS`
    plus ``huge`` when a ``huge`` row count is given; ``no_loop`` drops ``loop``.
    """
    if only:
        wanted = {name.strip() for name in only.split(",") if name.strip()}
        unknown = wanted - set(SECTIONS)
        if unknown:
            raise ValueError(f"unknown sections: {', '.join(sorted(unknown))} (known: {', '.join(SECTIONS)})")
    else:
        wanted = set(DEFAULT_SECTIONS) | ({"huge"} if huge else set())
    if no_loop:
        wanted.discard("loop")
    return [name for name in SECTIONS if name in wanted]


def input_name(rows: int, seed: int, fmt: str) -> str:
    """The file name a generated input is cached under."""
    return f"salesrules-bench-{rows}-seed{seed}.{fmt}"


_INDUSTRIES = ("software", "manufacturing", "healthcare", "financial", "retail", "education", "government", "logistics")
_SOURCES = ("Referral", "Website", "Trade Show", "Cold Call", "Purchased List", "Partner", "Webinar")
_OPEN_STAGES = ("prospecting", "qualification", "needs_analysis", "presentation", "evaluation", "negotiation")


def generated_factor(i: int) -> dict:
    """Factor number ``i`` of a generated ruleset, over the benchmark fields.

    Seven kinds take turns (deal-size bands, contact gaps, decision makers per industry, lead
    sources, close dates per stage, old confirmed deals, planned next steps), with thresholds
    that vary with ``i`` so that no two factors are alike and each fires for a few records.
    """
    kind = i % 7
    step = i // 7
    if kind == 0:
        low = 10_000 * (1 + (step * 37) % 300)
        return {"name": f"f{i:04d}_deal_band", "when": f"deal_value >= {low} and deal_value < {low + 25_000}",
                "points": 1 + step % 9, "reason": f"Deal size band {low}"}
    if kind == 1:
        days = (step * 13) % 360
        return {"name": f"f{i:04d}_contact_gap", "when": f"{days} <= days_since(last_contact) < {days + 7}",
                "points": -(1 + step % 5), "reason": f"Last contact {{last_contact}} ({days}+ days)"}
    if kind == 2:
        return {"name": f"f{i:04d}_committee",
                "when": f"industry == '{_INDUSTRIES[step % 8]}' and decision_makers >= {2 + step % 5}",
                "points": f"-{1 + step % 3} * (decision_makers - 1)",
                "reason": "{decision_makers} decision makers in {industry}"}
    if kind == 3:
        return {"name": f"f{i:04d}_source", "when": f"lead_source == '{_SOURCES[step % 7]}' and contacts > {step % 25}",
                "points": 2}
    if kind == 4:
        return {"name": f"f{i:04d}_closing",
                "when": f"stage == '{_OPEN_STAGES[step % 6]}' and days_until(close_date) < {(step * 7) % 120}",
                "points": "-5 if days_since(stage_entered) > 30 else 3",
                "reason": f"Closing within {(step * 7) % 120} days in {{stage}}"}
    if kind == 5:
        return {"name": f"f{i:04d}_old_confirmed",
                "when": f"budget_confirmed and not merger_pending and days_since(created) > {(step * 11) % 400}",
                "points": 1, "reason": "Confirmed, created {created}"}
    return {"name": f"f{i:04d}_next_step", "when": f"next_step_date >= as_of + {step % 30}",
            "points": "min(contacts, 10) // 5", "reason": f"Next step {{next_step_date}} ({step % 30})"}


def factor_ruleset(base: dict, count: int) -> dict:
    """``base`` (a parsed ruleset) with ``count`` generated factors instead of its own, and no tests."""
    ruleset = {key: value for key, value in base.items() if key not in ("factors", "tests")}
    ruleset["name"] = f"{base['name']}-{count}-factors"
    ruleset["factors"] = [generated_factor(i) for i in range(count)]
    return ruleset


# --- measuring -----------------------------------------------------------------------


@dataclass
class Run:
    """One child process: wall seconds, peak resident memory in bytes, CPU seconds (user + system)
    and of them the user seconds (the system's share swings with the state of the page cache)."""

    seconds: float
    peak: int
    cpu: float = 0.0
    user: float = 0.0


def child_environment(env: dict | None = None) -> dict:
    """``env`` (default: this process's) for a child whose Python caches its bytecode, as an
    installed package has its modules compiled: with PYTHONDONTWRITEBYTECODE set, every run of
    salesrules would compile its modules again (about 0.1 s), which the one-file programs it is
    compared with barely pay."""
    env = dict(os.environ if env is None else env)
    if env.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        env.setdefault("PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "salesrules-bench-pycache"))
    return env


def run_process(command: Sequence[str], env: dict | None = None) -> Run:
    """Run ``command`` with its output discarded; its wall time, peak memory and CPU time. Fails loudly."""
    start = time.perf_counter()
    process = subprocess.Popen(list(command), stdout=subprocess.DEVNULL, env=child_environment(env))
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(map(str, command))}")
    return Run(elapsed, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime, usage.ru_utime)  # Linux reports KiB


def side_by_side(commands: dict[str, Sequence[str]], repeat: int, env: dict | None = None,
                 outputs: dict[str, Path] | None = None) -> dict[str, list[Run]]:
    """Run each command ``repeat`` times, taking turns (a, b, a, b...), so drifts hit all alike.

    Each command's file in ``outputs`` is removed before each of its runs, so that every run
    writes a new file: a program that overwrites its output in place reuses the pages of the
    file it truncates, while one that writes a temporary file and renames it needs new ones,
    which costs far more system time when the page cache is full.
    """
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            if outputs and name in outputs:
                remove(outputs[name])
            runs[name].append(run_process(command, env))
    return runs


def sha256(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def remove(*paths: Path) -> None:
    """Delete files that exist."""
    for path in paths:
        path.unlink(missing_ok=True)


@dataclass
class Table:
    """A printed table and the raw figures behind it."""

    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    data: list[dict] = field(default_factory=list)

    def text(self) -> str:
        return format_table(self.headers, self.rows, self.title)


@dataclass
class Target:
    """A target a measurement must meet."""

    name: str
    limit: str
    measured: str
    passed: bool


class Bench:
    """The state shared by the sections: options, paths and what earlier sections measured."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.work = Path(args.workdir)
        self.work.mkdir(parents=True, exist_ok=True)
        self.out = Path(tempfile.mkdtemp(prefix="salesrules-bench-out-", dir=self.work))
        self.salesrules = str(Path(sys.executable).with_name("salesrules"))
        if not Path(self.salesrules).exists():
            self.salesrules = shutil.which("salesrules") or "salesrules"
        self.tables: dict[str, list[Table]] = {}
        self.targets: list[Target] = []
        self.csv_eval: tuple[int, float, Path] | None = None  # rows, median seconds, an output file

    def log(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def show(self, section: str, table: Table) -> None:
        self.tables.setdefault(section, []).append(table)
        print(table.text(), flush=True)
        print(flush=True)

    def target(self, name: str, limit: str, measured: str, passed: bool) -> None:
        self.targets.append(Target(name, limit, measured, passed))

    def input(self, rows: int, fmt: str) -> Path:
        """The generated input of ``rows`` rows as ``fmt``, written on first use."""
        path = self.work / input_name(rows, self.args.seed, fmt)
        if not path.exists():
            self.log(f"generating {path} ...")
            partial = path.with_name(path.name + ".partial")
            subprocess.run([sys.executable, str(GENERATE), "--rows", str(rows), "--seed", str(self.args.seed),
                            "--as-of", AS_OF, "-o", str(partial) + f".{fmt}", "-q"], check=True)
            os.replace(str(partial) + f".{fmt}", path)
        return path

    def evaluate_command(self, source: Path, target: Path, ruleset: Path = RULESET) -> list[str]:
        return [self.salesrules, "evaluate", str(source), "-r", str(ruleset), "--as-of", AS_OF, "-o", str(target)]

    def ruleset_hash(self) -> str:
        from salesrules.loader.load import load

        return load(str(RULESET)).hash

    @cached_property
    def hash(self) -> str:
        """The benchmark ruleset's content hash, computed once."""
        return self.ruleset_hash()


def load_and_compile(path: Path, repeat: int) -> tuple[float, float]:
    """Median seconds of loading a ruleset (parsing, schema, extends) and of compiling it for
    the as-of date (which type-checks every expression), in this process: together what
    ``salesrules.load(path, as_of)`` does before an evaluation."""
    from salesrules.compiler.plan import compile_ruleset
    from salesrules.loader.load import load_unchecked

    as_of = dt.date.fromisoformat(AS_OF)
    compile_ruleset(load_unchecked(str(path)), as_of)  # warm-up: imports, plugins, schema
    loads, compiles = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        ruleset = load_unchecked(str(path))
        loaded = time.perf_counter()
        compile_ruleset(ruleset, as_of)
        loads.append(loaded - start)
        compiles.append(time.perf_counter() - loaded)
    return median(loads), median(compiles)


# --- sections ------------------------------------------------------------------------


def section_e2e(bench: Bench) -> None:
    """CSV and Parquet: the floor and salesrules side by side, and the ruleset's compile time."""
    args = bench.args
    table = Table(f"End to end: whole processes, median of {args.repeat} (side by side with the floor)",
                  ["format", "rows", "floor", "salesrules", "ratio", "salesrules rate", "salesrules peak",
                   "floor peak"])
    for fmt in ("csv", "parquet"):
        source = bench.input(args.rows, fmt)
        floor_out, eval_out = bench.out / f"floor.{fmt}", bench.out / f"eval.{fmt}"
        bench.log(f"e2e {fmt}: {args.repeat} x (floor, salesrules) ...")
        runs = side_by_side({
            "floor": [sys.executable, "-c", FLOOR[fmt], str(source), str(floor_out)],
            "salesrules": bench.evaluate_command(source, eval_out),
        }, args.repeat, outputs={"floor": floor_out, "salesrules": eval_out})
        floor = median(r.seconds for r in runs["floor"])
        seconds = median(r.seconds for r in runs["salesrules"])
        peak = max(r.peak for r in runs["salesrules"])
        floor_peak = max(r.peak for r in runs["floor"])
        ratio = seconds / floor  # reported: the targets are against the hand-written version
        table.rows.append([fmt, fmt_rows(args.rows), fmt_seconds(floor), fmt_seconds(seconds), fmt_ratio(ratio),
                           fmt_rate(args.rows, seconds), fmt_mib(peak), fmt_mib(floor_peak)])
        table.data.append({"format": fmt, "rows": args.rows, "floor_s": floor, "salesrules_s": seconds,
                           "ratio": ratio, "rows_per_s": args.rows / seconds, "peak_bytes": peak,
                           "floor_peak_bytes": floor_peak,
                           "floor_runs_s": [r.seconds for r in runs["floor"]],
                           "salesrules_runs_s": [r.seconds for r in runs["salesrules"]]})
        remove(floor_out)
        if fmt == "csv":
            bench.csv_eval = (args.rows, seconds, eval_out)
        else:
            remove(eval_out)
    bench.show("e2e", table)

    load_s, compile_s = load_and_compile(RULESET, max(args.repeat, 5))
    compiled = Table("Ruleset compile time (in process, median of the repeats after a warm-up)",
                     ["ruleset", "load", "compile", "load + compile"])
    compiled.rows.append([RULESET.name, fmt_ms(load_s), fmt_ms(compile_s), fmt_ms(load_s + compile_s)])
    compiled.data.append({"ruleset": str(RULESET), "load_s": load_s, "compile_s": compile_s})
    bench.show("e2e", compiled)


def section_loop(bench: Bench) -> None:
    """The per-record loop engine against salesrules on the same CSV, and whether their outputs agree."""
    args = bench.args
    source = bench.input(args.rows, "csv")
    loop_out = bench.out / "loop.csv"
    ruleset_hash = bench.ruleset_hash()
    loop = [sys.executable, str(LOOP_ENGINE), str(source), str(loop_out), "--as-of", AS_OF,
            "--ruleset-hash", ruleset_hash]
    if bench.csv_eval and bench.csv_eval[0] == args.rows:
        _, salesrules_s, eval_out = bench.csv_eval
        bench.log(f"loop: {args.loop_repeat} x loop engine ...")
        loop_runs = side_by_side({"loop": loop}, args.loop_repeat)["loop"]
    else:
        eval_out = bench.out / "eval.csv"
        bench.log(f"loop: {args.loop_repeat} x (salesrules, loop engine) ...")
        runs = side_by_side({"salesrules": bench.evaluate_command(source, eval_out), "loop": loop}, args.loop_repeat)
        salesrules_s = median(r.seconds for r in runs["salesrules"])
        loop_runs = runs["loop"]
    loop_s = median(r.seconds for r in loop_runs)
    same = sha256(loop_out) == sha256(eval_out)
    table = Table(f"Per-record Python loop (benchmarks/loop_engine.py), CSV, median of {len(loop_runs)}",
                  ["engine", "rows", "time", "rate", "peak", "loop / salesrules", "same output"])
    table.rows.append(["salesrules", fmt_rows(args.rows), fmt_seconds(salesrules_s), fmt_rate(args.rows, salesrules_s),
                       "", "", ""])
    table.rows.append(["python loop", fmt_rows(args.rows), fmt_seconds(loop_s), fmt_rate(args.rows, loop_s),
                       fmt_mib(max(r.peak for r in loop_runs)), fmt_ratio(loop_s / salesrules_s),
                       "yes (sha256)" if same else "NO"])
    table.data.append({"rows": args.rows, "salesrules_s": salesrules_s, "loop_s": loop_s,
                       "loop_peak_bytes": max(r.peak for r in loop_runs), "ratio": loop_s / salesrules_s,
                       "same_output": same})
    bench.target("loop engine output equals salesrules'", "same sha256", "same" if same else "different", same)
    remove(loop_out, eval_out)
    bench.csv_eval = None
    bench.show("loop", table)


def handwritten_command(bench: Bench, source: Path, target: Path, columns: str | None = None,
                        checked: bool = False) -> list[str]:
    """The hand-written version's command line (the ruleset hash passed, so it imports no salesrules)."""
    command = [sys.executable, str(HANDWRITTEN), str(source), str(target), "--as-of", AS_OF,
               "--ruleset-hash", bench.hash]
    return command + (["--columns", columns] if columns else []) + (["--checked"] if checked else [])


def section_handwritten(bench: Bench) -> None:
    """The hand-written polars version against salesrules, CSV and Parquet, with the floor, side by side."""
    args = bench.args
    table = Table(f"Against the hand-written polars version (benchmarks/handwritten.py): whole processes, "
                  f"median of {args.repeat}, side by side (floor, hand-written, salesrules)",
                  ["format", "rows", "floor", "hand-written", "salesrules", "ratio", "CPU hand-written",
                   "CPU salesrules", "CPU ratio", "user CPU ratio", "same output", "target"])
    labels = {"csv": "CSV", "parquet": "Parquet"}
    for fmt in ("csv", "parquet"):
        source = bench.input(args.rows, fmt)
        floor_out, hand_out, eval_out = (bench.out / f"{name}.{fmt}" for name in ("floor", "hand", "eval"))
        bench.log(f"handwritten {fmt}: {args.repeat} x (floor, hand-written, salesrules) ...")
        runs = side_by_side({
            "floor": [sys.executable, "-c", FLOOR[fmt], str(source), str(floor_out)],
            "hand": handwritten_command(bench, source, hand_out),
            "salesrules": bench.evaluate_command(source, eval_out),
        }, args.repeat, outputs={"floor": floor_out, "hand": hand_out, "salesrules": eval_out})
        same = sha256(hand_out) == sha256(eval_out)
        wall = {name: median(r.seconds for r in done) for name, done in runs.items()}
        user = {name: median(r.user for r in done) for name, done in runs.items()}
        cpu = {name: median(r.cpu for r in done) for name, done in runs.items()}
        ratio = wall["salesrules"] / wall["hand"]
        passed = ratio <= HANDWRITTEN_RATIO_LIMIT
        table.rows.append([fmt, fmt_rows(args.rows), fmt_seconds(wall["floor"]), fmt_seconds(wall["hand"]),
                           fmt_seconds(wall["salesrules"]), fmt_ratio(ratio), fmt_seconds(cpu["hand"]),
                           fmt_seconds(cpu["salesrules"]), fmt_ratio(cpu["salesrules"] / cpu["hand"]),
                           fmt_ratio(user["salesrules"] / user["hand"]),
                           "yes (sha256)" if same else "NO", f"≤ {HANDWRITTEN_RATIO_LIMIT:.1f}x {verdict(passed)}"])
        table.data.append({"format": fmt, "rows": args.rows, **{f"{name}_s": wall[name] for name in wall},
                           **{f"{name}_cpu_s": cpu[name] for name in cpu}, "ratio": ratio,
                           "cpu_ratio": cpu["salesrules"] / cpu["hand"], "user_cpu_ratio": user["salesrules"] / user["hand"],
                           "same_output": same,
                           **{f"{name}_peak_bytes": max(r.peak for r in done) for name, done in runs.items()},
                           **{f"{name}_runs_s": [r.seconds for r in done] for name, done in runs.items()}})
        bench.target(f"{labels[fmt]} against hand-written", f"≤ {HANDWRITTEN_RATIO_LIMIT:.1f}x", fmt_ratio(ratio),
                     passed)
        bench.target(f"{labels[fmt]} output equals hand-written", "same sha256", "same" if same else "different",
                     same)
        remove(floor_out, hand_out, eval_out)
    bench.show("handwritten", table)


def section_columns(bench: Bench) -> None:
    """Four result columns: salesrules against the hand-written version, then against a per-record rules engine."""
    args = bench.args
    source = bench.input(args.rows, "csv")
    hand_out, checked_out, eval_out = (bench.out / f"{name}-4.csv" for name in ("hand", "checked", "eval"))
    bench.log(f"columns: {args.repeat} x (hand-written, hand-written checked, salesrules) with --columns {FOUR_COLUMNS} ...")
    runs = side_by_side({
        "hand": handwritten_command(bench, source, hand_out, FOUR_COLUMNS),
        "checked": handwritten_command(bench, source, checked_out, FOUR_COLUMNS, checked=True),
        "salesrules": bench.evaluate_command(source, eval_out) + ["--columns", FOUR_COLUMNS],
    }, args.repeat, outputs={"hand": hand_out, "checked": checked_out, "salesrules": eval_out})
    same = sha256(hand_out) == sha256(eval_out)
    checked_same = sha256(checked_out) == sha256(eval_out)
    wall = {name: median(r.seconds for r in done) for name, done in runs.items()}
    cpu = {name: median(r.cpu for r in done) for name, done in runs.items()}
    ratio = wall["salesrules"] / wall["hand"]
    passed = ratio <= COLUMNS_RATIO_LIMIT
    table = Table(f"--columns {FOUR_COLUMNS}, CSV to CSV: whole processes, median of {args.repeat}, side by side",
                  ["engine", "rows", "time", "rate", "CPU", "peak", "salesrules / this", "same results", "target"])
    table.rows.append(["salesrules", fmt_rows(args.rows), fmt_seconds(wall["salesrules"]),
                       fmt_rate(args.rows, wall["salesrules"]), fmt_seconds(cpu["salesrules"]),
                       fmt_mib(max(r.peak for r in runs["salesrules"])), "", "", ""])
    table.rows.append(["hand-written polars", fmt_rows(args.rows), fmt_seconds(wall["hand"]),
                       fmt_rate(args.rows, wall["hand"]), fmt_seconds(cpu["hand"]),
                       fmt_mib(max(r.peak for r in runs["hand"])), fmt_ratio(ratio),
                       "yes (sha256)" if same else "NO", f"≤ {COLUMNS_RATIO_LIMIT:.1f}x {verdict(passed)}"])
    # The same program checking every value and key as salesrules does: reported, not a target.
    table.rows.append(["hand-written polars, checked (--checked)", fmt_rows(args.rows), fmt_seconds(wall["checked"]),
                       fmt_rate(args.rows, wall["checked"]), fmt_seconds(cpu["checked"]),
                       fmt_mib(max(r.peak for r in runs["checked"])), fmt_ratio(wall["salesrules"] / wall["checked"]),
                       "yes (sha256)" if checked_same else "NO", "(reported)"])
    table.data.append({"engine": "hand-written", "rows": args.rows, "salesrules_s": wall["salesrules"],
                       "hand_s": wall["hand"], "salesrules_cpu_s": cpu["salesrules"], "hand_cpu_s": cpu["hand"],
                       "ratio": ratio, "same_output": same,
                       "salesrules_runs_s": [r.seconds for r in runs["salesrules"]],
                       "hand_runs_s": [r.seconds for r in runs["hand"]]})
    table.data.append({"engine": "hand-written, checked", "rows": args.rows, "checked_s": wall["checked"],
                       "checked_cpu_s": cpu["checked"], "ratio": wall["salesrules"] / wall["checked"],
                       "same_output": checked_same, "checked_runs_s": [r.seconds for r in runs["checked"]]})
    bench.target(f"--columns {FOUR_COLUMNS} against hand-written", f"≤ {COLUMNS_RATIO_LIMIT:.1f}x",
                 fmt_ratio(ratio), passed)
    bench.target(f"--columns {FOUR_COLUMNS} output equals hand-written", "same sha256",
                 "same" if same else "different", same)
    bench.target(f"--columns {FOUR_COLUMNS} output equals hand-written, checked", "same sha256",
                 "same" if checked_same else "different", checked_same)

    record_rows = min(args.record_rows, args.rows)
    bench.log(f"columns: per-record rules engine on {record_rows:,} rows ...")
    engine = subprocess.run([sys.executable, str(RECORD_ENGINE), str(source), "--as-of", AS_OF, "--rows",
                             str(record_rows), "--check", str(eval_out), "--json"], capture_output=True, text=True,
                            check=False)
    remove(hand_out, checked_out, eval_out)
    if engine.returncode == 2:
        note = engine.stderr.strip() or "the per-record rules engine is not installed"
        table.rows.append(["per-record rules engine", "", "", "", "", "", "", "", f"skipped: {note}"])
        bench.show("columns", table)
        print(f"per-record rules engine skipped: {note}\n", flush=True)
        return
    if engine.returncode not in (0, 1):
        raise SystemExit(f"failed ({engine.returncode}): {RECORD_ENGINE.name}: {engine.stderr.strip()}")
    figures = json.loads(engine.stdout)
    rate = figures["rows_per_s"]
    extrapolated = args.rows / rate
    extrapolated_cpu = figures["cpu_seconds"] * args.rows / figures["rows"]
    speedup = extrapolated / wall["salesrules"]
    engine_same = bool(figures["same"])
    passed = speedup >= RECORD_ENGINE_SPEEDUP and engine_same
    measured = fmt_rows(figures["rows"]) if figures["rows"] == args.rows else \
        f"{figures['rows']:,} measured, {args.rows:,} extrapolated"
    table.rows.append([f"per-record rules engine ({figures['engine']})", measured,
                       fmt_seconds(extrapolated) + ("" if figures["rows"] == args.rows else " (extrapolated)"),
                       fmt_rate(figures["rows"], figures["seconds"]), fmt_seconds(extrapolated_cpu), "",
                       fmt_ratio(1 / speedup),
                       "yes" if engine_same else "NO", f"≥ {RECORD_ENGINE_SPEEDUP}x faster {verdict(passed)}"])
    table.data.append({"engine": figures["engine"], "rows": figures["rows"], "seconds": figures["seconds"],
                       "cpu_s": figures["cpu_seconds"], "rows_per_s": rate, "extrapolated_s": extrapolated,
                       "extrapolated_cpu_s": extrapolated_cpu, "extrapolated_rows": args.rows,
                       "salesrules_cpu_s": cpu["salesrules"], "cpu_speedup": extrapolated_cpu / cpu["salesrules"],
                       "salesrules_s": wall["salesrules"], "speedup": speedup, "same_results": engine_same})
    bench.show("columns", table)
    print("The rules engine's time is its reading and evaluating in process (start-up excluded), "
          f"{'measured on all rows' if figures['rows'] == args.rows else 'extrapolated from its rate'}; "
          "salesrules' is its whole process.\n", flush=True)
    bench.target("salesrules against a per-record rules engine", f"≥ {RECORD_ENGINE_SPEEDUP}x faster",
                 f"{speedup:.1f}x", speedup >= RECORD_ENGINE_SPEEDUP)
    bench.target("per-record rules engine results equal salesrules'", "same", "same" if engine_same else "different",
                 engine_same)


def section_rows(bench: Bench) -> None:
    """salesrules on CSV files of growing size: is the time per row constant?"""
    args = bench.args
    table = Table(f"Scaling with rows: CSV to CSV, whole process, median of {args.repeat}",
                  ["rows", "time", "per 1M rows", "rate", "peak"])
    for rows in args.scaling_rows:
        source, out = bench.input(rows, "csv"), bench.out / "rows.csv"
        bench.log(f"rows: {rows:,} x {args.repeat} ...")
        runs = side_by_side({"salesrules": bench.evaluate_command(source, out)}, args.repeat)["salesrules"]
        seconds, peak = median(r.seconds for r in runs), max(r.peak for r in runs)
        table.rows.append([fmt_rows(rows), fmt_seconds(seconds), fmt_seconds(seconds * 1e6 / rows),
                           fmt_rate(rows, seconds), fmt_mib(peak)])
        table.data.append({"rows": rows, "seconds": seconds, "peak_bytes": peak})
        remove(out)
    bench.show("rows", table)


def section_factors(bench: Bench) -> None:
    """Generated rulesets of growing size: load, compile and evaluation time, per factor."""
    from salesrules.loader.schema import read_source

    args = bench.args
    base = read_source(RULESET)
    source = bench.input(args.factor_rows, "csv")
    table = Table(f"Scaling with factors: load and compile in process; evaluation of {args.factor_rows:,} CSV rows "
                  f"as a whole process, median of {args.repeat}",
                  ["factors", "load", "compile", "compile / factor", "evaluate", "evaluate / factor",
                   "added / added factor"])
    previous = None
    for count in args.factor_counts:
        path = bench.out / f"factors-{count}.yaml"
        # JSON is YAML: the generated ruleset needs no YAML writer.
        path.write_text(json.dumps(factor_ruleset(base, count), indent=1, default=str), encoding="utf-8")
        bench.log(f"factors: {count} ...")
        load_s, compile_s = load_and_compile(path, 3)
        out = bench.out / "factors.csv"
        runs = side_by_side({"salesrules": bench.evaluate_command(source, out, path)}, args.repeat)["salesrules"]
        seconds = median(r.seconds for r in runs)
        added = "" if previous is None else fmt_ms((seconds - previous[1]) / (count - previous[0]))
        table.rows.append([f"{count:,} factors", fmt_ms(load_s), fmt_ms(compile_s), fmt_us(compile_s / count),
                           fmt_seconds(seconds), fmt_ms(seconds / count), added])
        table.data.append({"factors": count, "rows": args.factor_rows, "load_s": load_s, "compile_s": compile_s,
                           "evaluate_s": seconds, "peak_bytes": max(r.peak for r in runs)})
        if count == COMPILE_FACTORS:
            total = load_s + compile_s
            bench.target(f"{COMPILE_FACTORS:,}-factor load + compile", f"< {COMPILE_LIMIT_S:.0f} s",
                         fmt_ms(total), total < COMPILE_LIMIT_S)
        previous = (count, seconds)
        remove(out, path)
    bench.show("factors", table)


# Times evaluate_one in a process of its own: in this one, the objects the other sections
# left (thousands of compiled factors) would slow down every garbage collection.
LATENCY_SCRIPT = """
import datetime as dt, json, sys, time
import salesrules
ruleset_path, record, as_of, calls = sys.argv[1], json.loads(sys.argv[2]), dt.date.fromisoformat(sys.argv[3]), int(sys.argv[4])
ruleset = salesrules.load(ruleset_path)
for _ in range(10):  # warm-up: the plan is compiled and cached on the first call
    ruleset.evaluate_one(record, as_of=as_of)
times = []
for _ in range(calls):
    start = time.perf_counter()
    ruleset.evaluate_one(record, as_of=as_of)
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


def section_latency(bench: Bench) -> None:
    """``evaluate_one`` in a process of its own, and ``salesrules --version`` as a whole process."""
    args = bench.args
    calls = []
    for _ in range(args.repeat):  # the machine's speed varies from one process to the next
        timed = subprocess.run([sys.executable, "-c", LATENCY_SCRIPT, str(RULESET), json.dumps(RECORD), AS_OF,
                                str(args.latency_calls)], check=True, capture_output=True, text=True)
        calls += json.loads(timed.stdout)
    one = median(calls)
    version_runs = [run_process([bench.salesrules, "--version"]) for _ in range(args.version_runs)]
    version = median(r.seconds for r in version_runs)
    table = Table("Latency", ["what", "median", "runs", "target"])
    table.rows.append(["evaluate_one (in a process of its own)", fmt_ms(one), f"{len(calls)} calls",
                       f"≤ {EVALUATE_ONE_LIMIT_S * 1e3:.2f} ms {verdict(one <= EVALUATE_ONE_LIMIT_S)}"])
    table.rows.append(["salesrules --version (whole process)", fmt_ms(version), f"{len(version_runs)} runs",
                       f"< {VERSION_LIMIT_S * 1e3:.0f} ms {verdict(version < VERSION_LIMIT_S)}"])
    table.data.append({"evaluate_one_s": one, "evaluate_one_calls_s": calls, "version_s": version,
                       "version_runs_s": [r.seconds for r in version_runs]})
    bench.target("evaluate_one, no regression", f"≤ {EVALUATE_ONE_LIMIT_S * 1e3:.2f} ms", fmt_ms(one),
                 one <= EVALUATE_ONE_LIMIT_S)
    bench.target("salesrules --version", f"< {VERSION_LIMIT_S * 1e3:.0f} ms", fmt_ms(version),
                 version < VERSION_LIMIT_S)
    bench.show("latency", table)


def section_report(bench: Bench) -> None:
    """The pipeline report against the evaluation of the same file, whole processes side by side."""
    args = bench.args
    source = bench.input(args.rows, "csv")
    report_out, eval_out = bench.out / "report.json", bench.out / "standard.csv"
    common = [str(source), "-r", "builtin:standard", "--as-of", AS_OF]
    bench.log(f"report: {args.repeat} x (evaluate, report) ...")
    runs = side_by_side({
        "evaluate": [bench.salesrules, "evaluate", *common, "-o", str(eval_out)],
        "report": [bench.salesrules, "report", *common, "-o", str(report_out)],
    }, args.repeat)
    evaluate_s = median(r.seconds for r in runs["evaluate"])
    report_s = median(r.seconds for r in runs["report"])
    ratio = report_s / evaluate_s
    passed = ratio <= REPORT_RATIO_LIMIT
    table = Table(f"Pipeline report: whole processes, median of {args.repeat} (builtin:standard)",
                  ["rows", "evaluate", "report", "ratio", "report peak", "target"])
    table.rows.append([fmt_rows(args.rows), fmt_seconds(evaluate_s), fmt_seconds(report_s), fmt_ratio(ratio),
                       fmt_mib(max(r.peak for r in runs["report"])), f"≤ {REPORT_RATIO_LIMIT:.1f}x {verdict(passed)}"])
    table.data.append({"rows": args.rows, "evaluate_s": evaluate_s, "report_s": report_s, "ratio": ratio,
                       "report_peak_bytes": max(r.peak for r in runs["report"])})
    bench.target("report against evaluate", f"≤ {REPORT_RATIO_LIMIT:.1f}x", fmt_ratio(ratio), passed)
    remove(report_out, eval_out)
    bench.show("report", table)


def section_table(bench: Bench) -> None:
    """The terminal table of the top records against the CSV of all of them, side by side."""
    args = bench.args
    source = bench.input(args.rows, "csv")
    table_out, csv_out = bench.out / "table.txt", bench.out / "all.csv"
    common = [str(source), "-r", str(RULESET), "--as-of", AS_OF]
    bench.log(f"table: {args.repeat} x (csv, table) ...")
    runs = side_by_side({
        "csv": [bench.salesrules, "evaluate", *common, "-o", str(csv_out)],
        "table": [bench.salesrules, "evaluate", *common, "-f", "table", "--limit", "40", "-o", str(table_out)],
    }, args.repeat, env={**os.environ, "COLUMNS": "120"})
    csv_s = median(r.seconds for r in runs["csv"])
    table_s = median(r.seconds for r in runs["table"])
    ratio = table_s / csv_s
    passed = ratio <= TABLE_RATIO_LIMIT
    shown = Table(f"Terminal table of the top 40 against CSV of all: whole processes, median of {args.repeat}",
                  ["rows", "csv", "table", "ratio", "target"])
    shown.rows.append([fmt_rows(args.rows), fmt_seconds(csv_s), fmt_seconds(table_s), fmt_ratio(ratio),
                       f"≤ {TABLE_RATIO_LIMIT:.1f}x {verdict(passed)}"])
    shown.data.append({"rows": args.rows, "csv_s": csv_s, "table_s": table_s, "ratio": ratio})
    bench.target("table against csv", f"≤ {TABLE_RATIO_LIMIT:.1f}x", fmt_ratio(ratio), passed)
    remove(table_out, csv_out)
    bench.show("table", shown)


def section_huge(bench: Bench) -> None:
    """Big CSV and Parquet files: bounded peak memory with spilling, and the same output as all in memory."""
    args = bench.args
    rows = args.huge or 10_000_000
    for fmt, label in (("csv", "CSV"), ("parquet", "Parquet")):
        source = bench.input(rows, fmt)
        table = Table(f"Big input: {rows:,} rows ({source.stat().st_size / GIB:.2f} GiB of {label}), "
                      f"{label} to {label}, one run each",
                      ["SALESRULES_SPILL", "time", "rate", "peak", "output digest", "target"])
        digests = {}
        for mode in ("auto", "never"):
            out = bench.out / f"huge-{mode}.{fmt}"
            bench.log(f"huge: {rows:,} rows of {label} with SALESRULES_SPILL={mode} ...")
            run = run_process(bench.evaluate_command(source, out), env={**os.environ, "SALESRULES_SPILL": mode})
            digests[mode] = sha256(out) if fmt == "csv" else content_digest(out)
            file_digest = sha256(out)
            remove(out)
            if mode == "auto":
                passed = run.peak < HUGE_PEAK_LIMIT
                target = f"peak < 1 GiB {verdict(passed)}"
                bench.target(f"{rows:,}-row {label} peak memory", "< 1 GiB", fmt_mib(run.peak), passed)
            else:
                same = digests["auto"] == digests["never"]
                target = f"same output {verdict(same)}"
                bench.target(f"{rows:,}-row {label} output, spilled vs in memory",
                             "same sha256" if fmt == "csv" else "same content",
                             "same" if same else "different", same)
            table.rows.append([mode, fmt_seconds(run.seconds), fmt_rate(rows, run.seconds), fmt_mib(run.peak),
                               digests[mode][:16], target])
            table.data.append({"format": fmt, "spill": mode, "rows": rows, "input_bytes": source.stat().st_size,
                               "seconds": run.seconds, "peak_bytes": run.peak, "digest": digests[mode],
                               "sha256": file_digest})
        bench.show("huge", table)


def content_digest(path: Path) -> str:
    """The sha256 of the row hashes of a Parquet file's decoded content, read batch by batch:
    the same for the same rows in the same order, however the file is laid out."""
    import polars as pl

    digest = hashlib.sha256()
    for batch in pl.scan_parquet(path).collect_batches(chunk_size=100_000):
        digest.update(batch.hash_rows(seed=0).to_numpy().tobytes())
    return digest.hexdigest()


SECTION_RUNNERS = {
    "e2e": section_e2e,
    "loop": section_loop,
    "handwritten": section_handwritten,
    "columns": section_columns,
    "rows": section_rows,
    "factors": section_factors,
    "latency": section_latency,
    "report": section_report,
    "table": section_table,
    "huge": section_huge,
}


# --- the command line ----------------------------------------------------------------


def machine() -> dict:
    """What the figures were measured on."""
    import polars as pl

    import salesrules

    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "polars": pl.__version__,
        "salesrules": salesrules.__version__,
        "date": dt.datetime.now().isoformat(timespec="seconds"),
    }


def targets_table(targets: list[Target]) -> Table:
    """The summary of every target measured."""
    table = Table("Targets", ["target", "limit", "measured", "result"])
    for target in targets:
        table.rows.append([target.name, target.limit, target.measured, verdict(target.passed)])
        table.data.append(vars(target))
    return table


def parser() -> argparse.ArgumentParser:
    """The command-line options."""
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=1_000_000, help="rows of the e2e and loop inputs (default 1,000,000)")
    p.add_argument("--repeat", type=int, default=3, help="runs per whole-process measurement (default 3)")
    p.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    p.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "salesrules-bench"),
                   help="where generated inputs are kept and outputs written (default: TMPDIR/salesrules-bench)")
    p.add_argument("--only", help=f"comma-separated sections: {','.join(SECTIONS)}")
    p.add_argument("--no-loop", action="store_true", help="skip the per-record loop engine")
    p.add_argument("--loop-repeat", type=int, default=1, help="runs of the loop engine (default 1)")
    p.add_argument("--record-rows", type=int, default=100_000,
                   help="rows the per-record rules engine evaluates; its rate is extrapolated to --rows (default 100,000)")
    p.add_argument("--scaling-rows", type=parse_counts, default=parse_counts("100000,300000,1000000"),
                   help="row counts of the rows section (default 100000,300000,1000000)")
    p.add_argument("--factor-counts", type=parse_counts, default=parse_counts("100,250,500,1000,2000"),
                   help="factor counts of the factors section (default 100,250,500,1000,2000)")
    p.add_argument("--factor-rows", type=int, default=100_000, help="rows evaluated per factor count (default 100,000)")
    p.add_argument("--latency-calls", type=int, default=200, help="evaluate_one calls timed (default 200)")
    p.add_argument("--version-runs", type=int, default=10, help="salesrules --version runs timed (default 10)")
    p.add_argument("--huge", type=int, metavar="ROWS", help="also run the huge section with ROWS rows (e.g. 10000000)")
    p.add_argument("--json", metavar="FILE", help="also write the tables and figures as JSON to FILE")
    p.add_argument("--strict", action="store_true", help="exit with status 1 when a target fails")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen sections and print their tables and the targets; with ``--strict``, 1 if a target fails."""
    p = parser()
    args = p.parse_args(argv)
    try:
        sections = choose_sections(args.only, args.huge, args.no_loop)
    except ValueError as exc:
        p.error(str(exc))
    if min(args.rows, args.repeat, args.loop_repeat, args.factor_rows, args.latency_calls, args.version_runs,
           args.record_rows) < 1:
        p.error("counts must be positive")
    bench = Bench(args)
    info = machine()
    print(f"salesrules {info['salesrules']}, polars {info['polars']}, Python {info['python']}, "
          f"{info['cpus']} CPUs, {info['platform']}\n", flush=True)
    try:
        for name in sections:
            SECTION_RUNNERS[name](bench)
    finally:
        shutil.rmtree(bench.out, ignore_errors=True)
    summary = targets_table(bench.targets)
    if bench.targets:
        print(summary.text())
    if args.json:
        report = {
            "machine": info,
            "settings": {key: value for key, value in vars(args).items() if key != "json"},
            "sections": {name: [vars(t) for t in tables] for name, tables in bench.tables.items()},
            "targets": summary.data,
        }
        text = json.dumps(report, indent=2, ensure_ascii=False, default=str)
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 1 if args.strict and not all(t.passed for t in bench.targets) else 0


if __name__ == "__main__":
    sys.exit(main())
