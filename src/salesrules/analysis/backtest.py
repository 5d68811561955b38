"""Backtesting a ruleset on closed deals: does its ranking predict which deals were won?

The ruleset scores every record as usual (closed deals are scored, not ranked); the closed deals
-- those whose outcome field holds a won or a lost value -- then give the win rate per band and
per tier, the lift of the top band (its win rate over the overall win rate), the AUC of the
score for won against lost deals (the probability that a won deal outscores a lost one, ties
counting half; computed from average ranks) and, with a field that records the last stage each
closed deal reached, the observed win rate of the deals that reached each stage against the
probability the ruleset gives that stage. Per factor, how often it fired among the won and the
lost deals, its lift and its own AUC; and a warning for each factor or field that alone
separates won from lost almost perfectly (see :mod:`salesrules.analysis.leaks`). The outcome
is a field, an input column, a classification, or any expression over them: a true/false
one says won (true) or lost (false) by itself. All figures are polars aggregations.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ..errors import InputError, Loc, UsageError, did_you_mean
from ..model.columns import UNKNOWN
from .diff import field_candidates, field_column
from .explain import _input_column, ruleset_label
from .leaks import auc, factor_figures, field_separations, leak_warnings

DIGITS = 4


def _lower(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.strip_chars().str.to_lowercase()


def outcome_columns(results: pl.DataFrame, plan, name: str) -> tuple[list[pl.Expr], str]:
    """The columns that may hold the outcome ``name``: the ruleset field (by name or alias) and the
    input column that feeds it, an input column of that name, a classification, or an expression
    (see :func:`outcome_expression`). An error when it is none of them."""
    if name in {c.name for c in plan.ruleset.classifications} and name in results.columns:
        return [pl.col(name)], f"classification {name!r}"
    found = field_column(results, plan, name)
    if found is None:
        compiled = outcome_expression(plan, name)
        if compiled is not None:
            return [compiled.expr], f"expression {name!r}"
        hint = did_you_mean(name, field_candidates(results, plan))
        raise UsageError(f"--outcome {name!r} is neither a field of the ruleset, an input column, a classification "
                         f"nor an expression over them{hint}")
    expr, description = found
    columns = [expr]
    field = expr.meta.output_name()
    if field in plan.fields:
        column = _input_column(results, plan, field)
        if column is not None:
            columns.append(pl.col(column))
    return columns, description


def outcome_expression(plan, text: str):
    """``text`` compiled as an expression over the fields and the results before actions, or
    None when it does not compile (it is then no outcome at all)."""
    from ..errors import SalesrulesError
    from ..language.expressions import compile_expression
    from ..model.sections import Expr

    scope = plan.scopes.get("actions")
    if scope is None:
        return None
    try:
        return compile_expression(Expr(text), scope)
    except SalesrulesError:
        return None


def backtest_evaluation(evaluation, outcome: str, won=(), lost=(), stage_field: str | None = None,
                        source: str = "<data>") -> dict:
    """The backtest figures of an internal evaluation (see the module docs), as a dict."""
    won = [won] if isinstance(won, str) else list(won)
    lost = [lost] if isinstance(lost, str) else list(lost)
    won_keys = {w.strip().lower() for w in won}
    lost_keys = {x.strip().lower() for x in lost}
    results, plan = evaluation.results, evaluation.plan
    rs = plan.ruleset
    ranking = rs.ranking_score
    columns, description = outcome_columns(results, plan, outcome)
    boolean = results.select(columns[0]).dtypes[0] == pl.Boolean
    if boolean and not won_keys and not lost_keys:
        won, lost = ["true"], ["false"]
        is_won, is_lost = columns[0].fill_null(False), (~columns[0]).fill_null(False)
    else:
        if not won_keys or not lost_keys:
            raise UsageError("a backtest needs --won and --lost values (or a true/false --outcome expression)")
        both = won_keys & lost_keys
        if both:
            raise UsageError(f"{sorted(both)[0]!r} is given both as a won and as a lost value")
        is_won = pl.any_horizontal([_lower(c).is_in(list(won_keys)) for c in columns]).fill_null(False)
        is_lost = pl.any_horizontal([_lower(c).is_in(list(lost_keys)) for c in columns]).fill_null(False)
    frame = results.select(
        pl.col(plan.manifest.scores[ranking].total).alias("score"),
        pl.col(plan.manifest.scores[ranking].band).fill_null(UNKNOWN).alias("band"),
        pl.col("tier").fill_null(UNKNOWN).alias("tier"),
        is_won.alias("won"),
        is_lost.alias("lost"),
        *([_last_stage(results, plan, stage_field).alias("last_stage")] if stage_field else []),
    )
    closed = frame.filter(pl.col("won") | pl.col("lost"))
    if closed.height == 0:
        seen = results.select(columns[-1].cast(pl.String).drop_nulls().value_counts(sort=True).head(6)).to_series()
        values = ", ".join(repr(v[columns[-1].meta.output_name()]) for v in seen.to_list())
        raise InputError(
            f"no closed deals: no record's {description} is one of {', '.join(map(repr, won + lost))}"
            + (f" (values seen: {values})" if values else ""),
            Loc(source),
        )
    n_won = int(closed["won"].sum())
    n_lost = closed.height - n_won
    overall = n_won / closed.height
    band_order = [b.name for b in rs.scores[ranking].bands]
    tiers = rs.tiers
    tier_order = [lv.name for lv in tiers.levels] if tiers else []
    result: dict[str, Any] = {
        "records": results.height,
        "closed": closed.height,
        "won": n_won,
        "lost": n_lost,
        "win_rate": _round(overall),
        "bands": _rates(closed, "band", band_order, overall),
        "tiers": _rates(closed, "tier", tier_order, overall),
    }
    top = next((b for b in result["bands"] if b["closed"]), None)
    result["top_band"] = None if top is None else {
        "band": top["band"], "closed": top["closed"], "won": top["won"], "win_rate": top["win_rate"], "lift": top["lift"],
    }
    result["auc"] = _round(auc(closed["score"], closed["won"]))
    _add_leaks(result, results, plan, is_won, is_lost, columns, overall)
    if stage_field:
        result["stages"], result["unmapped_stages"] = _stage_rates(closed, rs)
    result["outcome"] = {"field": outcome, "column": description, "won": won, "lost": lost}
    result["score_name"] = ranking
    result.update(plan.provenance)
    return result


def _add_leaks(result: dict, results: pl.DataFrame, plan, is_won, is_lost, columns, overall: float) -> None:
    """The factors' figures and the leak warnings (see :mod:`salesrules.analysis.leaks`)."""
    closed = results.with_columns(is_won.alias("won"), is_lost.alias("__lost")).filter(pl.col("won") | pl.col("__lost"))
    factors = factor_figures(closed, dict(plan.manifest.factors), overall)
    # The outcome's own fields say nothing about a leak: they are the outcome.
    skip = {name for c in columns for name in c.meta.root_names() if name in plan.fields}
    skip |= {plan.key, "stage"} if "stage" in skip or any(s.closed for s in plan.ruleset.stages) else {plan.key}
    fields = field_separations(closed, plan.fields, skip)
    result["factors"] = [
        {k: (_round(v) if isinstance(v, float) else v) for k, v in f.items()} for f in factors
    ]
    result["fields"] = [{"field": f["field"], "auc": _round(f["auc"])} for f in fields]
    result["leaks"] = [{**w, "auc": _round(w["auc"])} for w in leak_warnings(factors, fields)]


def _rates(closed: pl.DataFrame, column: str, order: list[str], overall: float) -> list[dict]:
    stats = closed.group_by(column).agg(
        pl.len().alias("closed"), pl.col("won").sum().alias("won"), pl.col("lost").sum().alias("lost"),
    )
    rank = {name: i for i, name in enumerate(order)}
    stats = stats.with_columns(
        pl.col(column).replace_strict(rank, default=len(rank), return_dtype=pl.Int32).alias("__order")
    ).sort("__order", column)
    found = {r[column]: r for r in stats.iter_rows(named=True)}
    out = []
    for name in order + [n for n in found if n not in rank]:
        r = found.get(name, {"closed": 0, "won": 0, "lost": 0})
        rate = r["won"] / r["closed"] if r["closed"] else None
        out.append({
            column: name, "closed": r["closed"], "won": r["won"], "lost": r["lost"],
            "win_rate": _round(rate), "lift": _round(rate / overall) if rate is not None and overall else None,
        })
    return out


def _last_stage(results: pl.DataFrame, plan, name: str) -> pl.Expr:
    """The stage name (by name or alias, ignoring case) in the field recording the last stage reached."""
    found = field_column(results, plan, name)
    if found is None:
        hint = did_you_mean(name, field_candidates(results, plan))
        raise UsageError(f"--stage-field {name!r} is neither a field of the ruleset nor an input column{hint}")
    spellings = {}
    for stage in plan.ruleset.stages:
        for spelling in (stage.name, *stage.aliases):
            spellings.setdefault(spelling.strip().lower(), stage.name)
    if not spellings:
        raise UsageError("--stage-field needs a ruleset with stages")
    return _lower(found[0]).replace_strict(spellings, default=None, return_dtype=pl.String)


def _stage_rates(closed: pl.DataFrame, rs) -> tuple[list[dict], int]:
    names = [s.name for s in rs.stages]
    index = {n: i for i, n in enumerate(names)}
    reached = closed.with_columns(
        pl.col("last_stage").replace_strict(index, default=None, return_dtype=pl.Int32).alias("__index")
    )
    unmapped = int(reached["__index"].null_count())
    open_stages = [s for s in rs.stages if not s.closed]
    aggregations = []
    for s in open_stages:
        hit = pl.col("__index") >= index[s.name]
        aggregations += [hit.sum().alias(f"n:{s.name}"), (hit & pl.col("won")).sum().alias(f"w:{s.name}")]
    if not aggregations:
        return [], unmapped
    counts = reached.select(aggregations).row(0, named=True)
    out = []
    for s in open_stages:
        n, w = counts[f"n:{s.name}"], counts[f"w:{s.name}"]
        rate = w / n if n else None
        out.append({
            "stage": s.name, "probability": s.probability, "reached": n, "won": w, "win_rate": _round(rate),
            "difference": _round(rate - s.probability) if rate is not None and s.probability is not None else None,
        })
    return out, unmapped


def _round(value):
    return None if value is None else round(float(value), DIGITS)


def backtest(ruleset, data, *, outcome: str, won=(), lost=(), as_of=None, stage_field: str | None = None, **options) -> dict:
    """Evaluate ``data`` and backtest the ruleset on its closed deals (see the module docs)."""
    from ..runners.local import evaluate_full

    evaluation = evaluate_full(ruleset, data, as_of=as_of, internal=True, **options)
    return backtest_evaluation(evaluation, outcome, won, lost, stage_field, str(data) if isinstance(data, str) else "<data>")


# ---------------------------------------------------------------- rendering


def _percent(won, closed) -> str:
    """A win rate as a percentage, from the counts (so no rounding happens twice)."""
    return "-" if not closed else f"{won * 100 / closed:.1f}%"


def _share_text(value) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _lift(value) -> str:
    return "-" if value is None else f"{value:.2f}"


def _table(rows: list[dict], column: str, title: str) -> list[str]:
    width = max([len(title)] + [len(str(r[column])) for r in rows])
    lines = [f"{title.ljust(width)}  closed     won    lost  win rate   lift"]
    for r in rows:
        lines.append(f"{str(r[column]).ljust(width)}  {r['closed']:>6}  {r['won']:>6}  {r['lost']:>6}"
                     f"  {_percent(r['won'], r['closed']):>8}  {_lift(r['lift']):>5}")
    return lines


def render_table(result: dict) -> str:
    """The backtest as readable text."""
    o = result["outcome"]
    lines = [
        f"Backtest of {ruleset_label(result)}, as of {result['as_of']}",
        f"Outcome {o['field']} ({o['column']}): won = {', '.join(o['won'])}; lost = {', '.join(o['lost'])}",
        f"{result['records']} records, {result['closed']} closed: {result['won']} won, {result['lost']} lost "
        f"(win rate {_percent(result['won'], result['closed'])})",
        "",
    ]
    lines += _table(result["bands"], "band", "Band")
    lines.append("")
    if result["tiers"]:
        lines += _table(result["tiers"], "tier", "Tier")
        lines.append("")
    top = result["top_band"]
    if top:
        lines.append(f"Top band {top['band']}: win rate {_percent(top['won'], top['closed'])}, lift {_lift(top['lift'])} "
                     f"over the overall {_percent(result['won'], result['closed'])}")
    auc_value = result["auc"]
    lines.append(f"Ranking quality: AUC {'-' if auc_value is None else f'{auc_value:.3f}'} "
                 f"(chance that a won deal outscores a lost one; 0.5 is chance, 1.0 perfect)")
    if result.get("factors"):
        lines.append("")
        width = max([len("Factor")] + [len(f["factor"]) for f in result["factors"]])
        lines.append(f"{'Factor'.ljust(width)}  fired: won    lost  win rate   lift    AUC")
        for f in result["factors"]:
            lines.append(f"{f['factor'].ljust(width)}  {_share_text(f['fired_won_share']):>10}  "
                         f"{_share_text(f['fired_lost_share']):>6}  "
                         f"{_percent(f['fired_won'], f['fired_won'] + f['fired_lost']):>8}  {_lift(f['lift']):>5}"
                         f"  {'-' if f['auc'] is None else format(f['auc'], '.3f'):>5}")
    for leak in result.get("leaks", ()):
        lines.append(f"warning: {leak['message']}")
    if "stages" in result:
        lines.append("")
        stages = result["stages"]
        width = max([len("Stage")] + [len(s["stage"]) for s in stages])
        lines.append(f"{'Stage'.ljust(width)}  probability  reached     won  observed  difference")
        for s in stages:
            prob = "-" if s["probability"] is None else f"{s['probability'] * 100:.1f}%"
            diff = "-" if s["difference"] is None else f"{s['difference'] * 100:+.1f} pts"
            lines.append(f"{s['stage'].ljust(width)}  {prob:>11}  {s['reached']:>7}  {s['won']:>6}"
                         f"  {_percent(s['won'], s['reached']):>8}  {diff:>10}")
        if result.get("unmapped_stages"):
            lines.append(f"({result['unmapped_stages']} closed deals have no recognised last stage)")
    return "\n".join(lines) + "\n"
