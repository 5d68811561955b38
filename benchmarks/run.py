"""Time salesrules against the polars read/write floor on generated prospect files.

    python benchmarks/run.py --rows 1000000 --repeat 3

Prints, per format, the median wall time of whole processes (start-up included) for the
floor (polars reads and writes the same file) and for ``salesrules evaluate`` with the
standard ruleset, their ratio, rows per second and the peak memory of the evaluation.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
FLOOR = {
    "csv": "import polars as pl, sys; pl.read_csv(sys.argv[1]).write_csv(sys.argv[2])",
    "parquet": "import polars as pl, sys; pl.read_parquet(sys.argv[1]).write_parquet(sys.argv[2])",
}


def timed(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak resident memory (KiB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}")
    return elapsed, usage.ru_maxrss


def main() -> None:
    """Generate the input if needed, run each measurement ``--repeat`` times and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--formats", default="csv,parquet")
    parser.add_argument("--ruleset", default="builtin:standard")
    parser.add_argument("--workdir", default=tempfile.gettempdir())
    args = parser.parse_args()
    work = Path(args.workdir)
    salesrules = str(Path(sys.executable).with_name("salesrules"))
    print(f"{'format':8} {'rows':>10} {'floor s':>8} {'salesrules s':>13} {'ratio':>6} {'rows/s':>10} {'peak MiB':>9}")
    for fmt in args.formats.split(","):
        source = work / f"salesrules-bench-{args.rows}.{fmt}"
        if not source.exists():
            subprocess.run([sys.executable, str(HERE / "generate.py"), "--rows", str(args.rows), "--seed", "1",
                            "--as-of", "2026-11-22", "-o", str(source), "-q"], check=True)
        out_floor, out_eval = work / f"floor.{fmt}", work / f"eval.{fmt}"
        floors, evals, peaks = [], [], []
        for _ in range(args.repeat):
            floors.append(timed([sys.executable, "-c", FLOOR[fmt], str(source), str(out_floor)])[0])
            seconds, peak = timed([salesrules, "evaluate", str(source), "-r", args.ruleset,
                                   "--as-of", "2026-11-22", "-o", str(out_eval)])
            evals.append(seconds)
            peaks.append(peak)
        floor, evaluation = statistics.median(floors), statistics.median(evals)
        print(f"{fmt:8} {args.rows:>10,} {floor:>8.2f} {evaluation:>13.2f} {evaluation / floor:>6.2f} "
              f"{args.rows / evaluation:>10,.0f} {max(peaks) / 1024:>9.0f}")
        for path in (out_floor, out_eval):
            if path.exists():
                os.remove(path)


if __name__ == "__main__":
    main()
