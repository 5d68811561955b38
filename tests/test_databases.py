"""Databases as sources and destinations, on SQLite: the same results as from CSV, tables
written in one transaction, bad values by key and column, lookups from tables, masked URIs."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import salesrules
from salesrules.cli import cli
from salesrules.io import databases
from salesrules.io.databases import masked, resolve, scrub

ROOT = Path(__file__).resolve().parent.parent
PROSPECTS = ROOT / "examples" / "prospects.csv"
AS_OF = dt.date(2026, 11, 22)


def text_table(path: Path, table: str, frame: pl.DataFrame) -> None:
    """``frame`` as a SQLite table of TEXT columns, as a CRM export loaded into a database would be."""
    with sqlite3.connect(path) as connection:
        columns = ", ".join(f'"{c}" TEXT' for c in frame.columns)
        connection.execute(f'CREATE TABLE "{table}" ({columns})')
        marks = ", ".join("?" * frame.width)
        connection.executemany(f'INSERT INTO "{table}" VALUES ({marks})', frame.rows())
    connection.close()


def rows(path: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


@pytest.fixture
def prospects_db(tmp_path) -> Path:
    path = tmp_path / "crm.db"
    text_table(path, "prospects", pl.read_csv(PROSPECTS, infer_schema=False))
    return path


@pytest.fixture
def expected():
    return salesrules.load("builtin:standard").evaluate(str(PROSPECTS), as_of=AS_OF)


def test_a_table_gives_the_same_results_as_the_csv_file(prospects_db, expected):
    results = salesrules.load("builtin:standard").evaluate(f"sqlite:///{prospects_db}", as_of=AS_OF, table="prospects")
    assert results.equals(expected)


def test_a_query_reads_its_rows(prospects_db, expected):
    sql = "SELECT * FROM prospects WHERE \"Owner\" = 'Aiko Tanaka'"
    results = salesrules.load("builtin:standard").evaluate(str(prospects_db), as_of=AS_OF, query=sql)
    owners = pl.read_csv(PROSPECTS, infer_schema=False)
    ids = owners.filter(pl.col("Owner") == "Aiko Tanaka")["Opportunity ID"].to_list()
    assert sorted(results["id"].to_list()) == sorted(ids)
    assert results.drop("rank").sort("id").equals(expected.filter(pl.col("id").is_in(ids)).drop("rank").sort("id"))


def test_typed_columns_are_used_and_mixed_columns_read_as_text(tmp_path):
    path = tmp_path / "typed.db"
    with sqlite3.connect(path) as connection:
        connection.execute('CREATE TABLE p ("Opportunity ID" TEXT, "Amount" NUMERIC, "Decision Makers" INTEGER, "Stage" TEXT)')
        # 2,000 rows whose Amount starts null, then whole numbers, then decimals and text: the
        # driver alone would take the first kind it sees for the whole column.
        data = [(f"N{i}", None, None, None) for i in range(1500)]
        data += [("A", 2_000_000, 3, "Negotiation"), ("B", 750000.5, None, None), ("C", "$1,200", 1, "Prospect")]
        connection.executemany("INSERT INTO p VALUES (?, ?, ?, ?)", data)
    connection.close()
    results = salesrules.load("builtin:standard").evaluate(f"sqlite:///{path}", as_of=AS_OF, table="p")
    got = results.filter(pl.col("id").is_in(["A", "B", "C"])).sort("id").select("id", "tier", "stage").rows()
    assert got == [("A", "high", "negotiation"), ("B", "medium", "unknown"), ("C", "low", "prospect")]
    assert results.height == 1503


def test_cli_writes_results_and_provenance_to_a_table(prospects_db, tmp_path, cli_runner):
    out = tmp_path / "out.db"
    args = ["evaluate", f"sqlite:///{prospects_db}", "--table", "prospects", "-r", "builtin:standard",
            "--as-of", "2026-11-22", "-o", str(out)]
    result = cli_runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    csv = tmp_path / "out.csv"
    assert cli_runner.invoke(cli, ["evaluate", str(PROSPECTS), "-r", "builtin:standard", "--as-of", "2026-11-22",
                                   "-o", str(csv)]).exit_code == 0
    from_csv = pl.read_csv(csv, infer_schema=False)
    connection = sqlite3.connect(out)
    table = pl.read_database("SELECT * FROM results", connection)
    connection.close()
    assert table.columns == from_csv.columns
    assert table.columns[-4:] == ["ruleset", "ruleset_version", "ruleset_hash", "as_of"]
    as_text = table.select(pl.all().cast(pl.String))
    # The same cells as in the CSV file, but for the booleans and decimals SQLite stores as numbers.
    for name in ("id", "tier", "stage", "band", "reasons", "actions", "gaps", "ruleset", "as_of", "score", "rank"):
        assert as_text[name].to_list() == from_csv[name].to_list(), name


def test_existing_table_fails_untouched_then_replace_and_append(prospects_db, tmp_path, cli_runner):
    out = tmp_path / "out.db"
    with sqlite3.connect(out) as connection:
        connection.execute("CREATE TABLE results (x TEXT)")
        connection.execute("INSERT INTO results VALUES ('kept')")
    connection.close()
    base = ["evaluate", str(prospects_db), "--table", "prospects", "-r", "builtin:standard", "--as-of", "2026-11-22",
            "-o", str(out)]
    result = cli_runner.invoke(cli, base)
    assert result.exit_code == 2
    assert result.output == (f"error: sqlite:///{out}: table 'results' already exists; "
                             "pass --if-exists replace or --if-exists append\n")
    assert rows(out, "SELECT * FROM results") == [("kept",)]
    # Appending rows of other columns fails in the database: nothing is added.
    result = cli_runner.invoke(cli, base + ["--if-exists", "append"])
    assert result.exit_code == 2 and result.output.startswith(f"error: sqlite:///{out}: cannot write table 'results': ")
    assert rows(out, "SELECT * FROM results") == [("kept",)]
    assert cli_runner.invoke(cli, base + ["--if-exists", "replace"]).exit_code == 0
    assert rows(out, "SELECT count(*) FROM results") == [(200,)]
    assert cli_runner.invoke(cli, base + ["--if-exists", "append"]).exit_code == 0
    assert rows(out, "SELECT count(*) FROM results") == [(400,)]
    assert rows(out, "SELECT name FROM sqlite_master") == [("results",)]


def test_a_failed_replace_leaves_the_table_as_it_was(prospects_db, tmp_path, monkeypatch):
    out = tmp_path / "out.db"
    ref = resolve(str(out))
    databases.write_table(ref, "results", pl.DataFrame({"x": ["kept"]}))
    real = databases._ingest

    def failing(cursor, table, frame, mode):
        real(cursor, table, frame, mode)  # the new table is filled, then the run fails
        raise KeyboardInterrupt

    monkeypatch.setattr(databases, "_ingest", failing)
    with pytest.raises(KeyboardInterrupt):
        databases.write_table(ref, "results", pl.DataFrame({"y": [1, 2]}), if_exists="replace")
    assert rows(out, "SELECT * FROM results") == [("kept",)]
    assert rows(out, "SELECT name FROM sqlite_master") == [("results",)]


def test_bad_value_is_named_by_row_key_and_column(prospects_db, cli_runner):
    with sqlite3.connect(prospects_db) as connection:
        connection.execute("UPDATE prospects SET \"Amount\" = 'lots' WHERE \"Opportunity ID\" = 'OPP-00000150'")
    connection.close()
    result = cli_runner.invoke(cli, ["evaluate", f"sqlite:///{prospects_db}", "--table", "prospects", "-r",
                                     "builtin:standard", "--as-of", "2026-11-22"])
    assert result.exit_code == 2
    assert result.output == (f"error: sqlite:///{prospects_db} table prospects: row 150 ('Opportunity ID' "
                             "'OPP-00000150'), column 'Amount': cannot read 'lots' as money\n")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--table", "nope"], "error: sqlite:///{db}: no table 'nope'\n"),
        ([], "error: reading the database sqlite:///{db} needs --table NAME or --query SQL (one of them)\n"),
        (["--table", "prospects", "--query", "SELECT 1"],
         "error: reading the database sqlite:///{db} needs --table NAME or --query SQL (one of them)\n"),
        (["--query", "SELEC 1"], 'error: sqlite:///{db}: cannot read the query: Failed to prepare query: near "1": syntax error\n'),
    ],
)
def test_database_input_errors(prospects_db, cli_runner, args, message):
    result = cli_runner.invoke(cli, ["evaluate", str(prospects_db), *args, "-r", "builtin:standard"])
    assert result.exit_code == 2
    assert result.output == message.format(db=prospects_db)


def test_unknown_scheme_and_table_of_a_file(cli_runner):
    result = cli_runner.invoke(cli, ["evaluate", "mysqll://u@h/db", "--table", "t", "-r", "builtin:standard"])
    assert result.output == "error: unknown database scheme 'mysqll'; known: postgres, postgresql, sqlite\n"
    result = cli_runner.invoke(cli, ["evaluate", str(PROSPECTS), "--table", "t", "-r", "builtin:standard"])
    assert result.exit_code == 2 and "is a file" in result.output


def test_the_output_may_not_be_the_input_table(prospects_db, cli_runner):
    result = cli_runner.invoke(cli, ["evaluate", str(prospects_db), "--table", "prospects", "-r", "builtin:standard",
                                     "-o", str(prospects_db), "--output-table", "prospects", "--if-exists", "replace"])
    assert result.exit_code == 2
    assert "would overwrite the input table 'prospects'" in result.output
    assert rows(prospects_db, "SELECT count(*) FROM prospects") == [(200,)]


def test_database_url_from_the_environment(prospects_db, expected, monkeypatch, tmp_path, cli_runner):
    monkeypatch.setenv("SALESRULES_DATABASE_URL", f"sqlite:///{prospects_db}")
    results = salesrules.load("builtin:standard").evaluate("database:", as_of=AS_OF, table="prospects")
    assert results.equals(expected)
    monkeypatch.delenv("SALESRULES_DATABASE_URL")
    result = cli_runner.invoke(cli, ["evaluate", "database:", "--table", "prospects", "-r", "builtin:standard"])
    assert result.output == "error: database: names the database in SALESRULES_DATABASE_URL, which is not set\n"


def test_report_writes_each_section_as_a_table(prospects_db, tmp_path, cli_runner):
    out = tmp_path / "report.db"
    args = ["report", f"sqlite:///{prospects_db}", "--table", "prospects", "-r", "builtin:standard", "--as-of",
            "2026-11-22"]
    assert cli_runner.invoke(cli, args + ["-o", str(out)]).exit_code == 0
    document = json.loads(cli_runner.invoke(cli, ["report", str(PROSPECTS), "-r", "builtin:standard", "--as-of",
                                                  "2026-11-22", "-f", "json"]).output)
    names = [r[0] for r in rows(out, "SELECT name FROM sqlite_master ORDER BY name")]
    assert names == ["report_accounts", "report_pipeline", "report_recommendations", "report_segments",
                     "report_stages", "report_territories"]
    accounts = [r[0] for r in rows(out, "SELECT \"group\" FROM report_accounts")]
    assert accounts == [g["group"] for g in document["accounts"]["groups"]]
    groups = [r[0] for r in rows(out, "SELECT \"group\" FROM report_pipeline")]
    assert groups == [g["group"] for g in document["pipeline"]["groups"]] + ["total"]
    stages = rows(out, "SELECT stage, deals, as_of FROM report_stages")
    assert [(s["stage"], s["deals"]) for s in document["stages"]] == [(s, d) for s, d, _ in stages]
    assert {a for _, _, a in stages} == {"2026-11-22"}
    result = cli_runner.invoke(cli, args + ["-o", str(out)])
    assert result.exit_code == 2 and "table 'report_pipeline' already exists" in result.output
    assert cli_runner.invoke(cli, args + ["-o", str(out), "--if-exists", "replace"]).exit_code == 0


def test_lookups_from_tables_of_the_same_and_another_database(tmp_path):
    crm, other = tmp_path / "crm.db", tmp_path / "other.db"
    text_table(crm, "prospects", pl.DataFrame({"id": ["A", "B", "C"], "company": ["Acme", "Globex", "Initech"],
                                               "deal_value": ["100", "200", "300"]}))
    accounts = pl.DataFrame({"account": ["Acme", "Globex"], "employees": ["5000", "12"]})
    text_table(crm, "accounts", accounts)
    text_table(other, "accounts", accounts.with_columns(pl.lit("7").alias("employees")))
    ruleset = tmp_path / "r.yaml"
    for database, expected in ((None, [5000, 12, None]), (f"sqlite:///{other}", [7, 7, None])):
        source = f"\n    database: {database}" if database else ""
        ruleset.write_text(f"""salesrules: 1
name: looked-up
fields:
  id: {{type: string, key: true}}
  company: {{type: string}}
  deal_value: {{type: money}}
lookups:
  accounts:
    table: accounts{source}
    key: account
    on: company
    fields:
      employees: {{type: integer}}
factors:
  - {{name: big, when: "employees > 1000", points: 10}}
""")
        results = salesrules.load(str(ruleset)).evaluate(f"sqlite:///{crm}", table="prospects", with_input=True,
                                                          as_of=AS_OF)
        assert results.sort("id")["score"].to_list() == [10 if (e or 0) > 1000 else 0 for e in expected]


def test_a_lookup_table_needs_a_database(tmp_path):
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text("""salesrules: 1
name: looked-up
fields:
  company: {type: string}
lookups:
  accounts: {table: accounts, key: account, on: company, fields: {employees: {type: integer}}}
""")
    with pytest.raises(salesrules.InputError, match="reads table 'accounts', but the records come from no database"):
        salesrules.load(str(ruleset)).evaluate([{"company": "Acme"}])


@pytest.mark.parametrize(
    "url, shown",
    [
        ("postgresql://sales:hunter2@db.example:5432/crm", "postgresql://sales:***@db.example:5432/crm"),
        ("postgresql://sales@/crm?host=/run/pg&port=5433", "postgresql://sales@/crm?host=/run/pg&port=5433"),
        ("postgresql:///crm?user=sales&password=hunter2&port=5", "postgresql:///crm?user=sales&password=***&port=5"),
        ("postgresql://sales:p%40ss@h/crm", "postgresql://sales:***@h/crm"),
        ("sqlite:///crm.db", "sqlite:///crm.db"),
    ],
)
def test_masked(url, shown):
    assert masked(url) == shown


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/@?#&", exclude_categories=("Cs",)),
               min_size=1, max_size=20))
def test_no_password_survives_masking_or_scrubbing(password):
    import urllib.parse

    secret = "Z" + password
    encoded = urllib.parse.quote(secret, safe="")
    url = f"postgresql://user:{encoded}@host/db"
    ref = databases.DatabaseRef(url, masked(url), None)
    assert encoded not in ref.shown
    message = scrub(f"cannot connect to {url}: password {secret} and {encoded} rejected", ref)
    assert secret not in message and encoded not in message
