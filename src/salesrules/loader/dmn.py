"""DMN 1.3–1.5 XML models read as ruleset data: their input data, item definitions and
decision tables become ``fields`` and ``decisions``, exactly as a YAML ruleset writes them.

The data carries the place of every element it comes from, so a bad model is reported at
its decision, rule or entry. Input data and decisions keep their names, spaces and slashes
too; expressions see them under identifiers (``Approval Status`` is ``Approval_Status``),
and records may name them either way. A structure's components become one field each
(``Applicant.age`` is the field ``Applicant_age``).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import Loc, RulesetError
from ..language.unary import Literal, UnaryTestError, parse_literal, parse_tests
from ..model.columns import RESERVED
from ..model.decisions import identifier
from .located import YDict, YList, YStr
from .xmlsource import Element, read_xml

FEEL_TYPES = {"string": "string", "number": "number", "boolean": "boolean", "date": "date",
              # the Java types engines such as Camunda's write
              "integer": "integer", "long": "integer", "double": "number"}
UNSUPPORTED_TYPES = {"date and time", "dateTime", "time", "years and months duration", "days and time duration",
                     "duration", "context", "Any", "function"}


def read_dmn(path: str | Path) -> YDict:
    """The ruleset data of a DMN model file (see the module's documentation)."""
    root = read_xml(path)
    return DmnModel(root, Path(path)).ruleset()


def _ystr(text: str, loc: Loc) -> YStr:
    value = YStr(text)
    value.loc, value.style, value.exact = loc, None, False
    return value


def _ydict(items: dict, loc: Loc, locs: dict | None = None) -> YDict:
    value = YDict(items)
    value.loc = loc
    value.key_locs = {k: (locs or {}).get(k, loc) for k in items}
    value.value_locs = {k: getattr(v, "loc", None) or (locs or {}).get(k, loc) for k, v in items.items()}
    return value


def _ylist(items: list, loc: Loc) -> YList:
    value = YList(items)
    value.loc = loc
    value.item_locs = [getattr(v, "loc", None) or loc for v in items]
    return value


class DmnModel:
    """One DMN ``definitions`` element turned into ruleset data."""

    def __init__(self, root: Element, path: Path):
        if root.tag != "definitions":
            raise RulesetError(f"not a DMN model: the root element is <{root.tag}>, not <definitions>", root.loc)
        namespace = root.namespaces.get("", "")
        # Some tools bind the DMN namespace to a prefix and leave the elements in their own.
        if not any("/DMN/" in uri.upper() or uri.upper().endswith("DMN.XSD") for uri in root.namespaces.values()):
            raise RulesetError(f"not a DMN model: the namespace {namespace!r} is no DMN namespace", root.loc)
        self.root = root
        self.path = path
        self.items = {e.attrs.get("name"): e for e in root.findall("itemDefinition")}
        self.by_id = {e.attrs["id"]: e for e in root.children if "id" in e.attrs}
        self.names: dict[str, str] = {}  # a DMN name (or path) -> the identifier expressions use
        self.decisions: set[str] = set()

    def ruleset(self) -> YDict:
        """The ruleset data: header, fields, decisions."""
        ordered = self._ordered_decisions()
        fields = self._fields()
        fields.update(self._undeclared_inputs(ordered))
        decisions = [self._decision(d) for d in ordered]
        name = self.root.attrs.get("name") or self.path.stem
        data = {
            "salesrules": 1,
            "name": _ystr(name, self.root.loc),
            "description": _ystr(f"DMN model {self.path.name}", self.root.loc),
            "fields": _ydict(fields, self.root.loc),
            "decisions": _ylist(decisions, self.root.loc),
        }
        return _ydict(data, self.root.loc)

    # -- types --------------------------------------------------------------------------

    def _type(self, type_ref: str | None, element: Element, seen=()) -> tuple[str | None, tuple | None, Element | None]:
        """A typeRef as (field type, allowed values, structure element): item definitions
        followed to their base type; None for no type."""
        if not type_ref:
            return None, None, None
        ref = type_ref.split(":", 1)[1] if type_ref.startswith(("feel:", "FEEL:")) else type_ref
        if ref in FEEL_TYPES:
            return FEEL_TYPES[ref], None, None
        item = self.items.get(ref)
        if item is None or ref in seen:
            if ref in UNSUPPORTED_TYPES:
                raise RulesetError(f"type {ref!r} is not supported (only string, number, boolean and date)", element.loc)
            raise RulesetError(f"unknown type {ref!r}", element.loc)
        if item.findall("itemComponent"):
            return "structure", None, item
        base, values, struct = self._type(item.child_text("typeRef"), item, seen + (ref,))
        allowed = self._allowed(item) or values
        return base, allowed, struct

    def _allowed(self, element: Element) -> tuple | None:
        """The literal values of an ``allowedValues`` (or ``inputValues``/``outputValues``) list."""
        for tag in ("allowedValues", "inputValues", "outputValues"):
            child = element.find(tag)
            if child is not None:
                return self._literals(child.child_text("text") or "", child)
        return None

    def _literals(self, text: str, element: Element) -> tuple | None:
        try:
            tests = parse_tests(text)
        except UnaryTestError:
            return None  # a range or an expression: no list of values to order by
        values = []
        for test in tests.positives:
            value = getattr(test, "value", None)
            if tests.negated or getattr(test, "op", None) != "=" or not isinstance(value, Literal):
                return None
            values.append(value.value)
        return tuple(values) or None

    # -- fields -------------------------------------------------------------------------

    def _field_name(self, name: str) -> str:
        ident = identifier(name)
        if ident.lower() in RESERVED:
            ident = f"{ident}_input"
        return ident

    def _fields(self) -> dict:
        fields = {}
        for data in self.root.findall("inputData"):
            name = data.attrs.get("name")
            if not name:
                raise RulesetError("inputData without a name", data.loc)
            variable = data.find("variable")
            type_ref = variable.attrs.get("typeRef") if variable is not None else data.attrs.get("typeRef")
            ftype, values, struct = self._type(type_ref, variable or data)
            if struct is not None:
                for comp in struct.findall("itemComponent"):
                    cname = comp.attrs.get("name", "")
                    ctype, cvalues, cstruct = self._type(comp.child_text("typeRef"), comp)
                    if cstruct is not None:
                        raise RulesetError(f"input {name!r}: nested structures are not supported", comp.loc)
                    cvalues = self._allowed(comp) or cvalues
                    fields.update(self._field(f"{name}.{cname}", ctype, cvalues, comp))
                continue
            if (variable is not None and self.items.get(type_ref or "") is not None
                    and self.items[type_ref].attrs.get("isCollection") == "true"):
                raise RulesetError(f"input {name!r}: a collection is not supported as an input", data.loc)
            fields.update(self._field(name, ftype or self._used_type(name) or "string", values, data))
        return fields

    def _field(self, name: str, ftype: str, values, element: Element) -> dict:
        ident = self._field_name(name)
        self.names[name] = ident
        spec: dict = {"type": _ystr(ftype, element.loc)}
        if ftype == "string" and values and all(isinstance(v, str) for v in values):
            spec["type"] = _ystr("enum", element.loc)
            spec["values"] = _ylist([_ystr(v, element.loc) for v in values], element.loc)
        if ident != name:
            spec["aliases"] = _ylist([_ystr(name, element.loc)], element.loc)
        return {ident: _ydict(spec, element.loc)}

    def _undeclared_inputs(self, decisions: list[Element]) -> dict:
        """Fields for the names input expressions read without an ``inputData`` for them, as
        models written for engines that take variables by name (Camunda's, say) do: typed by
        the input expression's ``typeRef``."""
        fields: dict = {}
        for decision in decisions:
            table = decision.find("decisionTable")
            for inp in table.findall("input") if table is not None else ():
                expression = inp.find("inputExpression")
                text = (expression.child_text("text") or "").strip() if expression is not None else ""
                if not text or text in self.names or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_ ]*", text):
                    continue
                ftype, values, struct = self._type(expression.attrs.get("typeRef"), expression)
                if struct is not None:
                    continue
                fields.update(self._field(text, ftype or "string", values, expression))
        return fields

    def _used_type(self, name: str) -> str | None:
        """The type an input expression naming ``name`` declares, for input data without one."""
        for table in self._iter("decisionTable", self.root):
            for inp in table.findall("input"):
                expression = inp.find("inputExpression")
                if expression is not None and (expression.child_text("text") or "") == name:
                    found, _, _ = self._type(expression.attrs.get("typeRef"), expression)
                    if found:
                        return found
        return None

    def _iter(self, tag: str, element: Element):
        for child in element.children:
            if child.tag == tag:
                yield child
            yield from self._iter(tag, child)

    # -- decisions ----------------------------------------------------------------------

    def _ordered_decisions(self) -> list[Element]:
        """The decisions, each after the decisions it requires."""
        decisions = self.root.findall("decision")
        by_ref = {"#" + d.attrs.get("id", ""): d for d in decisions}
        ordered, placed, visiting = [], set(), set()

        def visit(decision: Element):
            key = id(decision)
            if key in placed:
                return
            if key in visiting:
                raise RulesetError(f"decision {decision.attrs.get('name')!r} requires itself through other decisions", decision.loc)
            visiting.add(key)
            for requirement in decision.findall("informationRequirement"):
                required = requirement.find("requiredDecision")
                if required is not None and required.attrs.get("href", "").split("#")[-1]:
                    target = by_ref.get("#" + required.attrs["href"].split("#")[-1])
                    if target is None:
                        raise RulesetError(f"required decision {required.attrs['href']!r} is not in this model", required.loc)
                    visit(target)
            visiting.discard(key)
            placed.add(key)
            ordered.append(decision)

        for decision in decisions:
            visit(decision)
        for decision in ordered:
            name = decision.attrs.get("name")
            if not name:
                raise RulesetError("decision without a name", decision.loc)
            self.names[name] = identifier(name)
            self.decisions.add(name)
        return ordered

    def _decision(self, decision: Element) -> YDict:
        name = decision.attrs["name"]
        table = decision.find("decisionTable")
        if table is None:
            kinds = [c.tag for c in decision.children if c.tag not in ("variable", "informationRequirement",
                                                                     "knowledgeRequirement", "authorityRequirement",
                                                                     "description", "extensionElements", "question",
                                                                     "allowedAnswers")]
            raise RulesetError(
                f"decision {name!r}: only decision tables are supported, this one is a {kinds[0] if kinds else 'decision without logic'}",
                decision.loc,
            )
        policy = table.attrs.get("hitPolicy", "UNIQUE")
        item: dict = {"name": _ystr(name, decision.loc)}
        if identifier(name) != name:
            item["as"] = _ystr(identifier(name), decision.loc)
        item["hit_policy"] = _ystr(policy, table.loc)
        if table.attrs.get("aggregation"):
            item["aggregation"] = _ystr(table.attrs["aggregation"], table.loc)
        item["inputs"] = _ylist([self._input(i, name) for i in table.findall("input")], table.loc)
        outputs = self._outputs(decision, table)
        item["outputs"] = _ylist(outputs, table.loc)
        rules = [self._rule(rule, name, i) for i, rule in enumerate(table.findall("rule"))]
        item["rules"] = _ylist(rules, table.loc)
        self._infer_output_types(outputs, rules)
        return _ydict(item, decision.loc)

    def _input(self, inp: Element, decision: str) -> YDict:
        expression = inp.find("inputExpression")
        if expression is None:
            raise RulesetError(f"decision {decision!r}: an input without an inputExpression", inp.loc)
        text = (expression.child_text("text") or "").strip()
        if not text:
            raise RulesetError(f"decision {decision!r}: an input expression is empty", expression.loc)
        spec: dict = {"expression": _ystr(self._expression(text), expression.loc)}
        if inp.attrs.get("label"):
            spec["label"] = _ystr(inp.attrs["label"], inp.loc)
        values = self._allowed(inp)
        if values:
            spec["values"] = _ylist(list(values), inp.loc)
        return _ydict(spec, inp.loc)

    def _expression(self, text: str) -> str:
        """A FEEL input or output expression in the expression language: names become identifiers."""
        if text in self.names:
            return self.names[text]
        head, _, tail = text.rpartition(".")
        if head in self.decisions and tail.strip():
            return f"{self.names[head]}_{identifier(tail.strip())}"
        for name, mapped in sorted(self.names.items(), key=lambda kv: -len(kv[0])):
            if name != mapped:
                text = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", mapped, text)
        return text

    def _outputs(self, decision: Element, table: Element) -> list:
        variable = decision.find("variable")
        dtype, dvalues, struct = self._type(
            table.attrs.get("typeRef") or (variable.attrs.get("typeRef") if variable is not None else None), table
        )
        components = {c.attrs.get("name"): c for c in struct.findall("itemComponent")} if struct is not None else {}
        outputs = []
        elements = table.findall("output")
        for out in elements:
            oname = out.attrs.get("name") or (decision.attrs["name"] if len(elements) == 1 else None)
            if not oname:
                raise RulesetError(f"decision {decision.attrs['name']!r}: an output of several needs a name", out.loc)
            otype, ovalues, _ = self._type(out.attrs.get("typeRef"), out)
            if oname in components:
                ctype, cvalues, _ = self._type(components[oname].child_text("typeRef"), components[oname])
                otype, ovalues = otype or ctype, ovalues or self._allowed(components[oname]) or cvalues
            if len(elements) == 1 and dtype not in (None, "structure"):
                otype, ovalues = otype or dtype, ovalues or dvalues
            if otype == "structure":
                raise RulesetError("an output of structure type is not supported", out.loc)
            spec: dict = {"name": _ystr(oname, out.loc)}
            if otype:
                spec["type"] = _ystr(otype, out.loc)
            values = self._allowed(out) or ovalues
            if values:
                spec["values"] = _ylist(list(values), out.loc)
            default = out.find("defaultOutputEntry")
            if default is not None and (default.child_text("text") or "").strip():
                spec["default"] = _ystr(self._entry(default.child_text("text")), default.loc)
            outputs.append(_ydict(spec, out.loc))
        if not outputs:
            raise RulesetError(f"decision {decision.attrs['name']!r}: the table has no output", table.loc)
        return outputs

    def _entry(self, text: str) -> str:
        text = text.strip()
        return text if parse_literal(text) is not None else self._expression(text)

    def _rule(self, rule: Element, decision: str, i: int) -> YDict:
        tests = [_ystr((e.child_text("text") or "").strip() or "-", e.loc) for e in rule.findall("inputEntry")]
        entries = []
        for e in rule.findall("outputEntry"):
            text = (e.child_text("text") or "").strip()
            if not text:
                raise RulesetError(f"decision {decision!r} rule {i + 1}: an output entry is empty", e.loc)
            entries.append(_ystr(self._entry(text), e.loc))
        spec: dict = {"when": _ylist(tests, rule.loc), "then": _ylist(entries, rule.loc)}
        annotation = rule.find("annotationEntry") or rule.find("description")
        if annotation is not None and (annotation.child_text("text") or annotation.text).strip():
            spec["description"] = _ystr((annotation.child_text("text") or annotation.text).strip(), annotation.loc)
        return _ydict(spec, rule.loc)

    def _infer_output_types(self, outputs: list, rules: list) -> None:
        """An output without a type takes the type its literal entries share, else string."""
        for k, out in enumerate(outputs):
            if "type" in out:
                continue
            kinds = set()
            for rule in rules:
                entries = rule["then"]
                literal = parse_literal(str(entries[k])) if k < len(entries) else None
                if literal is not None and literal.type.name != "null":
                    kinds.add(literal.type.name)
            guessed = kinds.pop() if len(kinds) == 1 else "string"
            out["type"] = _ystr(guessed, out.loc)
            out.value_locs["type"] = out.loc
            out.key_locs["type"] = out.loc
