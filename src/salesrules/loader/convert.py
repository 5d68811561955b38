"""A ruleset of any registered format (a DMN model, say) written as the equivalent YAML."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from .load import load
from .schema import read_source

# The order keys are written in: the header, then the sections as the format documents them.
_ORDER = ("salesrules", "name", "version", "description", "as_of", "requires", "extends", "fields", "decisions")


def to_yaml(path: str | Path) -> str:
    """The YAML text of the ruleset in ``path``, checked to load (and compile) first."""
    load(path)
    data = read_source(Path(path))
    ordered = {k: data[k] for k in _ORDER if k in data} | {k: v for k, v in data.items() if k not in _ORDER}
    header = f"# Converted from {Path(path).name} by salesrules convert.\n"
    return header + yaml.dump(_plain(ordered), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


class _Dumper(yaml.SafeDumper):
    """Writes short lists of scalars on one line, like hand-written rulesets."""

    def represent_sequence(self, tag, sequence, flow_style=None):
        flat = all(isinstance(v, (str, int, float, bool)) or v is None for v in sequence) and len(sequence) <= 12
        return super().represent_sequence(tag, sequence, flow_style=True if flat and sequence else flow_style)


def _plain(value):
    """Located YAML values as plain dicts, lists and strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
