"""PostgreSQL for real: a throwaway server (tests/postgres_server.py) on a unix socket, and
evaluate, report and lookups against it: the same results as from CSV, bad values, an existing
table, a killed run, a wrong password."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

import salesrules
from salesrules.cli import cli

from postgres_server import PASSWORD, USER, find_binaries, postgres_server, url

ROOT = Path(__file__).resolve().parent.parent
PROSPECTS = ROOT / "examples" / "prospects.csv"
AS_OF = dt.date(2026, 11, 22)

if find_binaries() is None:
    if os.environ.get("CI"):
        raise RuntimeError("PostgreSQL is not installed; .ci/run installs the Debian package postgresql")
    pytest.skip("PostgreSQL is not installed (Debian package postgresql)", allow_module_level=True)


@pytest.fixture(scope="module")
def server():
    with postgres_server() as (sockets, port):
        yield sockets, port


@pytest.fixture(scope="module")
def db(server):
    """A database holding the example prospects as text, the way a CRM export is loaded."""
    sockets, port = server
    _sql(url(sockets, port), "CREATE DATABASE crm")
    uri = url(sockets, port, "crm")
    _load(uri, "prospects", pl.read_csv(PROSPECTS, infer_schema=False))
    return uri


def _connect(uri: str, autocommit: bool = False):
    import adbc_driver_postgresql.dbapi

    return adbc_driver_postgresql.dbapi.connect(uri, autocommit=autocommit)


def _sql(uri: str, *statements: str, fetch: bool = False):
    """Run ``statements`` in one transaction (CREATE DATABASE alone, outside one)."""
    connection = _connect(uri, autocommit=any(s.upper().startswith("CREATE DATABASE") for s in statements))
    try:
        cursor = connection.cursor()
        result = None
        for statement in statements:
            cursor.execute(statement)
            if fetch:
                result = cursor.fetchall()
        if not connection.adbc_connection.get_option("adbc.connection.autocommit") == "true":
            connection.commit()
        return result
    finally:
        connection.close()


def _load(uri: str, table: str, frame: pl.DataFrame) -> None:
    connection = _connect(uri)
    try:
        cursor = connection.cursor()
        cursor.adbc_ingest(table, frame.to_arrow(compat_level=pl.CompatLevel.oldest()), mode="create")
        connection.commit()
    finally:
        connection.close()


def _table(uri: str, sql: str) -> pl.DataFrame:
    connection = _connect(uri)
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        return pl.DataFrame(pl.from_arrow(cursor.fetch_arrow_table()))
    finally:
        connection.close()


@pytest.fixture(scope="module")
def expected():
    return salesrules.load("builtin:standard").evaluate(str(PROSPECTS), as_of=AS_OF)


def test_a_table_gives_the_same_results_as_the_csv_file(db, expected):
    results = salesrules.load("builtin:standard").evaluate(db, as_of=AS_OF, table="prospects")
    assert results.equals(expected)


def test_typed_columns_give_the_same_results(db, expected):
    # An UPDATE moves the row to the end of the table: the key finds it again.
    # Typed columns: numeric money, dates, integers and booleans, as a data team would store them.
    csv = pl.read_csv(PROSPECTS, infer_schema=False)
    typed = csv.with_columns(
        pl.col("Amount").str.replace_all(r"[$,]", "").cast(pl.Float64),
        pl.col("Decision Makers").cast(pl.Int64),
        *[pl.col(c).str.to_date() for c in ("Created Date", "Last Contact", "Close Date", "Stage Entered")],
        *[(pl.col(c) == "Yes").alias(c) for c in ("Budget Confirmed", "Demo Requested", "Merger Pending")],
    )
    _load(db, "typed", typed)
    results = salesrules.load("builtin:standard").evaluate(db, as_of=AS_OF, table="typed")
    assert results.equals(expected)


def test_a_query_with_a_unix_socket_uri(db, expected):
    results = salesrules.load("builtin:standard").evaluate(
        db, as_of=AS_OF, query="SELECT * FROM prospects WHERE \"Owner\" = 'Aiko Tanaka'"
    )
    ids = pl.read_csv(PROSPECTS, infer_schema=False).filter(pl.col("Owner") == "Aiko Tanaka")["Opportunity ID"]
    assert sorted(results["id"]) == sorted(ids)


def test_evaluate_postgres_to_postgres_as_csv_to_csv(db, tmp_path, cli_runner):
    args = ["-r", "builtin:standard", "--as-of", "2026-11-22"]
    result = cli_runner.invoke(cli, ["evaluate", db, "--table", "prospects", *args, "-o", db,
                                     "--output-table", "scored"])
    assert result.exit_code == 0, result.output
    assert cli_runner.invoke(cli, ["evaluate", str(PROSPECTS), *args, "-o", str(tmp_path / "r.csv")]).exit_code == 0
    from_csv = pl.read_csv(tmp_path / "r.csv", infer_schema=False)
    table = _table(db, "SELECT * FROM scored")
    assert table.columns == from_csv.columns
    as_text = table.with_columns(pl.col(pl.Boolean).cast(pl.String).str.to_lowercase()).select(pl.all().cast(pl.String))
    assert as_text.equals(from_csv)


def test_an_existing_table_is_refused_and_left_untouched(db, cli_runner):
    _sql(db, "CREATE TABLE taken (x text)", "INSERT INTO taken VALUES ('kept')")
    result = cli_runner.invoke(cli, ["evaluate", db, "--table", "prospects", "-r", "builtin:standard", "-o", db,
                                     "--output-table", "taken"])
    assert result.exit_code == 2
    shown = db.replace(PASSWORD, "***")
    assert result.output == (f"error: {shown}: table 'taken' already exists; "
                             "pass --if-exists replace or --if-exists append\n")
    assert _table(db, "SELECT * FROM taken")["x"].to_list() == ["kept"]
    assert PASSWORD not in result.output


def test_bad_values_are_named_by_key_and_column(db, cli_runner):
    _sql(db, "CREATE TABLE broken AS SELECT * FROM prospects",
         "UPDATE broken SET \"Close Date\" = 'someday' WHERE \"Opportunity ID\" = 'OPP-00000007'")
    result = cli_runner.invoke(cli, ["evaluate", db, "--table", "broken", "-r", "builtin:standard"])
    assert result.exit_code == 2
    shown = db.replace(PASSWORD, "***")
    assert result.output == (f"error: {shown} table broken: row 200 ('Opportunity ID' 'OPP-00000007'), "
                             "column 'Close Date': cannot read 'someday' as date (YYYY-MM-DD)\n")


def test_report_writes_its_sections_as_tables(db, cli_runner):
    args = ["report", db, "--table", "prospects", "-r", "builtin:standard", "--as-of", "2026-11-22"]
    result = cli_runner.invoke(cli, args + ["-o", db, "--output-table", "weekly"])
    assert result.exit_code == 0, result.output
    document = json.loads(cli_runner.invoke(cli, ["report", str(PROSPECTS), "-r", "builtin:standard", "--as-of",
                                                  "2026-11-22", "-f", "json"]).output)
    pipeline = _table(db, "SELECT * FROM weekly_pipeline")
    assert pipeline["group"].to_list() == [g["group"] for g in document["pipeline"]["groups"]] + ["total"]
    assert pipeline["open_value"].to_list()[:-1] == [g["open_value"] for g in document["pipeline"]["groups"]]
    assert set(pipeline["as_of"]) == {"2026-11-22"}
    stages = _table(db, "SELECT stage, deals FROM weekly_stages")
    assert stages.rows() == [(s["stage"], s["deals"]) for s in document["stages"]]


def test_lookups_from_postgres_and_from_sqlite(db, tmp_path):
    import sqlite3

    _load(db, "accounts", pl.DataFrame({"account": ["Eastgate Retail LLC"], "tier": ["strategic"]}))
    other = tmp_path / "accounts.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE accounts (account TEXT, tier TEXT)")
        connection.execute("INSERT INTO accounts VALUES ('Eastgate Retail LLC', 'key')")
    connection.close()
    for database, tier in ((None, "strategic"), (f"sqlite:///{other}", "key")):
        ruleset = tmp_path / "r.yaml"
        where = f"\n    database: {database}" if database else ""
        ruleset.write_text(f"""salesrules: 1
name: accounts
extends: [builtin:standard]
lookups:
  accounts:
    table: accounts{where}
    key: account
    on: company
    fields:
      account_tier: {{type: string, aliases: [tier]}}
factors:
  - {{name: strategic, when: "account_tier == '{tier}'", points: 1, reason: "A {tier} account"}}
""")
        results = salesrules.load(str(ruleset)).evaluate(db, table="prospects", as_of=AS_OF)
        fired = results.filter(pl.col("reasons").list.contains(f"A {tier} account"))
        companies = pl.read_csv(PROSPECTS, infer_schema=False)
        ids = companies.filter(pl.col("Account Name") == "Eastgate Retail LLC")["Opportunity ID"].to_list()
        assert sorted(fired["id"]) == sorted(ids), tier


def test_a_wrong_password_names_no_secret(server, cli_runner):
    sockets, port = server
    secret = "Wr0ng-S3cret-Value"
    uri = url(sockets, port, "crm", password=secret)
    result = cli_runner.invoke(cli, ["evaluate", uri, "--table", "prospects", "-r", "builtin:standard"])
    assert result.exit_code == 2
    assert secret not in result.output
    assert result.output.startswith(f"error: postgresql://{USER}:***@/crm?host={sockets}&port={port}: cannot connect: ")
    assert f'password authentication failed for user "{USER}"' in result.output
    result = cli_runner.invoke(cli, ["evaluate", str(PROSPECTS), "-r", "builtin:standard", "-o", uri])
    assert result.exit_code == 2 and secret not in result.output and "***" in result.output


def test_credentials_from_the_libpq_environment(server, db, expected, monkeypatch):
    sockets, port = server
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    monkeypatch.setenv("PGHOST", sockets)
    monkeypatch.setenv("PGPORT", str(port))
    monkeypatch.setenv("PGUSER", USER)
    results = salesrules.load("builtin:standard").evaluate("postgresql:///crm", as_of=AS_OF, table="prospects")
    assert results.equals(expected)


def _generated(rows: int) -> pl.DataFrame:
    spec = importlib.util.spec_from_file_location("salesrules_benchmark_generate", ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate_frame(rows, seed=5, as_of=AS_OF)


def test_a_killed_run_leaves_the_table_as_it_was(db):
    big = _generated(300_000).with_columns(pl.col(pl.Date).cast(pl.String), pl.col(pl.Int64).cast(pl.String))
    _load(db, "many", big)
    _sql(db, "CREATE TABLE kept (x text)", "INSERT INTO kept VALUES ('before')")
    command = [sys.executable, "-m", "salesrules", "evaluate", db, "--table", "many", "-r", "builtin:standard",
               "--as-of", "2026-11-22", "-o", db, "--output-table", "kept", "--if-exists", "replace", "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        copying = False
        while time.monotonic() < deadline and process.poll() is None:
            active = _sql(db, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%kept__salesrules_new%'",
                          fetch=True)
            if active[0][0]:
                copying = True
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    assert copying, process.stderr.read().decode()
    time.sleep(0.5)  # the server notices the dropped connection and rolls back
    assert _table(db, "SELECT * FROM kept")["x"].to_list() == ["before"]
    leftover = _sql(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'kept__salesrules_new'", fetch=True)
    assert leftover == [(0,)]
