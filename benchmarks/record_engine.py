"""The rules behind ``id,tier,score,band`` in a per-record rules engine (ZEN, PyPI ``zen-engine``).

    python benchmarks/record_engine.py IN.csv --as-of 2026-11-22 [--rows 100000] [--check SALESRULES.csv] [--json]

This is how a general-purpose rules engine evaluates the benchmark ruleset: record by record.
The rules of ``benchmarks/ruleset.yaml`` that the tier, the score and the band need (the tier
levels, the stage recorded or inferred from its evidence, its points and day limits, the 22
factors' conditions and points, the floor of the score at 0 and the bands) are written in the
engine's own expression language, compiled once, and evaluated for each record; the values
of a record are read in Python with the loop engine's readers (``benchmarks/loop_engine.py``),
as an application feeding a rules engine would. To give the engine its best chance, each
result is one compiled expression (four calls per record: stage, tier, score, band), since
the cost of a call is mostly handing the record over; one call per rule is several times
slower.

Of the engines measured, ZEN (``zen-engine``, a Rust core) was the fastest per record;
``rule-engine`` (pure Python) took longer for a single rule than ZEN for a whole result. When
``zen-engine`` is not installed the script says so and exits with status 2 (``pip install
'salesrules[bench]'`` installs it).

It prints the rows evaluated, the seconds (wall and CPU) spent reading and evaluating them in
this process (start-up excluded) and the rate; with ``--check`` it compares every result with the
``id,tier,score,band`` columns of a salesrules output file (same rows, same order) and
exits with status 1 when one differs. ``--rows`` evaluates only the first rows, so that a
large file can be measured in reasonable time and the rate extrapolated.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MISSING = 2  # exit status when the engine is not installed


def _loop_engine():
    spec = importlib.util.spec_from_file_location("salesrules_benchmark_loop_engine", HERE / "loop_engine.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


loop = _loop_engine()

# --- the rules, in ZEN's expression language ------------------------------------------------
# Dates are day numbers (proleptic ordinals) and ``today`` is the as-of date's.

OPEN_BEFORE_NEGOTIATION = "['suspect', 'prospecting', 'qualification', 'needs_analysis', 'presentation', 'evaluation']"

STAGE = (
    "recorded != null ? recorded"
    " : (budget and dm) ? 'negotiation'"
    " : (demo or sample or trial) ? 'evaluation'"
    " : need ? 'needs_analysis'"
    " : (need or budget or dm) ? 'qualification'"
    " : last_contact != null ? 'suspect'"
    " : null"
)

TIER = (
    "deal_value != null and deal_value >= 2500000 ? 'strategic'"
    " : deal_value != null and deal_value > 1000000 ? 'high'"
    " : deal_value != null and deal_value >= 250000 ? 'medium'"
    " : 'low'"
)

TIER_POINTS = "(tier == 'strategic' ? 60 : tier == 'high' ? 50 : tier == 'medium' ? 30 : 10)"

STAGE_POINTS = (
    "(stage == 'prospecting' ? 5 : stage == 'qualification' ? 10 : stage == 'needs_analysis' ? 15"
    " : stage == 'presentation' ? 20 : stage == 'evaluation' ? 25 : stage == 'negotiation' ? 30 : 0)"
)

OVERDUE = (
    "(entered != null and stage != null and ("
    "stage == 'prospecting' ? today - entered > 60"
    " : stage == 'evaluation' ? today - entered > 45"
    " : stage in ['qualification', 'needs_analysis', 'presentation', 'negotiation'] ? today - entered > 30"
    " : false))"
)

# (name, condition, points): the factors of the ruleset, in its order.
FACTORS = (
    ("budget_confirmed", "budget", "10"),
    ("decision_maker_confirmed", "dm", "10"),
    ("need_identified", "need", "5"),
    ("demo_or_trial", "demo or trial", "5"),
    ("recent_contact", "last_contact != null and today - last_contact <= 14", "5"),
    ("contact_lapsing", "last_contact != null and today - last_contact > 60", "-10"),
    ("next_step_planned", "next_step != null and next_step >= today", "5"),
    ("closing_soon", "close_date != null and close_date - today >= 0 and close_date - today <= 30", "10"),
    ("close_date_passed", "close_date != null and close_date < today", "-10"),
    ("old_deal", f"created != null and today - created > 180 and stage in {OPEN_BEFORE_NEGOTIATION}", "-5"),
    ("stalled", OVERDUE, "-10"),
    ("new_buyer", "new_buyer", "-5"),
    ("budget_not_available", "budget_from != null and budget_from > today",
     "(budget_from - today > 90 ? -20 : -10)"),
    ("supplier_contract", "contract_until != null and contract_until > today",
     "(contract_until - today > 180 ? -20 : -10)"),
    ("merger", "merger", "-20"),
    ("decision_makers", "decision_makers > 1", "-5 * (decision_makers - 1)"),
    ("wide_account", "contacts >= 10", "floor(min([contacts, 20]) / 2)"),
    ("referral", "lead_source == 'Referral'", "10"),
    ("warm_source", "lead_source in ['Partner', 'Webinar', 'Trade Show']", "5"),
    ("cold_source", "lead_source in ['Cold Call', 'Purchased List']", "-5"),
    ("target_industry", "industry in ['software', 'financial']", "5"),
    ("public_sector", "industry in ['education', 'government'] and tier != 'low'",
     "(tier in ['strategic', 'high'] ? -10 : -5)"),
)

SCORE = "max([0, " + " + ".join(
    [TIER_POINTS, STAGE_POINTS] + [f"(({when}) ? ({points}) : 0)" for _, when, points in FACTORS]) + "])"

BAND = "score >= 70 ? 'A' : score >= 40 ? 'B' : 'C'"


def record(row: dict[str, str], today: int) -> dict:
    """The typed values of one CSV row, as the rules see them (read like the loop engine reads them)."""
    return {
        "recorded": loop.enum(row["Stage"], loop._STAGE),
        "deal_value": loop.money(row["Amount"]),
        "industry": loop.enum(row["Industry"], loop._INDUSTRY),
        "lead_source": loop.enum(row["Lead Source"], loop._LEAD_SOURCE),
        "created": loop.day(row["Created Date"]),
        "last_contact": loop.day(row["Last Contact"]),
        "next_step": loop.day(row["Next Step Date"]),
        "close_date": loop.day(row["Close Date"]),
        "entered": loop.day(row["Stage Entered"]),
        "budget_from": loop.day(row["Budget Available From"]),
        "contract_until": loop.day(row["Supplier Contract Until"]),
        "decision_makers": loop.integer(row["Decision Makers"], 1),
        "contacts": loop.integer(row["Contacts"], 1),
        "dm": loop.boolean(row["Decision Maker Confirmed"]),
        "budget": loop.boolean(row["Budget Confirmed"]),
        "demo": loop.boolean(row["Demo Requested"]),
        "sample": loop.boolean(row["Sample Requested"]),
        "trial": loop.boolean(row["Trial Requested"]),
        "new_buyer": loop.boolean(row["New Buyer"]),
        "merger": loop.boolean(row["Merger Pending"]),
        "need": loop.boolean(row["Need Identified"]),
        "today": today,
    }


def engine_available() -> bool:
    """Whether ``zen-engine`` is installed."""
    return importlib.util.find_spec("zen") is not None


def evaluate_file(source: str | Path, as_of: dt.date, rows: int | None = None) -> tuple[list[tuple], float, float]:
    """``(id, tier, score, band)`` of the first ``rows`` records of ``source`` (all without
    ``rows``), and the seconds (wall, then CPU) spent reading and evaluating them."""
    import zen

    stage_rule, tier_rule, score_rule, band_rule = (zen.compile_expression(e) for e in (STAGE, TIER, SCORE, BAND))
    today = as_of.toordinal()
    results = []
    started, cpu = time.perf_counter(), time.process_time()
    with open(source, newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            if rows is not None and number >= rows:
                break
            values = record(row, today)
            values["stage"] = stage_rule.evaluate(values)
            values["tier"] = tier_rule.evaluate(values)
            values["score"] = score = int(score_rule.evaluate(values))
            results.append((loop.text(row["Opportunity ID"]), values["tier"], score, band_rule.evaluate(values)))
    return results, time.perf_counter() - started, time.process_time() - cpu


def expected_results(path: str | Path, rows: int) -> list[tuple]:
    """``(id, tier, score, band)`` of the first ``rows`` records of a salesrules CSV output."""
    found = []
    with open(path, newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            if number >= rows:
                break
            found.append((row["id"] or None, row["tier"], int(row["score"]), row["band"]))
    return found


def main(argv: list[str] | None = None) -> int:
    """Command line: ``record_engine.py IN.csv --as-of DATE [--rows N] [--check FILE] [--json]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", help="a CSV file written by benchmarks/generate.py")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True, help="evaluation date, YYYY-MM-DD")
    parser.add_argument("--rows", type=int, help="evaluate only the first ROWS records")
    parser.add_argument("--check", metavar="FILE", help="a salesrules CSV output of the same input to compare with")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    if not engine_available():
        print("record_engine: zen-engine is not installed (pip install 'salesrules[bench]'); skipped", file=sys.stderr)
        return MISSING
    results, seconds, cpu = evaluate_file(args.input, args.as_of, args.rows)
    same = None
    if args.check:
        same = results == expected_results(args.check, len(results))
    figures = {"engine": "zen-engine", "rows": len(results), "seconds": seconds, "cpu_seconds": cpu,
               "rows_per_s": len(results) / seconds if seconds else None, "same": same}
    if args.json:
        print(json.dumps(figures))
    else:
        check = "" if same is None else f", {'same results as salesrules' if same else 'DIFFERENT results'}"
        print(f"zen-engine: {len(results):,} rows in {seconds:.2f} s, {figures['rows_per_s']:,.0f} rows/s{check}")
    return 1 if same is False else 0


if __name__ == "__main__":
    sys.exit(main())
