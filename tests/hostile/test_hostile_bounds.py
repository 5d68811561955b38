"""Bounds: no ruleset can make salesrules hang or exhaust memory.

* expressions are limited in length, parts, depth, integer size and how much text they join;
  they compile to polars without evaluating anything in Python, so power towers and string
  repetitions are either rejected or cheap;
* YAML alias expansion, nesting and size are limited;
* regular expressions run on a linear-time engine: ``(a+)+$`` over long text is fast;
* the work of loading a ruleset grows linearly with its size.

Runs that could hang if a bound were missing run in a subprocess with a timeout.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time

import polars as pl
import pytest
from hostile_helpers import AS_OF, run

from salesrules.errors import ExpressionError
from salesrules.language.expressions import MAX_TEXT_PARTS, Scope, compile_expression
from salesrules.model.sections import Expr
from salesrules.model.types import Type
from salesrules.plugins import get_registry

HEAD = """\
salesrules: 1
name: bounds
fields:
  id: {type: string, key: true}
  amount: money
  company: string
tiers:
  - name: t
    when: "%s"
"""


def salesrules(*args, timeout=300):
    """Run ``python -m salesrules ARGS`` in a fresh process: (exit code, stderr, peak RSS in MB,
    CPU seconds). Bounds on time are on the CPU the process used, which a busy machine barely
    changes; the wall-clock ``timeout`` only ends a hang."""
    command = [sys.executable, "-m", "salesrules", *map(str, args)]
    probe = ("import json, resource, subprocess, sys\n"
             "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
             "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
             "print(json.dumps([done.returncode, done.stderr, usage.ru_maxrss // 1024,"
             " usage.ru_utime + usage.ru_stime]))\n")
    done = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True, text=True, timeout=timeout)
    return tuple(json.loads(done.stdout))


def scope() -> Scope:
    names = {"company": (Type("string"), pl.col("company")), "amount": (Type("money"), pl.col("amount"))}
    return Scope(names, get_registry().functions, dt.date(2026, 11, 22))


def compile_(text: str):
    return compile_expression(Expr(text, None, False), scope())


def balanced(term: str, count: int) -> str:
    """``count`` copies of ``term`` joined with + as a balanced tree (shallow, so only the size limits apply)."""
    terms = [term] * count
    while len(terms) > 1:
        terms = [f"({terms[i]} + {terms[i + 1]})" if i + 1 < len(terms) else terms[i] for i in range(0, len(terms), 2)]
    return terms[0]


# ---------------------------------------------------------------- constant folding


@pytest.mark.parametrize("text, col, message", [
    ("2 ** 2 ** 2 ** 2 ** 10 > 1", 22,
     "the constant 2 ** 2 ** 10 is too large to be represented: it is beyond ±1.8e308, the largest number"),
    ("10 ** 10 ** 10 ** 10 ** 10 > amount", 24,
     "the constant 10 ** 10 ** 10 is too large to be represented: it is beyond ±1.8e308, the largest number"),
    ("10 ** 10 ** 10 ** 10 > amount", 18,
     "the constant 10 ** 10 ** 10 is too large to be represented: it is beyond ±1.8e308, the largest number"),
    ("9007199254740992 ** 9007199254740992 > 1", 12,
     "the constant 9007199254740992 ** 9007199254740992 is too large to be represented: it is beyond ±1.8e308, the largest number"),
    ("1e999 > amount", 12, "the number 1e999 is too large to be represented: it is beyond ±1.8e308, the largest number"),
    ("9007199254740992 * 9007199254740992 > amount", 12,
     "the constant 9007199254740992 * 9007199254740992 is too large to be represented: it is beyond the 64-bit whole numbers, ±9,223,372,036,854,775,807"),
])
def test_constants_beyond_what_a_number_holds_are_refused_at_once_with_their_place(ws, text, col, message):
    started = time.process_time()
    line = ws.ruleset_fails(HEAD % text, f"9:{col}", message)
    assert line.endswith(message)
    assert time.process_time() - started < 20


@pytest.mark.parametrize("text", [
    "amount ** amount ** amount ** amount > 1",
    "(-2) ** 0.5 is None",
    "round(amount * 1e300 * 1e300) > 1",
    "length(company) ** 9007199254740992 > 1",
])
def test_power_towers_compile_to_polars_and_are_cheap(tmp_path, text):
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text(HEAD % text)
    data = tmp_path / "p.csv"
    data.write_text("id,amount,company\nA,3,Acme\nB,,\n")
    code, stderr, _, cpu = salesrules("evaluate", data, "-r", ruleset, "--as-of", AS_OF, "-o", tmp_path / "o.csv")
    assert code == 0, stderr
    assert cpu < 20


@pytest.mark.parametrize("text, fragment", [
    ("'a' * 10**9 == 'a'", "type mismatch: text 'a' multiplied by '10**9' (number); * needs numbers"),
    ("'a' * 9007199254740992 == 'a'", "type mismatch: text 'a' multiplied by integer 9007199254740992; * needs numbers"),
    ("company * (10 ** 9) == 'a'", "type mismatch: company (text) multiplied by '10 ** 9' (number); * needs numbers"),
    ("2 ** 9007199254740993 > 1", "integer 9007199254740993 is too large"),
])
def test_string_repetition_and_huge_integers_are_rejected_at_once(text, fragment):
    started = time.process_time()
    with pytest.raises(ExpressionError) as info:
        compile_(text)
    assert fragment in info.value.message
    assert time.process_time() - started < 1


def test_text_joins_are_bounded():
    assert compile_(balanced("company", MAX_TEXT_PARTS) + " == 'x'").type.name == "boolean"
    assert compile_(balanced("'literal'", 200) + " == 'x'").type.name == "boolean"  # literals are bounded by the length
    for text in (balanced("company", MAX_TEXT_PARTS + 1), balanced("lower(company)", 40),
                 balanced("(company if amount > 1 else company)", 40)):
        with pytest.raises(ExpressionError, match=f"text is joined from more than {MAX_TEXT_PARTS} values"):
            compile_(f"length({text}) > 1")


def test_a_text_bomb_in_a_ruleset_is_refused_with_its_place(ws):
    ws.ruleset_fails(HEAD % f"length({balanced('company', 200)}) > 5", "9:22",
                     "text is joined from more than 32 values of the record; an expression may join at most that many")


def test_a_template_shows_a_bounded_number_of_values(ws):
    # 2,000 copies of {company} made a 100 KB file a 200 MB output; 32 is the limit of a join.
    head = HEAD % "amount > 1" + "factors:\n  - name: f\n    when: 'amount > 1'\n"
    ws.ruleset_fails(head + "    reason: '" + "{company}" * 2000 + "'\n", "11:5",
                     "a text shows at most 32 values of the record; this one shows 2,000")
    allowed = head + "    reason: '" + "{company} {amount} {as_of}" * 10 + "{company}{company}'\n"
    code, stderr, _, _ = salesrules("validate", str(ws.write("allowed.yaml", allowed)))
    assert code == 0, stderr


@pytest.mark.parametrize("text, fragment", [
    ("amount > 1 and " * 400 + "amount > 1", "expression is longer than 4000 characters"),
    ("min(" + "1, " * 1100 + "1) > 1", "expression has more than 1000 parts"),
    ("not " * 61 + "amount > 1", "expression is nested more than 60 levels deep"),
    ("(" * 300 + "amount" + ")" * 300 + " > 1", "too many nested parentheses"),
    ("amount in (" + ", ".join(["1"] * 1001) + ")", "more than 1000 parts"),
])
def test_expression_size_and_depth_limits_are_enforced_quickly(text, fragment):
    started = time.process_time()
    with pytest.raises(ExpressionError, match=fragment.replace("(", r"\(")):
        compile_(text)
    assert time.process_time() - started < 1


def test_the_largest_allowed_expressions_evaluate_quickly_on_100k_rows():
    frame = pl.DataFrame({"company": [f"Company {i % 97}" for i in range(100_000)],
                          "amount": [float(i) for i in range(100_000)]})
    largest = [
        "amount in (" + ", ".join(str(i) for i in range(800)) + ")",
        " or ".join(f"amount > {i}" for i in range(190)),
        "count_true(" + ", ".join(["amount > 1"] * 190) + ") > 3",
        f"length({balanced('company', MAX_TEXT_PARTS)}) > 3",
        "not " * 55 + "amount > 1",
    ]
    for text in largest:
        assert len(text) <= 4000, len(text)
        started = time.process_time()
        frame.select(compile_(text).expr)
        assert time.process_time() - started < 5, text


# ---------------------------------------------------------------- YAML


def billion_laughs(levels: int = 9) -> str:
    lines = ["salesrules: 1", "name: x", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("text, fragment", [
    (billion_laughs(), "document expands to more than 200,000 values (too many aliases?)"),
    ("salesrules: 1\nname: x\nfields:\n  f: {type: string, aliases: [" + ", ".join(["a"] * 250_000) + "]}\n",
     "document has more than 200,000 values"),
    ("salesrules: 1\nname: x\ndescription: " + "[" * 5000 + "]" * 5000 + "\n", "YAML is nested more than 100 levels deep"),
])
def test_yaml_expansion_is_bounded_in_time_and_memory(tmp_path, text, fragment):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    code, stderr, peak, cpu = salesrules("validate", path)
    assert code == 1 and fragment in stderr, stderr
    assert stderr.count("\n") == 1
    assert cpu < 30
    assert peak < 600, f"peak memory {peak} MB"


# ---------------------------------------------------------------- regular expressions


@pytest.mark.parametrize("pattern", ["(a+)+$", "(a|aa)+$", "(a*)*b", "^(([a-z])+.)+[A-Z]([a-z])+$", "(.*a){20}"])
def test_pathological_patterns_run_in_linear_time(ws, pattern):
    rows = 100_000
    text = "a" * 60 + "!"  # Python's backtracking re would need ~2**60 steps for (a+)+$ on this
    data = ws.root / "long.csv"
    pl.DataFrame({"id": [f"R{i}" for i in range(rows)], "company": [text] * rows}).write_csv(data)
    ruleset = ws.write("re.yaml", HEAD % f"matches(company, '{pattern}')")
    started = time.process_time()
    outcome = run("evaluate", data, "-r", ruleset, "-o", ws.root / "re.csv", "--as-of", AS_OF)
    assert outcome.code == 0, outcome.output
    assert time.process_time() - started < 20


def test_a_regex_too_large_to_compile_is_refused(ws):
    ws.ruleset_fails(HEAD % "matches(company, '((a{100}){100}){100}')", "9:12", "exceeds size limit")


# ---------------------------------------------------------------- how work grows with the ruleset


def factors(count: int) -> str:
    return ("salesrules: 1\nname: x\nfields:\n  f: integer\nfactors:\n"
            + "".join(f"  - {{name: f{i}, when: 'f > {i}', points: 1}}\n" for i in range(count)))


def test_a_few_hundred_rules_load_quickly(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(factors(300))
    code, stderr, _, cpu = salesrules("validate", path)
    assert code == 0, stderr
    assert cpu < 15


def test_thousands_of_rules_load_in_linear_time(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(factors(3000))
    code, stderr, _, cpu = salesrules("validate", path)
    assert code == 0, stderr
    assert cpu < 12, f"{cpu:.1f} s of CPU for 3,000 rules"


def test_too_many_errors_do_not_flood_the_terminal(ws):
    path = ws.write("r.yaml", "salesrules: 1\nname: x\nfields:\n  f: {type: string, aliases: [" + ", ".join(["1"] * 5000) + "]}\n")
    outcome = run("validate", path)
    assert outcome.code == 1
    assert len(outcome.lines) == 101, len(outcome.lines)
    assert outcome.lines[-1] == "error: ... and 4,900 more errors in the same file"
