"""No output replaces a file the run reads, whatever its name; the rejects land only with the results.

The files a run reads are the records (or the file standard input comes from), the ruleset and
every ruleset of its ``extends`` chain, and the lookup files. They are compared by identity
(device and inode), so a hard link, a symbolic link or another spelling of the path is caught.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from salesrules.cli import cli

PARENT = """\
salesrules: 1
name: parent
fields:
  id: {type: string, key: true}
  company: string
  deal_value: money
tiers:
  - {name: high, when: "deal_value >= 1000", points: 10}
  - {name: low, when: "deal_value < 1000", points: 1}
"""

CHILD = """\
salesrules: 1
name: child
extends: [rules/parent.yaml]
lookups:
  accounts:
    file: accounts.csv
    key: account
    on: company
    fields:
      employees: integer
factors:
  - {name: big, when: "employees > 100", points: 5, reason: "{company} is big"}
tests:
  - name: a big account
    record: {id: "1", company: Acme, deal_value: 5}
    expect: {tier: low}
"""

DATA = "id,company,deal_value\n1,Acme,1500\n2,Beta,12abc\n3,Gamma,20\n"


@pytest.fixture
def project(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "parent.yaml").write_text(PARENT)
    (tmp_path / "child.yaml").write_text(CHILD)
    (tmp_path / "accounts.csv").write_text("account,employees\nAcme,500\nBeta,3\n")
    (tmp_path / "data.csv").write_text(DATA)
    return tmp_path


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def invoke(cli_runner, root, *args):
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return cli_runner.invoke(cli, list(args))
    finally:
        os.chdir(cwd)


def assert_refused(result, fragment):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("output", [
    "rules/parent.yaml",            # a parent of the ruleset
    "rules/../rules/parent.yaml",   # the same, spelled differently
    "accounts.csv",                 # a lookup file
    "child.yaml",                   # the ruleset itself
    "data.csv",                     # the records
])
@pytest.mark.parametrize("option", ["-o", "--rejects"])
def test_evaluate_refuses_every_file_it_reads(cli_runner, project, output, option):
    before = snapshot(project)
    args = ["evaluate", "data.csv", "-r", "child.yaml", "--as-of", "2026-11-22", "--on-error", "skip", "-f", "csv"]
    args += [option, output] + (["-o", "out.csv"] if option == "--rejects" else [])
    result = invoke(cli_runner, project, *args)
    assert_refused(result, "the output would overwrite the input file")
    assert snapshot(project) == before


def test_a_hard_link_to_a_lookup_file_is_refused(cli_runner, project):
    os.link(project / "accounts.csv", project / "alias.csv")
    before = snapshot(project)
    result = invoke(cli_runner, project, "evaluate", "data.csv", "-r", "child.yaml", "--on-error", "skip",
                    "-o", "alias.csv")
    assert_refused(result, "the output would overwrite the input file")
    assert snapshot(project) == before


@pytest.mark.parametrize("output", ["rules/parent.yaml", "accounts.csv"])
def test_report_refuses_the_files_the_ruleset_reads(cli_runner, project, output):
    (project / "data.csv").write_text("id,company,deal_value\n1,Acme,1500\n3,Gamma,20\n")
    before = snapshot(project)
    result = invoke(cli_runner, project, "report", "data.csv", "-r", "child.yaml", "-f", "json", "-o", output)
    assert_refused(result, "the output would overwrite the input file")
    assert snapshot(project) == before


def test_the_test_report_refuses_the_parent_of_the_ruleset_under_test(cli_runner, project):
    before = snapshot(project)
    result = invoke(cli_runner, project, "test", "child.yaml", "-f", "json", "-o", "rules/parent.yaml")
    assert result.exit_code == 2, result.output
    assert "the output would overwrite the input file" in result.stderr
    assert snapshot(project) == before


def test_standard_input_redirected_from_the_output_file_is_refused(project):
    before = snapshot(project)
    with open(project / "data.csv", "rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "salesrules", "evaluate", "-", "-r", "child.yaml", "--on-error", "skip",
             "-o", "data.csv"],
            stdin=stdin, capture_output=True, text=True, cwd=project,
        )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        "error: data.csv: the output would overwrite the file standard input is read from; choose another output path"
    )
    assert snapshot(project) == before


def test_rejects_are_written_with_the_results(cli_runner, project):
    (project / "rejects.csv").write_text("old\n")
    os.chmod(project / "rejects.csv", 0o640)
    result = invoke(cli_runner, project, "evaluate", "data.csv", "-r", "child.yaml", "--as-of", "2026-11-22",
                    "--on-error", "skip", "-o", "out.csv", "--rejects", "rejects.csv")
    assert result.exit_code == 0, result.output
    assert (project / "rejects.csv").read_text().splitlines()[1].startswith("2,")
    assert os.stat(project / "rejects.csv").st_mode & 0o777 == 0o640
    assert not [p.name for p in project.iterdir() if p.name.startswith(".")]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_rejects_stay_as_they_were_when_the_results_cannot_be_written(cli_runner, project):
    (project / "rejects.csv").write_text("old\n")
    before = snapshot(project)
    result = invoke(cli_runner, project, "evaluate", "data.csv", "-r", "child.yaml", "--as-of", "2026-11-22",
                    "--on-error", "skip", "-f", "csv", "-o", "/dev/full", "--rejects", "rejects.csv")
    assert_refused(result, "no space left on device")
    assert snapshot(project) == before
