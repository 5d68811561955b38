"""Deterministic generator of realistic CRM prospect exports.

Run as a script to write a file::

    python benchmarks/generate.py --rows 1000000 --seed 7 --as-of 2026-11-22 -o prospects.csv

or import it and call :func:`generate_frame` to get rows as a polars DataFrame.

The output imitates an opportunity export from a CRM: human column headers, US-formatted
money (``$1,250,000.00``), ``Yes``/``No`` checkboxes, ISO dates relative to an as-of date,
a few spelling variants and empty cells.  The same arguments always produce the same
bytes, and any block of rows can be generated on its own: every random value is a pure
function of ``(seed, stream name, row number)``, so rows ``start..start+rows-1`` come out
the same whether they are produced in one call or in many chunks.  Files are written in
chunks, so memory stays bounded however many rows are requested.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import polars as pl

COLUMNS: tuple[str, ...] = (
    "Opportunity ID",
    "Account Name",
    "Owner",
    "Territory",
    "Industry",
    "Lead Source",
    "Amount",
    "Stage",
    "Created Date",
    "Last Contact",
    "Next Step Date",
    "Next Appointment",
    "Close Date",
    "Stage Entered",
    "Decision Makers",
    "Decision Maker Confirmed",
    "Budget Confirmed",
    "Demo Requested",
    "Sample Requested",
    "Trial Requested",
    "New Buyer",
    "Merger Pending",
    "Need Identified",
    "Budget Available From",
    "Supplier Contract Until",
    "Contacts",
    "Country",
)

DATE_COLUMNS: tuple[str, ...] = (
    "Created Date",
    "Last Contact",
    "Next Step Date",
    "Next Appointment",
    "Close Date",
    "Stage Entered",
    "Budget Available From",
    "Supplier Contract Until",
)

FLAG_COLUMNS: tuple[str, ...] = (
    "Decision Maker Confirmed",
    "Budget Confirmed",
    "Demo Requested",
    "Sample Requested",
    "Trial Requested",
    "New Buyer",
    "Merger Pending",
    "Need Identified",
)

DEFAULT_CHUNK_ROWS = 1_000_000
ID_DIGITS = 8
MAX_ROWS = 10**ID_DIGITS - 1

# --- vocabulary -----------------------------------------------------------------------

STAGES: tuple[str, ...] = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Presentation",
    "Evaluation",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
)
# Index 0 is "stage unknown" (an empty cell); the others follow STAGES.
_STAGE_WEIGHTS = (0.05, 0.17, 0.15, 0.12, 0.10, 0.08, 0.08, 0.10, 0.15)
_STAGE_UNKNOWN, _PROSPECTING, _CLOSED_WON, _CLOSED_LOST = 0, 1, 7, 8
# How far a deal has progressed, 0 (just found) .. 6 (won); drives the checkbox odds.
# Unknown stages count as mid-funnel; lost deals get a random level of their own.
_STAGE_LEVEL = np.array([2, 0, 1, 2, 3, 4, 5, 6, -1], dtype=np.int64)

INDUSTRIES: tuple[str, ...] = (
    "Software",
    "SaaS",
    "Manufacturing",
    "Healthcare",
    "Financial Services",
    "Retail",
    "Education",
    "Government",
    "Logistics",
)
# What a hurried CRM user types instead, parallel to INDUSTRIES.
_INDUSTRY_VARIANTS = (
    "software",
    "Saas",
    "Mfg",
    "Health Care",
    "Fin Services",
    "retail",
    "Edu",
    "Gov",
    "logistics",
)
_INDUSTRY_VARIANT_SHARE = 0.06

# Second word(s) of an account name, per industry (parallel to INDUSTRIES).
_NAME_CORES: tuple[tuple[str, ...], ...] = (
    ("Software", "Systems", "Technologies", "Digital", "Labs", "Data"),
    ("Cloud", "Analytics", "Platforms", "AI", "Networks", "Apps"),
    ("Manufacturing", "Industries", "Components", "Steel", "Plastics", "Machine Works"),
    ("Health", "Bio Labs", "Medical", "Clinics", "Pharma", "Diagnostics"),
    ("Capital", "Financial", "Bank", "Insurance", "Wealth Partners", "Credit Union"),
    ("Retail", "Outfitters", "Market", "Brands", "Home Goods", "Grocers"),
    ("University", "College", "Academy", "School District", "Learning", "Institute"),
    ("County", "Municipality", "Transit Authority", "Water District", "Port Authority", "Public Works"),
    ("Logistics", "Freight", "Shipping", "Transport", "Supply Chain", "Couriers"),
)
_NAME_PREFIXES: tuple[str, ...] = (
    "Northwind", "Helix", "Blue Ridge", "Summit", "Cedar", "Harbor", "Pioneer", "Granite",
    "Aurora", "Fjord", "Lakeside", "Silverline", "Redwood", "Ironclad", "Brightwater", "Evergreen",
    "Keystone", "Meridian", "Orion", "Polaris", "Sterling", "Vantage", "Zenith", "Atlas",
    "Beacon", "Cascade", "Crescent", "Falcon", "Horizon", "Juniper", "Lighthouse", "Maple",
    "Nordic", "Oakridge", "Pinnacle", "Quantum", "Riverside", "Sapphire", "Tidewater", "Unity",
    "Vertex", "Willow", "Apex", "Bluebird", "Copperleaf", "Driftwood", "Eastgate", "Foxglove",
    "Goldcrest", "Highland", "Kestrel", "Lumen", "Northstar", "Osprey", "Prairie", "Ridgeway",
    "Stonebridge", "Trident", "Westbrook", "Yarrow", "Glacier", "Mosaic", "Sunfield", "Everett",
)
# Public-sector accounts carry no company-law suffix.
_PUBLIC_SECTOR = frozenset({"Education", "Government"})

COUNTRIES: tuple[str, ...] = ("US", "GB", "DE", "FR", "NO", "JP", "BR", "IN")
_COUNTRY_WEIGHTS = (0.50, 0.09, 0.08, 0.06, 0.08, 0.06, 0.05, 0.08)
_LEGAL_SUFFIXES: dict[str, tuple[str, ...]] = {
    "US": ("Inc.", "LLC"),
    "GB": ("Ltd", "plc"),
    "DE": ("GmbH", "AG"),
    "FR": ("SA", "SAS"),
    "NO": ("AS", "ASA"),
    "JP": ("K.K.",),
    "BR": ("Ltda.",),
    "IN": ("Pvt. Ltd.",),
}
_LEGAL_SUFFIX_SHARE = 0.5

TERRITORIES: tuple[str, ...] = ("North", "South", "East", "West", "Central", "EMEA", "APAC")
_US_TERRITORIES = ("North", "South", "East", "West", "Central")
_COUNTRY_TERRITORY = {"GB": "EMEA", "DE": "EMEA", "FR": "EMEA", "NO": "EMEA",
                      "JP": "APAC", "IN": "APAC", "BR": "South"}

# Reps work their own territory, so an owner always matches the row's territory.
# Team sizes follow each territory's share of accounts, so workloads are comparable.
OWNERS_BY_TERRITORY: dict[str, tuple[str, ...]] = {
    "North": ("Emily Carter",),
    "South": ("Maria Gonzalez", "David Kim"),
    "East": ("Michael Chen",),
    "West": ("Jessica Nguyen",),
    "Central": ("Daniel Brooks",),
    "EMEA": ("Ingrid Halvorsen", "Lukas Weber", "Sarah Mitchell", "James O'Brien"),
    "APAC": ("Aiko Tanaka", "Ryan Patel"),
}

LEAD_SOURCES: tuple[str, ...] = (
    "Referral", "Website", "Trade Show", "Cold Call", "Purchased List", "Partner", "Webinar",
)
_LEAD_SOURCE_WEIGHTS = (0.15, 0.25, 0.12, 0.15, 0.08, 0.12, 0.13)

# Deal sizes: log-uniform within each band, so the overall shape is a lopsided hump in
# log space (log-normal-ish) while the shares above $500k and $1M are exact by design.
_AMOUNT_BANDS = (
    (5_000, 25_000, 0.08),
    (25_000, 100_000, 0.17),
    (100_000, 250_000, 0.20),
    (250_000, 500_000, 0.20),
    (500_000, 1_000_000, 0.20),
    (1_000_000, 2_500_000, 0.11),
    (2_500_000, 5_000_000, 0.04),
)
_AMOUNT_EMPTY_SHARE = 0.02

_DECISION_MAKER_WEIGHTS = (0.35, 0.30, 0.18, 0.09, 0.05, 0.03)  # for 1..6

# --- counter-based randomness -----------------------------------------------------------

_MASK64 = (1 << 64) - 1
_GOLDEN_GAMMA = 0x9E3779B97F4A7C15


def _mix64_int(z: int) -> int:
    """SplitMix64's finaliser on a Python int (used to derive per-stream keys)."""
    z &= _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def _mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on a uint64 array (multiplication wraps modulo 2**64)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


class _Draws:
    """Random numbers that are a pure function of ``(seed, stream, counter)``.

    Unlike a sequential generator this needs no state carried from one chunk to the next,
    and it uses integer arithmetic only, so the values do not depend on numpy's choice
    of algorithms for ``Generator`` methods, which may change between numpy releases.
    """

    def __init__(self, seed: int, counters: np.ndarray, namespace: str) -> None:
        self._seed = _mix64_int(seed)
        self._counters = counters.astype(np.uint64)
        self._namespace = namespace

    def __len__(self) -> int:
        return len(self._counters)

    def bits(self, stream: str) -> np.ndarray:
        """64 random bits per counter for the named stream."""
        # crc32, not hash(): str hashes are salted per process.
        tag = zlib.crc32(f"{self._namespace}.{stream}".encode())
        key = _mix64_int(self._seed ^ _mix64_int(tag))
        state = self._counters * np.uint64(_GOLDEN_GAMMA) + np.uint64(key)
        return _mix64(state)

    def uniform(self, stream: str) -> np.ndarray:
        """Floats in [0, 1)."""
        return (self.bits(stream) >> np.uint64(11)).astype(np.float64) * 2.0**-53

    def integers(self, stream: str, low: int, high: int) -> np.ndarray:
        """Integers in ``low..high`` inclusive."""
        return low + np.floor(self.uniform(stream) * (high - low + 1)).astype(np.int64)

    def chance(self, stream: str, p: float | np.ndarray) -> np.ndarray:
        """True with probability ``p`` (a scalar or one probability per counter)."""
        return self.uniform(stream) < p

    def choice(self, stream: str, weights: Sequence[float]) -> np.ndarray:
        """Indices into ``weights``, drawn with those (normalised) weights."""
        cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
        cumulative /= cumulative[-1]
        index = np.searchsorted(cumulative, self.uniform(stream), side="right")
        return np.minimum(index, len(cumulative) - 1)


# --- accounts ---------------------------------------------------------------------------

_N_ACCOUNTS = len(_NAME_PREFIXES) * sum(len(cores) for cores in _NAME_CORES)
# Any multiplier coprime with _N_ACCOUNTS scatters the popular ranks over all industries.
_ACCOUNT_STRIDE = 1031


def _accounts(seed: int) -> pl.DataFrame:
    """One row per account: name, industry, country, territory and contact count.

    Account attributes are drawn per account, not per opportunity, so every opportunity
    of an account agrees on them.  Each account id has its own prefix/core pair, which
    keeps names unique.
    """
    ids = np.arange(_N_ACCOUNTS, dtype=np.int64)
    draws = _Draws(seed, ids, "account")
    country = draws.choice("country", _COUNTRY_WEIGHTS)
    has_suffix = draws.chance("has_suffix", _LEGAL_SUFFIX_SHARE)
    suffix_pick = draws.uniform("suffix")
    us_territory = draws.integers("us_territory", 0, len(_US_TERRITORIES) - 1)
    # Squaring skews towards small accounts: most have a handful of contacts.
    contacts = 1 + np.floor(draws.uniform("contacts") ** 2 * 25).astype(np.int64)

    cores = [(industry, core) for industry, names in zip(INDUSTRIES, _NAME_CORES) for core in names]
    names, industries, countries, territories = [], [], [], []
    for i in range(_N_ACCOUNTS):
        prefix = _NAME_PREFIXES[i % len(_NAME_PREFIXES)]
        industry, core = cores[i // len(_NAME_PREFIXES)]
        code = COUNTRIES[country[i]]
        name = f"{prefix} {core}"
        if has_suffix[i] and industry not in _PUBLIC_SECTOR:
            options = _LEGAL_SUFFIXES[code]
            name += " " + options[int(suffix_pick[i] * len(options))]
        names.append(name)
        industries.append(industry)
        countries.append(code)
        territories.append(_COUNTRY_TERRITORY.get(code) or _US_TERRITORIES[us_territory[i]])
    return pl.DataFrame(
        {
            "name": names,
            "industry": industries,
            "country": countries,
            "territory": territories,
            "contacts": contacts,
        }
    )


# --- opportunities ----------------------------------------------------------------------


def _amount_cents(draws: _Draws) -> np.ndarray:
    """Deal values in cents, rounded the way people enter them.

    ``np.exp`` is the only transcendental function used; rounding to whole cents or more
    absorbs any last-bit differences between maths libraries.
    """
    lows, highs, weights = (np.array(column, dtype=np.float64) for column in zip(*_AMOUNT_BANDS))
    band = draws.choice("amount.band", weights)
    lo, hi = lows[band], highs[band]
    dollars = lo * np.exp(draws.uniform("amount.position") * np.log(hi / lo))
    # Mostly three significant figures (an estimate); some exact quotes to the dollar or cent.
    step = np.select([dollars < 10_000, dollars < 100_000, dollars < 1_000_000], [10, 100, 1_000], 10_000)
    style = draws.uniform("amount.style")
    return np.where(
        style < 0.70,
        np.rint(dollars / step) * step * 100,
        np.where(style < 0.90, np.rint(dollars) * 100, np.rint(dollars * 100)),
    ).astype(np.int64)


def _format_amount(cents: pl.Expr) -> pl.Expr:
    """``$1,250,000.00`` from an integer number of cents (null stays null)."""
    dollars = cents // 100

    def part(value: pl.Expr, width: int) -> pl.Expr:
        return value.cast(pl.String).str.zfill(width)

    cents_part = part(cents % 100, 2)
    return (
        pl.when(dollars >= 1_000_000)
        .then(pl.format("${},{},{}.{}", dollars // 1_000_000, part(dollars // 1_000 % 1_000, 3),
                        part(dollars % 1_000, 3), cents_part))
        .when(dollars >= 1_000)
        .then(pl.format("${},{}.{}", dollars // 1_000, part(dollars % 1_000, 3), cents_part))
        .otherwise(pl.format("${}.{}", dollars, cents_part))
    )


def _dates(days: np.ndarray, empty: np.ndarray | None = None) -> pl.Series:
    """A Date series from days since 1970-01-01, with ``empty`` rows set to null."""
    series = pl.Series(days, dtype=pl.Int32).cast(pl.Date)
    if empty is not None and empty.any():
        series.scatter(np.flatnonzero(empty), None)
    return series


def _yes_no(flags: np.ndarray) -> pl.Series:
    return pl.Series(["No", "Yes"]).gather(flags.astype(np.uint8))


def generate_frame(rows: int, seed: int, as_of: dt.date, start: int = 0) -> pl.DataFrame:
    """Opportunities ``start`` .. ``start + rows - 1`` as a DataFrame in export layout.

    The columns are :data:`COLUMNS`: text columns hold the exported text (``$1,250.00``,
    ``Yes``/``No``), date columns are ``pl.Date`` (written as ISO dates) and counts are
    integers.  Empty cells are nulls.  Each row depends only on ``seed``, ``as_of`` and its
    own row number, so frames for adjacent ranges concatenate to the frame for the union.
    """
    if rows < 0 or start < 0:
        raise ValueError("rows and start must not be negative")
    if start + rows > MAX_ROWS:
        raise ValueError(f"at most {MAX_ROWS:,} rows fit the {ID_DIGITS}-digit opportunity ids")

    row = np.arange(start, start + rows, dtype=np.int64)
    draws = _Draws(seed, row, "row")
    today = (as_of - dt.date(1970, 1, 1)).days

    # Popular accounts get many opportunities: square a uniform to skew towards low ranks.
    rank = np.floor(draws.uniform("account") ** 2 * _N_ACCOUNTS).astype(np.int64)
    account = (rank * _ACCOUNT_STRIDE + _mix64_int(seed) % _N_ACCOUNTS) % _N_ACCOUNTS
    accounts = _accounts(seed)[account]

    industry = accounts["industry"]
    spelled = pl.Series(_INDUSTRY_VARIANTS).gather(
        industry.replace_strict(INDUSTRIES, range(len(INDUSTRIES)), return_dtype=pl.UInt32)
    )
    keep_spelling = ~draws.chance("industry.variant", _INDUSTRY_VARIANT_SHARE)
    industry = industry.zip_with(pl.Series(keep_spelling), spelled)

    territory = accounts["territory"]
    owners = [owner for name in TERRITORIES for owner in OWNERS_BY_TERRITORY[name]]
    first_owner = np.cumsum([0] + [len(OWNERS_BY_TERRITORY[name]) for name in TERRITORIES])[:-1]
    team_size = np.array([len(OWNERS_BY_TERRITORY[name]) for name in TERRITORIES])
    territory_index = territory.replace_strict(TERRITORIES, range(len(TERRITORIES))).to_numpy()
    owner = first_owner[territory_index] + np.floor(
        draws.uniform("owner") * team_size[territory_index]
    ).astype(np.int64)

    stage = draws.choice("stage", _STAGE_WEIGHTS)
    closed = (stage == _CLOSED_WON) | (stage == _CLOSED_LOST)
    level = np.where(stage == _CLOSED_LOST, draws.integers("lost_level", 1, 5), _STAGE_LEVEL[stage])

    age = draws.integers("age", 10, 400)
    created = today - age
    # Last contacts cluster near the as-of date, as active deals get touched often.
    last_contact = today - np.floor(draws.uniform("last_contact") ** 2 * (age + 1)).astype(np.int64)
    # Closed deals closed in the past; a tenth of open deals carry a stale close date.
    past_close = created + np.floor(draws.uniform("close.past") * age).astype(np.int64)
    stale_close = np.maximum(created, today - draws.integers("close.stale", 1, 45))
    future_close = today + draws.integers("close.future", 0, 180)
    open_close = np.where(draws.chance("close.is_stale", 0.10), stale_close, future_close)
    close = np.where(closed, past_close, open_close)
    # Prospecting is the first stage; a closed deal entered its stage on the close date.
    moved_on = created + np.floor(draws.uniform("stage_entered") * (age + 1)).astype(np.int64)
    stage_entered = np.where(stage == _PROSPECTING, created, np.where(closed, close, moved_on))
    # Closed deals rarely have a next step or appointment; the empty-cell odds below are
    # split so that overall about 15% of next steps and 60% of appointments are empty.
    # Appointments booked for tomorrow are common, so give that day extra weight.
    appointment = np.where(
        draws.chance("appointment.tomorrow", 0.10),
        today + 1,
        today + draws.integers("appointment.day", -14, 14),
    )

    decision_makers = np.minimum(draws.choice("decision_makers", _DECISION_MAKER_WEIGHTS) + 1,
                                 accounts["contacts"].to_numpy())

    def staged(stream: str, base: float, per_level: float) -> pl.Series:
        """A checkbox that is ticked more often the further the deal has progressed."""
        return _yes_no(draws.chance(stream, np.minimum(0.95, base + per_level * level)))

    amount = pl.Series(_amount_cents(draws))
    amount.scatter(np.flatnonzero(draws.chance("amount.empty", _AMOUNT_EMPTY_SHARE)), None)
    stage_names = pl.Series([None, *STAGES], dtype=pl.String)

    frame = pl.DataFrame(
        {
            "Opportunity ID": pl.Series(row + 1),
            "Account Name": accounts["name"],
            "Owner": pl.Series(owners).gather(owner),
            "Territory": territory,
            "Industry": industry,
            "Lead Source": pl.Series(LEAD_SOURCES).gather(draws.choice("lead_source", _LEAD_SOURCE_WEIGHTS)),
            "Amount": amount,
            "Stage": stage_names.gather(stage),
            "Created Date": _dates(created),
            "Last Contact": _dates(last_contact, draws.chance("last_contact.empty", 0.07)),
            "Next Step Date": _dates(today + draws.integers("next_step", -20, 30),
                                     draws.chance("next_step.empty", np.where(closed, 0.45, 0.05))),
            "Next Appointment": _dates(appointment,
                                       draws.chance("appointment.empty", np.where(closed, 0.90, 0.50))),
            "Close Date": _dates(close),
            "Stage Entered": _dates(stage_entered),
            "Decision Makers": pl.Series(decision_makers),
            "Decision Maker Confirmed": staged("dm_confirmed", 0.10, 0.12),
            "Budget Confirmed": staged("budget_confirmed", 0.05, 0.13),
            "Demo Requested": staged("demo_requested", 0.10, 0.12),
            "Sample Requested": staged("sample_requested", 0.05, 0.05),
            "Trial Requested": staged("trial_requested", 0.05, 0.06),
            "New Buyer": _yes_no(draws.chance("new_buyer", 0.08)),
            "Merger Pending": _yes_no(draws.chance("merger_pending", 0.03)),
            "Need Identified": staged("need_identified", 0.25, 0.15),
            "Budget Available From": _dates(today + draws.integers("budget_from", -60, 200),
                                            draws.chance("budget_from.empty", 0.85)),
            "Supplier Contract Until": _dates(today + draws.integers("contract_until", -30, 400),
                                              draws.chance("contract_until.empty", 0.80)),
            "Contacts": accounts["contacts"],
            "Country": accounts["country"],
        }
    )
    return frame.with_columns(
        pl.format("OPP-{}", pl.col("Opportunity ID").cast(pl.String).str.zfill(ID_DIGITS))
        .alias("Opportunity ID"),
        _format_amount(pl.col("Amount")).alias("Amount"),
    )


# --- files ------------------------------------------------------------------------------


def iter_chunks(
    rows: int, seed: int, as_of: dt.date, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> Iterator[pl.DataFrame]:
    """``generate_frame`` for rows ``0..rows-1`` in consecutive chunks of ``chunk_rows``."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be positive")
    for start in range(0, rows, chunk_rows):
        yield generate_frame(min(chunk_rows, rows - start), seed, as_of, start=start)


def write_csv(path: str | Path, rows: int, seed: int, as_of: dt.date,
              chunk_rows: int = DEFAULT_CHUNK_ROWS) -> None:
    """Write ``rows`` opportunities as CSV, one chunk at a time."""
    with open(path, "wb") as handle:
        # An empty file still gets its header row.
        generate_frame(0, seed, as_of).write_csv(handle)
        for chunk in iter_chunks(rows, seed, as_of, chunk_rows):
            chunk.write_csv(handle, include_header=False)


def write_parquet(path: str | Path, rows: int, seed: int, as_of: dt.date,
                  chunk_rows: int = DEFAULT_CHUNK_ROWS) -> None:
    """Write ``rows`` opportunities as Parquet, streaming chunk by chunk."""
    from polars.io.plugins import register_io_source

    schema = generate_frame(0, seed, as_of).schema

    def source(with_columns, predicate, n_rows, batch_size):
        # sink_parquet asks for every column with no filter, so the arguments can be ignored.
        yield from iter_chunks(rows, seed, as_of, chunk_rows)

    register_io_source(source, schema=schema).sink_parquet(path, maintain_order=True)


def write_file(path: str | Path, rows: int, seed: int, as_of: dt.date,
               chunk_rows: int = DEFAULT_CHUNK_ROWS) -> None:
    """Write Parquet if ``path`` ends with ``.parquet``, CSV otherwise."""
    writer = write_parquet if str(path).lower().endswith(".parquet") else write_csv
    writer(path, rows, seed, as_of, chunk_rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a deterministic, realistic CRM prospect export (CSV or Parquet)."
    )
    parser.add_argument("--rows", type=int, required=True, help="number of opportunities")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True,
                        help="date the export is relative to, YYYY-MM-DD")
    parser.add_argument("-o", "--output", required=True,
                        help="output file; Parquet if it ends with .parquet, else CSV")
    parser.add_argument("--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS,
                        help=f"rows generated per chunk (default {DEFAULT_CHUNK_ROWS:,})")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    args = parser.parse_args(argv)
    if not 0 <= args.rows <= MAX_ROWS:
        parser.error(f"--rows must be between 0 and {MAX_ROWS:,}")

    started = time.perf_counter()
    write_file(args.output, args.rows, args.seed, args.as_of, args.chunk_rows)
    if not args.quiet:
        elapsed = time.perf_counter() - started
        print(f"wrote {args.rows:,} rows to {args.output} in {elapsed:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
