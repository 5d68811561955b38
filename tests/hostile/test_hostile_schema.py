"""Schema violations of every kind (type, required, unknown key, name pattern, enum, const,
length, size, range) and the checks the schema cannot express (one key, unique names, a
catch-all last, min below max, known scores, dates), plus an unsupported format version.

Each runs ``evaluate`` and ``validate`` and expects exit 1 (2 for a missing plugin package) and
one ``error: FILE:LINE:COL: ...`` line at the offending key or value.
"""

from __future__ import annotations

import pytest
from hostile_helpers import fails

H = "salesrules: 1\nname: x\nfields:\n  id: {type: string, key: true}\n  amount: money\n"
LONG = "f" * 65

CASES = [
    # required
    ("missing salesrules", "name: x\n", "1:1", "ruleset: 'salesrules' is required"),
    ("missing name", "salesrules: 1\n", "1:1", "ruleset: 'name' is required"),
    ("level without a name", H + "tiers:\n  - {when: 'amount > 1'}\n", "7:5", "tiers.0: 'name' is required"),
    # format version (const)
    ("format version 2", "salesrules: 2\nname: x\n", "1:13",
     "unsupported format version salesrules: 2 (this salesrules reads version 1)"),
    ("format version 0", "salesrules: 0\nname: x\n", "1:13", "unsupported format version salesrules: 0"),
    ("format version as text", "salesrules: '1'\nname: x\n", "1:13", "salesrules: must be 1"),
    # type
    ("name is a list", "salesrules: 1\nname: [a]\n", "2:7", "name: ['a'] should be string"),
    ("description is a list", H + "description: [a]\n", "6:14", "description: ['a'] should be string"),
    ("tiers is a number", H + "tiers: 3\n", "6:8", "tiers: 3 should be array"),
    ("aliases is a number", H + "  x: {type: string, aliases: 3}\n", "6:30", "fields.x.aliases: 3 should be array"),
    ("points is a list", H + "tiers:\n  - {name: a, points: [1]}\n", "7:23", "tiers.0.points: [1] should be number or string"),
    ("record is a number", H + "tests:\n  - {name: t, record: 3}\n", "7:23", "tests.0.record: 3 should be object"),
    ("extends is a number", H + "extends: 5\n", "6:10", "extends: 5 should be string or array"),
    ("classification is a number", H + "classifications:\n  channel: 3\n", "7:12",
     "classifications.channel: 3 should be array or null"),
    # additionalProperties
    ("unknown top-level key", H + "factor: []\n", "6:1", "unknown key 'factor' (did you mean 'factors'?)"),
    ("unknown field key", H + "  x: {type: string, requird: true}\n", "6:21",
     "fields.x: unknown key 'requird' (did you mean 'required'?)"),
    ("unknown level key", H + "tiers:\n  - {name: a, when: 'amount > 1', pointz: 1}\n", "7:35",
     "tiers.0: unknown key 'pointz' (did you mean 'points'?)"),
    ("merge key", "salesrules: 1\nname: x\n<<: {a: 1}\n", "3:1", "unknown key '<<'"),
    # names (propertyNames, pattern, maxLength)
    ("field name with a space", H + "  bad name: string\n", "6:3", "fields: 'bad name' is not a valid name"),
    ("field name starting with a digit", H + "  1abc: string\n", "6:3", "fields: '1abc' is not a valid name"),
    ("field name too long", H + f"  {LONG}: string\n", "6:3", f"fields: '{LONG}' is too long"),
    ("factor name with a space", H + "factors:\n  - {name: 'a b', when: 'amount > 1'}\n", "7:12",
     "factors.0.name: 'a b' is not a valid name"),
    ("score name with a space", H + "scores:\n  'my score': {bands: [{name: A}]}\n", "7:3", "scores: 'my score' is not a valid name"),
    ("level name too long", H + f"tiers:\n  - {{name: {LONG}}}\n", "7:12", f"tiers.0.name: '{LONG}' is too long"),
    ("stage_entered not a name", H + "stage_entered: 'a b'\n", "6:16", "stage_entered: 'a b' is not a valid name"),
    ("grade rows not a name", H + "grades:\n  g: {rows: 'a b'}\n", "7:13", "grades.g.rows: 'a b' is not a valid name"),
    ("lookup key not a name", H + "lookups:\n  l: {on: 'a b'}\n", "7:11", "lookups.l.on: 'a b' is not a valid name"),
    ("currency code in lower case", H + "  x: {type: money, currency: usd}\n", "6:30",
     "fields.x.currency: 'usd' does not match ^[A-Z]{3}$"),
    ("base currency in lower case", H + "currencies: {base: usd}\n", "6:20", "currencies.base: 'usd' does not match"),
    # enum and oneOf
    ("unknown field type", H + "  x: {type: strng}\n", "6:13",
     "fields.x.type: 'strng' is not one of: string, integer, number, money, boolean, date, enum (did you mean 'string'?)"),
    ("unknown field type shorthand", H + "  x: strng\n", "6:6", "fields.x: 'strng' is not one of:"),
    ("field is a number", H + "  x: 3\n", "6:6", "fields.x: 3 is not one of:"),
    ("unknown decimal separator", H + "  x: {type: money, decimal: ';'}\n", "6:29", "fields.x.decimal: ';' is not one of: ., ,"),
    ("unknown closed value", H + "stages:\n  - {name: s, closed: maybe}\n", "7:23", "stages.0.closed: 'maybe' is not one of: won, lost"),
    ("unknown applies_to", H + "actions:\n  - {name: a, when: 'amount > 1', text: hi, applies_to: nobody}\n", "7:57",
     "actions.0.applies_to: 'nobody' is not one of: open, closed, won, lost, all"),
    ("remove: false", H + "factors:\n  - {name: f, remove: false}\n", "7:23", "factors.0.remove: must be"),
    # lengths and sizes
    ("empty alias", H + "  x: {type: string, aliases: ['']}\n", "6:31", "fields.x.aliases.0: '' should be non-empty"),
    ("empty action text", H + "actions:\n  - {name: a, text: ''}\n", "7:21", "actions.0.text: '' should be non-empty"),
    ("empty enum values", H + "  x: {type: enum, values: []}\n", "6:27", "fields.x.values: [] should be non-empty"),
    ("empty enum value map", H + "  x: {type: enum, values: {}}\n", "6:27", "fields.x.values: {} should be non-empty"),
    ("empty decay steps", H + "factors:\n  - {name: f, when: 'amount > 1', points: 1, decay: {steps: [], since: created}}\n",
     "7:61", "factors.0.decay.steps: [] should be non-empty"),
    ("expression over 4,000 characters", H + "tiers:\n  - {name: a, when: '" + "a" * 4001 + "'}\n", "7:21",
     "tiers.0.when: "),
    # ranges
    ("probability above 1", H + "stages:\n  - {name: s, probability: 1.5}\n", "7:28",
     "stages.0.probability: 1.5 is greater than the maximum of 1"),
    ("probability below 0", H + "stages:\n  - {name: s, probability: -0.1}\n", "7:28",
     "stages.0.probability: -0.1 is less than the minimum of 0"),
    ("negative max_days", H + "stages:\n  - {name: s, max_days: -1}\n", "7:25", "stages.0.max_days: -1 is less than the minimum of 0"),
    ("zero half-life", H + "factors:\n  - {name: f, when: 'amount > 1', points: 1, decay: {half_life: 0, since: created}}\n",
     "7:65", "factors.0.decay.half_life: 0 is less than or equal to the minimum of 0"),
    ("zero exchange rate", H + "currencies: {base: USD, rates: {EUR: 0}}\n", "6:38",
     "currencies.rates.EUR: 0 is less than or equal to the minimum of 0"),
    # what the schema cannot say
    ("two key fields", H + "  x: {type: string, key: true}\n", "6:6", "only one field can be the key; 'id' and 'x' both are"),
    ("enum without values", H + "  x: {type: enum}\n", "6:6", "field 'x': an enum needs values"),
    ("two levels with one name", H + "tiers:\n  - {name: a, when: 'amount > 1'}\n  - {name: a}\n", "8:5", "tiers: two items named 'a'"),
    ("catch-all before the last level", H + "tiers:\n  - {name: a}\n  - {name: b, when: 'amount > 1'}\n", "7:5",
     "tier level 'a' has no condition, so the levels after it can never match"),
    ("score min above max", H + "scores:\n  priority: {min: 10, max: 0, bands: [{name: A}]}\n", "7:13",
     "score 'priority': min 10 is above max 0"),
    ("priority by an unknown score", H + "scores:\n  fit: {bands: [{name: A}]}\n  priority: {by: fitt}\n", "8:18",
     "priority is by unknown score 'fitt' (did you mean 'fit'?)"),
    ("as_of not a date", H + "as_of: notadate\n", "6:8", "'notadate' is not a date (YYYY-MM-DD)"),
    ("impossible as_of", H + "as_of: 2026-02-30\n", "6:8", "'2026-02-30' is not a valid date"),
    ("impossible test date", H + "tests:\n  - {name: t, as_of: 2026-13-01, record: {}, expect: {}}\n", "7:22",
     "'2026-13-01' is not a valid date"),
]


@pytest.mark.parametrize("name, text, where, fragment", CASES, ids=[c[0] for c in CASES])
def test_schema_violation(ws, name, text, where, fragment):
    ws.ruleset_fails(text, where, fragment)


def test_a_missing_plugin_package_is_exit_2(ws):
    ws.ruleset_fails(H + "requires: [nonexistent-salesrules-plugin>=1]\n", "6:11",
                     "this ruleset requires nonexistent-salesrules-plugin>=1, which is not installed", code=2)


def test_every_schema_error_is_listed_one_per_line(ws):
    path = ws.write("r.yaml", "salesrules: 1\nname: x\nfactor: []\ntiers: 3\n")
    for command in (["validate", path], ["evaluate", ws.data, "-r", path, "-o", ws.out]):
        from hostile_helpers import run

        outcome = run(*command, protect=ws.protected(path), dirs=[ws.root])
        assert outcome.code == 1
        assert outcome.lines == [f"error: {path}:3:1: unknown key 'factor' (did you mean 'factors'?)",
                                 f"error: {path}:4:8: tiers: 3 should be array"]


def test_an_overlong_value_is_shortened_in_the_message(ws):
    line = fails(1, "validate", ws.write("r.yaml", H + "tiers:\n  - {name: a, when: '" + "a" * 100_000 + "'}\n"))
    assert len(line) < 500


def test_a_mixed_list_as_a_field_default_is_a_clean_error(ws):
    ws.ruleset_fails(H + "  n:\n    type: integer\n    default: [false, 0]\n", "7:5", "default [False, 0] is not a valid integer")
