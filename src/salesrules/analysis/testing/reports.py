"""Reports of a test run: pytest-like text, JSON and JUnit XML."""

from __future__ import annotations

import datetime as dt
import json
import math

from ...errors import ErrorList, SalesrulesError
from .compare import NO_SUCH_RESULT, _comparable
from .coverage import Coverage, coverage_json, coverage_lines
from .runner import Run


def _json_value(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if value is NO_SUCH_RESULT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _error_lines(error: SalesrulesError) -> list[str]:
    errors = error.errors if isinstance(error, ErrorList) else [error]
    return [str(e) for e in errors]


def text_report(result: Run, verbose: bool = False, coverages: list[Coverage] | None = None) -> str:
    """The pytest-like report: a line per file, the failures, coverage and the summary."""
    lines = []
    for suite, results in result.runs:
        if suite.error is not None:
            lines.append(f"{suite.path} E")
        elif verbose:
            for r in results:
                lines.append(f"{suite.path}::{r.name} {'PASSED' if r.passed else 'FAILED'}")
        elif results:
            lines.append(f"{suite.path} " + "".join("." if r.passed else "F" for r in results))
        else:
            lines.append(f"{suite.path} (no tests)")
    failures = [(s, r) for s, results in result.runs for r in results if not r.passed]
    for suite, r in failures:
        lines.append("")
        lines.append(f"FAILED {r.loc or suite.path}: {r.name}")
        lines.extend(f"  {line}" for line in r.describe())
    for error in result.errors:
        lines.append("")
        lines.extend(f"ERROR {line}" for line in _error_lines(error))
    if coverages is not None:
        lines.append("")
        lines.extend(coverage_lines(coverages))
    lines.append("")
    lines.append(result.summary())
    return "\n".join(lines) + "\n"


def json_report(result: Run, coverages: list[Coverage] | None = None) -> str:
    """A machine-readable report: a summary, every file with its cases, and coverage."""
    files = []
    for suite, results in result.runs:
        files.append({
            "path": suite.path,
            "kind": suite.kind,
            "ruleset": suite.ruleset_ref,
            "ruleset_name": suite.ruleset.name if suite.ruleset is not None else None,
            "error": "\n".join(_error_lines(suite.error)) if suite.error is not None else None,
            "cases": [
                {
                    "name": r.name,
                    "file": r.loc.file if r.loc else suite.path,
                    "line": r.loc.line if r.loc else None,
                    "as_of": r.as_of.isoformat() if r.as_of else None,
                    "outcome": "passed" if r.passed else "failed",
                    "error": r.error,
                    "mismatches": [
                        {"field": name, "expected": _json_value(expected), "actual": _json_value(_comparable(expected, actual)),
                         **({"message": "no such result"} if actual is NO_SUCH_RESULT else {})}
                        for name, (expected, actual) in r.mismatches.items()
                    ],
                    "duration": round(r.duration, 6),
                }
                for r in results
            ],
        })
    document = {
        "summary": {"passed": result.passed, "failed": result.failed, "errors": len(result.errors),
                    "total": result.passed + result.failed, "duration": round(result.duration, 6)},
        "files": files,
    }
    if coverages is not None:
        document["coverage"] = coverage_json(coverages)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def junit_report(result: Run) -> str:
    """JUnit XML: a testsuite per file, a testcase per case, failures with their messages."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", {
        "name": "salesrules", "tests": str(result.passed + result.failed + len(result.errors)),
        "failures": str(result.failed), "errors": str(len(result.errors)), "time": f"{result.duration:.3f}",
    })
    for suite, results in result.runs:
        failures = sum(not r.passed for r in results)
        errors = 1 if suite.error is not None else 0
        element = ET.SubElement(root, "testsuite", {
            "name": suite.path, "tests": str(len(results) + errors), "failures": str(failures),
            "errors": str(errors), "skipped": "0", "time": f"{sum(r.duration for r in results):.3f}",
            "file": suite.path,
        })
        if suite.error is not None:
            case = ET.SubElement(element, "testcase", {"classname": suite.path, "name": "(load)", "file": suite.path, "time": "0"})
            text = "\n".join(_error_lines(suite.error))
            error = ET.SubElement(case, "error", {"message": text.splitlines()[0], "type": type(suite.error).__name__})
            error.text = text
        for r in results:
            attributes = {"classname": suite.path, "name": r.name, "file": r.loc.file if r.loc else suite.path,
                          "time": f"{r.duration:.3f}"}
            if r.loc and r.loc.line:
                attributes["line"] = str(r.loc.line)
            case = ET.SubElement(element, "testcase", attributes)
            if not r.passed:
                details = r.describe()
                failure = ET.SubElement(case, "failure", {"message": "; ".join(r.describe(align=False)),
                                                          "type": "AssertionError"})
                failure.text = f"{r.loc or suite.path}: {r.name}\n" + "\n".join(details)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
