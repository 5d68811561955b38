"""A pipeline report built by hand, for the tests of the report formats."""

from __future__ import annotations

import polars as pl

from salesrules.reports.model import Report


def sample_report() -> Report:
    """Three sales agents (one without quota), four open stages, two closed ones, two pieces of advice."""
    floats = {name: pl.Float64 for name in ("quota", "gap", "left_to_build", "attainment", "coverage")}
    pipeline = pl.DataFrame({
        "group": ["Anna Snelling", "Cassey Cress", "Darcel Schlecht"],
        "open_deals": [12, 7, 0], "open_value": [240_500.0, 98_000.0, 0.0],
        "weighted_value": [61_237.5, 22_100.25, 0.0], "won_deals": [30, 12, 41],
        "won_value": [410_000.0, 180_000.0, 1_153_214.0], "lost_deals": [20, 9, 30],
        "quota": [600_000.0, None, 1_000_000.0], "gap": [190_000.0, None, 0.0],
        "left_to_build": [128_762.5, None, 0.0], "expected": [471_237.5, 202_100.25, 1_153_214.0],
        "attainment": [0.6833, None, 1.1532], "coverage": [1.2658, None, None], "slipped": [2, 0, 0],
    }, schema_overrides=floats)
    total = pl.DataFrame({
        "group": ["total"], "open_deals": [19], "open_value": [338_500.0], "weighted_value": [83_337.75],
        "won_deals": [83], "won_value": [1_743_214.0], "lost_deals": [59], "quota": [1_600_000.0],
        "gap": [0.0], "left_to_build": [0.0], "expected": [1_826_551.75], "attainment": [1.0895],
        "coverage": [None], "slipped": [2],
    }, schema=pipeline.schema)
    stages = pl.DataFrame({
        "stage": ["prospect", "discovery", "presentation", "negotiation", "won", "lost"],
        "deals": [5, 6, 4, 4, 83, 59],
        "value": [50_000.0, 120_000.0, 80_500.0, 88_000.0, 1_743_214.0, 900_000.0],
        "weighted_value": [2_500.0, 12_000.0, 20_125.0, 48_712.75, None, None],
        "avg_days_in_stage": [12.4, 20.0, None, 33.5, None, None],
        "reached": [161, 156, 150, 146, None, None],
        "conversion": [0.9689, 0.9615, 0.9733, 0.5685, None, None],
        "closed": [None, None, None, None, "won", "lost"],
    }, schema_overrides={"avg_days_in_stage": pl.Float64, "weighted_value": pl.Float64, "reached": pl.Int64,
                         "conversion": pl.Float64, "closed": pl.String})
    recommendations = pl.DataFrame({
        "group": ["Anna Snelling", "total"],
        "advice": ["Build pipeline", "Prospect more"],
        "because": ["coverage 1.27x is under the required 3x (default)", "8 deals near close against 11 early ones"],
    })
    return Report(
        pipeline, total, stages, recommendations,
        settings={"by": "sales_agent", "value": "close_value", "period": None, "close_date": "close_date",
                  "coverage_multiple": 3.0, "coverage_source": "default", "lost_left_out": 59},
        provenance={"ruleset": "maven", "ruleset_version": "1", "ruleset_hash": "0123456789ab", "as_of": "2017-12-31"},
    )
