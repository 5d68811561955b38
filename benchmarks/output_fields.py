"""What it costs an output format to take the input fields, against one that does not.

    python benchmarks/output_fields.py prospects.csv [-r builtin:standard] [--repeat 3]

Evaluates the file three ways to CSV files in a temporary folder and prints the best wall time
of each: the built-in ``csv`` format (no fields), a streamed format that names ``ruleset`` only
(no fields either: it must cost what ``csv`` costs), and a streamed format that names ``fields``
and writes the results followed by every input field.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import types
from pathlib import Path

import polars as pl
from click.testing import CliRunner

import salesrules
from salesrules.cli import cli
from salesrules.testing import plugin_registered


def _plugin() -> types.ModuleType:
    module = types.ModuleType("bench_output_fields")

    def sink_ruleset(frame, stream, context, ruleset):
        frame.sink_csv(stream)

    def sink_fields(frame, stream, context, fields):
        pl.concat([frame, fields.select(pl.all().name.prefix("input."))], how="horizontal").sink_csv(stream)

    def write_unused(frame, stream, context):
        raise AssertionError("the sink is used")

    @salesrules.hookimpl
    def register_output_formats(register):
        register("bench-ruleset", write_unused, extension=".r.csv", sink=sink_ruleset, lists_as_text="; ")
        register("bench-fields", write_unused, extension=".f.csv", sink=sink_fields, lists_as_text="; ")

    module.register_output_formats = register_output_formats
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("-r", "--ruleset", default="builtin:standard")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runner = CliRunner()
    with plugin_registered(_plugin(), "bench"), tempfile.TemporaryDirectory() as folder:
        for fmt in ("csv", "bench-ruleset", "bench-fields"):
            out = Path(folder) / f"{fmt}.csv"
            best = float("inf")
            for _ in range(args.repeat):
                started = time.perf_counter()
                result = runner.invoke(cli, ["evaluate", args.file, "-r", args.ruleset, "-f", fmt, "-o", str(out),
                                             "--as-of", "2026-11-22", "--quiet"])
                best = min(best, time.perf_counter() - started)
                if result.exit_code != 0:
                    raise SystemExit(result.output)
            print(f"{fmt:>14}: {best:6.2f} s, {out.stat().st_size / 1e6:7.1f} MB written")


if __name__ == "__main__":
    main()
