"""Long fuzz run: the strategies of tests/test_fuzz.py for many more examples, with counts per outcome.

    python benchmarks/fuzz.py --examples 10000

The examples are shared between the targets (expressions 40%, rulesets 30%, prospect files 20%,
the command line 10%). For every example the outcome is ``ok`` (it worked), the class of the clean
error salesrules raised (``ExpressionError``, ``RulesetError``, ``InputError``...), the exit code
of the command line, or ``CRASH`` when anything else was raised, which is a bug: the first crashes
are printed with their input, and the exit code is 1 when there was any.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = {"expressions": 0.4, "rulesets": 0.3, "files": 0.2, "cli": 0.1}


def load_fuzz_module():
    """tests/test_fuzz.py as a module (its strategies and checks)."""
    spec = importlib.util.spec_from_file_location("salesrules_test_fuzz", ROOT / "tests" / "test_fuzz.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_target(fuzz, name: str, examples: int, seed: int | None):
    """Run one target for ``examples`` examples; returns (counts, crashes, seconds)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as fixed_seed

    strategy, check = fuzz.TARGETS[name]
    counts: Counter = Counter()
    crashes: list = []

    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(case):
        try:
            counts[check(case)] += 1
        except fuzz.Crash as exc:
            counts["CRASH " + str(exc).split(":", 1)[0]] += 1
            crashes.append((case, exc))

    if seed is not None:
        run = fixed_seed(seed)(run)
    started = time.perf_counter()
    run()
    return counts, crashes, time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=10_000, help="examples in all (default 10,000)")
    parser.add_argument("--targets", default=",".join(WEIGHTS), help=f"comma-separated, of: {', '.join(WEIGHTS)}")
    parser.add_argument("--seed", type=int, help="a fixed seed, for a reproducible run")
    parser.add_argument("--with-plugins", action="store_true", help="load installed plugin packages too")
    args = parser.parse_args(argv)
    if not args.with_plugins:
        sys._salesrules_test_no_entrypoints = True  # as in the test suite
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = [t for t in targets if t not in WEIGHTS]
    if unknown:
        parser.error(f"unknown targets: {', '.join(unknown)}")
    total_weight = sum(WEIGHTS[t] for t in targets)
    fuzz = load_fuzz_module()
    grand: Counter = Counter()
    all_crashes = []
    started = time.perf_counter()
    for name in targets:
        examples = max(1, round(args.examples * WEIGHTS[name] / total_weight))
        counts, crashes, seconds = run_target(fuzz, name, examples, args.seed)
        done = sum(counts.values())
        print(f"{name}: {done:,} examples in {seconds:.0f}s")
        for label, count in counts.most_common():
            print(f"  {label:<28} {count:>7,}  {100 * count / max(done, 1):5.1f}%")
        grand.update({"examples": done, "crashes": sum(c for k, c in counts.items() if k.startswith("CRASH"))})
        all_crashes += [(name, case, exc) for case, exc in crashes]
    print(f"total: {grand['examples']:,} examples in {time.perf_counter() - started:.0f}s, "
          f"{grand['crashes']:,} crashes")
    for name, case, exc in all_crashes[:10]:
        print(f"\nCRASH in {name}: {exc}\n  input: {case!r:.2000}")
    return 1 if all_crashes else 0


if __name__ == "__main__":
    sys.exit(main())
