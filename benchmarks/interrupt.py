"""How long ``salesrules evaluate`` takes to stop on SIGINT and SIGTERM while its batches are slow.

The input has a long text column and the ruleset many ``matches()`` factors over it, so that one
batch of 100,000 records takes seconds to evaluate and cannot be stopped half-way. The script
starts the command, sends the signal some seconds into the evaluation and prints how long the
process took to end after it, its exit code, and whether anything was left behind.

    python benchmarks/interrupt.py --rows 1000000 --factors 40 --after 8 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PATTERNS = [r"\\w{10}\\s\\w{10}x", r"(?i)(\\w+\\s){5}\\w*q\\w*z", r"[\\p{L}]{3,40}\\s[\\p{Greek}]{2,9}[a-f]{4}",
            r"(\\w|\\s){50}qqq", r"(?:[a-zäöü]{2,8}\\s?){20}ß{2}"]
RULESET = """\
salesrules: 1
name: slow
version: "1"
fields:
  id: {type: string, key: true}
  deal_value: money
  notes: string
tiers:
  - {name: high, when: "deal_value > 1_000_000", points: 50}
  - {name: low, points: 10}
factors:
"""


def write_inputs(folder: Path, rows: int, factors: int) -> tuple[Path, Path]:
    """A CSV of ``rows`` records with 300-character notes, and a ruleset of ``factors`` regex factors."""
    import polars as pl

    chooser = random.Random(2)
    alphabet = "abcdefghijklmnopqrstuvwxyzäöüéèßçñ αβγδ"
    texts = ["".join(chooser.choice(alphabet) for _ in range(300)) for _ in range(5000)]
    data = folder / "notes.csv"
    pl.DataFrame({"id": [f"R{i}" for i in range(rows)], "deal_value": [i % 2_000_000 for i in range(rows)],
                  "notes": [texts[i % 5000] for i in range(rows)]}).write_csv(data)
    rules = folder / "slow.yaml"
    lines = [f"  - {{name: f{i}, when: \"matches(notes, '{PATTERNS[i % 5]}{'k' * (i // 5)}')\", points: 1}}"
             for i in range(factors)]
    rules.write_text(RULESET + "\n".join(lines) + "\n", encoding="utf-8")
    return data, rules


def stop_once(data: Path, rules: Path, folder: Path, sig: int, after: float) -> str:
    """One run interrupted ``after`` seconds in: a line with the stop latency and what is left."""
    tmp = folder / "tmp"
    tmp.mkdir(exist_ok=True)
    out = folder / "out.csv"
    command = [sys.executable, "-m", "salesrules", "evaluate", str(data), "-r", str(rules), "-o", str(out), "-q"]
    process = subprocess.Popen(command, env={**os.environ, "TMPDIR": str(tmp)}, stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    if process.poll() is not None:
        return f"the run ended before the signal (exit {process.returncode}); use a bigger input"
    sent = time.monotonic()
    process.send_signal(sig)
    _, stderr = process.communicate()
    took = time.monotonic() - sent
    left = sorted(os.listdir(tmp)) + ([out.name] if out.exists() else [])
    return (f"{signal.Signals(sig).name}: stopped {took:.2f} s after the signal, exit {process.returncode}, "
            f"left behind: {left or 'nothing'}, stderr: {stderr.strip()!r}")


def main(argv=None) -> None:
    """Generate the input, then time the stop of each interrupted run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--factors", type=int, default=40)
    parser.add_argument("--after", type=float, default=8.0, help="seconds from the start to the signal")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="salesrules-interrupt-") as name:
        folder = Path(name)
        data, rules = write_inputs(folder, args.rows, args.factors)
        print(f"{args.rows:,} rows, {args.factors} regex factors, signal {args.after} s into the run; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        for _ in range(args.repeat):
            for sig in (signal.SIGINT, signal.SIGTERM):
                print(stop_once(data, rules, folder, sig, args.after), flush=True)


if __name__ == "__main__":
    main()
