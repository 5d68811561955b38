"""Tests for the prospect file generator in benchmarks/generate.py."""

import datetime as dt
import importlib.util
import re
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 11, 22)


def _load_generator():
    # benchmarks/ is not a package, so import the script from its path.
    path = ROOT / "benchmarks" / "generate.py"
    spec = importlib.util.spec_from_file_location("salesrules_benchmark_generate", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()

EXPECTED_COLUMNS = [
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
]
FLAGS = [
    "Decision Maker Confirmed",
    "Budget Confirmed",
    "Demo Requested",
    "Sample Requested",
    "Trial Requested",
    "New Buyer",
    "Merger Pending",
    "Need Identified",
]
STAGES = [
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Presentation",
    "Evaluation",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
]
CLOSED = ["Closed Won", "Closed Lost"]
AMOUNT_FORMAT = re.compile(r"^\$[1-9]\d{0,2}(,\d{3})*\.\d{2}$")


@pytest.fixture(scope="module")
def big():
    """Enough rows for the shares to be stable, few enough to stay fast."""
    return gen.generate_frame(20_000, seed=11, as_of=AS_OF)


def days(column: str) -> pl.Expr:
    """Days from the as-of date to the date in ``column`` (negative = in the past)."""
    return (pl.col(column) - pl.lit(AS_OF)).dt.total_days()


def share(frame: pl.DataFrame, predicate: pl.Expr) -> float:
    return frame.select(predicate.mean()).item()


def parsed_amounts(frame: pl.DataFrame) -> pl.Series:
    return frame["Amount"].drop_nulls().str.replace_all(r"[$,]", "").cast(pl.Float64)


# --- determinism --------------------------------------------------------------------------


def test_same_seed_gives_identical_frames():
    first = gen.generate_frame(500, seed=3, as_of=AS_OF)
    second = gen.generate_frame(500, seed=3, as_of=AS_OF)
    assert first.equals(second)
    assert not first.equals(gen.generate_frame(500, seed=4, as_of=AS_OF))


def test_chunked_generation_equals_generating_at_once():
    whole = gen.generate_frame(1_000, seed=5, as_of=AS_OF)
    chunks = [
        gen.generate_frame(300, seed=5, as_of=AS_OF, start=0),
        gen.generate_frame(450, seed=5, as_of=AS_OF, start=300),
        gen.generate_frame(250, seed=5, as_of=AS_OF, start=750),
    ]
    assert pl.concat(chunks).equals(whole)


def test_csv_file_is_identical_whatever_the_chunk_size(tmp_path):
    one = tmp_path / "one.csv"
    many = tmp_path / "many.csv"
    gen.main(["--rows", "1000", "--seed", "9", "--as-of", "2026-11-22", "-o", str(one), "-q"])
    gen.main(["--rows", "1000", "--seed", "9", "--as-of", "2026-11-22", "-o", str(many), "-q",
              "--chunk-rows", "128"])
    assert one.read_bytes() == many.read_bytes()
    expected = gen.generate_frame(1_000, seed=9, as_of=AS_OF).write_csv()
    assert one.read_text(encoding="utf-8") == expected


def test_parquet_output_holds_the_same_rows(tmp_path):
    path = tmp_path / "prospects.parquet"
    gen.main(["--rows", "700", "--seed", "9", "--as-of", "2026-11-22", "-o", str(path), "-q",
              "--chunk-rows", "300"])
    assert pl.read_parquet(path).equals(gen.generate_frame(700, seed=9, as_of=AS_OF))


def test_empty_csv_still_has_the_header(tmp_path):
    path = tmp_path / "empty.csv"
    gen.main(["--rows", "0", "--as-of", "2026-11-22", "-o", str(path), "-q"])
    assert path.read_text(encoding="utf-8") == ",".join(EXPECTED_COLUMNS) + "\n"


# --- shape ----------------------------------------------------------------------------------


def test_columns_in_order_and_row_count():
    frame = gen.generate_frame(123, seed=1, as_of=AS_OF)
    assert frame.columns == EXPECTED_COLUMNS
    assert frame.height == 123


def test_opportunity_ids_follow_the_row_number():
    frame = gen.generate_frame(3, seed=1, as_of=AS_OF, start=41)
    assert frame["Opportunity ID"].to_list() == ["OPP-00000042", "OPP-00000043", "OPP-00000044"]


def test_too_many_rows_for_the_id_width_is_refused():
    with pytest.raises(ValueError):
        gen.generate_frame(2, seed=1, as_of=AS_OF, start=99_999_998)


# --- values ---------------------------------------------------------------------------------


def test_amounts_are_us_formatted_and_spread_as_specified(big):
    amounts = big["Amount"].drop_nulls()
    assert amounts.str.contains(AMOUNT_FORMAT.pattern).all()
    values = parsed_amounts(big)
    assert values.min() >= 5_000 and values.max() <= 5_000_000
    assert share(big, pl.col("Amount").is_null()) == pytest.approx(0.02, abs=0.01)
    assert (values > 1_000_000).mean() == pytest.approx(0.15, abs=0.02)
    assert ((values >= 500_000) & (values <= 1_000_000)).mean() == pytest.approx(0.20, abs=0.02)


def test_stage_distribution(big):
    assert set(big["Stage"].drop_nulls().unique()) == set(STAGES)
    assert share(big, pl.col("Stage").is_null()) == pytest.approx(0.05, abs=0.015)
    assert share(big, pl.col("Stage").is_in(CLOSED)) == pytest.approx(0.25, abs=0.02)


def test_dates_lie_in_their_windows(big):
    frame = big.with_columns(
        created=days("Created Date"),
        last=days("Last Contact"),
        next_step=days("Next Step Date"),
        appointment=days("Next Appointment"),
        close=days("Close Date"),
        entered=days("Stage Entered"),
        budget_from=days("Budget Available From"),
        contract_until=days("Supplier Contract Until"),
        closed=pl.col("Stage").is_in(CLOSED),
    )
    created = frame["created"]
    assert created.null_count() == 0 and created.min() >= -400 and created.max() <= -10

    last = frame.filter(pl.col("last").is_not_null())
    assert (last["last"] >= last["created"]).all() and last["last"].max() <= 0
    assert 0 < frame["last"].null_count() < frame.height * 0.15

    assert frame["next_step"].min() >= -20 and frame["next_step"].max() <= 30
    assert (frame["next_step"] < 0).any()  # some next steps are overdue
    assert frame["next_step"].null_count() / frame.height == pytest.approx(0.15, abs=0.02)

    assert frame["appointment"].min() >= -14 and frame["appointment"].max() <= 14
    assert frame["appointment"].null_count() / frame.height == pytest.approx(0.60, abs=0.02)
    assert (frame["appointment"] == 1).sum() > frame.height * 0.02

    assert (frame["entered"] >= frame["created"]).all() and frame["entered"].max() <= 0

    closed = frame.filter("closed")
    assert (closed["close"] < 0).all() and (closed["close"] >= closed["created"]).all()
    still_open = frame.filter(~pl.col("closed"))
    assert still_open["close"].max() <= 180
    assert 0 < (still_open["close"] < 0).mean() < 0.2  # a few stale close dates

    assert frame["budget_from"].min() >= -60 and frame["budget_from"].max() <= 200
    assert frame["budget_from"].null_count() / frame.height == pytest.approx(0.85, abs=0.02)
    assert frame["contract_until"].min() >= -30 and frame["contract_until"].max() <= 400
    assert frame["contract_until"].null_count() / frame.height == pytest.approx(0.80, abs=0.02)


def test_checkboxes_are_yes_or_no_and_follow_the_stage(big):
    for column in FLAGS:
        assert set(big[column].unique()) == {"Yes", "No"}, column
    assert share(big, pl.col("Merger Pending") == "Yes") == pytest.approx(0.03, abs=0.01)
    assert share(big, pl.col("New Buyer") == "Yes") == pytest.approx(0.08, abs=0.015)

    def budget_confirmed(stage: str) -> float:
        return share(big.filter(pl.col("Stage") == stage), pl.col("Budget Confirmed") == "Yes")

    early, middle, late = (budget_confirmed(s) for s in ("Prospecting", "Needs Analysis", "Negotiation"))
    assert early < middle < late


def test_counts_and_categories(big):
    assert big["Decision Makers"].min() >= 1 and big["Decision Makers"].max() <= 6
    assert share(big, pl.col("Decision Makers") <= 3) > 0.7
    assert big["Contacts"].min() >= 1 and big["Contacts"].max() <= 25
    assert (big["Decision Makers"] <= big["Contacts"]).all()
    assert set(big["Country"].unique()) == {"NO", "US", "GB", "DE", "FR", "JP", "BR", "IN"}
    assert set(big["Territory"].unique()) == {"North", "South", "East", "West", "Central", "EMEA", "APAC"}
    assert set(big["Lead Source"].unique()) == {
        "Referral", "Website", "Trade Show", "Cold Call", "Purchased List", "Partner", "Webinar",
    }
    assert 10 <= big["Owner"].n_unique() <= 14
    assert big["Account Name"].n_unique() < big.height  # accounts repeat
    canonical = {"Software", "SaaS", "Manufacturing", "Healthcare", "Financial Services",
                 "Retail", "Education", "Government", "Logistics"}
    industries = set(big["Industry"].unique())
    assert canonical <= industries and {"software", "Mfg"} <= industries
    assert share(big, pl.col("Industry").is_in(list(canonical))) > 0.9


def test_account_attributes_agree_across_opportunities(big):
    per_account = big.group_by("Account Name").agg(
        pl.col("Country").n_unique(), pl.col("Contacts").n_unique(), pl.col("Territory").n_unique()
    )
    assert (per_account.drop("Account Name").max_horizontal() == 1).all()


def test_owner_works_the_row_territory(big):
    for territory, owner in big.select("Territory", "Owner").unique().iter_rows():
        assert owner in gen.OWNERS_BY_TERRITORY[territory]


# --- bundled example --------------------------------------------------------------------------


def test_bundled_example_matches_the_generator():
    expected = gen.generate_frame(200, seed=7, as_of=AS_OF).write_csv()
    assert (ROOT / "examples" / "prospects.csv").read_bytes() == expected.encode("utf-8")
