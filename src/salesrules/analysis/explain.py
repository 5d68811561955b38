"""One record's score receipt: every part with its points, reason and inputs, and what did not fire."""

from __future__ import annotations

import json
import string
from typing import Any

import polars as pl

from ..compiler.manifest import Part, _number_text, score_parts
from ..compiler.sections.decisions import RULES
from ..errors import InputError, Loc, shown
from ..language.syntax import condition_parts, flat, referenced_names
from ..model.columns import UNKNOWN
from ..model.sections import Expr
from .receipts import _key_column, display, receipt_frame, signed


def explain(ruleset, data, key, as_of=None, **options) -> dict:
    """The receipt of the record whose key is ``key`` (the row number without a key field).

    ``data`` is anything :func:`salesrules.runners.evaluate` reads. The result is a dict:
    ``id``, ``score``, ``band``, ``tier``, ``stage``, ``contributions`` (kind, name, points,
    reason, inputs; they add up exactly to ``score``), ``not_fired`` (name, condition,
    false_part, inputs), ``actions``, and ``bands``, ``gaps``, ``ruleset``, ``as_of``.
    """
    from ..runners.local import evaluate_full

    evaluation = evaluate_full(ruleset, data, as_of=as_of, internal=True, **options)
    source = str(data) if isinstance(data, (str,)) or hasattr(data, "__fspath__") else "<data>"
    row = find_record(evaluation.results, evaluation.plan, key, source)
    return explain_row(row, evaluation.plan)


def find_record(results: pl.DataFrame, plan, key, source: str = "<data>") -> pl.DataFrame:
    """The one-row frame of the record with ``key``; an error with a hint when there is none."""
    column = _key_column(plan)
    wanted = str(key).strip()
    values = pl.col(column).cast(pl.String)
    row = results.filter(values == wanted)
    if row.height:
        return row.head(1)
    label = "row" if plan.key == "row" else f"key field {plan.key!r}"
    if results.height == 0:
        raise InputError(f"no record with id {shown(wanted)}: the file has no records", Loc(source))
    near = results.filter(values.str.strip_chars().str.to_lowercase() == wanted.lower()).select(values).to_series()
    if near.len():
        hint = f" (did you mean {shown(near[0])}?)"
    else:
        import difflib

        ids = results.select(values).to_series().drop_nulls().head(50_000).to_list()
        close = difflib.get_close_matches(wanted, ids, n=1, cutoff=0.5)
        hint = f" (did you mean {shown(close[0])}?)" if close else ""
    if not hint:
        first = results.select(values).to_series().drop_nulls()
        hint = f"; ids look like {shown(first[0])}" if first.len() else ""
    raise InputError(f"no record with id {shown(wanted)} ({label}, {results.height} records){hint}", Loc(source))


def explain_row(row: pl.DataFrame, plan) -> dict:
    """The receipt of the record in the one-row internal results frame ``row``."""
    rs = plan.ruleset
    ranking = rs.ranking_score
    reader = _Reader(row, plan)
    values = row.row(0, named=True)
    key = values[_key_column(plan)]
    receipt: dict[str, Any] = {
        "id": key,
        "score": values[plan.manifest.scores[ranking].total],
        "band": values[plan.manifest.scores[ranking].band],
        "tier": values.get("tier") or UNKNOWN,
        "stage": (values.get("stage") or UNKNOWN) if rs.stages else None,  # None: the ruleset has no stages
        "contributions": _contributions(row, plan, ranking, reader),
        "not_fired": _not_fired(row, plan, reader),
        "actions": [
            {"name": a["name"], "text": a["text"], "due": a["due"].isoformat() if a["due"] else None}
            for a in values.get("actions") or []
        ],
        "bands": _bands(rs.scores[ranking], values[plan.manifest.scores[ranking].band]),
        "next_band": None,
        "gaps": _gaps(values, plan, reader),
        "stage_source": values.get("stage_source"),
        "score_name": ranking,
        "ruleset": plan.provenance["ruleset"],
        "ruleset_version": plan.provenance["ruleset_version"],
        "ruleset_hash": plan.provenance["ruleset_hash"],
        "as_of": plan.as_of.isoformat(),
    }
    receipt["next_band"] = _next_band(receipt["bands"], receipt["score"])
    if rs.decisions:
        receipt["decisions"] = _decisions(values, plan)
    if len(rs.scores) > 1:
        receipt["scores"] = {
            name: {
                "score": values[plan.manifest.scores[name].total],
                "band": values[plan.manifest.scores[name].band],
                "contributions": _contributions(row, plan, name, reader),
            }
            for name in rs.scores
        }
    return receipt


class _Reader:
    """The values of the names expressions read, for one record, and their texts."""

    def __init__(self, row: pl.DataFrame, plan):
        self.row = row
        self.plan = plan
        scope = plan.scopes["actions"]
        self.names = scope.names
        exprs = [expr.alias(name) for name, (_, expr) in scope.names.items()]
        self.values = row.select(exprs).row(0, named=True) if exprs else {}
        self.values["as_of"] = plan.as_of

    def inputs(self, *sources) -> dict:
        """The names the expressions ``sources`` read (fields and earlier results), with their values."""
        found: dict[str, Any] = {}
        for source in sources:
            if source is None:
                continue
            for name in referenced_names(source.text if isinstance(source, Expr) else str(source)):
                if name in self.values and name not in found:
                    found[name] = self.values[name]
        return found

    def evaluate(self, source: Expr, scope_name: str = "factors"):
        """The value of ``source`` compiled in a scope of the plan, for this record."""
        from ..language.expressions import compile_expression

        compiled = compile_expression(source, self.plan.scopes[scope_name])
        return self.row.select(compiled.expr.alias("v")).item()

    def template(self, text: str) -> str:
        """A reason or action text with its ``{field}`` placeholders filled, as the engine does."""
        out = []
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError:
            return text
        for literal, name, _, _ in parsed:
            out.append(literal)
            if name is not None:
                out.append(display(self.values.get(name)) if name in self.values else "{" + name + "}")
        return "".join(out)


def _contributions(row: pl.DataFrame, plan, score: str, reader: _Reader) -> list[dict]:
    lines = receipt_frame(row, plan, [score])
    parts = score_parts(plan, row.columns)[score]
    values = row.row(0, named=True)
    out = []
    for line in lines.iter_rows(named=True):
        part = parts[line["line"]]
        entry = {"kind": part.kind, "name": line["name"], "points": line["points"]}
        entry.update(_describe_part(part, line["name"], values, reader))
        out.append(entry)
    return out


def _describe_part(part: Part, name: str, values: dict, reader: _Reader) -> dict:
    if part.kind in ("tier", "classification"):
        levels = part.source.levels
        level = next((lv for lv in levels if lv.name == name), None)
        extra = {} if part.kind == "tier" else {"classification": part.source.name}
        if level is None:
            return {"reason": f"no {part.source.name} level matched", **extra,
                    "inputs": reader.inputs(*(lv.when for lv in levels))}
        reason = level.reason and reader.template(level.reason)
        if not reason:
            reason = flat(level.when.text) if level.when is not None else f"the catch-all {part.source.name} level"
        # A level matches because the ones before it did not: a catch-all reads what they read.
        earlier = [lv.when for lv in levels[: levels.index(level)]] if level.when is None else []
        return {"reason": reason, **extra, "inputs": reader.inputs(*earlier, level.when, level.points)}
    if part.kind == "stage":
        return _describe_stage(name, values, reader)
    if part.kind == "factor":
        factor = part.source
        return {"reason": reader.template(factor.reason or factor.name.replace("_", " ")),
                "inputs": reader.inputs(factor.when, factor.points)}
    if part.kind == "decay":
        decay = part.source.decay
        since = reader.evaluate(decay.since)
        days = max((reader.plan.as_of - since).days, 0) if since is not None else None
        how = f"half-life {_number_text(decay.half_life)} days" if decay.half_life is not None else "steps"
        return {"reason": f"{part.source.name} fades with {display(days)} days since {flat(decay.since.text)} ({how})",
                "inputs": reader.inputs(decay.since)}
    if part.kind == "other":
        return {"reason": "points of parts this receipt does not know", "inputs": {}}
    score = part.source
    limit = score.max if name == "max" else score.min
    raw = values[reader.plan.manifest.scores[score.name].raw]
    word = "maximum" if name == "max" else "minimum"
    return {"reason": f"the sum {display(raw)} is held to the {word} {display(limit)}",
            "inputs": {"sum": raw, name: limit}}


def _describe_stage(name: str, values: dict, reader: _Reader) -> dict:
    rs = reader.plan.ruleset
    stage = next((s for s in rs.stages if s.name == name), None)
    source = values.get("stage_source")
    mapping = reader.plan.fields.get("stage")
    column = _input_column(reader.row, reader.plan, "stage")
    raw = values.get(column) if column else None
    if stage is None:
        return {"reason": "no stage recorded, and no stage's entry evidence holds", "inputs": {"stage": None}}
    inputs = {"stage": name}
    if source == "inferred":
        reason = f"inferred: the latest stage whose entry evidence holds ({', '.join(stage.entry)})"
        inputs.update(reader.inputs(*stage.entry.values()))
    else:
        reason = "recorded stage" + (f" ({shown(raw)} in column {shown(column[3:])})" if raw is not None and mapping else "")
    inputs.update({k: v for k, v in reader.inputs(stage.points).items() if k not in inputs})
    return {"reason": reason, "inputs": inputs}


def _input_column(row: pl.DataFrame, plan, field: str) -> str | None:
    """The ``in:`` column that fed ``field``, found as the engine matched it."""
    from ..io.preparation import match_columns
    from ..model.columns import IN

    inputs = [c[len(IN):] for c in row.columns if c.startswith(IN)]
    if field not in plan.fields:
        return None
    try:
        column = match_columns({field: plan.fields[field]}, inputs, "<data>").get(field)
    except Exception:  # an ambiguous match failed the evaluation already; nothing to add
        return None
    return IN + column if column else None


def _not_fired(row: pl.DataFrame, plan, reader: _Reader) -> list[dict]:
    values = row.row(0, named=True)
    several = len(plan.ruleset.scores) > 1
    first = next(iter(plan.ruleset.scores))
    out = []
    for factor in plan.ruleset.factors:
        column = plan.manifest.factors[factor.name]
        if column not in values or values[column]:
            continue
        parts = condition_parts(factor.when.text)
        false_parts = []
        for text in parts:
            value = reader.evaluate(Expr(text, factor.when.loc))
            if value is not True:
                false_parts.append((text, value))
        if not false_parts:  # cannot happen for a well-formed plan; keep the whole condition
            false_parts = [(flat(factor.when.text), reader.evaluate(factor.when))]
        text, value = false_parts[0]
        points = _constant_points(factor.points, reader)
        entry = {
            "name": factor.name,
            "condition": flat(factor.when.text),
            "false_part": text,
            "value": value,
            "inputs": reader.inputs(text),
            "points_if_fired": points,
        }
        if len(false_parts) > 1:
            entry["also_false"] = [t for t, _ in false_parts[1:]]
        if several:
            entry["score"] = factor.score or first
        out.append(entry)
    return out


def _constant_points(points: Expr, reader: _Reader):
    """The points a factor would add: a number when they are constant, else the expression's text
    (points that depend on the record, evaluated where the factor does not hold, would mislead)."""
    if referenced_names(points.text):
        return flat(points.text)
    try:
        return reader.evaluate(points)
    except Exception:
        return flat(points.text)


def _bands(score, band) -> list[dict]:
    """The bands of ``score`` in order, marking the record's ``band``."""
    return [{"name": b.name, "min": b.min, "this": b.name == band} for b in score.bands]


def _next_band(bands: list[dict], value) -> dict | None:
    here = next((i for i, b in enumerate(bands) if b["this"]), None)
    if here is None or here == 0 or value is None:
        return None
    above = bands[here - 1]
    return {"name": above["name"], "needs": above["min"] - value}


def _decisions(values: dict, plan) -> list[dict]:
    """Each decision table's result and the rules that matched (numbered from 1), with their descriptions."""
    out = []
    for decision in plan.ruleset.decisions:
        matched = [int(n) for n in (values.get(RULES + decision.name) or "").split(",") if n]
        out.append({
            "name": decision.name,
            "hit_policy": decision.hit_policy if decision.aggregation is None else f"{decision.hit_policy} {decision.aggregation}",
            "result": values.get(decision.name),
            "rules": matched,
            "descriptions": [decision.rules[n - 1].description for n in matched if decision.rules[n - 1].description],
        })
    return out


def _gaps(values: dict, plan, reader: _Reader) -> list[dict]:
    stage = next((s for s in plan.ruleset.stages if s.name == values.get("stage")), None)
    out = []
    for name in values.get("gaps") or []:
        condition = stage.entry.get(name) if stage else None
        entry = {"name": name, "stage": values.get("stage")}
        if condition is not None:
            entry["condition"] = flat(condition.text)
            entry["inputs"] = reader.inputs(condition)
        out.append(entry)
    return out


def ruleset_label(provenance: dict) -> str:
    """``standard 2026.11 (3254f524097f)``: name, version when there is one, and hash."""
    version = provenance.get("ruleset_version")
    return f"{provenance['ruleset']}{' ' + version if version else ''} ({provenance['ruleset_hash']})"


def _inputs_text(inputs: dict) -> str:
    return ", ".join(f"{k} = {display(v)}" for k, v in inputs.items())


def render_text(receipt: dict) -> str:
    """A receipt as readable text."""
    lines = []
    head = f"{receipt['id']}: score {display(receipt['score'])}, band {receipt['band'] or UNKNOWN}"
    stage = f", stage {receipt['stage']}" if receipt["stage"] is not None else ""
    head += f" (tier {receipt['tier']}{stage})"
    lines.append(head)
    lines.append(f"ruleset {ruleset_label(receipt)}, as of {receipt['as_of']}")
    lines.append("")
    lines.append(f"Contributions to {receipt['score_name']}")
    lines.extend(_contribution_lines(receipt["contributions"]))
    width = max([len(signed(c["points"])) for c in receipt["contributions"]] + [len(display(receipt["score"]))])
    lines.append("  " + "-" * (width + 1))
    lines.append(f"  {display(receipt['score']).rjust(width)}  = {receipt['score_name']}")
    for name, other in receipt.get("scores", {}).items():
        if name == receipt["score_name"]:
            continue
        lines.append("")
        lines.append(f"Contributions to {name} (score {display(other['score'])}, band {other['band'] or UNKNOWN})")
        lines.extend(_contribution_lines(other["contributions"]))
    if receipt["bands"]:
        lines.append("")
        shown = []
        for b in receipt["bands"]:
            text = f"{b['name']} from {_number_text(b['min'])}" if b["min"] is not None else f"{b['name']} below"
            if b["min"] is None and len(receipt["bands"]) > 1:
                text = b["name"] + " otherwise"
            if b["this"]:
                text += f" <- {display(receipt['score'])}"
                nxt = _next_band(receipt["bands"], receipt["score"])
                if nxt:
                    text += f" ({_number_text(nxt['needs'])} more for {nxt['name']})"
            shown.append(text)
        lines.append("Bands: " + " | ".join(shown))
    if receipt["not_fired"]:
        lines.append("")
        lines.append("Not fired")
        for nf in receipt["not_fired"]:
            state = "unknown" if nf["value"] is None else "false"
            points = nf.get("points_if_fired")
            would = "" if points is None else f" (would add {points if isinstance(points, str) else signed(points)})"
            lines.append(f"  {nf['name']}{would}: {nf['false_part']} is {state}")
            if nf["inputs"]:
                lines.append(f"      read {_inputs_text(nf['inputs'])}")
    if receipt.get("decisions"):
        lines.append("")
        lines.append("Decisions")
        for d in receipt["decisions"]:
            rules = ", ".join(map(str, d["rules"])) or "none"
            lines.append(f"  {d['name']} = {json.dumps(d['result'], default=str)}  ({d['hit_policy']}; rules matched: {rules})")
            for text in d["descriptions"]:
                lines.append(f"      {text}")
    if receipt["gaps"]:
        lines.append("")
        lines.append(f"Gaps (what stage {receipt['stage']} lacks)")
        for gap in receipt["gaps"]:
            lines.append(f"  {gap['name']}: {gap['condition']}" if gap.get("condition") else f"  {gap['name']}")
            if gap.get("inputs"):
                lines.append(f"      read {_inputs_text(gap['inputs'])}")
    lines.append("")
    if receipt["actions"]:
        lines.append("Actions")
        for action in receipt["actions"]:
            due = f" (due {action['due']})" if action["due"] else ""
            lines.append(f"  {action['text']}{due}")
    else:
        lines.append("Actions: none")
    return "\n".join(lines) + "\n"


def _contribution_lines(contributions: list[dict]) -> list[str]:
    if not contributions:
        return ["  (no parts)"]
    width = max(len(signed(c["points"])) for c in contributions)
    labels = [_label(c) for c in contributions]
    label_width = min(max(len(x) for x in labels), 34)
    lines = []
    for c, label in zip(contributions, labels):
        lines.append(f"  {signed(c['points']).rjust(width)}  {label.ljust(label_width)}  {c['reason']}")
        if c["inputs"] and c["kind"] != "clamp":
            lines.append(f"  {' ' * width}  {' ' * label_width}  read {_inputs_text(c['inputs'])}")
    return lines


def _label(c: dict) -> str:
    if c["kind"] == "factor":
        return c["name"]
    if c["kind"] == "decay":
        return f"{c['name']} decay"
    if c["kind"] == "clamp":
        return f"clamp to {c['name']}"
    if c["kind"] == "classification":
        return f"{c['classification']} {c['name']}"
    return f"{c['kind']} {c['name']}"


def to_json(receipt: dict) -> str:
    """A receipt as JSON text (ISO dates)."""
    from ..io.outputs import json_value

    return json.dumps(json_value(receipt), indent=2, ensure_ascii=False) + "\n"


__all__ = ["condition_parts", "explain", "explain_row", "find_record", "referenced_names", "render_text", "to_json"]
