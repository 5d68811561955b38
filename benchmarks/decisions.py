"""Benchmark of decision tables: a 50-rule table over generated deals, printed as a table.

    python benchmarks/decisions.py                    # 1,000,000 records, 3 runs each
    python benchmarks/decisions.py --rows 20000 --repeat 1

The table routes deals by deal size (ten bands, as intervals) and region (five, as lists and
``not(...)``) to one of 50 teams: 50 rules that never overlap, so it is a valid UNIQUE table. The
same rules run under several hit policies (FIRST, PRIORITY, RULE ORDER, COLLECT SUM); each is
timed as ``Ruleset.evaluate`` on an in-memory polars frame of ``--rows`` records, against the
same ruleset without decisions (the baseline: reading the records, typing them, the rest of the
plan). A thousand records are checked against a per-record Python computation of the table, and
the plan is checked to hold no Python function (``map_elements``/``map_batches``): the table is
polars expressions only.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

import salesrules

BANDS = [0, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000]
REGIONS = ["Americas", "EMEA", "APAC", "LATAM", "ANZ"]
POLICIES = ["UNIQUE", "FIRST", "PRIORITY", "RULE ORDER", "C+"]


def rules() -> list[tuple[int, int, dict]]:
    """(band, region, rule) for the 50 rules: ten bands by five regions, written in the forms
    of unary tests: intervals, comparisons, lists, not()."""
    out = []
    for b, low in enumerate(BANDS):
        size = f"[{low}..{BANDS[b + 1]})" if b + 1 < len(BANDS) else f">= {low}"
        for r, region in enumerate(REGIONS):
            others = ", ".join(f'"{name}"' for name in REGIONS[:-1])
            test = f"not({others})" if r == len(REGIONS) - 1 else f'"{region}"'
            out.append((b, r, {"when": [size, test], "then": [f'"team-{b}-{r}"', b * 5 + r]}))
    return out


def ruleset_data(policy: str | None) -> dict:
    """The benchmark ruleset: the fields, a tier, a factor, and the table under ``policy`` (None: no table)."""
    data = {
        "salesrules": 1,
        "name": "decisions-benchmark",
        "fields": {"id": {"type": "string", "key": True}, "deal_size": "money", "region": "string",
                   "company_size": "integer"},
        "tiers": [{"name": "high", "when": "deal_size > 1_000_000", "points": 30}, {"name": "low", "points": 10}],
        "factors": [{"name": "big_company", "when": "company_size >= 1000", "points": 10}],
    }
    if policy is not None:
        aggregate = policy == "C+"
        outputs = [{"name": "weight", "type": "integer"}] if aggregate else [
            {"name": "team", "values": [f"team-{b}-{r}" for b in range(len(BANDS)) for r in range(len(REGIONS))]},
            {"name": "weight", "type": "integer"}]
        table_rules = [{"when": r["when"], "then": r["then"][1:] if aggregate else r["then"]} for _, _, r in rules()]
        data["decisions"] = [{"name": "Routing", "hit_policy": policy, "inputs": ["deal_size", "region"],
                              "outputs": outputs, "rules": table_rules}]
    return data


def records(rows: int, seed: int) -> pl.DataFrame:
    """Generated deals: sizes across every band and on its edges, regions, a few missing values."""
    rng = random.Random(seed)
    edges = BANDS + [b - 0.01 for b in BANDS[1:]]
    sizes = [rng.choice(edges) if rng.random() < 0.1 else round(rng.uniform(0, 8_000_000), 2) for _ in range(rows)]
    sizes = [None if rng.random() < 0.01 else s for s in sizes]
    return pl.DataFrame({
        "id": [f"D{i:07d}" for i in range(rows)],
        "deal_size": sizes,
        "region": [rng.choice(REGIONS + ["Other"]) for _ in range(rows)],
        "company_size": [rng.randint(1, 50_000) for _ in range(rows)],
    }, schema={"id": pl.String, "deal_size": pl.Float64, "region": pl.String, "company_size": pl.Int64})


def expected_team(size, region):
    """The table computed for one record in Python, independently of the compiler."""
    if size is None:
        return None
    band = max(i for i, low in enumerate(BANDS) if size >= low) if size >= 0 else None
    if band is None:
        return None
    r = REGIONS.index(region) if region in REGIONS[:-1] else len(REGIONS) - 1
    return f"team-{band}-{r}"


def load(data: dict, folder: Path):
    path = folder / "ruleset.yaml"
    path.write_text(json.dumps(data))  # JSON is YAML
    start = time.perf_counter()
    ruleset = salesrules.load(path)
    return ruleset, time.perf_counter() - start


def timed(ruleset, frame: pl.DataFrame, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        ruleset.evaluate(frame)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def no_python_in_plan(ruleset) -> bool:
    """Whether no step of the compiled plan calls back into Python."""
    plan = ruleset.compile()
    text = " ".join(str(e) for step in plan.steps for e in step)
    return not any(word in text for word in ("map_elements", "map_batches", "python_udf", "apply("))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    frame = records(args.rows, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        baseline, _ = load(ruleset_data(None), folder)
        baseline.evaluate(frame.head(10_000))  # warm up: thread pools, the first plan
        base_time = timed(baseline, frame, args.repeat)
        print(f"decision table benchmark: {args.rows:,} records, 50 rules, median of {args.repeat}")
        print()
        print("| hit policy | load + compile | evaluate | rate | added to the baseline | per rule per 1M records | checked | Python in plan |")
        print("|---|---|---|---|---|---|---|---|")
        print(f"| none (baseline) | | {base_time:.2f} s | {args.rows / base_time:,.0f} rows/s | | | | |")
        ok = True
        for policy in POLICIES:
            ruleset, load_time = load(ruleset_data(policy), folder)
            seconds = timed(ruleset, frame, args.repeat)
            sample = frame.head(1000)
            result = ruleset.evaluate(sample).sort("id")["Routing"].to_list()
            wanted = [expected_team(s, r) for s, r in zip(sample["deal_size"], sample["region"])]
            if policy in ("UNIQUE", "FIRST", "PRIORITY"):
                got = [x["team"] if x else None for x in result]
            elif policy == "RULE ORDER":
                got = [x[0]["team"] if x else None for x in result]
            else:
                got = [None if x is None else f"team-{x // 5}-{x % 5}" for x in result]
            checked = got == wanted
            python = not no_python_in_plan(ruleset)
            ok = ok and checked and not python
            added = seconds - base_time
            per_rule = added / 50 / (args.rows / 1_000_000)
            print(f"| {policy} | {load_time * 1000:.0f} ms | {seconds:.2f} s | {args.rows / seconds:,.0f} rows/s | "
                  f"{added:+.2f} s | {per_rule * 1000:.1f} ms | {'yes' if checked else 'NO'} | {'YES' if python else 'none'} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
