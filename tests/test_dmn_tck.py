"""The DMN TCK's decision-table cases (tests/dmn_tck, Apache-2.0, see its README) and cases of
the same shape written for salesrules (tests/dmn_cases), through ``load`` and ``evaluate_one``
and through the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tck_cases import json_ready, plain, read_cases

import salesrules

HERE = Path(__file__).parent
TEST_FILES = sorted(HERE.glob("dmn_tck/*/*-test-01.xml")) + sorted(HERE.glob("dmn_cases/*/*-test-01.xml"))
CASES = [case for path in TEST_FILES for case in read_cases(path)]


def _flat(inputs: dict) -> dict:
    """Inputs with a structure's components as fields of their own (``Applicant.age``), as the
    columns of a file name them."""
    out = {}
    for name, value in inputs.items():
        if isinstance(value, dict):
            out.update({f"{name}.{k}": v for k, v in value.items()})
        else:
            out[name] = value
    return out


def test_every_case_folder_has_cases():
    assert len(list(HERE.glob("dmn_tck/*/*-test-01.xml"))) == 11
    assert all(read_cases(path) for path in TEST_FILES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.model.stem}-{c.id}")
def test_tck_case_through_the_api(case):
    ruleset = salesrules.load(case.model)
    result = ruleset.evaluate_one(json_ready(case.inputs))
    for name, expected in case.expected.items():
        assert plain(result[name]) == plain(expected), name


@pytest.mark.parametrize("test_file", TEST_FILES, ids=lambda p: p.parent.name)
def test_tck_cases_through_the_cli(test_file, tmp_path):
    cases = read_cases(test_file)
    records = [_flat(json_ready(c.inputs)) for c in cases]
    data = tmp_path / "inputs.json"
    data.write_text(json.dumps(records))
    run = subprocess.run(
        [sys.executable, "-m", "salesrules", "evaluate", str(data), "-r", str(cases[0].model), "-f", "json", "--as-of", "2026-11-22"],
        capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stderr
    results = sorted(json.loads(run.stdout)["records"], key=lambda r: r["row"])
    for case, result in zip(cases, results):
        for name, expected in case.expected.items():
            assert plain(result[name]) == plain(expected), (case.id, name)
