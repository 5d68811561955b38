"""The lint checks: what they warn about, and where."""

from __future__ import annotations

import ast
import string
from dataclasses import dataclass

from ...compiler.sections import expressions as section_expressions
from ...errors import ExpressionError, Loc
from ...language.syntax import Parsed, parse
from ...model.sections import Expr
from .analyzer import _Analyzer
from .decisions import check_decision

CODES = (
    "unreachable-level",
    "unreachable-band",
    "overlapping-bands",
    "never-holds",
    "unused-field",
    "no-probability",
    "no-catch-all",
    "overlapping-rules",
    "rule-gap",
)


@dataclass(frozen=True)
class LintWarning:
    """One lint warning: its ``code`` (see :data:`CODES`), a message and where it is."""

    code: str
    message: str
    loc: Loc | None = None

    def __str__(self) -> str:
        where = f"{self.loc}: " if self.loc is not None else ""
        return f"{where}warning: {self.message} ({self.code})"

    def to_dict(self) -> dict:
        """The warning as JSON data: file, line, col, code and message."""
        return {
            "file": self.loc.file if self.loc else None,
            "line": self.loc.line if self.loc else None,
            "col": self.loc.col if self.loc else None,
            "code": self.code,
            "message": self.message,
        }


Warning = LintWarning  # noqa: A001 - the public name of the API: lint(ruleset) -> list[Warning]


def _parse(source: Expr | None) -> Parsed | None:
    """The parsed expression, None when there is none or it does not parse."""
    if source is None:
        return None
    try:
        return parse(source, limits=False)
    except ExpressionError:
        return None


def _num(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}".replace(",", "_") if isinstance(value, int) and abs(value) >= 10_000 else str(value)


def _names(names) -> str:
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _types(ruleset) -> dict:
    """The type of every name the rules can use: fields, signals, stage, classifications, scores."""
    from ...compiler.fields import effective_fields, field_type
    from ...compiler.plan import compile_ruleset
    from ...model.types import Type

    try:
        scope = compile_ruleset(ruleset).scopes.get("actions")
        if scope is not None:
            return {name: t for name, (t, _) in scope.names.items()}
    except Exception:  # noqa: BLE001 - an unchecked ruleset: fall back to what it declares
        pass
    types = {name: field_type(spec) for name, spec in effective_fields(ruleset).items()}
    for c in ruleset.classifications:
        types[c.name] = Type("enum", tuple(lv.name for lv in c.levels))
    return types


def _functions() -> dict:
    try:
        from ...plugins import get_registry

        return get_registry().functions
    except Exception:  # noqa: BLE001 - without plugins, calls are simply not analysed
        return {}


class _Linter:
    def __init__(self, ruleset):
        self.ruleset = ruleset
        self.analyzer = _Analyzer(_types(ruleset), _functions())
        self.warnings: list[LintWarning] = []

    def warn(self, code: str, message: str, loc: Loc | None) -> None:
        self.warnings.append(LintWarning(code, message, loc))

    def run(self) -> list[LintWarning]:
        for source in section_expressions(self.ruleset):
            parsed = _parse(source)
            if parsed is not None:
                self.never_holds(parsed, parsed.tree.body)
        for classification in self.ruleset.classifications:
            self.levels(classification)
        reach = score_reach(self.ruleset)
        for score in self.ruleset.scores.values():
            self.bands(score, reach.get(score.name))
        self.stages()
        self.unused_fields()
        self.decisions()
        return sorted(self.warnings, key=lambda w: (
            w.loc.file if w.loc else "", (w.loc.line or 0) if w.loc else 0, (w.loc.col or 0) if w.loc else 0, w.code))

    # -- decision tables

    def decisions(self) -> None:
        types = {name: (spec.type, tuple(spec.values) if spec.values else None) for name, spec in self.ruleset.fields.items()}
        for decision in self.ruleset.decisions:
            for code, message, loc in check_decision(decision, types):
                self.warn(code, message, loc)
            if len(decision.outputs) == 1 and decision.single_hit:
                out = decision.outputs[0]
                types[decision.alias] = (out.type, out.values)

    # -- conditions that can never hold

    def never_holds(self, parsed: Parsed, node) -> None:
        if isinstance(node, (ast.BoolOp, ast.Compare, ast.UnaryOp)):
            subject = self.impossible(node)
            if subject is not None:
                self.warn("never-holds",
                          f"condition \"{parsed.text(node)}\" can never hold: no value of {subject} satisfies it",
                          parsed.loc(node))
                return
        for child in ast.iter_child_nodes(node):
            self.never_holds(parsed, child)

    def impossible(self, node) -> str | None:
        """The subject for which ``node`` is never true, else None."""
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
            for subject, values in self.analyzer.conjuncts(node).items():
                if values.empty():
                    return subject
            return None
        p = self.analyzer.pred(node)
        if p is not None and p.subject is not None and p.true.empty():
            return p.subject
        return None

    # -- classifications

    def levels(self, classification) -> None:
        cname = classification.name
        covered: dict = {}  # subject -> (values, [(level name, its values)])
        catch_all = None
        levels = classification.levels
        for level in levels:
            label = f"{cname} level {level.name!r}"
            parsed = _parse(level.when)
            loc = parsed.loc(parsed.tree.body) if parsed is not None else level.loc
            if catch_all is not None:
                self.warn("unreachable-level",
                          f"{label} can never be reached: {catch_all} before it takes every record", loc)
                continue
            full = next((names for values, names in covered.values() if values.is_full()), None)
            if full is not None:
                self.warn("unreachable-level",
                          f"{label} can never be reached: {_names([n for n, _ in full])} before it match every record", loc)
                continue
            if level.when is None:
                catch_all = f"the catch-all level {level.name!r}"
                continue
            if parsed is None:
                continue
            p = self.analyzer.pred(parsed.tree.body)
            if p is not None and p.subject is None:
                if p.const is True:
                    catch_all = f"level {level.name!r}, whose condition always holds,"
                continue
            shadowed = False
            for subject, values in self.analyzer.conjuncts(parsed.tree.body).items():
                if subject in covered and not values.empty() and values.within(covered[subject][0]):
                    by = [n for n, v in covered[subject][1] if not v.intersect(values).empty()]
                    self.warn("unreachable-level",
                              f"{label} can never be reached: {_names(by)} before it already "
                              f"{'takes' if len(by) == 1 else 'take'} every value of {subject} it accepts", loc)
                    shadowed = True
                    break
            if p is not None and not shadowed:
                values, names = covered.get(p.subject, (None, []))
                covered[p.subject] = (p.true if values is None else values.union(p.true), names + [(level.name, p.true)])
        if levels and catch_all is None and levels[-1].when is not None:
            if any(values.is_full() for values, _ in covered.values()):
                return
            what = "tiers have" if cname == "tier" else f"classification {cname!r} has"
            self.warn("no-catch-all",
                      f"{what} no catch-all level: a record that matches none of them is {cname} 'unknown'; "
                      "add a last level without 'when'", levels[-1].loc)

    # -- bands

    def bands(self, score, most: float | None = None) -> None:
        """Bands that can never be reached; ``most`` is the highest score the ruleset's points
        can add up to (None when some points are not constant)."""
        earlier = []
        catch_all = floor = None
        for band in score.bands:
            label = f"band {band.name!r} of score {score.name!r}"
            if catch_all is not None:
                self.warn("unreachable-band", f"{label} can never be reached: the catch-all band {catch_all!r} "
                          "before it takes every score", band.loc)
                continue
            if floor is not None:
                self.warn("unreachable-band", f"{label} can never be reached: every score is at least "
                          f"{_num(score.min)} (the score's min), so band {floor!r} before it takes them all", band.loc)
                continue
            if band.min is None:
                catch_all = band.name
                continue
            same = next((b for b in earlier if b.min == band.min), None)
            lower = next((b for b in earlier if b.min < band.min), None)
            if same is not None:
                self.warn("overlapping-bands", f"{label} has the same min ({_num(band.min)}) as band {same.name!r} "
                          "before it, so it can never be reached", band.loc)
            elif lower is not None:
                self.warn("unreachable-band", f"{label} can never be reached: band {lower.name!r} before it starts "
                          f"lower, at {_num(lower.min)}; list bands from the highest min down", band.loc)
            elif score.max is not None and band.min > score.max:
                self.warn("unreachable-band", f"{label} can never be reached: its min {_num(band.min)} is above "
                          f"the score's max {_num(score.max)}", band.loc)
            elif most is not None and band.min > most:
                self.warn("unreachable-band", f"{label} can never be reached: its min {_num(band.min)} is above "
                          f"{_num(most)}, the most the points of the tiers, stages and factors add up to", band.loc)
            earlier.append(band)
            if score.min is not None and band.min <= score.min:
                floor = band.name
        if earlier and catch_all is None and floor is None:
            lowest = min(b.min for b in earlier)
            self.warn("no-catch-all", f"score {score.name!r} has no catch-all band: a score below {_num(lowest)} "
                      "gets no band; add a last band without min", score.bands[-1].loc)

    # -- stages and fields

    def stages(self) -> None:
        open_stages = [s for s in self.ruleset.stages if s.closed is None]
        missing = [s for s in open_stages if s.probability is None]
        if len(missing) > 1 and len(missing) == len(open_stages):
            # One warning, not one per stage, for a ruleset that uses no probabilities at all.
            self.warn("no-probability", f"no open stage has a probability ({', '.join(s.name for s in missing)}): "
                      "deals have no stage_probability and the weighted pipeline is empty", missing[0].loc)
            return
        for stage in missing:
            self.warn("no-probability", f"open stage {stage.name!r} has no probability: its deals have no "
                      "stage_probability and add nothing to the weighted pipeline", stage.loc)

    def unused_fields(self) -> None:
        rs = self.ruleset
        used: set = set()
        for source in section_expressions(self.ruleset):
            parsed = _parse(source)
            if parsed is not None:
                used |= {n.id for n in ast.walk(parsed.tree) if isinstance(n, ast.Name)}
        texts = [f.reason for f in rs.factors] + [a.text for a in rs.actions]
        texts += [lv.reason for c in rs.classifications for lv in c.levels]
        for text in texts:
            if not text:
                continue
            try:
                used |= {name for _, name, _, _ in string.Formatter().parse(text) if name}
            except ValueError:
                continue
        try:
            from ...plugins import get_registry

            for qualifier, signal in get_registry().signals.every():
                if {signal.name, f"{qualifier}:{signal.name}"} & used and signal.name not in rs.fields:
                    used |= set(signal.inputs)
        except Exception:  # noqa: BLE001
            pass
        # Fields the engine itself reads: lookup keys, currency codes and the stage entry date.
        used |= {lookup.on for lookup in getattr(rs, "lookups", None) or ()}
        used |= {spec.currency_field for spec in rs.fields.values() if getattr(spec, "currency_field", None)}
        used |= {getattr(rs, "stage_entered", None) or "stage_entered"}
        # Fields the report and the assignment are told to read.
        reports, assignment = getattr(rs, "reports", None), getattr(rs, "assignment", None)
        if reports is not None:
            used |= {reports.by, reports.value, reports.close_date, reports.lost_at_stage, reports.accounts.by,
                     reports.accounts.customer, reports.territories.by}
        if assignment is not None:
            used.add(assignment.territory)
        for name, spec in rs.fields.items():
            if spec.key or name == "stage" or name in used:
                continue
            self.warn("unused-field", f"field {name!r} is declared but no rule uses it "
                      "(no condition, points, reason or action text)", spec.loc)


def _constant(points: Expr | None) -> float | None:
    """The value of constant points (0 when there are none), None when they are an expression."""
    if points is None:
        return 0.0
    parsed = _parse(points)
    if parsed is None:
        return None
    node = parsed.tree.body
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign, node = (-1 if isinstance(node.op, ast.USub) else 1), node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return sign * float(node.value)
    return None


def score_reach(ruleset) -> dict[str, float | None]:
    """The highest value each score can reach from constant points: each classification and the
    stages give one of their levels' points (or 0), each factor its points or 0, then the
    score's max clamps. None for a score some of whose points are not constant, or that no
    item gives points to (a skeleton, not a ruleset to check)."""
    first = next(iter(ruleset.scores), None)
    most: dict[str, float | None] = {name: 0.0 for name in ruleset.scores}
    scored: set[str] = set()

    def add(groups: dict[str, list[float | None]]) -> None:
        for name, values in groups.items():
            if name not in most or most[name] is None:
                continue
            if any(v != 0 for v in values):
                scored.add(name)
            most[name] = None if None in values else most[name] + max([0.0, *values])

    def one_of(items) -> None:
        groups: dict[str, list[float | None]] = {}
        for item in items:
            groups.setdefault(item.score or first, []).append(_constant(item.points))
        add(groups)

    for classification in ruleset.classifications:
        one_of(classification.levels)
    one_of(ruleset.stages)
    for factor in ruleset.factors:
        value = _constant(factor.points)
        if factor.decay is not None and factor.decay.steps:
            value = None if value is None else max([value, *(p for _, p in factor.decay.steps)])
        add({factor.score or first: [value]})
    for name, score in ruleset.scores.items():
        if name not in scored:
            most[name] = None
        elif most.get(name) is not None and score.max is not None:
            most[name] = min(most[name], score.max)
    return most


def lint(ruleset) -> list[LintWarning]:
    """The lint warnings of a loaded ruleset, sorted by file, line and column."""
    return _Linter(ruleset).run()
