"""Interrupted runs: SIGINT (Ctrl-C) and SIGTERM in the middle of ``salesrules evaluate``.

The command runs in a subprocess over a large generated file (benchmarks/generate.py, 300,000
rows). Once it is running, the signal arrives; the run must stop with exit code 130 (SIGINT) or
143 (SIGTERM), one ``error:`` line, the existing output byte-identical, no temporary file left in
the output directory nor in the temporary directory (a private TMPDIR).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_helpers import AS_OF, PRECIOUS, ROOT

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc to see the run start")

ROWS = 300_000
EXPECTED = {
    signal.SIGINT: (130, "error: interrupted; no output was written"),
    signal.SIGTERM: (143, "error: terminated (SIGTERM); no output was written"),
}


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    path = tmp_path_factory.mktemp("big") / "prospects.csv"
    generate.write_csv(path, ROWS, 7, dt.date(2026, 11, 22))
    return path


def handles_sigterm(pid: int) -> bool:
    """Whether the process has installed its SIGTERM handler (its command line is running)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next((int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigCgt:")), 0)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def interrupt(big: Path, work: Path, sig: int, *extra, when=None, ruleset="builtin:standard", env=None):
    """Start an evaluation, send ``sig`` once it runs (and ``when()`` holds), return (code, stderr)."""
    tmp = work / "tmp"
    tmp.mkdir()
    env = {**os.environ, **(env or {}), "TMPDIR": str(tmp)}
    command = [sys.executable, "-m", "salesrules", "evaluate", str(big), "-r", str(ruleset),
               "--as-of", AS_OF, *extra]
    process = subprocess.Popen(command, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not handles_sigterm(process.pid) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # into the evaluation, which takes about a second
        while when is not None and not when() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert process.poll() is None, f"the run ended before the signal: {process.communicate()}"
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, stderr, sorted(os.listdir(tmp))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("extra", [(), ("--encoding", "latin-1")], ids=["utf-8", "transcoded"])
def test_an_interrupted_evaluation_leaves_nothing_behind(big, tmp_path, sig, extra):
    out = tmp_path / "out.csv"
    out.write_bytes(PRECIOUS)
    before = (big.read_bytes(), big.stat().st_mtime_ns)
    code, stderr, leftovers = interrupt(big, tmp_path, sig, "-o", str(out), *extra)
    expected_code, expected_line = EXPECTED[sig]
    assert code == expected_code, stderr
    assert stderr.strip().splitlines() == [expected_line]
    assert "Traceback" not in stderr
    assert out.read_bytes() == PRECIOUS
    assert sorted(os.listdir(tmp_path)) == ["out.csv", "tmp"]
    assert leftovers == [], "temporary files left in TMPDIR"
    assert (big.read_bytes(), big.stat().st_mtime_ns) == before


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_write_removes_the_temporary_output(big, tmp_path, sig):
    """The signal arrives while the (slow) xlsx writer fills the temporary file next to the output."""

    def writing():
        return any(name.startswith(".new.xlsx.") for name in os.listdir(tmp_path))

    code, stderr, leftovers = interrupt(big, tmp_path, sig, "-o", str(tmp_path / "new.xlsx"), when=writing)
    assert code == EXPECTED[sig][0], stderr
    assert stderr.strip().splitlines() == [EXPECTED[sig][1]]
    assert sorted(os.listdir(tmp_path)) == ["tmp"], "an output or a temporary file was left behind"
    assert leftovers == []


@pytest.mark.parametrize("failure", [RuntimeError("callback failed"), None], ids=["unexpected", "salesrules-error"])
def test_an_error_after_a_swallowed_ctrl_c_is_reported_as_the_interruption(failure):
    """polars prints and drops a KeyboardInterrupt raised in a Python callback it runs, and the
    callback's failure surfaces as another error; the run must still end as interrupted."""
    import click
    from click.testing import CliRunner

    from salesrules.cli import group
    from salesrules.errors import RulesetError

    @click.command()
    def run():
        group._Interrupts.interrupted = True  # what the relay thread records on SIGINT
        raise failure or RulesetError("field 'x': default False is not a valid boolean")

    result = CliRunner().invoke(group._Group("salesrules", commands=[run]), ["run"])
    assert result.exit_code == 130
    assert result.output.strip() == "error: interrupted; no output was written"


# Batches that take long to evaluate: regular expressions over long texts, the inputs
# benchmarks/interrupt.py measures the stop with. A batch being evaluated cannot be stopped
# half-way, so the run stops without waiting for it.
@pytest.fixture(scope="module")
def slow(tmp_path_factory) -> tuple[Path, Path]:
    # benchmarks/ is not a package, so the script is imported from its path.
    spec = importlib.util.spec_from_file_location("salesrules_benchmark_interrupt",
                                                  Path(__file__).resolve().parents[2] / "benchmarks" / "interrupt.py")
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    return benchmark.write_inputs(tmp_path_factory.mktemp("slow"), rows=300_000, factors=30)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("spill", ["auto", "always"])
def test_a_run_stops_without_waiting_for_the_batches_under_way(slow, tmp_path, sig, spill):
    """The signal arrives while worker threads evaluate batches that take seconds each: the run
    ends as interrupted, with nothing written and no temporary file left (the stop itself takes a
    fraction of a second, see docs/security.md; no time is asserted here)."""
    data, rules = slow
    out = tmp_path / "out.csv"
    code, stderr, leftovers = interrupt(data, tmp_path, sig, "-o", str(out), ruleset=rules,
                                        env={"SALESRULES_SPILL": spill})
    assert code == EXPECTED[sig][0], stderr
    assert stderr.strip().splitlines() == [EXPECTED[sig][1]]
    assert "Traceback" not in stderr
    assert sorted(os.listdir(tmp_path)) == ["tmp"], "an output or a temporary file was left behind"
    assert leftovers == [], "temporary files left in TMPDIR"
