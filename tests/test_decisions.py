"""The decisions section and DMN models as rulesets: results, errors, safety, convert, lint, receipts."""

from __future__ import annotations

import json
import random
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tck_cases import json_ready, plain, read_cases

import salesrules
from salesrules.analysis.lint import lint
from salesrules.cli import cli
from salesrules.errors import RulesetError

ROOT = Path(__file__).parent.parent
DESK = ROOT / "examples" / "decisions"
DECISIONS = ["Discount Approval", "Lead Routing", "Deal Checks"]


def write(tmp_path, text, name="r.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def generated_deals(n: int, seed: int) -> pl.DataFrame:
    """Deals around every boundary of the deal desk, with missing values."""
    rng = random.Random(seed)
    sizes = [0, 49_999.99, 50_000, 249_999, 250_000, 999_999, 1_000_000, 1_000_000.01, 5_000_000]
    rows = []
    for i in range(n):
        rows.append({
            "Opportunity ID": f"D{i:05d}",
            "Deal Size": rng.choice([rng.choice(sizes), round(rng.uniform(0, 3_000_000), 2), None]),
            "Margin": rng.choice([0.3, 0.29, rng.uniform(0, 0.6), None]),
            "Region": rng.choice(["Americas", "EMEA", "APAC", None]),
            "Company Size": rng.choice([99, 100, 999, 1000, rng.randint(1, 20_000), None]),
        })
    return pl.DataFrame(rows, schema={"Opportunity ID": pl.String, "Deal Size": pl.Float64, "Margin": pl.Float64,
                                      "Region": pl.String, "Company Size": pl.Int64})


def test_a_yaml_table_and_the_same_dmn_model_give_identical_results_on_generated_deals():
    data = generated_deals(4000, seed=7)
    from_yaml = salesrules.load(DESK / "deal-desk.yaml").evaluate(data).sort("id").select(DECISIONS)
    from_dmn = salesrules.load(DESK / "deal-desk.dmn").evaluate(data).sort("row").select(DECISIONS)
    assert_frame_equal(from_yaml, from_dmn)
    assert from_yaml["Lead Routing"].null_count() == 0  # the default covers missing sizes
    assert set(from_yaml["Discount Approval"].struct.field("Approver").drop_nulls()) == {"CFO", "VP Sales", "Sales Manager", "Auto"}


def test_the_deal_desk_results_have_the_documented_shapes():
    desk = salesrules.load(DESK / "deal-desk.dmn")
    one = desk.evaluate_one({"Deal Size": 600_000, "Margin": 0.1, "Region": "EMEA", "Company Size": 500})
    assert one["Discount Approval"] == {"Approver": "VP Sales", "Max Discount": 0.2}
    assert one["Lead Routing"] == "International Mid-Market"
    assert one["Deal Checks"] == ["Legal review", "Credit check"]
    assert one["gaps"] == []
    none = desk.evaluate_one({"Deal Size": None, "Region": "Americas"})
    assert none["Discount Approval"] is None and none["Deal Checks"] is None
    assert none["Lead Routing"] == "Unassigned"
    assert none["gaps"] == ["Discount Approval: no rule matches", "Lead Routing: no rule matches",
                            "Deal Checks: no rule matches"]


def test_the_converted_yaml_gives_the_dmn_models_results(tmp_path, cli_runner):
    for test_file in sorted((ROOT / "tests" / "dmn_tck").glob("*/*-test-01.xml")):
        cases = read_cases(test_file)
        out = tmp_path / (test_file.parent.name + ".yaml")
        result = cli_runner.invoke(cli, ["convert", str(cases[0].model), "-o", str(out)])
        assert result.exit_code == 0, result.output
        converted = salesrules.load(out)
        for case in cases:
            inputs = json_ready(case.inputs)
            for name, expected in case.expected.items():
                assert plain(converted.evaluate_one(inputs)[name]) == plain(expected), (out.name, case.id)


def test_convert_writes_nothing_for_a_bad_model(tmp_path, cli_runner):
    bad = write(tmp_path, '<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/"><decision name="x">'
                          "<literalExpression><text>1</text></literalExpression></decision></definitions>", "bad.dmn")
    out = tmp_path / "out.yaml"
    result = cli_runner.invoke(cli, ["convert", str(bad), "-o", str(out)])
    assert result.exit_code == 1
    assert result.output.strip() == (f"error: {bad}:1:67: decision 'x': only decision tables are supported, "
                                     "this one is a literalExpression")
    assert not out.exists()


def test_a_yaml_ruleset_extends_a_dmn_model_and_scores_with_its_decisions(tmp_path):
    path = write(tmp_path, f"""salesrules: 1
name: scored-desk
extends: [{DESK / 'deal-desk.dmn'}]
factors:
  - {{name: enterprise, when: "Lead_Routing == 'Enterprise'", points: 20}}
""")
    ruleset = salesrules.load(path)
    one = ruleset.evaluate_one({"Deal Size": 10, "Region": "Americas", "Company Size": 5000})
    assert (one["Lead Routing"], one["score"], one["reasons"]) == ("Enterprise", 20, ["enterprise"])


HEAD = """salesrules: 1
name: t
fields:
  amount: number
  region: string
decisions:
"""


@pytest.mark.parametrize("body, message", [
    ("""  - name: A
    inputs: [amount]
    rules:
      - {when: [">> 5"], then: 1}
""", "10:17: decision 'A' rule 1 input 1: '>> 5' is no unary test: expected a value: a number, \"text\", true, false, "
     "null, date(\"YYYY-MM-DD\") or a name (at character 2)"),
    ("""  - name: A
    inputs: [amount, region]
    rules:
      - {when: ["> 5"], then: 1}
""", "10:9: decision 'A' rule 1 has 1 tests for 2 inputs"),
    ("""  - name: A
    inputs: [amount]
    rules:
      - {when: ['"big"'], then: 1}
""", "10:17: decision 'A' rule 1 input 1: \"big\" is string, the input is number"),
    ("""  - name: A
    hit_policy: FIRST
    aggregation: SUM
    inputs: [amount]
    rules: []
""", "7:5: decision 'A': aggregation SUM goes with hit policy COLLECT only"),
    ("""  - name: A
    hit_policy: PRIORITY
    inputs: [amount]
    rules:
      - {when: ["> 5"], then: '"x"'}
""", "7:5: decision 'A': PRIORITY needs the outputs' values in priority order"),
    ("""  - name: A
    inputs: [amount]
    outputs: [{name: level, values: [low, high]}]
    rules:
      - {when: ["> 5"], then: '"medium"'}
""", "11:31: decision 'A' rule 1 output 'level': \"medium\" is not one of the output's values ['low', 'high']"),
    ("""  - name: A
    inputs: [amount]
    outputs: [{name: level}]
    rules:
      - {when: ["> 5"], then: {levle: '"x"'}}
""", "11:9: decision 'A' rule 1: no output named 'levle' (did you mean 'level'?)"),
    ("""  - name: Amount
    inputs: [amount]
    rules: []
""", "7:5: decision 'Amount' has the name of a field or a result; rename it"),
    ("""  - name: A
    inputs: [amont]
    rules: []
""", "8:14: decision 'A' input 1: unknown field 'amont' (did you mean 'amount'?)"),
])
def test_a_bad_decision_is_one_located_error(tmp_path, body, message):
    path = write(tmp_path, HEAD + body)
    with pytest.raises(RulesetError) as info:
        salesrules.load(path)
    assert str(info.value) == f"{path}:{message}"


def test_a_later_decision_reads_an_earlier_one_and_a_collect_sum_is_a_number(tmp_path):
    path = write(tmp_path, HEAD + """  - name: Size
    inputs: [amount]
    rules:
      - {when: ["< 100"], then: '"small"'}
      - {when: [">= 100"], then: '"large"'}
  - name: Bonus
    hit_policy: C+
    inputs: [Size, region]
    outputs: [{name: Bonus, type: integer}]
    rules:
      - {when: ['"large"', "-"], then: 10}
      - {when: ["-", '"EMEA"'], then: 5}
""")
    ruleset = salesrules.load(path)
    assert ruleset.evaluate_one({"amount": 500, "region": "EMEA"})["Bonus"] == 15
    assert ruleset.evaluate_one({"amount": 5, "region": "APAC"})["Bonus"] is None


DMN_HEAD = '<?xml version="1.0"?>\n'


@pytest.mark.parametrize("text, message", [
    (DMN_HEAD + '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
     '<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/"><inputData name="&x;"/></definitions>',
     "2:13: the document declares a document type or entities, which are refused (no entities, no external files)"),
    (DMN_HEAD + '<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n'
     '<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/">&b;</definitions>',
     "2:13: the document declares a document type or entities, which are refused (no entities, no external files)"),
    (DMN_HEAD + '<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/">',
     "2:67: not well-formed XML: no element found"),
    (DMN_HEAD + '<model xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/"/>',
     "2:1: not a DMN model: the root element is <model>, not <definitions>"),
    (DMN_HEAD + '<definitions xmlns="urn:other"/>',
     "2:1: not a DMN model: the namespace 'urn:other' is no DMN namespace"),
])
def test_a_bad_or_hostile_dmn_file_is_refused_at_its_place(tmp_path, text, message):
    path = write(tmp_path, text, "m.dmn")
    with pytest.raises(RulesetError) as info:
        salesrules.load(path)
    assert str(info.value) == f"{path}:{message}"


def test_a_bad_cell_of_a_dmn_model_is_reported_at_its_element(tmp_path):
    text = (DESK / "deal-desk.dmn").read_text().replace("<text>[50000..250000)</text>", "<text>[50000..250000</text>")
    path = write(tmp_path, text, "m.dmn")
    with pytest.raises(RulesetError) as info:
        salesrules.load(path)
    assert str(info.value) == (f"{path}:36:13: decision 'Discount Approval' rule 4 input 1: '[50000..250000' is no "
                               "unary test: an interval ends with ']', ')' or '[' (at character 15)")


def test_lint_proves_overlaps_and_gaps(tmp_path):
    path = write(tmp_path, HEAD + """  - name: Overlap
    inputs: [amount]
    rules:
      - {when: ["<= 100"], then: '"a"'}
      - {when: [">= 100"], then: '"b"'}
  - name: Gap
    hit_policy: FIRST
    inputs: [amount, region]
    rules:
      - {when: ["[0..10)", '"EMEA"'], then: '"a"'}
      - {when: [">= 10", "-"], then: '"b"'}
""")
    found = [(w.code, w.loc.line, w.message) for w in lint(salesrules.load(path))]
    assert found == [
        ("overlapping-rules", 11, "decision 'Overlap': rules 1 and 2 both match some records, which UNIQUE does not allow"),
        ("rule-gap", 12, "decision 'Gap': no rule matches some records, e.g. amount = -1 and region = \"EMEA\""),
    ]
    assert lint(salesrules.load(DESK / "deal-desk.yaml")) == []


def test_the_receipt_shows_the_rules_that_matched(tmp_path, cli_runner):
    data = tmp_path / "d.csv"
    data.write_text("Opportunity ID,Deal Size,Margin,Region,Company Size\nA,2000000,0.4,EMEA,5000\n")
    result = cli_runner.invoke(cli, ["explain", str(data), "-r", str(DESK / "deal-desk.yaml"), "--id", "A", "-f", "json"])
    assert result.exit_code == 0, result.output
    receipt = json.loads(result.output)
    assert receipt["decisions"] == [
        {"name": "Discount Approval", "hit_policy": "UNIQUE", "result": {"Approver": "CFO", "Max Discount": 0.25},
         "rules": [1], "descriptions": []},
        {"name": "Lead Routing", "hit_policy": "FIRST", "result": "International Enterprise", "rules": [1, 2],
         "descriptions": []},
        {"name": "Deal Checks", "hit_policy": "RULE ORDER", "result": ["Legal review", "Credit check", "Board sign-off"],
         "rules": [1, 2, 3], "descriptions": []},
    ]
    text = cli_runner.invoke(cli, ["explain", str(data), "-r", str(DESK / "deal-desk.yaml"), "--id", "A"]).output
    assert '  Lead Routing = "International Enterprise"  (FIRST; rules matched: 1, 2)' in text


def test_the_decision_benchmark_runs_and_checks_its_results(capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("salesrules_benchmark_decisions", ROOT / "benchmarks" / "decisions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--rows", "3000", "--repeat", "1"]) == 0
    table = capsys.readouterr().out
    assert table.count("| yes |") == 5 and "YES" not in table


def test_a_cell_may_compare_with_another_field_which_lint_counts_as_used(tmp_path):
    path = write(tmp_path, """salesrules: 1
name: t
fields:
  amount: number
  credit_limit: number
decisions:
  - name: Within Limit
    hit_policy: FIRST
    inputs: [amount]
    rules:
      - {when: ["<= credit_limit"], then: true}
      - {when: ["-"], then: false}
    outputs: [{name: ok, type: boolean}]
""")
    ruleset = salesrules.load(path)
    assert [ruleset.evaluate_one({"amount": a, "credit_limit": 10})["Within Limit"] for a in (5, 10, 11)] == [True, True, False]
    assert ruleset.evaluate_one({"amount": 5})["Within Limit"] is False  # 5 <= null is null: no match
    assert lint(ruleset) == []


def test_evaluate_one_reads_a_structure_from_a_nested_dict():
    model = ROOT / "tests" / "dmn_cases" / "sr-009-structure-input" / "sr-009-structure-input.dmn"
    ruleset = salesrules.load(model)
    assert ruleset.evaluate_one({"Buyer": {"Company Size": 800, "Segment": "SMB"}})["Sales Motion"] == "Field"
    assert ruleset.evaluate_one({"Buyer.Company Size": 20, "Buyer.Segment": "SMB"})["Sales Motion"] == "Inside"


def test_a_model_without_input_data_reads_the_names_its_inputs_use(tmp_path):
    """Engines that take variables by name write models without inputData, with Java type names."""
    path = write(tmp_path, """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="channel" name="Channel" namespace="urn:x">
  <decision id="channel-decision" name="Channel">
    <decisionTable id="t" hitPolicy="FIRST">
      <input label="Employees"><inputExpression typeRef="integer"><text>employees</text></inputExpression></input>
      <input label="Revenue"><inputExpression typeRef="double"><text>annualRevenue</text></inputExpression></input>
      <output name="channel" typeRef="string"/>
      <rule><inputEntry><text>&gt;= 1000</text></inputEntry><inputEntry><text></text></inputEntry>
        <outputEntry><text>"field"</text></outputEntry></rule>
      <rule><inputEntry><text></text></inputEntry><inputEntry><text>&gt; 5000000.5</text></inputEntry>
        <outputEntry><text>"phone"</text></outputEntry></rule>
      <rule><inputEntry><text></text></inputEntry><inputEntry><text></text></inputEntry>
        <outputEntry><text>"email"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
""", "channel.dmn")
    ruleset = salesrules.load(path)
    assert {n: s.type for n, s in ruleset.fields.items()} == {"employees": "integer", "annualRevenue": "number"}
    assert [ruleset.evaluate_one(r)["Channel"] for r in (
        {"employees": 5000}, {"employees": 10, "annualRevenue": 9e6}, {"employees": 10, "annualRevenue": 10.0},
    )] == ["field", "phone", "email"]


def test_decision_gaps_in_text_output_are_the_gap_lists_joined(tmp_path, cli_runner):
    """A CSV's gaps column holds the gaps of the decisions joined by "; ", as the lists show them."""
    data = generated_deals(300, seed=11)
    source = tmp_path / "deals.csv"
    data.write_csv(source)
    desk = salesrules.load(DESK / "deal-desk.dmn")
    lists = desk.evaluate(data)
    out = tmp_path / "out.csv"
    result = cli_runner.invoke(cli, ["evaluate", str(source), "-r", str(DESK / "deal-desk.dmn"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = pl.read_csv(out, infer_schema=False)["gaps"].to_list()
    expected = [None if not gaps else "; ".join(gaps) for gaps in lists["gaps"].to_list()]
    assert text == expected
    assert "Discount Approval: no rule matches; Lead Routing: no rule matches; Deal Checks: no rule matches" in text
