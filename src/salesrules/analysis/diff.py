"""Comparing two rulesets on the same records: what a change to the methodology does.

Both rulesets evaluate the same file with the same as-of date; records are paired by their
row, so the two rulesets need not share a key field. The comparison is columnar: how many
records change tier, stage, band and score, the transition matrix of bands, the records whose
score moves most with the difference of their receipts, and the impact per owner (or any
field given with ``--by``).
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from ..compiler.manifest import MINUS
from ..errors import UsageError, did_you_mean, shown
from ..io.formulas import formula_safe, neutralised_text
from ..model.columns import ROW, UNKNOWN, normal_name
from .explain import ruleset_label
from .receipts import display, receipt_frame, signed

NONE = "(none)"


# ---------------------------------------------------------------- fields by name


def field_column(results: pl.DataFrame, plan, name: str) -> tuple[pl.Expr, str] | None:
    """The column of ``results`` that holds ``name``: a field of the ruleset, a field by one of
    its aliases, or an input column (exactly, else ignoring case and separators).

    Returns the expression and a description ("field 'owner'", "input column 'Deal Stage'").
    """
    from ..model.columns import IN

    fields = plan.fields
    if name in fields and name in results.columns:
        return pl.col(name), f"field {name!r}"
    inputs = [c[len(IN):] for c in results.columns if c.startswith(IN)]
    for matcher in (lambda a, b: a == b, lambda a, b: normal_name(a) == normal_name(b)):
        for fname, spec in fields.items():
            if fname in results.columns and any(matcher(alias, name) for alias in (fname, *spec.aliases)):
                return pl.col(fname), f"field {fname!r}"
        for column in inputs:
            if matcher(column, name):
                return pl.col(IN + column), f"input column {shown(column)}"
    return None


def field_candidates(results: pl.DataFrame, plan) -> list[str]:
    """Names :func:`field_column` knows, for did-you-mean hints."""
    from ..model.columns import IN

    names = [n for n in plan.fields if n in results.columns]
    names += [c[len(IN):] for c in results.columns if c.startswith(IN)]
    return names


# ---------------------------------------------------------------- comparing


def _side(results: pl.DataFrame, plan, prefix: str) -> pl.DataFrame:
    ranking = plan.ruleset.ranking_score
    key = ROW if plan.key == "row" else plan.key
    return results.select(
        pl.col(ROW),
        pl.col(key).cast(pl.String).alias(f"{prefix}key"),
        pl.col("tier").fill_null(UNKNOWN).alias(f"{prefix}tier"),
        pl.col("stage").fill_null(UNKNOWN).alias(f"{prefix}stage"),
        pl.col(plan.manifest.scores[ranking].band).fill_null(NONE).alias(f"{prefix}band"),
        pl.col(plan.manifest.scores[ranking].total).alias(f"{prefix}score"),
    )


def compare_frame(old, new, by: str | None = None, *, required: bool = False) -> pl.DataFrame:
    """One row per record: ``__row``, ``id``, the ``by`` value (column ``by``, null when there is
    no such field), old and new tier, stage, band and score, ``score_change`` and a ``changed_*``
    flag for each (plus ``changed``).

    ``old`` and ``new`` are internal evaluations (:func:`salesrules.runners.evaluate_full` with
    ``internal=True``) of the same records.
    """
    return _compare(old, new, by, required)[0]


def _compare(old, new, by, required) -> tuple[pl.DataFrame, bool]:
    if old.results.height != new.results.height:
        raise UsageError(f"the rulesets kept different records ({old.results.height} and {new.results.height})")
    joined = _side(old.results, old.plan, "old_").join(
        _side(new.results, new.plan, "new_"), on=ROW, how="inner", maintain_order="left")
    group = None
    if by:
        for ev in (new, old):
            found = field_column(ev.results, ev.plan, by)
            if found is not None:
                values = ev.results.select(pl.col(ROW), found[0].cast(pl.String).alias("by"))
                # The default field (owner) counts only when the records have values for it.
                if required or values["by"].null_count() < values.height:
                    group = values.with_columns(pl.col("by").fill_null(NONE))
                break
        if group is None and required:
            hint = did_you_mean(by, field_candidates(new.results, new.plan))
            raise UsageError(f"--by {by!r} is neither a field of the ruleset nor an input column{hint}")
    if group is not None:
        joined = joined.join(group, on=ROW, how="left", maintain_order="left")
    else:
        joined = joined.with_columns(pl.lit(None, pl.String).alias("by"))
    float_scores = pl.Float64 in (joined.schema["old_score"], joined.schema["new_score"])
    old_score = pl.col("old_score").cast(pl.Float64) if float_scores else pl.col("old_score")
    flags = {
        name: pl.col(f"old_{name}").ne_missing(pl.col(f"new_{name}")) for name in ("tier", "stage", "band", "score")
    }
    frame = joined.with_columns(
        pl.coalesce("new_key", "old_key").alias("id"),
        (pl.col("new_score") - old_score).alias("score_change"),
        *[expr.alias(f"changed_{name}") for name, expr in flags.items()],
        pl.any_horizontal(list(flags.values())).alias("changed"),
    )
    return frame, group is not None


def _band_order(*plans) -> list[str]:
    order: list[str] = []
    for plan in plans:
        for band in plan.ruleset.scores[plan.ruleset.ranking_score].bands:
            if band.name not in order:
                order.append(band.name)
    return order + [NONE]


def diff_evaluations(old, new, *, by: str | None = "owner", by_required: bool = False, top: int = 10) -> dict:
    """The comparison of two internal evaluations of the same records, as a dict (see the docs)."""
    frame, grouped = _compare(old, new, by, by_required)
    changed = frame.select(
        pl.col("changed_tier").sum().alias("tier"),
        pl.col("changed_stage").sum().alias("stage"),
        pl.col("changed_band").sum().alias("band"),
        pl.col("changed_score").sum().alias("score"),
    ).row(0, named=True)
    order = {name: i for i, name in enumerate(_band_order(old.plan, new.plan))}
    transitions = (
        frame.group_by("old_band", "new_band").len()
        .with_columns(
            pl.col("old_band").replace_strict(order, default=len(order), return_dtype=pl.Int32).alias("o"),
            pl.col("new_band").replace_strict(order, default=len(order), return_dtype=pl.Int32).alias("n"),
        )
        .sort("o", "old_band", "n", "new_band")
    )
    result: dict[str, Any] = {
        "records": frame.height,
        "changed": changed,
        "band_transitions": {f"{r['old_band']}->{r['new_band']}": r["len"] for r in transitions.iter_rows(named=True)},
        "top_movers": _top_movers(frame, old, new, top),
        "records_changed": int(frame["changed"].sum()),
        "old": old.plan.provenance,
        "new": new.plan.provenance,
        "as_of": new.plan.as_of.isoformat(),
    }
    if grouped:
        groups = (
            frame.group_by("by")
            .agg(
                pl.len().alias("records"),
                pl.col("changed").sum().alias("changed"),
                pl.col("score_change").mean().round(2).alias("mean_score_change"),
            )
            .sort(["changed", "by"], descending=[True, False])
        )
        result["by"] = {
            "field": by,
            "groups": [
                {"value": r["by"], "records": r["records"], "changed": r["changed"],
                 "mean_score_change": r["mean_score_change"]}
                for r in groups.iter_rows(named=True)
            ],
        }
    return result


def _top_movers(frame: pl.DataFrame, old, new, top: int) -> list[dict]:
    movers = (
        frame.filter(pl.col("score_change").fill_null(0) != 0)
        .with_columns(pl.col("score_change").abs().alias("__size"))
        .sort(["__size", "id"], descending=[True, False], nulls_last=True)
        .head(max(top, 0))
    )
    if movers.height == 0:
        return []
    rows = movers[ROW].implode()
    lines = {
        side: receipt_frame(ev.results.filter(pl.col(ROW).is_in(rows)), ev.plan, [ev.plan.ruleset.ranking_score])
        for side, ev in (("old", old), ("new", new))
    }
    grouped = {
        side: {r: list(g.iter_rows(named=True)) for (r,), g in frame_.group_by(ROW, maintain_order=True)}
        for side, frame_ in lines.items()
    }
    out = []
    for m in movers.iter_rows(named=True):
        before = {line["item"]: line for line in grouped["old"].get(m[ROW], [])}
        after = {line["item"]: line for line in grouped["new"].get(m[ROW], [])}
        added, removed, changed = [], [], []
        for item, line in after.items():
            if item not in before:
                added.append(_line(line))
            elif (before[item]["name"], before[item]["points"]) != (line["name"], line["points"]):
                entry = {"kind": line["kind"], "name": line["name"], "old_points": before[item]["points"],
                         "new_points": line["points"], "change": line["points"] - before[item]["points"]}
                if before[item]["name"] != line["name"]:
                    entry["old_name"] = before[item]["name"]
                changed.append(entry)
        for item, line in before.items():
            if item not in after:
                removed.append(_line(line))
        out.append({
            "id": m["id"],
            "old": {k: m[f"old_{k}"] for k in ("score", "band", "tier", "stage")},
            "new": {k: m[f"new_{k}"] for k in ("score", "band", "tier", "stage")},
            "score_change": m["score_change"],
            "added": added,
            "removed": removed,
            "changed": changed,
        })
    return out


def _line(line: dict) -> dict:
    return {"kind": line["kind"], "name": line["name"], "points": line["points"]}


def diff(old_ruleset, new_ruleset, data, *, as_of=None, by: str | None = "owner", top: int = 10, **options) -> dict:
    """Evaluate ``data`` with both rulesets and compare them (see :func:`diff_evaluations`)."""
    from ..runners.local import evaluate_full

    old = evaluate_full(old_ruleset, data, as_of=as_of, internal=True, **options)
    new = evaluate_full(new_ruleset, data, as_of=as_of, internal=True, **options)
    return diff_evaluations(old, new, by=by, top=top)


# ---------------------------------------------------------------- rendering


def render_table(result: dict) -> str:
    """The comparison as readable text."""
    old, new = result["old"], result["new"]
    c = result["changed"]
    lines = [
        f"{result['records']} records, as of {result['as_of']}",
        f"  old: {ruleset_label(old)}",
        f"  new: {ruleset_label(new)}",
        "",
        f"Changed: tier {c['tier']}, stage {c['stage']}, band {c['band']}, score {c['score']} "
        f"({result['records_changed']} records changed)",
        "",
        "Band transitions (rows old, columns new)",
    ]
    lines.extend(_matrix(result["band_transitions"]))
    if result["top_movers"]:
        lines.append("")
        lines.append("Top movers")
        for m in result["top_movers"]:
            o, n = m["old"], m["new"]
            head = f"  {m['id']}  {display(o['score'])} -> {display(n['score'])} ({signed(m['score_change'])})"
            for k in ("band", "tier", "stage"):
                if o[k] != n[k]:
                    head += f"  {k} {o[k]} -> {n[k]}"
            lines.append(head)
            for ch in m["changed"]:
                name = f"{ch['old_name']} -> {ch['name']}" if "old_name" in ch else ch["name"]
                lines.append(f"      {_kind(ch['kind'])}{name}: {signed(ch['old_points'])} -> "
                             f"{signed(ch['new_points'])} ({signed(ch['change'])})")
            for a in m["added"]:
                lines.append(f"    + {_kind(a['kind'])}{a['name']} {signed(a['points'])}")
            for r in m["removed"]:
                lines.append(f"    - {_kind(r['kind'])}{r['name']} {signed(r['points'])}")
    if "by" in result:
        lines.append("")
        groups = result["by"]["groups"]
        title = f"By {result['by']['field']}"
        width = max([len(title)] + [len(g["value"]) for g in groups])
        lines.append(f"{title.ljust(width)}  records  changed  mean score change")
        for g in groups:
            mean = "" if g["mean_score_change"] is None else _mean_text(g["mean_score_change"])
            lines.append(f"{g['value'].ljust(width)}  {g['records']:>7}  {g['changed']:>7}  {mean:>17}")
    return "\n".join(lines) + "\n"


def _mean_text(value: float) -> str:
    """A mean change with two decimals and its sign: +4.60, −30.00, 0.00."""
    if value == 0:
        return "0.00"
    return f"{'+' if value > 0 else MINUS}{abs(value):.2f}"


def _kind(kind: str) -> str:
    return "" if kind == "factor" else f"{kind} "


def _matrix(transitions: dict[str, int]) -> list[str]:
    olds: list[str] = []
    news: list[str] = []
    for pair in transitions:
        a, b = pair.split("->", 1)
        if a not in olds:
            olds.append(a)
        if b not in news:
            news.append(b)
    if not olds:
        return ["  (no records)"]
    width = max(len(x) for x in olds + news + ["00000"])
    lines = ["  " + " " * width + "".join(n.rjust(width + 2) for n in news)]
    for a in olds:
        cells = "".join(str(transitions.get(f"{a}->{b}", 0)).rjust(width + 2) for b in news)
        lines.append("  " + a.ljust(width) + cells)
    return lines


CSV_COLUMNS = ["id", "by", "old_tier", "new_tier", "old_stage", "new_stage", "old_band", "new_band",
               "old_score", "new_score", "score_change"]


def render_csv(frame: pl.DataFrame, by: str | None) -> str:
    """The changed records, biggest score change first, as CSV; text a spreadsheet would run as
    a formula gets a leading ``'``, as in the results' CSV."""
    changed = (
        frame.filter(pl.col("changed"))
        .with_columns(pl.col("score_change").abs().alias("__size"))
        .sort(["__size", "id"], descending=[True, False], nulls_last=True)
    )
    columns = [c for c in CSV_COLUMNS if c != "by" or by]
    lines = [[neutralised_text(by) if c == "by" else c for c in columns]]
    lines += [[None if v is None else display(v) for v in row] for row in formula_safe(changed.select(columns)).iter_rows()]
    # polars quotes a value with a carriage return, which Python's csv module leaves bare when
    # lines end in "\n": a spreadsheet would start a new row there, with a formula unneutralised.
    table = pl.DataFrame(lines, schema={str(i): pl.String for i in range(len(columns))}, orient="row")
    return table.with_columns(pl.all().replace("", None)).write_csv(include_header=False)


# ---------------------------------------------------------------- the report


def diff_report(old_ruleset, new_ruleset, data, *, fmt: str = "table", as_of=None, by: str | None = None,
                top: int = 10, **options) -> str:
    """Evaluate ``data`` with both rulesets: the comparison as ``table``, ``json`` or ``csv`` text.

    Without ``by`` the records are grouped by owner when they have one; a ``by`` given must name
    a field or an input column.
    """
    from ..runners.local import evaluate_full

    old = evaluate_full(old_ruleset, data, as_of=as_of, internal=True, **options)
    new = evaluate_full(new_ruleset, data, as_of=as_of, internal=True, **options)
    group = by or "owner"
    if fmt == "csv":
        frame, grouped = _compare(old, new, group, by is not None)
        return render_csv(frame, group if grouped else None)
    result = diff_evaluations(old, new, by=group, by_required=by is not None, top=top)
    return json.dumps(_json_ready(result), indent=2, ensure_ascii=False) + "\n" if fmt == "json" else render_table(result)


def _json_ready(value):
    from ..io.outputs import json_value

    return json_value(value)
