"""Benchmark: prospects from PostgreSQL to PostgreSQL against CSV to CSV.

    python benchmarks/databases.py --rows 1000000

Generates ``--rows`` prospects (benchmarks/generate.py), writes them to a CSV file and to a
PostgreSQL table of text columns (as a CRM export is loaded), then times ``salesrules evaluate``
from CSV to CSV and from the table to a table (``--if-exists replace``), each ``--repeat`` times,
and prints the medians and their ratio; the target is PostgreSQL within 2x of CSV. It also checks
that both give the same results. Without ``--url`` it starts a throwaway server
(tests/postgres_server.py) on a unix socket.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 11, 22)


def _module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(command: list[str]) -> float:
    """Seconds the command took; it must succeed."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--url", help="an existing PostgreSQL database (default: start a throwaway server)")
    args = parser.parse_args()
    generate = _module("salesrules_benchmark_generate", ROOT / "benchmarks" / "generate.py")
    server = _module("salesrules_postgres_server", ROOT / "tests" / "postgres_server.py")
    with tempfile.TemporaryDirectory(prefix="sr-bench-db-") as work, contextlib.ExitStack() as stack:
        work = Path(work)
        url = args.url
        if url is None:
            sockets, port = stack.enter_context(server.postgres_server())
            import adbc_driver_postgresql.dbapi

            with adbc_driver_postgresql.dbapi.connect(server.url(sockets, port), autocommit=True) as connection:
                connection.cursor().execute("CREATE DATABASE bench")
            url = server.url(sockets, port, "bench")
        csv = work / "prospects.csv"
        started = time.perf_counter()
        frame = generate.generate_frame(args.rows, seed=7, as_of=AS_OF)
        frame.write_csv(csv)
        text = pl.read_csv(csv, infer_schema=False)
        import adbc_driver_postgresql.dbapi

        with adbc_driver_postgresql.dbapi.connect(url) as connection:
            cursor = connection.cursor()
            cursor.execute("DROP TABLE IF EXISTS prospects")
            cursor.adbc_ingest("prospects", text.to_arrow(compat_level=pl.CompatLevel.oldest()), mode="create")
            connection.commit()
        print(f"prepared {args.rows:,} rows in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        base = [sys.executable, "-m", "salesrules", "evaluate"]
        ruleset = ["-r", "builtin:standard", "--as-of", AS_OF.isoformat(), "--quiet"]
        csv_times, pg_times = [], []
        for _ in range(args.repeat):
            csv_times.append(timed([*base, str(csv), *ruleset, "-o", str(work / "results.csv")]))
            pg_times.append(timed([*base, url, "--table", "prospects", *ruleset, "-o", url, "--output-table",
                                   "results", "--if-exists", "replace"]))
        with adbc_driver_postgresql.dbapi.connect(url) as connection:
            cursor = connection.cursor()
            cursor.execute('SELECT id, score, rank FROM results ORDER BY id')
            from_pg = pl.DataFrame(pl.from_arrow(cursor.fetch_arrow_table()))
        from_csv = pl.read_csv(work / "results.csv", columns=["id", "score", "rank"]).sort("id")
        same = from_pg.height == from_csv.height and from_pg.equals(from_csv.cast(from_pg.schema))
        csv_s, pg_s = statistics.median(csv_times), statistics.median(pg_times)
        print(f"rows                   {args.rows:>12,}")
        print(f"CSV to CSV             {csv_s:>10.2f} s   {args.rows / csv_s:>12,.0f} rows/s")
        print(f"PostgreSQL to PostgreSQL {pg_s:>8.2f} s   {args.rows / pg_s:>12,.0f} rows/s")
        print(f"ratio                  {pg_s / csv_s:>10.2f}x   (target: at most 2.00x) {'PASS' if pg_s <= 2 * csv_s else 'FAIL'}")
        print(f"same id, score, rank   {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
