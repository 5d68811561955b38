"""Hostile expressions: code injection, forbidden syntax, type errors, bad regular expressions.

Every expression sits at line 12, column 12 of a ruleset (``    when: "EXPR"``); each case
expects exit 1 and one ``error: FILE:12:COL: ...`` line, and nothing executed.
"""

from __future__ import annotations

import pytest
from hostile_helpers import fails

HEAD = """\
salesrules: 1
name: x
fields:
  id: {type: string, key: true}
  amount: money
  company: string
  created: date
  confirmed: boolean
  industry: {type: enum, values: [software, manufacturing]}
tiers:
  - name: t
    when: "%s"
"""

CASES = [
    # code injection
    ("__import__('os').system('touch PWNED') == 0", 12, "__import__ is not allowed in expressions: names starting with __ are reserved"),
    ("'a'.upper() == 'A'", 12, "calling 'a'.upper is not allowed in expressions: only registered functions can be called, by their name"),
    ("__class__", 12, "__class__ is not allowed in expressions: names starting with __ are reserved"),
    ("__builtins__ is None", 12, "__builtins__ is not allowed in expressions: names starting with __ are reserved"),
    ("company.__class__ == 1", 12, "attribute access .__class__ is not allowed in expressions"),
    ("company.upper() == 'A'", 12, "only registered functions can be called"),
    ("company[0] == 'a'", 12, "a subscript [0] is not allowed in expressions"),
    ("company[0:2] == 'a'", 12, "a subscript [0:2] is not allowed in expressions"),
    ("import os", 12, "syntax error in expression: invalid syntax"),
    ("eval('1') == 1", 12, "unknown function 'eval'"),
    ("exec('1') == 1", 12, "unknown function 'exec'"),
    ("open('/etc/passwd') == 1", 12, "unknown function 'open'"),
    ("getattr(company, 'upper') == 1", 12, "unknown function 'getattr'"),
    ("globals() == 1", 12, "unknown function 'globals'"),
    ("compile('1', 'x', 'eval') == 1", 12, "unknown function 'compile'"),
    ("breakpoint()", 12, "unknown function 'breakpoint'"),
    ("any(c for c in company)", 12, "unknown function 'any'"),
    # forbidden syntax
    ("lambda: 1", 12, "lambda 'lambda: 1' is not allowed in expressions"),
    ("(lambda: 1)() == 1", 13, "only registered functions can be called"),
    ("[c for c in company] == 1", 12, "a list comprehension '[c for c in company]' is not allowed in expressions"),
    ("{c for c in company} == 1", 12, "a set comprehension '{c for c in company}' is not allowed in expressions"),
    ("{c: 1 for c in company} == 1", 12, "a dictionary comprehension '{c: 1 for c in company}' is not allowed in expressions"),
    ("f'{company}' == 'a'", 12, "an f-string \"f'{company}'\" is not allowed in expressions"),
    ("(x := 1) == 1", 13, "assignment (:=) 'x := 1' is not allowed in expressions"),
    ("min(*[1, 2]) > 1", 16, "a starred argument '*[1, 2]' is not allowed in expressions"),
    ("round(amount, digits=1) > 1", 12, "the keyword argument digits=1 is not allowed in expressions: arguments are passed in order to round(number, ...) -> depends on the arguments, from salesrules.default_plugins.functions"),
    ("{'a': 1} == 1", 12, "a dictionary \"{'a': 1}\" is not allowed in expressions"),
    ("amount & 1 == 1", 12, "the bitwise operator & is not allowed in expressions"),
    ("~amount > 1", 12, "the bitwise operator ~ is not allowed in expressions"),
    ("amount << 1 > 1", 12, "the bitwise operator << is not allowed in expressions"),
    ("yield amount", 12, "syntax error in expression: invalid syntax"),
    ("await amount", 12, "await 'await amount' is not allowed in expressions"),
    ("b'x' == 1", 12, "bytes literal b'x' is not allowed in expressions"),
    ("1j == 1", 12, "complex literal 1j is not allowed in expressions"),
    ("... == 1", 12, "ellipsis literal ... is not allowed in expressions"),
    ("amount\\x00 > 1", 12, "syntax error in expression: source code string cannot contain null bytes"),
    # size: huge numbers, repetitions, nesting, length
    ("'a' * 10**9 == 'a'", 12, "type mismatch: text 'a' multiplied by '10**9' (number); * needs numbers"),
    ("company * 1000000000 == 'a'", 12, "type mismatch: company (text) multiplied by integer 1000000000; * needs numbers"),
    ("amount * 100000000000000000000 > 1", 21, "integer 100000000000000000000 is too large"),
    ("(" * 500 + "amount" + ")" * 500 + " > 1", 212, "syntax error in expression: too many nested parentheses"),
    ("not " * 200 + "confirmed", 12, "expression is nested more than 60 levels deep"),
    ("+".join(["amount"] * 100) + " > 1", 12, "expression is nested more than 60 levels deep"),
    ("min(" + "1, " * 1100 + "1) > 1", 12, "expression has more than 1000 parts"),
    ("amount in (" + "1, " * 999 + "1)", 12, "expression has more than 1000 parts"),
    # syntax and emptiness
    ("   ", 12, "empty expression"),
    ("amount >", 20, "syntax error in expression: invalid syntax"),
    ("amount > 1 )", 23, "syntax error in expression: unmatched ')'"),
    ("'unterminated", 12, "syntax error in expression: unterminated string literal"),
    # names and types
    ("deal_value > 1", 12, "unknown field 'deal_value'"),
    ("amout > 1", 12, "unknown field 'amout' (did you mean 'amount'?)"),
    ("amount == None", 22, "comparing with None is always unknown; write 'x is None' or 'x is not None'"),
    ("amount > null", 21, "comparing with None is always unknown"),
    ("company > 1", 22, "type mismatch: company (text) compared with integer 1"),
    ("amount and confirmed", 12, "type mismatch: 'and' needs true/false values, not amount (money)"),
    ("industry == 'softwar'", 24, "'softwar' is not one of: software, manufacturing (did you mean 'software'?)"),
    ("company is 'a'", 23, "'is' only tests for None"),
    ("amount in company", 22, "'in' needs a literal list, e.g. x in ('a', 'b')"),
    ("amount in (1, 'a')", 26, "type mismatch: amount (money) compared with text 'a'"),
    ("amount in [amount]", 23, "'in' lists may only hold literal values"),
    ("created > 'not a date'", 22, "'not a date' is not a date (YYYY-MM-DD)"),
    ("amount if confirmed else company", 12, "type mismatch: the two branches of 'if' have different types: amount (money) and company (text)"),
    ("1 < amount in (1, 2)", 26, "'in' and 'is' cannot be chained with other comparisons"),
    ("42", 12, "a condition must be true or false, this is an integer: '42'"),
    ("days_since() > 1", 12, "days_since(date) -> integer, from salesrules.default_plugins.functions: takes 1 argument, got 0"),
    ("days_since(amount) > 1", 23, "days_since(date) -> integer, from salesrules.default_plugins.functions: argument 1 must be a date, not amount (money)"),
    ("round(amount, 20) > 1", 12, "round(number, ...) -> depends on the arguments, from salesrules.default_plugins.functions: digits must be a whole number from 0 to 12"),
    # regular expressions: only what a linear-time engine can run, and not too big
    ("matches(company, '(?=a)')", 12, "look-around, including look-ahead and look-behind, is not supported"),
    (r"matches(company, '(a)\\\\1')", 12, "backreferences are not supported"),
    ("matches(company, '[')", 12, "matches(text, text) -> true/false, from salesrules.default_plugins.functions: invalid regular expression '[': unclosed character class"),
    ("matches(company, '((a{100}){100}){100}')", 12, "Compiled regex exceeds size limit"),
    ("matches(company, company)", 12, "matches(text, text) -> true/false, from salesrules.default_plugins.functions: the pattern must be written as a literal"),
    ("matches(company, '" + "a" * 501 + "')", 12, "matches(text, text) -> true/false, from salesrules.default_plugins.functions: the pattern is longer than 500 characters"),
]


@pytest.mark.parametrize("text, col, fragment", CASES, ids=[c[0][:40] for c in CASES])
def test_hostile_expression(ws, text, col, fragment, monkeypatch):
    monkeypatch.chdir(ws.root)
    ws.ruleset_fails(HEAD % text, f"12:{col}", fragment)
    assert not (ws.root / "PWNED").exists()


@pytest.mark.parametrize("where, text", [
    ("points", "    points: \"company\"\n"),
    ("a factor", "factors:\n  - {name: f, when: \"__import__('os')\", points: 1}\n"),
    ("an entry condition", "stages:\n  - {name: s, entry: {e: \"open('x')\"}}\n"),
    ("a due date", "actions:\n  - {name: a, when: confirmed, text: hi, due: \"as_of.replace(day=1)\"}\n"),
    ("a classification", "classifications:\n  channel:\n    - {name: c, when: \"[x for x in company]\"}\n"),
])
def test_every_expression_place_is_checked(ws, where, text):
    head = HEAD % "confirmed"
    path = ws.write("r.yaml", head + text)
    line = fails(1, "validate", path, protect=[path])
    assert line.startswith(f"error: {path}:"), line
