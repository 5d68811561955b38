"""The engine against an independent reading of the contract in DESIGN.md.

``tests/fixtures/contract.yaml`` is a ruleset written to the contract. :func:`reference`
below evaluates that one ruleset row by row in plain Python, straight from the semantics in
DESIGN.md, without calling salesrules. The tests generate 10,000 realistic prospects with
``benchmarks/generate.py``, overwrite a few thousand cells with values exactly on the
thresholds (tiers, date windows relative to the as-of date), nulls and closed deals, and
check that ``evaluate`` agrees with the reference on every row and every result column.

A property test then checks that ``evaluate`` of a frame equals ``evaluate_one`` of each
record, for random records.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import random
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesrules.loader.load import load as load_ruleset

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "tests" / "fixtures" / "contract.yaml"
AS_OF = dt.date(2026, 11, 22)
SEED = 20261122
ROWS = 10_000


def _load_generator():
    spec = importlib.util.spec_from_file_location("salesrules_bench_generate", ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _load_generator()


# ---------------------------------------------------------------- the reference
#
# Plain Python, one record at a time. ``None`` is the unknown value of three-valued logic.

STAGES = [  # name, probability, points, spellings, entry conditions (in order), closed
    ("suspect", 0.02, 0, [], [], None),
    ("lead", 0.05, 5, ["New"], [], None),
    ("prospect", 0.10, 10, ["Prospecting", "Qualification"],
     [("partly_qualified", lambda r: r["need_identified"] or r["budget_confirmed"] or r["decision_maker_confirmed"])], None),
    ("discovery", 0.20, 15, ["Needs Analysis"], [("need", lambda r: r["need_identified"])], None),
    ("presentation", 0.35, 20, ["Proposal"], [], None),
    ("evaluation", 0.50, 25, [], [("demo_or_sample", lambda r: r["demo_requested"] or r["sample_requested"])], None),
    ("negotiation", 0.75, 30, [], [("budget", lambda r: r["budget_confirmed"]), ("signer", lambda r: r["decision_maker_confirmed"])], None),
    ("won", 1.0, 40, ["Closed Won"], [], "won"),
    ("lost", 0.0, None, ["Closed Lost"], [], "lost"),
]
STAGE_NAMES = [s[0] for s in STAGES]
SPELLINGS = {" ".join(spelling.split()).lower(): s[0] for s in STAGES for spelling in [s[0], *s[3]]}

COLUMNS = {  # field -> generator column
    "id": "Opportunity ID",
    "company": "Account Name",
    "deal_value": "Amount",
    "stage": "Stage",
    "last_contact": "Last Contact",
    "next_step_date": "Next Step Date",
    "next_appointment": "Next Appointment",
    "close_date": "Close Date",
    "budget_available_from": "Budget Available From",
    "supplier_contract_until": "Supplier Contract Until",
    "decision_makers": "Decision Makers",
    "decision_maker_confirmed": "Decision Maker Confirmed",
    "budget_confirmed": "Budget Confirmed",
    "need_identified": "Need Identified",
    "demo_requested": "Demo Requested",
    "sample_requested": "Sample Requested",
    "new_buyer": "New Buyer",
    "merger_pending": "Merger Pending",
}
DATES = ["last_contact", "next_step_date", "next_appointment", "close_date", "budget_available_from", "supplier_contract_until"]
FLAGS = ["decision_maker_confirmed", "budget_confirmed", "need_identified", "demo_requested",
         "sample_requested", "new_buyer", "merger_pending"]


def _text(value):
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _money(value):
    value = _text(value)
    return None if value is None else float(value.replace("$", "").replace(",", ""))


def _flag(value):
    value = _text(value)
    return None if value is None else {"yes": True, "no": False}[value.lower()]


def typed(row: dict) -> dict:
    """The record the rules see: generator text parsed, defaults filled."""
    stage = _text(row["Stage"])
    record = {
        "id": _text(row["Opportunity ID"]),
        "company": _text(row["Account Name"]),
        "deal_value": _money(row["Amount"]),
        "stage": None if stage is None else SPELLINGS[" ".join(stage.split()).lower()],
        "decision_makers": 1 if row["Decision Makers"] is None else row["Decision Makers"],
    }
    for name in DATES:
        record[name] = row[COLUMNS[name]]
    for name in FLAGS:
        value = _flag(row[COLUMNS[name]])
        record[name] = False if value is None else value
    return record


def _and(a, b):
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _gt(a, b):
    return None if a is None or b is None else a > b


def _days_since(d, as_of):
    return None if d is None else (as_of - d).days


def _days_until(d, as_of):
    return None if d is None else (d - as_of).days


def render(value) -> str:
    """Display text of a value in a template: whole numbers without decimals, ISO dates."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value == round(value) else str(round(value, 2))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def reference(r: dict, as_of: dt.date) -> dict:
    """The results of contract.yaml for one typed record, except the rank."""
    # Stages: the recorded one (its unmet entry conditions are gaps), else the latest whose entry holds.
    entries = {name: entry for name, _, _, _, entry, _ in STAGES}
    recorded = r["stage"]
    inferred = None
    for name, *_ in STAGES:
        if entries[name] and all(condition(r) is True for _, condition in entries[name]):
            inferred = name
    stage = recorded or inferred
    gaps = [cname for cname, condition in entries[recorded] if condition(r) is not True] if recorded else []
    info = {s[0]: s for s in STAGES}
    _, probability, stage_points, _, _, closed = info[stage] if stage else (None, None, None, None, None, None)

    # Tier: the first level whose condition holds; none holds for an unknown value.
    value = r["deal_value"]
    tier, tier_points = None, 0
    for name, condition, points in (
        ("high", _gt(value, 1_000_000), 50),
        ("medium", None if value is None else value >= 500_000, 30),
        ("low", None if value is None else value < 500_000, 10),
    ):
        if condition is True:
            tier, tier_points = name, points
            break

    # Factors: each one whose condition is true adds its points and its reason.
    score = tier_points + (stage_points or 0)
    reasons = []
    since = _days_since(r["last_contact"], as_of)
    budget_in = _days_until(r["budget_available_from"], as_of)
    contract_in = _days_until(r["supplier_contract_until"], as_of)
    factors = [
        (r["budget_confirmed"], 10, "Budget is confirmed"),
        (None if since is None else since <= 14, 5, f"Contacted on {render(r['last_contact'])}"),
        (_gt(since, 60), -10, f"No contact for over 60 days (last {render(r['last_contact'])})"),
        (r["new_buyer"], -5, "A new buyer is involved"),
        (_gt(budget_in, 0), -20 if budget_in is not None and budget_in > 90 else -10,
         f"Budget is not available until {render(r['budget_available_from'])}"),
        (None if contract_in is None else contract_in >= 0, -20 if contract_in is not None and contract_in > 180 else -10,
         f"Under contract with another supplier until {render(r['supplier_contract_until'])}"),
        (r["merger_pending"], -20, "A merger or acquisition is pending; new purchases are on hold"),
        (r["decision_makers"] > 2, -5 * (r["decision_makers"] - 2), f"{r['decision_makers']} decision makers must all consent"),
        (_and(None if value is None else value >= 500_000, r["budget_confirmed"]), 5,
         f"A budget of {render(value)} is confirmed"),
    ]
    for holds, points, reason in factors:
        if holds is True:
            score += points
            reasons.append(reason)
    score = min(max(score, 0), 100)
    band = "A" if score >= 70 else "B" if score >= 40 else "C"

    # Actions: open deals get the open actions; closed ones only those that apply to them.
    company = render(r["company"])
    stage_index = STAGE_NAMES.index(stage) if stage else None
    until_appointment = _days_until(r["next_appointment"], as_of)
    since_close = _days_since(r["close_date"], as_of)
    day = dt.timedelta(days=1)
    candidates = [
        ("open", stage in ("presentation", "evaluation", "negotiation") and not r["decision_maker_confirmed"],
         "confirm_decision_maker", f"Confirm who signs for {company}", as_of + 2 * day),
        ("open", until_appointment == 1, "appointment_reminder",
         f"Prepare for tomorrow's appointment with {company}", r["next_appointment"] and r["next_appointment"] - day),
        ("open", r["next_step_date"] is not None and r["next_step_date"] < as_of, "overdue_follow_up",
         f"Follow up with {company}: the next step was due {render(r['next_step_date'])}", as_of),
        ("open", r["next_step_date"] is None and stage_index is not None and stage_index >= 1, "set_next_step",
         f"Set a next step for {company} ({render(value)})", as_of + day),
        ("won", since_close is not None and since_close <= 30, "ask_for_referral",
         f"Ask {company} for a referral", r["close_date"] and r["close_date"] + 30 * day),
        ("closed", r["close_date"] is None, "record_close_date", f"Record when the deal with {company} closed", None),
        ("lost", value is not None and value >= 500_000, "review_big_loss",
         f"Review why we lost {render(value)} with {company}", as_of + 7 * day),
    ]
    applies = {"open": closed is None, "closed": closed is not None, "won": closed == "won", "lost": closed == "lost"}
    actions = [
        {"name": name, "text": text, "due": due}
        for applies_to, holds, name, text, due in candidates
        if applies[applies_to] and holds
    ]
    return {
        "id": r["id"],
        "tier": tier or "unknown",
        "tier_points": tier_points,
        "stage": stage or "unknown",
        "stage_source": "recorded" if recorded else "inferred" if inferred else None,
        "stage_conflict": bool(gaps),
        "stage_probability": probability,
        "score": score,
        "band": band,
        "rank": None,
        "reasons": reasons,
        "actions": actions,
        "gaps": gaps,
        "__closed": closed is not None,
    }


def reference_all(frame: pl.DataFrame, as_of: dt.date) -> list[dict]:
    """The reference results of every row, with the rank: open deals by score desc, then key asc."""
    results = [reference(typed(row), as_of) for row in frame.iter_rows(named=True)]
    open_rows = [i for i, r in enumerate(results) if not r["__closed"]]
    open_rows.sort(key=lambda i: (-results[i]["score"], results[i]["id"] is None, results[i]["id"] or "", i))
    for rank, i in enumerate(open_rows, start=1):
        results[i]["rank"] = rank
    for r in results:
        del r["__closed"]
    return results


# ---------------------------------------------------------------- the data


def prospects(as_of: dt.date = AS_OF) -> pl.DataFrame:
    """10,000 generated prospects with a few thousand cells set on boundaries, to null or to closed."""
    frame = generate.generate_frame(ROWS, seed=SEED, as_of=as_of)
    rows = frame.to_dicts()
    rng = random.Random(SEED)
    day = dt.timedelta(days=1)

    def around(*offsets):
        return [as_of + k * day for k in offsets]

    boundaries = {
        "Amount": ["$1,000,000.00", "$500,000.00", "$499,999.99", "$1,000,000.01", "$999,999.99",
                   "$500,000.01", "$0.00", "1000000", "$1,234.50", None, "  "],
        "Stage": ["Closed Won", "Closed Lost", "closed won", "WON", "lost", "suspect", "lead", "New",
                  "  negotiation ", "NEEDS   ANALYSIS", "Proposal", "evaluation", None, None, None],
        "Last Contact": around(0, -14, -15, -60, -61, 1, 30) + [None],
        "Next Step Date": around(-1, 0, 1) + [None],
        "Next Appointment": around(0, 1, 2, -1) + [None],
        "Close Date": around(-30, -31, 0, 5) + [None],
        "Budget Available From": around(0, 1, 90, 91, -1) + [None],
        "Supplier Contract Until": around(-1, 0, 1, 180, 181) + [None],
        "Decision Makers": [None, 0, 1, 2, 3, 6],
        "Opportunity ID": [None],
        "Account Name": [None, "  "],
        **{COLUMNS[f]: ["Yes", "No", None, "yes", "NO"] for f in FLAGS},
    }
    columns = list(boundaries)
    # Every boundary value of every column, each on its own row...
    i = 0
    for column in columns:
        for value in boundaries[column]:
            rows[i][column] = value
            i += 1
    # ... every column null in some row, some rows entirely empty ...
    for column in COLUMNS.values():
        rows[i][column] = None
        i += 1
    for _ in range(5):
        for column in COLUMNS.values():
            rows[i][column] = None
        i += 1
    # ... and a few thousand more cells set at random to boundary values.
    for _ in range(4000):
        row = rows[rng.randrange(i, ROWS)]
        for column in rng.sample(columns, rng.randint(1, 4)):
            row[column] = rng.choice(boundaries[column])
    return pl.DataFrame(rows, schema=frame.schema)


@pytest.fixture(scope="module")
def contract():
    return load_ruleset(CONTRACT)


@pytest.fixture(scope="module")
def data():
    return prospects()


def assert_rows_match(actual: list[dict], expected: list[dict]):
    assert len(actual) == len(expected)
    for i, (got, want) in enumerate(zip(actual, expected)):
        assert got == want, f"row {i + 1} ({got['id']}): " + ", ".join(
            f"{k}: got {got.get(k)!r}, expected {want.get(k)!r}" for k in want if got.get(k) != want.get(k)
        )


# ---------------------------------------------------------------- the tests


def test_the_data_covers_the_boundaries(data):
    amounts = set(data["Amount"].to_list())
    assert {"$1,000,000.00", "$500,000.00", "$499,999.99", "$1,000,000.01", None} <= amounts
    stages = data["Stage"].value_counts()
    assert stages.filter(pl.col("Stage").is_null())["count"].item() > 100
    assert data["Opportunity ID"].null_count() > 5
    for column in COLUMNS.values():
        assert data[column].null_count() > 0, column


def test_evaluate_matches_the_reference_on_every_row(contract, data):
    out = contract.evaluate(data)
    assert out.columns == list(reference(typed(data.row(0, named=True)), AS_OF))[:-1]
    expected = reference_all(data, AS_OF)
    assert_rows_match(out.to_dicts(), expected)
    # The data exercises every outcome the reference knows.
    assert set(out["tier"]) == {"high", "medium", "low", "unknown"}
    assert set(out["stage_source"]) == {"recorded", "inferred", None}
    assert set(out["band"]) == {"A", "B", "C"}
    assert out["stage_conflict"].any() and not out["stage_conflict"].all()
    fired = {a["name"] for actions in out["actions"] for a in actions}
    assert fired == {"confirm_decision_maker", "appointment_reminder", "overdue_follow_up", "set_next_step",
                     "ask_for_referral", "record_close_date", "review_big_loss"}
    assert out["score"].min() == 0 and out["score"].max() == 100  # both clamps are reached


def test_tier_thresholds_are_exact(contract):
    values = ["$1,000,000.00", "$500,000.00", "$499,999.99", "$1,000,000.01", None]
    out = contract.evaluate([{"Amount": value} for value in values])  # records: the other fields are null
    assert out["tier"].to_list() == ["medium", "medium", "low", "high", "unknown"]
    assert out["tier_points"].to_list() == [30, 30, 10, 50, 0]


def test_a_different_as_of_moves_the_day_relative_results(contract, data):
    later = AS_OF + dt.timedelta(days=10)
    default = contract.evaluate(data)
    explicit = contract.evaluate(data, as_of=AS_OF)
    assert default.equals(explicit)  # the ruleset's as_of is the default
    moved = contract.evaluate(data, as_of=later)
    assert_rows_match(moved.to_dicts(), reference_all(data, later))
    # Only what depends on the date changes: tiers and stages do not, scores and actions do.
    assert moved["tier"].equals(default["tier"])
    assert moved["stage"].equals(default["stage"])
    assert (moved["score"] != default["score"]).sum() > 100
    confirm = [a["due"] for actions in moved["actions"] for a in actions if a["name"] == "confirm_decision_maker"]
    assert confirm and set(confirm) == {later + 2 * _DAY}
    # A prospect last contacted 14 days before AS_OF is recent then, 24 days before ``later`` it is not.
    # Records as dicts: the fields a record does not give are null.
    edge = [{"Opportunity ID": "E", "Last Contact": AS_OF - dt.timedelta(days=14)}]
    assert contract.evaluate(edge)["reasons"].to_list() == [[f"Contacted on {AS_OF - dt.timedelta(days=14)}"]]
    assert contract.evaluate(edge, as_of=later)["reasons"].to_list() == [[]]


# ---------------------------------------------------------------- evaluate == evaluate_one

_DAY = dt.timedelta(days=1)
_st_dates = st.one_of(
    st.none(),
    st.sampled_from([-61, -60, -31, -30, -15, -14, -1, 0, 1, 2, 90, 91, 180, 181]).map(lambda k: AS_OF + k * _DAY),
    st.integers(-400, 400).map(lambda k: AS_OF + k * _DAY),
).flatmap(  # a date, its ISO text, or a datetime on that day (its date counts)
    lambda d: st.sampled_from([d, d.isoformat(), dt.datetime.combine(d, dt.time(23, 59))]) if d is not None else st.just(None)
)
_st_money = st.one_of(
    st.none(),
    st.sampled_from([1_000_000, 500_000, 499_999.99, 1_000_000.01, 0, 0.5, "$1,000,000.00", "$499,999.99", "1,200", " "]),
    st.integers(0, 5_000_000),
    st.floats(0, 5_000_000, allow_nan=False).map(lambda v: round(v, 2)),
)
_st_flags = st.sampled_from([None, True, False, "Yes", "no", "TRUE", "0"])
_stage_spellings = [name for name in STAGE_NAMES] + ["Closed Won", "closed lost", "NEW", "Needs Analysis", "prospecting", "Proposal"]
FIELDS = {
    "company": st.one_of(st.none(), st.sampled_from(["Acme", "  Beta Corp ", "Ünïcode AG", ""])),
    "deal_value": _st_money,
    "stage": st.one_of(st.none(), st.sampled_from(_stage_spellings)),
    "decision_makers": st.one_of(st.none(), st.integers(0, 8), st.sampled_from(["3", 2.0])),
    **{name: _st_dates for name in DATES},
    **{name: _st_flags for name in FLAGS},
}


@st.composite
def records(draw):
    count = draw(st.integers(1, 6))
    out = []
    for i in range(count):
        names = draw(st.sets(st.sampled_from(sorted(FIELDS))))
        record = {name: draw(FIELDS[name]) for name in sorted(names)}
        if draw(st.booleans()):
            record["id"] = f"R{i}"  # keys, when given, are unique
        out.append(record)
    return out


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_evaluate_equals_evaluate_one_record_by_record(contract, batch):
    frame = contract.evaluate(batch)
    assert frame.height == len(batch)
    for record, row in zip(batch, frame.to_dicts()):
        one = contract.evaluate_one(record)
        assert one["rank"] is None
        row["rank"] = None
        assert one == row, record
