"""The benchmark ruleset hand-written as a plain per-record Python loop.

    python benchmarks/loop_engine.py IN.csv OUT.csv --as-of 2026-11-22

This is what a per-record rules engine does at best: no interpretation of rules at all,
just the rules of ``benchmarks/ruleset.yaml`` written out as Python, applied to one record
at a time. It reads the input with ``csv.DictReader``, parses each value by hand with the
same rules salesrules applies to the values ``benchmarks/generate.py`` writes (``$1,250.00``,
``Yes``/``No``, ISO dates, empty cells), computes the tier, stage, gaps, factors, score,
band and actions of every record, ranks the open deals by score descending then key
ascending, and writes with ``csv.writer`` exactly the CSV that

    salesrules evaluate IN.csv -r benchmarks/ruleset.yaml --as-of 2026-11-22 -o OUT.csv

writes: the same columns, the same text for numbers, booleans, lists and actions, and the
same provenance columns. The ruleset's content hash is taken from ``--ruleset-hash`` or,
without it, computed by loading the ruleset with salesrules (which takes about a second,
so ``benchmarks/run.py`` passes the hash).

Only CSV input in the generator's layout is supported; a value the loop cannot read stops
it with an error naming the row and column, as salesrules stops.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RULESET = HERE / "ruleset.yaml"
RULESET_NAME = "benchmark"
RULESET_VERSION = "2026.11"

HEADER = (
    "id", "tier", "tier_points", "stage", "stage_source", "stage_conflict", "stage_probability",
    "score", "band", "rank", "reasons", "actions", "gaps",
    "ruleset", "ruleset_version", "ruleset_hash", "as_of",
)

# --- reading values ------------------------------------------------------------------

_TRUE = {"yes": True, "true": True, "1": True, "y": True, "t": True, "on": True,
         "no": False, "false": False, "0": False, "n": False, "f": False, "off": False}

# Enum spellings as matched: lower case with runs of whitespace collapsed to one space.
_INDUSTRY = {
    "software": "software", "saas": "software",
    "manufacturing": "manufacturing", "mfg": "manufacturing",
    "healthcare": "healthcare", "health care": "healthcare",
    "financial": "financial", "financial services": "financial", "fin services": "financial",
    "retail": "retail",
    "education": "education", "edu": "education",
    "government": "government", "gov": "government",
    "logistics": "logistics",
}
_LEAD_SOURCE = {name.lower(): name for name in (
    "Referral", "Website", "Trade Show", "Cold Call", "Purchased List", "Partner", "Webinar")}

# Stages in the order of the sales cycle: (name, probability, points, max_days, closed).
STAGES = (
    ("suspect", 0.02, 0, None, False),
    ("prospecting", 0.05, 5, 60, False),
    ("qualification", 0.10, 10, 30, False),
    ("needs_analysis", 0.20, 15, 30, False),
    ("presentation", 0.35, 20, 30, False),
    ("evaluation", 0.50, 25, 45, False),
    ("negotiation", 0.75, 30, 30, False),
    ("won", 1.0, 0, None, True),
    ("lost", 0.0, 0, None, True),
)
_STAGE = {name: name for name, *_ in STAGES}
_STAGE.update({"needs analysis": "needs_analysis", "closed won": "won", "closed lost": "lost"})
_ORDER = {name: i for i, (name, *_) in enumerate(STAGES)}
_PROBABILITY = {name: repr(p) for name, p, *_ in STAGES}
_POINTS = {name: points for name, _, points, *_ in STAGES}
_MAX_DAYS = {name: days for name, _, _, days, _ in STAGES if days is not None}
_OVERDUE = {name: f"{name}: over {days} days in stage" for name, days in _MAX_DAYS.items()}
_CLOSED = {name for name, *_, closed in STAGES if closed}
_PRESENTING = {"presentation", "evaluation", "negotiation"}
_NEGOTIATION, _PROSPECTING = _ORDER["negotiation"], _ORDER["prospecting"]


class BadValue(ValueError):
    """A value of the input that the rules cannot read."""


def text(value: str | None) -> str | None:
    """Trimmed text; blank is None."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def money(value: str | None) -> float | None:
    """``$1,250,000.00`` (or a plain number) as a float; blank is None."""
    value = text(value)
    if value is None:
        return None
    try:
        return float(value.lstrip("$").replace(",", ""))
    except ValueError:
        raise BadValue(f"cannot read {value!r} as money") from None


def integer(value: str | None, default: int) -> int:
    """A whole number; blank is ``default``."""
    value = text(value)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise BadValue(f"cannot read {value!r} as integer") from None


def boolean(value: str | None) -> bool:
    """yes/no, true/false, 1/0, y/n, t/f, on/off in any case; blank is false."""
    value = text(value)
    if value is None:
        return False
    try:
        return _TRUE[value.lower()]
    except KeyError:
        raise BadValue(f"cannot read {value!r} as boolean") from None


def enum(value: str | None, spellings: dict[str, str]) -> str | None:
    """The canonical name of an enum value, matched ignoring case and extra spaces."""
    value = text(value)
    if value is None:
        return None
    try:
        return spellings[" ".join(value.split()).lower()]
    except KeyError:
        raise BadValue(f"cannot read {value!r} as one of: {', '.join(dict.fromkeys(spellings.values()))}") from None


_DAYS: dict[str, int] = {}


def day(value: str | None) -> int | None:
    """An ISO date (``YYYY-MM-DD``) as its proleptic Gregorian ordinal; blank is None."""
    value = text(value)
    if value is None:
        return None
    ordinal = _DAYS.get(value)
    if ordinal is None:
        try:
            if len(value) != 10 or value[4] != "-" or value[7] != "-":
                raise ValueError
            ordinal = dt.date.fromisoformat(value).toordinal()
        except ValueError:
            raise BadValue(f"cannot read {value!r} as date (YYYY-MM-DD)") from None
        _DAYS[value] = ordinal
    return ordinal


_ISO: dict[int, str] = {}


def iso(ordinal: int) -> str:
    """The ISO text of a date ordinal."""
    found = _ISO.get(ordinal)
    if found is None:
        found = _ISO[ordinal] = dt.date.fromordinal(ordinal).isoformat()
    return found


def shown(value) -> str:
    """A value in a text, as salesrules renders it: None as ``unknown``."""
    return "unknown" if value is None else str(value)


def shown_money(value: float | None) -> str:
    """Money in a text: whole amounts without decimals, others rounded to cents."""
    if value is None:
        return "unknown"
    if value.is_integer():
        return str(int(value))
    return repr(round(value, 2))


# --- the rules -----------------------------------------------------------------------


def evaluate_row(row: dict[str, str], as_of: int) -> tuple[list, int, bool]:
    """One record's output cells (``rank`` left None), its score and whether it is closed."""
    # Fields, typed.
    key = text(row["Opportunity ID"])
    company = text(row["Account Name"])
    territory = text(row["Territory"])
    country = text(row["Country"])
    industry = enum(row["Industry"], _INDUSTRY)
    lead_source = enum(row["Lead Source"], _LEAD_SOURCE)
    deal_value = money(row["Amount"])
    recorded = enum(row["Stage"], _STAGE)
    created = day(row["Created Date"])
    last_contact = day(row["Last Contact"])
    next_step = day(row["Next Step Date"])
    appointment = day(row["Next Appointment"])
    close_date = day(row["Close Date"])
    entered = day(row["Stage Entered"])
    budget_from = day(row["Budget Available From"])
    contract_until = day(row["Supplier Contract Until"])
    decision_makers = integer(row["Decision Makers"], 1)
    contacts = integer(row["Contacts"], 1)
    dm_confirmed = boolean(row["Decision Maker Confirmed"])
    budget_confirmed = boolean(row["Budget Confirmed"])
    demo = boolean(row["Demo Requested"])
    sample = boolean(row["Sample Requested"])
    trial = boolean(row["Trial Requested"])
    new_buyer = boolean(row["New Buyer"])
    merger = boolean(row["Merger Pending"])
    need = boolean(row["Need Identified"])

    # Tier: the first level that holds.
    if deal_value is not None and deal_value >= 2_500_000:
        tier, tier_points = "strategic", 60
    elif deal_value is not None and deal_value > 1_000_000:
        tier, tier_points = "high", 50
    elif deal_value is not None and deal_value >= 250_000:
        tier, tier_points = "medium", 30
    else:
        tier, tier_points = "low", 10

    # Stage: recorded, else the latest stage whose entry evidence all holds.
    demo_sample_or_trial = demo or sample or trial
    partly_qualified = need or budget_confirmed or dm_confirmed
    gaps = []
    if recorded is not None:
        stage, source = recorded, "recorded"
        if recorded == "negotiation":
            if not budget_confirmed:
                gaps.append("budget_confirmed")
            if not dm_confirmed:
                gaps.append("decision_maker_confirmed")
        elif recorded == "evaluation":
            if not demo_sample_or_trial:
                gaps.append("demo_sample_or_trial")
        elif recorded == "needs_analysis":
            if not need:
                gaps.append("need_identified")
        elif recorded == "qualification":
            if not partly_qualified:
                gaps.append("partly_qualified")
        elif recorded == "suspect":
            if last_contact is None:
                gaps.append("contacted")
    elif budget_confirmed and dm_confirmed:
        stage, source = "negotiation", "inferred"
    elif demo_sample_or_trial:
        stage, source = "evaluation", "inferred"
    elif need:
        stage, source = "needs_analysis", "inferred"
    elif partly_qualified:
        stage, source = "qualification", "inferred"
    elif last_contact is not None:
        stage, source = "suspect", "inferred"
    else:
        stage = source = None
    conflict = bool(gaps)
    days_in_stage = None if entered is None else as_of - entered
    overdue = False
    if stage is not None and days_in_stage is not None and stage in _MAX_DAYS:
        overdue = days_in_stage > _MAX_DAYS[stage]
        if overdue:
            gaps.append(_OVERDUE[stage])
    closed = stage in _CLOSED
    order = None if stage is None else _ORDER[stage]

    # Factors, in the order of the ruleset.
    score = tier_points + (0 if stage is None else _POINTS[stage])
    reasons = []
    if budget_confirmed:
        score += 10
        reasons.append("Budget is confirmed")
    if dm_confirmed:
        score += 10
        reasons.append("We are talking to the decision maker")
    if need:
        score += 5
        reasons.append("The need is identified")
    if demo or trial:
        score += 5
        reasons.append("Asked for a demo or a trial")
    if last_contact is not None:
        since = as_of - last_contact
        if since <= 14:
            score += 5
            reasons.append("Contacted in the last two weeks")
        if since > 60:
            score -= 10
            reasons.append(f"No contact for over 60 days (last {iso(last_contact)})")
    if next_step is not None and next_step >= as_of:
        score += 5
        reasons.append(f"Next step planned for {iso(next_step)}")
    if close_date is not None:
        if 0 <= close_date - as_of <= 30:
            score += 10
            reasons.append(f"Expected to close by {iso(close_date)}")
        if close_date < as_of:
            score -= 10
            reasons.append(f"The close date, {iso(close_date)}, has passed")
    if created is not None and as_of - created > 180 and order is not None and order < _NEGOTIATION:
        score -= 5
        reasons.append(f"Open for {shown(days_in_stage)} days in {stage} and created {iso(created)}")
    if overdue:
        score -= 10
        reasons.append(f"{days_in_stage} days in {stage}")
    if new_buyer:
        score -= 5
        reasons.append("A new buyer is involved and may speed up or slow down the purchase")
    if budget_from is not None and budget_from > as_of:
        score += -20 if budget_from - as_of > 90 else -10
        reasons.append(f"Budget is not available until {iso(budget_from)}")
    if contract_until is not None and contract_until > as_of:
        score += -20 if contract_until - as_of > 180 else -10
        reasons.append(f"Under contract with another supplier until {iso(contract_until)}")
    if merger:
        score -= 20
        reasons.append("A merger or acquisition is pending; new purchases are on hold")
    if decision_makers > 1:
        score += -5 * (decision_makers - 1)
        reasons.append(f"{decision_makers} decision makers must all consent")
    if contacts >= 10:
        score += min(contacts, 20) // 2
        reasons.append(f"{contacts} contacts at {shown(company)}")
    if lead_source == "Referral":
        score += 10
        reasons.append("Came through a referral")
    elif lead_source in ("Partner", "Webinar", "Trade Show"):
        score += 5
        reasons.append(f"Warm lead ({lead_source})")
    elif lead_source in ("Cold Call", "Purchased List"):
        score -= 5
        reasons.append("cold source")
    if industry in ("software", "financial"):
        score += 5
        reasons.append(f"Target industry ({industry})")
    elif industry in ("education", "government") and tier != "low":
        score += -10 if tier in ("strategic", "high") else -5
        reasons.append(f"Public-sector {tier} deal in {shown(country)}: long buying cycle")

    # Score and band.
    if score < 0:
        score = 0
    band = "A" if score >= 70 else "B" if score >= 40 else "C"

    # Next actions, for open deals.
    actions = []
    if not closed:
        if stage in _PRESENTING and not dm_confirmed:
            actions.append(f"Confirm who signs for {shown(company)} (due {iso(as_of + 2)})")
        if appointment is not None and appointment - as_of == 1:
            actions.append(f"Prepare for tomorrow's appointment with {shown(company)} (due {iso(appointment - 1)})")
        if next_step is not None and next_step < as_of:
            actions.append(
                f"Follow up with {shown(company)}: the next step was due {iso(next_step)} (due {iso(as_of)})"
            )
        if next_step is None and order is not None and order >= _PROSPECTING:
            actions.append(f"Set a next step for {shown(company)} (due {iso(as_of + 1)})")
        if overdue and band != "C":
            actions.append(
                f"Move {shown(company)} forward: {days_in_stage} days in {stage}, "
                f"worth {shown_money(deal_value)} (due {iso(as_of + 3)})"
            )
        if tier == "strategic" and band == "A":
            value = shown_money(deal_value)
            brief = f"Brief the {shown(territory)} director on {shown(company)} ({value}, {score} points)"
            actions.append(brief if close_date is None else f"{brief} (due {iso(close_date - 14)})")

    cells = [
        key, tier, tier_points,
        "unknown" if stage is None else stage, source, "true" if conflict else "false",
        None if stage is None else _PROBABILITY[stage],
        score, band, None,
        "; ".join(reasons), "; ".join(actions), "; ".join(gaps),
    ]
    return cells, score, closed


def evaluate_file(source: str | Path, target: str | Path, as_of: dt.date, ruleset_hash: str) -> int:
    """Evaluate every record of ``source`` and write the ranked results to ``target``; the row count."""
    today = as_of.toordinal()
    provenance = [RULESET_NAME, RULESET_VERSION, ruleset_hash, as_of.isoformat()]
    results, open_deals, seen = [], [], set()
    with open(source, newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=1):
            try:
                cells, score, closed = evaluate_row(row, today)
            except BadValue as exc:
                raise SystemExit(f"{source}: row {number}: {exc}") from None
            key = cells[0]
            if key is not None:
                if key in seen:
                    raise SystemExit(f"{source}: duplicate key {key!r} in row {number}")
                seen.add(key)
            if not closed:
                # Keys are never missing in generated files; a missing one sorts last.
                open_deals.append((-score, key is None, key or "", len(results)))
            results.append(cells)
    open_deals.sort()
    for rank, (*_, index) in enumerate(open_deals, start=1):
        results[index][9] = rank
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(cells + provenance for cells in results)
    return len(results)


def ruleset_hash(path: str | Path = RULESET) -> str:
    """The content hash salesrules gives the ruleset at ``path``."""
    from salesrules.loader.load import load

    return load(str(path)).hash


def main(argv: list[str] | None = None) -> int:
    """Command line: ``loop_engine.py IN.csv OUT.csv --as-of YYYY-MM-DD [--ruleset-hash HASH]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", help="a CSV file written by benchmarks/generate.py")
    parser.add_argument("output", help="the CSV file to write")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True, help="evaluation date, YYYY-MM-DD")
    parser.add_argument("--ruleset-hash", help="the ruleset's content hash (default: computed with salesrules)")
    args = parser.parse_args(argv)
    evaluate_file(args.input, args.output, args.as_of, args.ruleset_hash or ruleset_hash())
    return 0


if __name__ == "__main__":
    sys.exit(main())
