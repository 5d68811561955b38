"""benchmarks/startup.py: its in-process measurements run and name every phase (the figures
themselves are the benchmark's to print, never asserted here)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("salesrules_benchmark_startup", ROOT / "benchmarks" / "startup.py")
startup = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = startup
spec.loader.exec_module(startup)


def test_the_phases_of_a_warm_run_are_named_and_the_output_written(tmp_path):
    import subprocess

    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    env = dict(os.environ)  # the benchmark's own bytecode folder would compile polars anew: slow
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--rows", "10", "--seed", "1",
                    "--as-of", startup.AS_OF, "-o", str(source), "-q"], check=True, env=env)
    args = ["evaluate", str(source), "-r", str(startup.RULESET), "--as-of", startup.AS_OF, "-o", str(out)]
    result = startup._child_json(startup.PHASES, env, tmp_path / "cache", *args)
    assert [name for name, _ in result["phases"]] == [
        "import polars",
        "import salesrules.cli (click, commands, plugins)",
        "import the loader and compiler",
        "load ruleset",
        "compile ruleset",
        "read, evaluate, rank, write (and the command's own work)",
    ]
    assert all(seconds >= 0 for _, seconds in result["phases"])
    assert startup._environment(tmp_path)["PYTHONPYCACHEPREFIX"] == str(tmp_path / "pycache")
    assert len(out.read_text("utf-8").splitlines()) == 11  # the header and the 10 records
    wall, cpu = startup._run([sys.executable, "-c", "pass"], env, None, tmp_path)
    assert wall > 0 and cpu >= 0


def test_plugin_discovery_is_measured_step_by_step(tmp_path):
    result = startup._child_json(startup.DISCOVERY, dict(os.environ), tmp_path / "cache")
    assert list(result)[:3] == [
        "import salesrules.plugins (pluggy, hook specifications)",
        "register the built-in plugins",
        "find the salesrules entry points (importlib.metadata)",
    ]
    assert list(result)[3].startswith("load the installed plugins (")
    assert list(result)[4] == "build the registry (every register_* hook)"
