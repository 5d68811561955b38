"""Reading DMN TCK test files (``*-test-01.xml``): input values and expected results.

The TCK's format: ``<testCase>`` elements with ``<inputNode name>`` values and ``<resultNode
name>`` expectations, each a ``<value>`` (typed by ``xsi:type``, or ``xsi:nil``), a set of
``<component name>`` (a structure) or a ``<list>`` of ``<item>``.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from pathlib import Path

import defusedxml.ElementTree as ET

XSI = "{http://www.w3.org/2001/XMLSchema-instance}"


@dataclass
class TckCase:
    """One test case: its model, id, inputs and expected results by decision name."""

    model: Path
    id: str
    inputs: dict
    expected: dict


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _value(element):
    """A ``<value>``, ``<component>`` set or ``<list>`` as a Python value."""
    children = [c for c in element if _local(c.tag) in ("value", "component", "list", "item")]
    lists = [c for c in children if _local(c.tag) == "list"]
    if lists:
        return [_value(item) for item in lists[0] if _local(item.tag) == "item"]
    components = [c for c in children if _local(c.tag) == "component"]
    if components:
        return {c.get("name"): _value(c) for c in components}
    values = [c for c in children if _local(c.tag) == "value"]
    if not values:
        return None
    value = values[0]
    if value.get(XSI + "nil") == "true":
        return None
    text = value.text or ""
    kind = (value.get(XSI + "type") or "").split(":")[-1]
    if kind in ("decimal", "double", "integer", "int", "long", "float"):
        return decimal.Decimal(text.strip())
    if kind == "boolean":
        return text.strip() == "true"
    return text


def read_cases(test_file: Path) -> list[TckCase]:
    """Every test case of a TCK test file, against the ``.dmn`` model beside it."""
    root = ET.parse(test_file).getroot()
    model_name = next((c.text for c in root if _local(c.tag) == "modelName"), None)
    model = test_file.parent / (model_name or test_file.name.split("-test-")[0] + ".dmn")
    cases = []
    for case in (c for c in root if _local(c.tag) == "testCase"):
        inputs = {n.get("name"): _value(n) for n in case if _local(n.tag) == "inputNode"}
        expected = {}
        for node in (n for n in case if _local(n.tag) == "resultNode"):
            holder = next((c for c in node if _local(c.tag) in ("expected", "computed")), None)
            expected[node.get("name")] = _value(holder) if holder is not None else None
        cases.append(TckCase(model, case.get("id"), inputs, expected))
    return cases


def plain(value):
    """A value from a test file or a result, comparable: numbers as Decimal, text as text (a
    test file's value without ``xsi:type`` that reads as a number is a number)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        try:
            return decimal.Decimal(value).normalize()
        except decimal.InvalidOperation:
            return value
    if isinstance(value, (int, float, decimal.Decimal)):
        return decimal.Decimal(str(value)).normalize()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def json_ready(value):
    """An input value for a JSON input file."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    return value
