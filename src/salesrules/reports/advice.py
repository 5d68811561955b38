"""What to do next, per group and in total, each with the figures behind it.

- Prospect more: more deals near close than early ones (late > early × ``prospect_ratio``).
- Qualify and present, fewer cold calls: many early deals, few near close (early > late ×
  ``qualify_ratio``).
- Work on closing: a group converts the deals reaching its last open stage to won well below the
  team (below the team's rate × (1 − ``closing_gap``)).
- Build pipeline: open value under the required multiple of the gap to quota.

Each rule needs ``min_deals`` deals behind the figure it reads. The required coverage is the
ruleset's ``reports.pipeline.coverage``, else 1 ÷ the win rate when ``min_closed`` deals have
closed, else 3.
"""

from __future__ import annotations

import polars as pl

from .model import RECOMMENDATION_COLUMNS, TOTAL

DEFAULT_COVERAGE = 3.0


def coverage_multiple(deals: pl.DataFrame, settings) -> tuple[float, str]:
    """The pipeline coverage required and where it comes from: ruleset, win rate or default."""
    if settings.coverage is not None:
        return float(settings.coverage), "ruleset"
    won, lost = _count(deals, pl.col("won")), _count(deals, pl.col("lost"))
    if won and won + lost >= settings.min_closed:
        return round((won + lost) / won, 2), "win rate"
    return DEFAULT_COVERAGE, "default"


def late_stages(plan) -> list[str]:
    """The open stages counted as near close: the ruleset's, else the later half."""
    chosen = plan.ruleset.reports.late_stages
    if chosen:
        return list(chosen)
    open_names = [s.name for s in plan.ruleset.stages if not s.closed]
    return open_names[(len(open_names) + 1) // 2:]


def recommendations(deals: pl.DataFrame, pipeline: pl.DataFrame, total: pl.DataFrame, plan, multiple: tuple[float, str]) -> pl.DataFrame:
    """The advice for every group (in the pipeline's order), then for the total."""
    settings = plan.ruleset.reports
    late = late_stages(plan)
    open_names = [s.name for s in plan.ruleset.stages if not s.closed]
    early = [name for name in open_names if name not in late]
    last = open_names[-1] if open_names else None
    team_rate = _closing(deals, last)
    rows = []
    figures = pl.concat([pipeline, total], how="vertical_relaxed").to_dicts()
    for figure in figures:
        group = figure["group"]
        mine = deals if group == TOTAL else deals.filter(pl.col("group") == group)
        counts = mine.filter(pl.col("open")).group_by("stage").agg(pl.col("n").sum().alias("len"))
        count = dict(zip(counts["stage"].to_list(), counts["len"].to_list()))
        n_late, n_early = sum(count.get(s, 0) for s in late), sum(count.get(s, 0) for s in early)
        if n_late >= settings.min_deals and n_late > n_early * settings.prospect_ratio:
            rows.append((group, "Prospect more", f"{n_late} deals near close ({', '.join(late)}) against {n_early} early ones"))
        if n_early >= settings.min_deals and n_early > n_late * settings.qualify_ratio:
            rows.append((group, "Qualify and present; fewer cold calls",
                         f"{n_early} early deals against {n_late} near close ({', '.join(late)})"))
        if group != TOTAL and last is not None:
            rate = _closing(mine, last)
            if rate is not None and team_rate is not None and rate[2] >= settings.min_deals:
                if rate[0] < team_rate[0] * (1 - settings.closing_gap):
                    rows.append((group, "Work on closing",
                                 f"{rate[1]} of {rate[2]} deals that reached {last} were won ({rate[0]:.0%}), "
                                 f"against {team_rate[0]:.0%} for the team"))
        coverage = figure["coverage"]
        if coverage is not None and coverage < multiple[0]:
            rows.append((group, "Build pipeline",
                         f"open value {figure['open_value']:,.2f} covers the gap of {figure['gap']:,.2f} "
                         f"{coverage:.2f} times, under the required {multiple[0]:g} ({multiple[1]})"))
    return pl.DataFrame(rows, schema=RECOMMENDATION_COLUMNS, orient="row")


def _closing(deals: pl.DataFrame, last: str | None) -> tuple[float, int, int] | None:
    """(rate, won, reached) of the deals that reached the last open stage: won ones, lost ones
    lost there, and open ones sitting in it; None when none did."""
    if last is None:
        return None
    won = _count(deals, pl.col("won"))
    lost_there = _count(deals, pl.col("lost") & (pl.col("lost_at") == last).fill_null(False))
    sitting = _count(deals, pl.col("open") & (pl.col("stage") == last).fill_null(False))
    reached = won + lost_there + sitting
    return (won / reached, won, reached) if reached else None


def _count(deals: pl.DataFrame, which: pl.Expr) -> int:
    """How many deals of a :func:`~salesrules.reports.pipeline.deal_cube` ``which`` holds for."""
    return int(deals.filter(which)["n"].sum())
