"""Lead assignment: open records without an owner (or every open record, with ``reassign``) go
to reps in rank order, each to an eligible rep with room left, never beyond a capacity.

A rep is eligible for a record when its territory matches (``assignment.territory``; a rep
without a territory covers every one) and every rule of ``assignment.rules`` that applies to
the rep (by name, by team, or to every rep) holds for the record. Among the eligible reps with
room, the least loaded one relative to its capacity wins (ties: the lower load, then the order
of the reps file), or, with ``round_robin``, the next one after the last rep given a record.
Everything is decided in a fixed order, so the same inputs always give the same assignment.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..errors import InputError, Loc, UsageError

REP_COLUMNS = ["rep", "team", "territory", "capacity", "load_before", "assigned", "load_after"]
RECORD_COLUMNS = ["owner", "new_owner", "changed", "rank", "reason"]
STRATEGIES = ("least_loaded", "round_robin")
CAPACITIES = ("deals", "workload")


@dataclass
class Rep:
    """One rep of the reps file."""

    name: str
    team: str | None
    territory: str | None
    capacity: float
    load: float = 0.0  # while assigning
    before: float = 0.0
    assigned: int = 0


@dataclass
class AssignmentResult:
    """What :func:`assign` decided: ``records`` (every record: the key, ``owner``, ``new_owner``,
    ``changed``, ``rank`` and ``reason``, in input order), ``reps`` (:data:`REP_COLUMNS`) and
    ``unassigned`` (the key, rank and reason of the open records left without an owner)."""

    records: pl.DataFrame
    reps: pl.DataFrame
    unassigned: pl.DataFrame
    settings: dict
    provenance: dict

    def to_dict(self) -> dict:
        """The JSON document: ``{"provenance", "settings", "reps", "unassigned", "records"}``."""
        return {"provenance": self.provenance, "settings": self.settings, "reps": self.reps.to_dicts(),
                "unassigned": self.unassigned.to_dicts(), "records": self.records.to_dicts()}


def read_reps(path: str, encoding: str | None = None) -> list[Rep]:
    """The reps of a file (any input format): a column ``rep`` (or ``name`` or ``owner``), a
    column ``capacity``, and optionally ``team`` and ``territory``."""
    from ..io.inputs import ReadOptions, read_table

    frame = read_table(str(path), ReadOptions(encoding=encoding or "utf-8")).collect()
    columns = {c.lower().strip(): c for c in frame.columns}
    name = next((columns[c] for c in ("rep", "name", "owner") if c in columns), None)
    if name is None or "capacity" not in columns:
        raise InputError(f"a reps file needs the columns 'rep' and 'capacity'; it has {', '.join(map(repr, frame.columns))}", Loc(str(path)))
    text = {k: frame[columns[k]].cast(pl.String).to_list() if k in columns else [None] * frame.height
            for k in ("team", "territory", "capacity")}
    reps, seen = [], set()
    for row, rep in enumerate(frame[name].cast(pl.String).to_list(), start=2):
        rep = (rep or "").strip()
        if not rep:
            raise InputError(f"row {row}, column {name!r}: a rep needs a name", Loc(str(path)))
        if rep in seen:
            raise InputError(f"row {row}: rep {rep!r} is listed twice", Loc(str(path)))
        seen.add(rep)
        raw = text["capacity"][row - 2]
        try:
            capacity = float(str(raw).replace(",", "").strip())
        except ValueError:
            raise InputError(f"row {row}, column 'capacity': cannot read {raw!r} as a number", Loc(str(path))) from None
        if not capacity >= 0 or capacity == float("inf"):
            raise InputError(f"row {row}, column 'capacity': a capacity is a number of 0 or more, not {raw!r}", Loc(str(path)))
        team, territory = (text[k][row - 2] for k in ("team", "territory"))
        reps.append(Rep(rep, (team or "").strip() or None, (territory or "").strip() or None, capacity))
    return reps


def assign(ruleset, data, reps, *, as_of=None, reassign: bool = False, strategy: str | None = None,
           capacity: str | None = None, **options) -> AssignmentResult:
    """Assign the open records of ``data`` to ``reps`` (a reps file or a list of :class:`Rep`).

    ``strategy`` and ``capacity`` override the ruleset's ``assignment:`` section; other options
    as for ``evaluate``.
    """
    from ..compiler.plan import compile_ruleset
    from ..compiler.sections.assignment import RULE_COLUMN
    from ..compiler.sections.reports import WORKLOAD
    from ..model.columns import CLOSED, ROW
    from ..runners.common import rank_values
    from ..runners.local import evaluate_full

    plan = compile_ruleset(ruleset, as_of)
    spec = plan.ruleset.assignment
    strategy = strategy or spec.strategy
    measure = capacity or spec.capacity
    if strategy not in STRATEGIES:
        raise UsageError(f"unknown assignment strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
    if measure not in CAPACITIES:
        raise UsageError(f"unknown capacity measure {measure!r}; known: {', '.join(CAPACITIES)}")
    if "owner" not in plan.fields:
        raise UsageError("assign needs an owner field: declare one named owner")
    roster = read_reps(reps, options.get("encoding")) if isinstance(reps, str) else [Rep(**vars(r)) for r in reps]
    if not roster:
        raise UsageError("the reps file lists no rep")
    key = plan.key if plan.key != "row" else ROW
    rules = [RULE_COLUMN.format(i) for i in range(len(spec.rules))]
    wanted = [key, "owner", "score", CLOSED, WORKLOAD, *rules] + ([spec.territory] if spec.territory else [])
    columns = tuple(dict.fromkeys(c for c in wanted if c))
    results = evaluate_full(ruleset, data, as_of=plan.as_of, internal=True, columns=columns, **options).results
    results = results.with_columns(rank_values(results, key).alias("__rank"))
    owners = results["owner"].cast(pl.String).to_list()
    open_ = (~results[CLOSED]).to_list()
    loads = results[WORKLOAD].fill_null(0.0).to_list()
    by_name = {r.name: r for r in roster}
    for owner, is_open, load in zip(owners, open_, loads):
        rep = by_name.get((owner or "").strip())
        if rep is not None and is_open:
            rep.before += 1 if measure == "deals" else load
            if not reassign:
                rep.load = rep.before
    territories = results[spec.territory].cast(pl.String).to_list() if spec.territory else [None] * results.height
    rule_values = [results[c].to_list() for c in rules]
    applies = [[_applies(rule, rep) for rule in spec.rules] for rep in roster]
    new_owners, reasons = list(owners), ["closed" if not o else "already owned" for o in open_]
    ranks = results["__rank"].to_list()
    order = sorted((r, i) for i, r in enumerate(ranks) if r is not None)
    last = -1
    for rank, i in order:
        if not reassign and (owners[i] or "").strip():
            continue
        cost = 1.0 if measure == "deals" else max(loads[i], 0.0)
        eligible = [j for j, rep in enumerate(roster) if _eligible(rep, territories[i], applies[j], rule_values, i)]
        if not eligible:
            new_owners[i], reasons[i] = None, _no_rep(spec.territory, territories[i], roster)
            continue
        room = [j for j in eligible if roster[j].load + cost <= roster[j].capacity]
        if not room:
            full = ", ".join(f"{roster[j].name} {_n(roster[j].load)}/{_n(roster[j].capacity)}" for j in eligible[:5])
            more = f" and {len(eligible) - 5} more" if len(eligible) > 5 else ""
            new_owners[i], reasons[i] = None, f"unassigned: every eligible rep is at capacity ({full}{more})"
            continue
        if strategy == "round_robin":
            chosen = next((j for j in room if j > last), room[0])
            why = "next in turn"
        else:
            chosen = min(room, key=lambda j: (roster[j].load / roster[j].capacity if roster[j].capacity else 0, roster[j].load, j))
            why = "least loaded"
        rep = roster[chosen]
        reasons[i] = (f"rank {rank}: {why} of {len(eligible)} eligible rep{'s' if len(eligible) != 1 else ''}"
                      f"{_where(spec.territory, territories[i])}; {rep.name} had {_n(rep.load)} of {_n(rep.capacity)}")
        rep.load += cost
        rep.assigned += 1
        new_owners[i] = rep.name
        last = chosen
    return _result(results, key, owners, new_owners, reasons, roster, plan, strategy, measure, reassign)


def _applies(rule, rep: Rep) -> bool:
    if rule.rep is not None:
        return rule.rep == rep.name
    if rule.team is not None:
        return rule.team == rep.team
    return True


def _eligible(rep: Rep, territory: str | None, applies: list[bool], rule_values: list[list], i: int) -> bool:
    if rep.territory is not None and territory is not None and rep.territory != territory:
        return False
    if rep.territory is not None and territory is None:
        return False
    return all(values[i] for values, on in zip(rule_values, applies) if on)


def _no_rep(field: str | None, territory: str | None, roster: list[Rep]) -> str:
    if field and territory is None:
        covering = [r for r in roster if r.territory is None]
        if not covering:
            return f"unassigned: the record has no {field} and every rep has one"
    if field and territory is not None and not any(r.territory in (None, territory) for r in roster):
        return f"unassigned: no rep covers {field} {territory}"
    return "unassigned: the assignment rules exclude every rep" + _where(field, territory)


def _where(field: str | None, territory: str | None) -> str:
    return f" in {field} {territory}" if field and territory is not None else ""


def _n(value: float) -> str:
    return f"{value:g}"


def _result(results, key, owners, new_owners, reasons, roster, plan, strategy, measure, reassign) -> AssignmentResult:
    from ..model.columns import ROW

    changed = [a != b for a, b in zip(owners, new_owners)]
    records = pl.DataFrame({
        "owner": pl.Series(owners, dtype=pl.String), "new_owner": pl.Series(new_owners, dtype=pl.String),
        "changed": changed, "rank": results["__rank"].cast(pl.Int64), "reason": reasons,
    })
    name = "row" if key == ROW else key
    records = pl.concat([results.select(pl.col(key).alias(name)), records], how="horizontal")
    reps = pl.DataFrame({
        "rep": [r.name for r in roster], "team": [r.team for r in roster], "territory": [r.territory for r in roster],
        "capacity": [r.capacity for r in roster], "load_before": [r.before for r in roster],
        "assigned": [r.assigned for r in roster], "load_after": [r.load for r in roster],
    }, schema={"rep": pl.String, "team": pl.String, "territory": pl.String, "capacity": pl.Float64,
               "load_before": pl.Float64, "assigned": pl.Int64, "load_after": pl.Float64})
    unassigned = records.filter(pl.col("rank").is_not_null() & pl.col("new_owner").is_null()).sort("rank").select(name, "rank", "reason")
    settings = {"strategy": strategy, "capacity": measure, "reassign": reassign, "territory": plan.ruleset.assignment.territory}
    return AssignmentResult(records, reps, unassigned, settings, plan.provenance)
