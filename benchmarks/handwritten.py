"""The benchmark ruleset hand-written in polars: what a skilled engineer would write for the same output.

    python benchmarks/handwritten.py IN.csv OUT.csv --as-of 2026-11-22 [--columns id,tier,score,band]
    python benchmarks/handwritten.py IN.parquet OUT.parquet --as-of 2026-11-22
    python benchmarks/handwritten.py IN.csv OUT.csv --as-of 2026-11-22 --columns id,tier,score,band --checked

The rules of ``benchmarks/ruleset.yaml`` written out directly as one polars query, with no
ruleset, no interpretation and no checks beyond what the output needs: the input is scanned
with its column types (dates and counts typed by the CSV reader), money and checkboxes typed
with string operations, the stage, tier, factors, score and band as ``when/then`` chains over
integer stage codes, the reasons, gaps and actions joined with ``concat_str``, the open deals
ranked by score descending then key ascending, and the results written by polars (streaming
from the input to the output when the rank is not asked for). Its output file is byte for
byte the one

    salesrules evaluate IN -r benchmarks/ruleset.yaml --as-of 2026-11-22 -o OUT [--columns ...]

writes, for CSV to CSV and for Parquet to Parquet (``tests/test_benchmarks.py`` checks it, and
``benchmarks/run.py`` compares the sha256 at a million rows). With ``--columns`` it computes
only what those columns need: ``id,tier,score,band`` reads neither names nor appointments and
builds no text at all.

Like a hand-written job it assumes the input is as ``benchmarks/generate.py`` writes it: the
generator's columns and spellings (``$1,250,000.00``, ``Yes``/``No``, ISO dates, the CRM's
stage and industry names), unique keys, and empty cells wherever the generator leaves some. It
does not look for bad values or repeated keys, which salesrules reports as errors, unless
``--checked`` is given: then a CSV input is read as text, every value it reads is checked against
the spellings the generator writes (as salesrules checks it against those its rules accept) and
the keys for repeats, and nothing is written when one is wrong. The
ruleset's content hash (a provenance column) is taken from ``--ruleset-hash`` or computed with
salesrules, as ``benchmarks/loop_engine.py`` does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
RULESET = HERE / "ruleset.yaml"
RULESET_NAME = "benchmark"
RULESET_VERSION = "2026.11"
EPOCH = dt.date(1970, 1, 1)

OUTPUT = ("id", "tier", "tier_points", "stage", "stage_source", "stage_conflict", "stage_probability",
          "score", "band", "rank", "reasons", "actions", "gaps")
PROVENANCE = ("ruleset", "ruleset_version", "ruleset_hash", "as_of")

# Stages by code, in the order of the sales cycle: (name, probability, points, max_days).
STAGES = (
    ("suspect", 0.02, 0, None),
    ("prospecting", 0.05, 5, 60),
    ("qualification", 0.10, 10, 30),
    ("needs_analysis", 0.20, 15, 30),
    ("presentation", 0.35, 20, 30),
    ("evaluation", 0.50, 25, 45),
    ("negotiation", 0.75, 30, 30),
    ("won", 1.0, 0, None),
    ("lost", 0.0, 0, None),
)
SUSPECT, PROSPECTING, QUALIFICATION, NEEDS_ANALYSIS, PRESENTATION, EVALUATION, NEGOTIATION, WON, LOST = range(9)
# The stage names as the CRM export spells them.
STAGE_CODES = {"Prospecting": PROSPECTING, "Qualification": QUALIFICATION, "Needs Analysis": NEEDS_ANALYSIS,
               "Presentation": PRESENTATION, "Evaluation": EVALUATION, "Negotiation": NEGOTIATION,
               "Closed Won": WON, "Closed Lost": LOST}
INDUSTRIES = {"Software": "software", "SaaS": "software", "Saas": "software", "software": "software",
              "Manufacturing": "manufacturing", "Mfg": "manufacturing",
              "Healthcare": "healthcare", "Health Care": "healthcare",
              "Financial Services": "financial", "Fin Services": "financial",
              "Retail": "retail", "retail": "retail", "Education": "education", "Edu": "education",
              "Government": "government", "Gov": "government", "Logistics": "logistics", "logistics": "logistics"}

DATES = {"created": "Created Date", "last_contact": "Last Contact", "next_step": "Next Step Date",
         "appointment": "Next Appointment", "close_date": "Close Date", "entered": "Stage Entered",
         "budget_from": "Budget Available From", "contract_until": "Supplier Contract Until"}
FLAGS = {"dm": "Decision Maker Confirmed", "budget": "Budget Confirmed", "demo": "Demo Requested",
         "sample": "Sample Requested", "trial": "Trial Requested", "new_buyer": "New Buyer",
         "merger": "Merger Pending", "need": "Need Identified"}
COUNTS = {"decision_makers": "Decision Makers", "contacts": "Contacts"}
TEXTS = {"id": "Opportunity ID", "company": "Account Name", "territory": "Territory", "country": "Country",
         "industry": "Industry", "lead_source": "Lead Source", "amount": "Amount", "recorded": "Stage"}
# The generator's columns, in file order, with the types the CSV reader gives them.
_TYPES = {**{column: pl.Date for column in DATES.values()}, **{column: pl.Int64 for column in COUNTS.values()}}
SCHEMA = {column: _TYPES.get(column, pl.String) for column in (
    "Opportunity ID", "Account Name", "Owner", "Territory", "Industry", "Lead Source", "Amount", "Stage",
    "Created Date", "Last Contact", "Next Step Date", "Next Appointment", "Close Date", "Stage Entered",
    "Decision Makers", "Decision Maker Confirmed", "Budget Confirmed", "Demo Requested", "Sample Requested",
    "Trial Requested", "New Buyer", "Merger Pending", "Need Identified", "Budget Available From",
    "Supplier Contract Until", "Contacts", "Country")}
LEAD_SOURCES = ("Referral", "Website", "Trade Show", "Cold Call", "Purchased List", "Partner", "Webinar")
# What --checked accepts: the spellings the generator writes.
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
US_AMOUNT = r"^\$?[+-]?(?:[0-9]+|[1-9][0-9]{0,2}(?:,[0-9]{3})+)(?:\.[0-9]+)?$"
BAD = "__bad"
# Columns the score needs (``id,tier,score,band``): all but the names shown in texts and the appointment.
SHOWN_ONLY = {"company", "territory", "country", "appointment"}
SEP = "\x1f"  # between list items of the Parquet output (reasons contain "; ")
FIELD_SEP = "\x1e"  # between the name, text and due date of an action
ROW_GROUP = 100_000


def c(name: str) -> pl.Expr:
    return pl.col(name)


def typed(frame: pl.LazyFrame, names: set[str], check: bool = False) -> pl.LazyFrame:
    """The input columns in ``names`` as typed values (dates as day numbers since 1970-01-01).

    With ``check`` the input is read as text and every value checked: then ``__bad`` too, true
    on a row where a value is none of the spellings the generator writes (an ISO date that
    exists, ``Yes`` or ``No``, a US amount, a whole count, a known industry, lead source or stage).
    """
    exprs, bad = [], []

    def read(name: str, column: str, value: pl.Expr, good: pl.Expr | None = None) -> None:
        """Column ``column`` as ``value``, named ``name``; with ``check`` a value is bad where not ``good``."""
        exprs.append(value.alias(name))
        if check and good is not None:
            bad.append(pl.col(column).is_not_null() & ~good)

    for name, column in TEXTS.items():
        if name not in names:
            continue
        text = pl.col(column)
        if name == "amount":
            read(name, column, text.str.strip_chars_start("$").str.replace_all(",", "", literal=True).cast(pl.Float64),
                 text.str.contains(US_AMOUNT))
        elif name == "industry":
            read(name, column, text.replace_strict(INDUSTRIES, default=None, return_dtype=pl.String), text.is_in(list(INDUSTRIES)))
        elif name == "recorded":
            read(name, column, text.replace_strict(STAGE_CODES, default=None, return_dtype=pl.Int8), text.is_in(list(STAGE_CODES)))
        else:
            read(name, column, text, text.is_in(LEAD_SOURCES) if name == "lead_source" else None)
    for name, column in DATES.items():
        if name in names:
            if check:  # typed here, not by the CSV reader
                day = pl.col(column).str.to_date("%Y-%m-%d", strict=False)
                read(name, column, day.cast(pl.Int32), pl.col(column).str.contains(ISO_DATE) & day.is_not_null())
            else:
                read(name, column, pl.col(column).cast(pl.Int32))
    for name, column in FLAGS.items():
        if name in names:
            read(name, column, (pl.col(column) == "Yes").fill_null(False), pl.col(column).is_in(["Yes", "No"]))
    for name, column in COUNTS.items():
        if name in names:
            count = pl.col(column).cast(pl.Int64, strict=False) if check else pl.col(column)
            read(name, column, count.fill_null(1), count.is_not_null())
    return frame.select(*exprs, *([pl.any_horizontal(bad).fill_null(False).alias(BAD)] if check else []))


def iso(days: pl.Expr) -> pl.Expr:
    """A day number as ISO text."""
    return days.cast(pl.Date).cast(pl.String)


def money_text(value: pl.Expr) -> pl.Expr:
    """Money in a text: whole amounts without decimals, others to the cent."""
    return (pl.when(value == value.floor()).then(value.cast(pl.Int64).cast(pl.String))
            .otherwise(value.round(2).cast(pl.String)))


def joined(parts: list[pl.Expr], separator: str) -> pl.Expr:
    """The texts of ``parts`` that are not null, joined; "" when none is."""
    return pl.concat_str(parts, separator=separator, ignore_nulls=True)


def listed(text: pl.Expr, parquet: bool) -> pl.Expr:
    """Joined texts as the CSV holds them, null for none; for Parquet they stay joined until
    :func:`unpacked` makes lists of them while they are written."""
    return text if parquet else pl.when(text != "").then(text)


def unpacked(name: str) -> pl.Expr:
    """The texts joined in column ``name`` as a list."""
    text = pl.col(name)
    return pl.when(text == "").then(pl.lit([], pl.List(pl.String))).otherwise(text.str.split(SEP))


def unpacked_actions(name: str = "actions") -> pl.Expr:
    """The actions joined in column ``name`` as a list of ``{name, text, due}``."""
    item = pl.element().str.split_exact(FIELD_SEP, 2).struct.rename_fields(["name", "text", "due"])
    due = pl.when(pl.field("due") != "").then(pl.field("due")).str.to_date("%Y-%m-%d")
    return unpacked(name).list.eval(item.struct.with_fields(due.alias("due")))


STAGE_NAMES = {code: stage[0] for code, stage in enumerate(STAGES)}
TIERS = {0: "strategic", 1: "high", 2: "medium", 3: "low"}
SCORED = {"tier", "tier_points", "stage", "stage_source", "stage_conflict", "stage_probability", "score", "band",
          "rank", "reasons", "actions", "gaps"}


def evaluate(frame: pl.LazyFrame, as_of: dt.date, columns: list[str], parquet: bool,
             check: bool = False) -> pl.LazyFrame:
    """The result columns in ``columns`` (``rank`` excepted: it comes later) of every record, in
    input order, plus ``__closed`` and ``score`` when the rank is asked for, and with ``check``
    (input read as text) ``__bad`` (see :func:`typed`)."""
    wanted = set(columns)
    if not wanted & SCORED and not check:
        return frame.select(pl.col(TEXTS["id"]).alias("id"))
    today = (as_of - EPOCH).days
    day = lambda n: pl.lit(today + n, pl.Int32)
    day_text = lambda n: pl.lit((as_of + dt.timedelta(days=n)).isoformat())
    texts = bool(wanted & {"reasons", "actions"})
    names = set(TEXTS) | set(DATES) | set(FLAGS) | set(COUNTS)
    if not texts:
        names -= SHOWN_ONLY
    frame = typed(frame, names, check)

    # The tier and the stage (recorded, else inferred from its entry evidence), as codes.
    budget, dm, need, last_contact = c("budget"), c("dm"), c("need"), c("last_contact")
    demo_sample_or_trial = c("demo") | c("sample") | c("trial")
    partly_qualified = need | budget | dm
    recorded, value = c("recorded"), c("amount")
    code = lambda n: pl.lit(n, pl.Int8)
    frame = frame.with_columns(
        pl.when(value >= 2_500_000).then(code(0)).when(value > 1_000_000).then(code(1))
        .when(value >= 250_000).then(code(2)).otherwise(code(3)).alias("__tier"),
        pl.when(recorded.is_not_null()).then(recorded)
        .when(budget & dm).then(code(NEGOTIATION))
        .when(demo_sample_or_trial).then(code(EVALUATION))
        .when(need).then(code(NEEDS_ANALYSIS))
        .when(partly_qualified).then(code(QUALIFICATION))
        .when(last_contact.is_not_null()).then(code(SUSPECT)).alias("__stage"),
        (day(0) - c("entered")).alias("__days"),
    )
    st, tier, days_in_stage = c("__stage"), c("__tier"), c("__days")
    max_days = st.replace_strict({i: s[3] for i, s in enumerate(STAGES) if s[3] is not None}, default=None,
                                 return_dtype=pl.Int32)

    since_contact = day(0) - last_contact
    next_step, close_date, created = c("next_step"), c("close_date"), c("created")
    budget_from, contract_until = c("budget_from"), c("contract_until")
    makers, contacts = c("decision_makers"), c("contacts")
    lead, industry = c("lead_source"), c("industry")
    # Factors in the order of the ruleset: (condition, points, reason); a reason is a text or a
    # function of the condition's column that renders the values only where it holds.
    factors = [
        (budget, 10, "Budget is confirmed"),
        (dm, 10, "We are talking to the decision maker"),
        (need, 5, "The need is identified"),
        (c("demo") | c("trial"), 5, "Asked for a demo or a trial"),
        (since_contact <= 14, 5, "Contacted in the last two weeks"),
        (since_contact > 60, -10, lambda on: pl.format("No contact for over 60 days (last {})",
                                                       iso(on(last_contact)))),
        (next_step >= day(0), 5, lambda on: pl.format("Next step planned for {}", iso(on(next_step)))),
        ((close_date >= day(0)) & (close_date <= day(30)), 10,
         lambda on: pl.format("Expected to close by {}", iso(on(close_date)))),
        (close_date < day(0), -10, lambda on: pl.format("The close date, {}, has passed", iso(on(close_date)))),
        ((day(0) - created > 180) & (st < NEGOTIATION), -5,
         lambda on: pl.format("Open for {} days in {} and created {}",
                              on(days_in_stage).cast(pl.String).fill_null("unknown"), on(c("__stage_name")),
                              iso(on(created)))),
        (c("__overdue"), -10, lambda on: pl.format("{} days in {}", on(days_in_stage), on(c("__stage_name")))),
        (c("new_buyer"), -5, "A new buyer is involved and may speed up or slow down the purchase"),
        (budget_from > day(0), pl.when(budget_from > day(90)).then(-20).otherwise(-10),
         lambda on: pl.format("Budget is not available until {}", iso(on(budget_from)))),
        (contract_until > day(0), pl.when(contract_until > day(180)).then(-20).otherwise(-10),
         lambda on: pl.format("Under contract with another supplier until {}", iso(on(contract_until)))),
        (c("merger"), -20, "A merger or acquisition is pending; new purchases are on hold"),
        (makers > 1, -5 * (makers - 1), lambda on: pl.format("{} decision makers must all consent", on(makers))),
        (contacts >= 10, contacts.clip(upper_bound=20) // 2,
         lambda on: pl.format("{} contacts at {}", on(contacts), on(c("__company")))),
        (lead == "Referral", 10, "Came through a referral"),
        (lead.is_in(["Partner", "Webinar", "Trade Show"]), 5, lambda on: pl.format("Warm lead ({})", on(lead))),
        (lead.is_in(["Cold Call", "Purchased List"]), -5, "cold source"),
        (industry.is_in(["software", "financial"]), 5, lambda on: pl.format("Target industry ({})", on(industry))),
        (industry.is_in(["education", "government"]) & (tier != 3), pl.when(tier <= 1).then(-10).otherwise(-5),
         lambda on: pl.format("Public-sector {} deal in {}: long buying cycle",
                              on(tier).replace_strict(TIERS, default=None, return_dtype=pl.String),
                              on(c("country")).fill_null("unknown"))),
    ]
    step = [pl.when(days_in_stage > max_days).then(True).otherwise(False).alias("__overdue"),
            (st >= WON).fill_null(False).alias("__closed")]
    if texts:
        step += [st.replace_strict(STAGE_NAMES, default=None, return_dtype=pl.String).alias("__stage_name"),
                 c("company").fill_null("unknown").alias("__company")]
    frame = frame.with_columns(step)
    fired = [c(f"__f{i}") for i in range(len(factors))]
    frame = frame.with_columns(cond.fill_null(False).alias(f"__f{i}") for i, (cond, _, _) in enumerate(factors))

    results: dict[str, pl.Expr] = {}
    if wanted & {"score", "band", "rank", "actions"}:
        tier_points = tier.replace_strict({0: 60, 1: 50, 2: 30, 3: 10}, return_dtype=pl.Int64)
        stage_points = st.replace_strict({i: s[2] for i, s in enumerate(STAGES)}, default=0,
                                         return_dtype=pl.Int64)
        points = [pl.when(on).then(pts).otherwise(0) for on, (_, pts, _) in zip(fired, factors)]
        frame = frame.with_columns(pl.sum_horizontal(tier_points, stage_points, *points).clip(lower_bound=0)
                                   .alias("score"))
        score = c("score")
        frame = frame.with_columns(pl.when(score >= 70).then(pl.lit("A")).when(score >= 40).then(pl.lit("B"))
                                   .otherwise(pl.lit("C")).alias("band"))
    separator = SEP if parquet else "; "
    for name in columns:
        if name == "id":
            results[name] = c("id")
        elif name == "tier":
            results[name] = tier.replace_strict(TIERS, return_dtype=pl.String)
        elif name == "tier_points":
            results[name] = tier.replace_strict({0: 60, 1: 50, 2: 30, 3: 10}, return_dtype=pl.Int64)
        elif name == "stage":
            results[name] = st.replace_strict(STAGE_NAMES, default=None, return_dtype=pl.String).fill_null("unknown")
        elif name == "stage_source":
            results[name] = (pl.when(recorded.is_not_null()).then(pl.lit("recorded"))
                             .when(st.is_not_null()).then(pl.lit("inferred")))
        elif name == "stage_probability":
            results[name] = st.replace_strict({i: s[1] for i, s in enumerate(STAGES)}, default=None,
                                              return_dtype=pl.Float64)
        elif name in ("score", "band"):
            results[name] = c(name)
        elif name == "reasons":
            parts = []
            for on, (_, _, reason) in zip(fired, factors):
                if isinstance(reason, str):
                    parts.append(pl.when(on).then(pl.lit(reason)))
                else:
                    parts.append(reason(lambda e, on=on: pl.when(on).then(e)))
            results[name] = listed(joined(parts, separator), parquet)
        elif name in ("gaps", "stage_conflict"):
            # The entry evidence a recorded stage lacks, then its days over the limit.
            rec = recorded.is_not_null()
            missing = [
                (rec & (st == NEGOTIATION) & ~budget, "budget_confirmed"),
                (rec & (st == NEGOTIATION) & ~dm, "decision_maker_confirmed"),
                (rec & (st == EVALUATION) & ~demo_sample_or_trial, "demo_sample_or_trial"),
                (rec & (st == NEEDS_ANALYSIS) & ~need, "need_identified"),
                (rec & (st == QUALIFICATION) & ~partly_qualified, "partly_qualified"),
                (rec & (st == SUSPECT) & last_contact.is_null(), "contacted"),
            ]
            if name == "stage_conflict":
                results[name] = pl.any_horizontal(cond for cond, _ in missing).fill_null(False)
            else:
                over = st.replace_strict({i: f"{s[0]}: over {s[3]} days in stage" for i, s in enumerate(STAGES)
                                          if s[3] is not None}, default=None, return_dtype=pl.String)
                parts = [pl.when(cond).then(pl.lit(gap)) for cond, gap in missing]
                results[name] = listed(joined([*parts, pl.when(c("__overdue")).then(over)], separator), parquet)
        elif name == "actions":
            results[name] = _actions(day, day_text, parquet)
    extra = []
    if "rank" in wanted:
        extra = [c("__closed")] + ([] if "score" in wanted else [c("score")]) + ([] if "id" in wanted else [c("id")])
    if check:
        extra += [c(BAD)] + ([] if "id" in wanted or "rank" in wanted else [c("id")])
    return frame.select(*[e.alias(n) for n, e in results.items()], *extra)


def _actions(day, day_text, parquet: bool) -> pl.Expr:
    """The next actions of open deals: each ``text (due DATE)``, joined by "; " for CSV; a list
    of ``{name, text, due}`` for Parquet."""
    st, tier, band, score = c("__stage"), c("__tier"), c("band"), c("score")
    next_step, close_date = c("next_step"), c("close_date")
    company = c("__company")
    # (name, condition, template, the values it shows, due); values and due dates are functions
    # of the action's column, so that they are rendered only where the action applies.
    actions = [
        ("confirm_decision_maker", st.is_in([PRESENTATION, EVALUATION, NEGOTIATION]) & ~c("dm"),
         "Confirm who signs for {}", lambda on: [on(company)], lambda on: day_text(2)),
        ("appointment_reminder", c("appointment") == day(1),
         "Prepare for tomorrow's appointment with {}", lambda on: [on(company)], lambda on: day_text(0)),
        ("overdue_follow_up", next_step < day(0), "Follow up with {}: the next step was due {}",
         lambda on: [on(company), iso(on(next_step))], lambda on: day_text(0)),
        ("set_next_step", next_step.is_null() & (st >= PROSPECTING),
         "Set a next step for {}", lambda on: [on(company)], lambda on: day_text(1)),
        ("unstick", c("__overdue") & (band != "C"), "Move {} forward: {} days in {}, worth {}",
         lambda on: [on(company), on(c("__days")), on(c("__stage_name")),
                     on(money_text(on(c("amount"))).fill_null("unknown"))], lambda on: day_text(3)),
        ("brief_director", (tier == 0) & (band == "A"), "Brief the {} director on {} ({}, {} points)",
         lambda on: [on(c("territory").fill_null("unknown")), on(company),
                     on(money_text(on(c("amount"))).fill_null("unknown")), on(score)],
         lambda on: iso(on(close_date) - 14)),
    ]
    frame_on = [(cond & ~c("__closed")).fill_null(False) for _, cond, *_ in actions]
    parts = []
    for (name, _, template, values, due), fired in zip(actions, frame_on):
        on = lambda e, fired=fired: pl.when(fired).then(e)
        shown, when_due = values(on), due(on)
        if parquet:
            parts.append(on(pl.concat_str([pl.lit(name), pl.format(template, *shown), when_due.fill_null("")],
                                           separator=FIELD_SEP)))
        elif name == "brief_director":
            text = pl.format(template, *shown)
            parts.append(pl.when(close_date.is_null()).then(text).otherwise(pl.format("{} (due {})", text, when_due)))
        else:
            parts.append(pl.format(template + " (due {})", *shown, on(when_due)))
    return listed(joined(parts, SEP if parquet else "; "), parquet)


def rank(frame: pl.DataFrame) -> pl.Series:
    """Open deals numbered 1.. by score descending, then key ascending; closed deals null.

    Two stable sorts of one column each: by key, then by score with the closed deals last.
    """
    by_key = frame.get_column("id").arg_sort()
    scores = frame.select(pl.when(~c("__closed")).then(c("score"))).to_series().gather(by_key)
    order = by_key.gather(scores.arg_sort(descending=True, nulls_last=True))
    count = frame.height - int(frame.get_column("__closed").sum())
    values = pl.repeat(None, frame.height, dtype=pl.Int64, eager=True).alias("rank")
    if count:
        values.scatter(order.head(count), pl.int_range(1, count + 1, dtype=pl.Int64, eager=True))
    return values


def evaluate_file(source: str | Path, target: str | Path, as_of: dt.date, ruleset_hash: str,
                  columns: list[str] | None = None, check: bool = False) -> None:
    """Evaluate ``source`` into ``target`` (CSV or Parquet, by extension).

    Without the rank the query streams from the input to the output; the rank needs every
    score first, so then the results are collected, ranked and written. With ``check`` (CSV
    input) every value is read as text and checked (see :func:`typed`), and so are the keys,
    before anything is written: the results are collected first, and a bad value or a repeated
    key is a :class:`SystemExit` naming the row.
    """
    columns = list(columns or OUTPUT)
    parquet_in = str(source).lower().endswith(".parquet")
    parquet_out = str(target).lower().endswith(".parquet")
    if check and parquet_in:
        raise SystemExit("--checked reads CSV input only")
    if parquet_in:
        frame = pl.scan_parquet(source)
    else:
        frame = pl.scan_csv(source, schema={name: pl.String for name in SCHEMA} if check else SCHEMA)
    results = evaluate(frame, as_of, columns, parquet_out, check)
    if check:
        collected = results.collect(engine="streaming")
        bad = collected.get_column(BAD).arg_true()
        if bad.len():
            raise SystemExit(f"{source}: row {bad[0] + 1}: a value is none of the spellings the generator writes")
        repeated = collected.get_column("id").is_first_distinct().not_().arg_true()
        if repeated.len():
            raise SystemExit(f"{source}: row {repeated[0] + 1}: the key is repeated")
        results = collected.drop(BAD).lazy()
        if "rank" not in columns:
            results = results.select(columns)
    if "rank" in columns:
        collected = results.collect(engine="streaming")
        results = collected.with_columns(rank(collected)).select(columns).lazy()
    provenance = {"ruleset": RULESET_NAME, "ruleset_version": RULESET_VERSION, "ruleset_hash": ruleset_hash,
                  "as_of": as_of.isoformat()}
    if parquet_out:
        # The lists are made while writing, in row groups of 100,000 rows as salesrules writes
        # its batches: the same file, byte for byte.
        lists = [unpacked(n).alias(n) for n in ("reasons", "gaps") if n in columns]
        lists += [unpacked_actions().alias("actions")] if "actions" in columns else []
        results.with_columns(lists).sink_parquet(
            target, row_group_size=ROW_GROUP, metadata={f"salesrules.{k}": v for k, v in provenance.items()})
    else:
        results.with_columns(pl.lit(v, pl.String).alias(k) for k, v in provenance.items()).sink_csv(target)


def ruleset_hash(path: str | Path = RULESET) -> str:
    """The content hash salesrules gives the ruleset at ``path``."""
    from salesrules.loader.load import load

    return load(str(path)).hash


def main(argv: list[str] | None = None) -> int:
    """Command line: ``handwritten.py IN OUT --as-of YYYY-MM-DD [--columns A,B] [--ruleset-hash HASH]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", help="a CSV or Parquet file written by benchmarks/generate.py")
    parser.add_argument("output", help="the CSV or Parquet file to write")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True, help="evaluation date, YYYY-MM-DD")
    parser.add_argument("--columns", help="the result columns to write, comma-separated (default: all)")
    parser.add_argument("--ruleset-hash", help="the ruleset's content hash (default: computed with salesrules)")
    parser.add_argument("--checked", action="store_true",
                        help="read a CSV input as text and check every value and key before writing")
    args = parser.parse_args(argv)
    columns = [name.strip() for name in args.columns.split(",")] if args.columns else None
    unknown = set(columns or ()) - set(OUTPUT)
    if unknown:
        parser.error(f"unknown result columns: {', '.join(sorted(unknown))}")
    evaluate_file(args.input, args.output, args.as_of, args.ruleset_hash or ruleset_hash(), columns, args.checked)
    return 0


if __name__ == "__main__":
    sys.exit(main())
