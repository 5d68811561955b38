"""Output formats that take the input fields and the ruleset: what they get, and that formats
which do not ask for the fields cost nothing more."""

import datetime as dt
import re
import types
from pathlib import Path

import polars as pl
import pytest

import salesrules
from salesrules.cli import cli
from salesrules.outputs import RulesetInfo
from salesrules.testing import plugin_registered

ROOT = Path(__file__).resolve().parents[1]
RULESET = """\
salesrules: 1
name: fx
version: "3"
fields:
  ref: {type: string, key: true, aliases: [Reference]}
  deal_value: {type: money, aliases: [Amount]}
  stage: {type: enum, values: {open: [Open], won: [Won], lost: [Lost]}}
  signed: boolean
  created: date
tiers:
  - {name: big, when: "deal_value >= 1000", points: 10}
  - {name: small, points: 1}
stages:
  - {name: open, probability: 0.5}
  - {name: won, closed: won}
  - {name: lost, closed: lost}
scores:
  fit: {}
  intent: {}
factors:
  - {name: signed, when: signed, points: 5, score: intent}
"""
DATA = "Reference,Amount,Stage,signed,created\nR1,\"$2,500.50\",Open,yes,2026-10-01\nR2,,Won,no,\n"


def _module(name, **functions):
    module = types.ModuleType(name)

    @salesrules.hookimpl
    def register_output_formats(register):
        for format_name, (write, sink) in functions.items():
            register(format_name, write, extension=f".{format_name}", binary=False, sink=sink)

    module.register_output_formats = register_output_formats
    return module


@pytest.fixture
def files(tmp_path):
    ruleset = tmp_path / "fx.yaml"
    ruleset.write_text(RULESET)
    data = tmp_path / "p.csv"
    data.write_text(DATA)
    return ruleset, data


def evaluate(cli_runner, files, fmt, *more):
    ruleset, data = files
    result = cli_runner.invoke(cli, ["evaluate", str(data), "-r", str(ruleset), "-f", fmt, "--as-of", "2026-11-22", *more])
    assert result.exit_code == 0, result.output
    return result


def test_a_writer_that_names_fields_and_ruleset_gets_them(files, cli_runner):
    seen = {}

    def write(frame, stream, context, fields, ruleset):
        seen.update(frame=frame, fields=fields, ruleset=ruleset)

    with plugin_registered(_module("fx_all", all=(write, None)), "fx-all"):
        evaluate(cli_runner, files, "all")
    assert seen["frame"].columns == ["ref", "tier", "tier_points", "stage", "stage_source", "stage_conflict",
                                     "stage_probability", "score", "band", "fit", "fit_band", "intent", "intent_band",
                                     "rank", "reasons", "actions", "gaps"]
    assert seen["fields"].schema == pl.Schema({"ref": pl.String, "deal_value": pl.Float64, "stage": pl.String,
                                               "signed": pl.Boolean, "created": pl.Date})
    assert seen["fields"].to_dicts() == [
        {"ref": "R1", "deal_value": 2500.5, "stage": "open", "signed": True, "created": dt.date(2026, 10, 1)},
        {"ref": "R2", "deal_value": None, "stage": "won", "signed": False, "created": None},
    ]
    assert seen["ruleset"] == RulesetInfo(
        name="fx", version="3", key="ref",
        fields={"ref": "string", "deal_value": "money", "stage": "enum", "signed": "boolean", "created": "date"},
        values={"stage": ("open", "won", "lost")}, stages=("open", "won", "lost"),
        closed_stages={"won": "won", "lost": "lost"}, classifications=("tier",), scores=("fit", "intent"),
        ranking_score="fit", currency=None,
    )


def test_fields_are_computed_only_for_a_format_that_takes_them(files, cli_runner, monkeypatch):
    from salesrules.runners import local

    calls = []
    original = local.field_columns
    monkeypatch.setattr(local, "field_columns", lambda plan: calls.append(plan) or original(plan))
    seen = {}

    def write(frame, stream, context, ruleset):
        seen.update(frame=frame, ruleset=ruleset)

    with plugin_registered(_module("fx_rs", rs=(write, None)), "fx-rs"):
        evaluate(cli_runner, files, "rs")
        evaluate(cli_runner, files, "csv")
    assert calls == []
    assert not any(name.startswith("__") for name in seen["frame"].columns)
    assert seen["ruleset"].key == "ref"


def test_a_writer_of_three_parameters_gets_what_it_always_got(files, cli_runner):
    seen = {}

    def write(frame, stream, context):
        seen.update(frame=frame, context=context)

    with plugin_registered(_module("fx_old", old=(write, None)), "fx-old"):
        evaluate(cli_runner, files, "old")
    assert seen["frame"].columns[0] == "ref" and not any(c.startswith("__") for c in seen["frame"].columns)
    assert seen["context"].ruleset.name == "fx"


@pytest.mark.parametrize("spill", ["never", "always"])
def test_a_sink_gets_the_fields_as_a_lazy_frame(files, cli_runner, monkeypatch, spill):
    monkeypatch.setenv("SALESRULES_SPILL", spill)
    seen = {}

    def write(frame, stream, context, fields):
        raise AssertionError("the sink is used")

    def sink(frame, stream, context, fields):
        seen.update(frame=type(frame), fields=type(fields))
        pl.concat([frame.select("ref", "score"), fields.select("deal_value", "created")], how="horizontal").sink_csv(stream)

    with plugin_registered(_module("fx_sink", lazy=(write, sink)), "fx-sink"):
        result = evaluate(cli_runner, files, "lazy")
    assert seen == {"frame": pl.LazyFrame, "fields": pl.LazyFrame}
    assert result.stdout == "ref,score,deal_value,created\nR1,10,2500.5,2026-10-01\nR2,1,,\n"


def test_fields_follow_the_rows_written(files, cli_runner):
    seen = {}

    def write(frame, stream, context, fields):
        seen.update(keys=frame["ref"].to_list(), fields=fields["ref"].to_list())

    with plugin_registered(_module("fx_rows", rows=(write, None)), "fx-rows"):
        evaluate(cli_runner, files, "rows", "--sort", "rank", "--limit", "1")
    assert seen == {"keys": ["R1"], "fields": ["R1"]}


def _documented_plugin() -> str:
    text = (ROOT / "docs" / "plugins.md").read_text()
    return re.search(r"```python\n(# salesrules_digest\.py\n.*?)```", text, re.DOTALL).group(1)


def test_the_documented_output_format_plugin(cli_runner, tmp_path, monkeypatch):
    module = types.ModuleType("salesrules_digest")
    exec(compile(_documented_plugin(), "docs/plugins.md", "exec"), module.__dict__)  # noqa: S102 - the docs' own code
    data = tmp_path / "p.csv"
    data.write_text("Opportunity ID,Amount,Stage,Created Date\nA,\"$2,000,000\",negotiation,2026-10-01\n"
                    "B,\"$10,000\",discovery,2026-11-01\nC,500,won,2026-01-05\n")
    with plugin_registered(module, "digest"):
        args = ["evaluate", str(data), "-r", "builtin:standard", "--as-of", "2026-11-22"]
        result = cli_runner.invoke(cli, [*args, "-f", "digest"])
        assert result.exit_code == 0, result.output
        assert result.stdout == ("# standard 2026.11: 2 open deals\n"
                                 "1. A: 80 (A), deal_value 2,000,000.00\n"
                                 "2. B: 25 (C), deal_value 10,000.00\n")
        monkeypatch.setenv("SALESRULES_SPILL", "always")  # results bigger than memory: streamed
        out = tmp_path / "out.update.csv"
        result = cli_runner.invoke(cli, [*args, "-f", "crm-update", "-o", str(out), "--columns", "id,score,band"])
        assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0].startswith("id,score,band,input.id,input.company,")
    assert pl.read_csv(out).select("id", "score", "input.deal_value", "input.stage", "input.created").rows() == [
        ("A", 80, 2000000.0, "negotiation", "2026-10-01"),
        ("B", 25, 10000.0, "discovery", "2026-11-01"),
        ("C", 10, 500.0, "won", "2026-01-05"),
    ]
