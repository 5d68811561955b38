"""Benchmark of the accounts, territories and segments of the report, and of ``assign``, on
generated CRM exports (benchmarks/generate.py), printed as a plain-text table.

    python benchmarks/accounts.py                      # 100,000 and 1,000,000 rows
    python benchmarks/accounts.py --rows 200000 --repeat 3

For each size, in this process with ``builtin:standard``: the evaluation the report reads
(``evaluate_full`` keeping the columns the report keeps), the whole report, the accounts, territories and segments computed from the
evaluated records (the part they add to the report), and ``assign --reassign`` of every open
record to the generated reps (one per owner, capacity enough for all). Medians of ``--repeat``
runs. Inputs are written once into ``--workdir`` and kept.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_OF = dt.date(2026, 11, 22)


def _generate_module():
    spec = importlib.util.spec_from_file_location("salesrules_benchmark_generate", HERE / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def timed(function, repeat: int) -> tuple[float, object]:
    """The median time of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100000,1000000", help="comma-separated row counts")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "salesrules-bench"))
    args = parser.parse_args(argv)

    import polars as pl

    import salesrules
    from salesrules.compiler.plan import compile_ruleset
    from salesrules.reports import accounts as acc
    from salesrules.reports import report
    from salesrules.reports.segments import segments as segment_table
    from salesrules.reports.territories import record_columns as territory_records
    from salesrules.reports.territories import territories as territory_table
    from salesrules.reports.territories import territory_fields
    from salesrules.reports.assignment import Rep, assign
    from salesrules.runners.local import evaluate_full

    generate = _generate_module()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    ruleset = salesrules.load("builtin:standard")
    plan = compile_ruleset(ruleset, AS_OF)
    reps = [Rep(owner, None, territory, 10_000_000) for territory, owners in generate.OWNERS_BY_TERRITORY.items()
            for owner in owners]
    header = ["rows", "evaluate", "report", "accounts+territories+segments", "assign", "assign rows/s", "accounts", "territories"]
    lines = []
    for rows in (int(r) for r in args.rows.split(",")):
        source = work / f"accounts-{rows}.csv"
        if not source.exists():
            generate.write_file(source, rows, 7, AS_OF)
        # The columns the report keeps: what the accounts, territories and segments read.
        columns = ("company", "territory", "owner", "deal_value", "score", "band", "stage", "stage_probability",
                   "__closed", "__won", "__lost", "__workload", *(c.name for c in ruleset.classifications))
        evaluate_s, evaluation = timed(lambda: evaluate_full(ruleset, str(source), as_of=AS_OF, internal=True,
                                                             columns=columns), args.repeat)
        report_s, result = timed(lambda: report(ruleset, str(source), as_of=AS_OF), args.repeat)
        results = evaluation.results
        spec, tspec = acc.account_fields(plan), territory_fields(plan)

        true = pl.lit(True)

        def sections_lit():
            table, _ = acc.accounts(acc.record_columns(results, spec, "deal_value"), spec)
            customers = set(table.filter(table["customer"])["group"].to_list())
            records = territory_records(results, tspec, "deal_value", true, true, spec.by)
            territory_table(records, tspec, customers)
            segment_table(results, plan, "deal_value")

        sections_s, _ = timed(sections_lit, args.repeat)
        assign_s, assigned = timed(lambda: assign(ruleset, str(source), reps, as_of=AS_OF, reassign=True), args.repeat)
        moved = assigned.records["rank"].is_not_null().sum()
        lines.append([f"{rows:,}", f"{evaluate_s:.2f} s", f"{report_s:.2f} s", f"{sections_s:.2f} s", f"{assign_s:.2f} s",
                      f"{moved / assign_s:,.0f}", f"{result.accounts.height:,}", f"{result.territories.height}"])
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(len(header))]
    print("Accounts, territories, segments and assign (builtin:standard, in process, median of "
          f"{args.repeat})")
    for row in [header, *lines]:
        print("  ".join(str(cell).rjust(width) for cell, width in zip(row, widths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
