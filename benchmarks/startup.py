"""Start-up: how long a short ``salesrules evaluate`` takes as a whole process, against a Python
process that copies the same file with polars, and where the time goes.

Run it from the repository root with the project's interpreter::

    python benchmarks/startup.py              # 10 rows, 7 runs of each command
    python benchmarks/startup.py --runs 15    # steadier medians on a busy machine

It generates a small input with ``benchmarks/generate.py``, then times whole processes, taking
turns (copy, cold, warm, version, copy, cold...) so a slow moment of the machine hits them all,
and prints the median of each:

- the floor: ``python -c "import polars as pl, sys; pl.read_csv(IN).write_csv(OUT)"``;
- ``salesrules evaluate IN -r benchmarks/ruleset.yaml --as-of 2026-11-22 -o OUT`` with a cold
  ruleset cache (an empty cache directory each run) and with a warm one;
- ``salesrules --version``;
- ``python -c pass``, the interpreter alone.

Then, in processes of their own, what a warm run spends its time on (the imports, loading the
ruleset, compiling it, the evaluation and the output) and how long plugin discovery takes. The
ratio of the warm run to the floor is compared with the target, 1.5x.

Every child runs with bytecode caching on (in a temporary ``PYTHONPYCACHEPREFIX``, after a
warm-up run that writes it), as an installed package has its modules compiled.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULESET = ROOT / "benchmarks" / "ruleset.yaml"
AS_OF = "2026-11-22"
TARGET = 1.5
COPY = "import polars as pl, sys; pl.read_csv(sys.argv[1]).write_csv(sys.argv[2])"

# Run in a process of its own with a warm cache: the phases of one evaluation, timed in process.
# The garbage collector is handled as salesrules.__main__.main handles it in the process.
PHASES = r"""
import gc, json, sys, time
start = time.perf_counter()
marks = {}
gc.disable()
import polars
marks["import polars"] = time.perf_counter()
from salesrules.cli import cli
marks["import salesrules.cli (click, commands, plugins)"] = time.perf_counter()
import salesrules.compiler.plan as plan_module
import salesrules.loader.load as load_module
from salesrules.__main__ import YOUNG_COLLECTION_OBJECTS
gc.freeze()
gc.enable()
gc.set_threshold(YOUNG_COLLECTION_OBJECTS, *gc.get_threshold()[1:])
spent = {"load ruleset": 0.0, "compile ruleset": 0.0}

def timed(name, function):
    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - began
    return wrapper

load_module.load_unchecked = timed("load ruleset", load_module.load_unchecked)
plan_module.compile_ruleset = timed("compile ruleset", plan_module.compile_ruleset)
marks["import the loader and compiler"] = time.perf_counter()
began = time.perf_counter()
try:
    cli.main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
ended = time.perf_counter()
phases, previous = [], start
for name, at in marks.items():
    phases.append([name, at - previous])
    previous = at
phases += [[name, seconds] for name, seconds in spent.items()]
phases.append(["read, evaluate, rank, write (and the command's own work)", ended - began - sum(spent.values())])
print(json.dumps({"phases": phases, "total": ended - start}))
"""

# Run in a fresh process: the built-in plugins, then the installed ones found through entry points.
DISCOVERY = r"""
import json, os, time
import polars, pluggy
os.environ["SALESRULES_LOAD_PLUGINS"] = ""
began = time.perf_counter()
from salesrules import plugins
imported = time.perf_counter()
plugins.load_plugins()
defaults = time.perf_counter()
import importlib.metadata
found = importlib.metadata.entry_points(group=plugins.ENTRY_POINT_GROUP)
scanned = time.perf_counter()
plugins.pm.load_setuptools_entrypoints(plugins.ENTRY_POINT_GROUP)
loaded = time.perf_counter()
plugins.get_registry()
registry = time.perf_counter()
print(json.dumps({
    "import salesrules.plugins (pluggy, hook specifications)": imported - began,
    "register the built-in plugins": defaults - imported,
    "find the salesrules entry points (importlib.metadata)": scanned - defaults,
    "load the installed plugins (%d entry points)" % len(found): loaded - scanned,
    "build the registry (every register_* hook)": registry - loaded,
}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="whole processes per command (default 7; at least 5)")
    parser.add_argument("--rows", type=int, default=10, help="rows of the input (default 10)")
    parser.add_argument("--ruleset", default=str(RULESET), help="the ruleset (default benchmarks/ruleset.yaml)")
    args = parser.parse_args(argv)
    runs = max(args.runs, 5)
    with tempfile.TemporaryDirectory(prefix="salesrules-startup-") as folder:
        work = Path(folder)
        env = _environment(work)
        source = work / "input.csv"
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--rows", str(args.rows), "--seed", "1",
                        "--as-of", AS_OF, "-o", str(source), "-q"], check=True, env=env)
        evaluate = ["evaluate", str(source), "-r", args.ruleset, "--as-of", AS_OF, "-o", str(work / "out.csv")]
        salesrules = [sys.executable, "-m", "salesrules"]
        warm_cache = work / "warm-cache"
        commands = {
            "polars copy (the floor)": ([sys.executable, "-c", COPY, str(source), str(work / "copy.csv")], None),
            "salesrules evaluate, cold cache": (salesrules + evaluate, "cold"),
            "salesrules evaluate, warm cache": (salesrules + evaluate, str(warm_cache)),
            "salesrules --version": (salesrules + ["--version"], str(warm_cache)),
            "python -c pass": ([sys.executable, "-c", "pass"], None),
        }
        load = os.getloadavg()[0]
        print(f"{args.rows} rows, {runs} runs of each command, taking turns; Python {sys.version.split()[0]}; "
              f"load average {load:.2f} at the start")
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for round_ in range(runs + 1):  # the first round writes the bytecode and warms the cache
            for name, (command, cache) in commands.items():
                wall, used = _run(command, env, cache, work)
                if round_:
                    times[name].append(wall)
                    cpu[name].append(used)
        medians = {name: statistics.median(values) for name, values in times.items()}
        cpu_medians = {name: statistics.median(values) for name, values in cpu.items()}
        floor, cpu_floor = medians["polars copy (the floor)"], cpu_medians["polars copy (the floor)"]
        print()
        print(f"{'whole process':<36} {'wall':>9} {'min':>9} {'max':>9} {'vs floor':>9} {'CPU':>9} {'vs floor':>9}")
        for name, values in times.items():
            print(f"{name:<36} {_ms(medians[name])} {_ms(min(values))} {_ms(max(values))} {medians[name] / floor:>8.2f}x"
                  f" {_ms(cpu_medians[name])} {cpu_medians[name] / cpu_floor:>8.2f}x")
        print("(medians; CPU is user and system time, which a busy machine inflates less than wall time)")
        phases = _child_json(PHASES, env, warm_cache, *evaluate)
        print()
        print("where a warm run's time goes (in process, one run):")
        interpreter = medians["python -c pass"]
        print(f"  {'interpreter start-up (python -c pass, median)':<60} {_ms(interpreter)}")
        for name, seconds in phases["phases"]:
            print(f"  {name:<60} {_ms(seconds)}")
        discovery = _child_json(DISCOVERY, env, warm_cache)
        print()
        print("plugin discovery (in process):")
        for name, seconds in discovery.items():
            print(f"  {name:<60} {_ms(seconds)}")
        ratio = medians["salesrules evaluate, warm cache"] / floor
        cold = medians["salesrules evaluate, cold cache"] / floor
        print()
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
        print(f"warm cache: {ratio:.2f}x the polars copy (target <= {TARGET}x): {'met' if ratio <= TARGET else 'missed'}; "
              f"cold cache: {cold:.2f}x")
    return 0


def _environment(work: Path) -> dict:
    """The children's environment: bytecode cached in a folder of the benchmark's own."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env.pop("SALESRULES_NO_CACHE", None)
    return env


def _run(command: list[str], env: dict, cache: str | None, work: Path) -> tuple[float, float]:
    """The wall time and the CPU time (user and system, from ``os.wait4``) of one whole process;
    ``cache`` is its ruleset cache ("cold": a new, empty one)."""
    env = dict(env)
    if cache == "cold":
        cache = tempfile.mkdtemp(prefix="cold-", dir=work)
    if cache is not None:
        env["SALESRULES_CACHE_DIR"] = cache
    began = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"failed with exit code {process.returncode}: {' '.join(command)}")
    return wall, usage.ru_utime + usage.ru_stime


def _child_json(code: str, env: dict, cache: Path, *args: str) -> dict:
    env = dict(env, SALESRULES_CACHE_DIR=str(cache))
    result = subprocess.run([sys.executable, "-c", code, *args], env=env, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:>6.0f} ms"


if __name__ == "__main__":
    sys.exit(main())
