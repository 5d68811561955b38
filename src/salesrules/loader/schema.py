"""Ruleset text to data: YAML read with positions, checked against the JSON Schema, with
one located message per schema error."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from functools import lru_cache
from pathlib import Path

from ..errors import ErrorList, InputError, Loc, RulesetError, did_you_mean
from .located import YDict, YList, YStr

FORMAT_VERSION = 1
# The document around the sections' schemas (see salesrules.compiler.sections): the
# ruleset's header keys come first, its tests last.
_DOCUMENT = {'$schema': 'https://json-schema.org/draft/2020-12/schema',
 '$id': 'https://salesrules.dev/schema/ruleset-1.json',
 'title': 'salesrules ruleset',
 'description': 'A sales methodology as rules: fields, tiers, stages, factors, scores, actions and tests.',
 'type': 'object',
 'additionalProperties': False,
 'required': ['salesrules', 'name']}
_HEADER = {'salesrules': {'const': 1, 'description': 'Format version'},
 'name': {'type': 'string', 'minLength': 1},
 'version': {'type': ['string', 'number']},
 'description': {'type': 'string'},
 'extends': {'oneOf': [{'type': 'string'}, {'type': 'array', 'items': {'type': 'string'}}],
             'description': 'Rulesets merged under this one: paths relative to this file, or builtin:NAME'},
 'requires': {'type': 'array',
              'items': {'type': 'string'},
              'description': 'Plugin packages this ruleset needs, e.g. salesrules-saas>=1.0'},
 'as_of': {'type': 'string', 'format': 'date'}}
_TESTS = {'type': 'array',
 'items': {'type': 'object',
           'additionalProperties': False,
           'required': ['name'],
           'properties': {'name': {'type': 'string'},
                          'as_of': {'type': 'string', 'format': 'date'},
                          'record': {'type': 'object'},
                          'expect': {'type': 'object'},
                          'error': {'type': 'string',
                                    'description': 'Expect evaluation to fail with a message containing '
                                                   'this'}}}}


def schema() -> dict:
    """The JSON Schema (draft 2020-12) of the ruleset format: the header, every section's keys, the tests."""
    from ..compiler.sections import SECTIONS

    properties = dict(_HEADER)
    for section in SECTIONS:
        properties.update(section.schema)
    return {**_DOCUMENT, "properties": {**properties, "tests": _TESTS}}


@lru_cache(maxsize=1)
def schema_text() -> str:
    """:func:`schema` as the JSON text ``salesrules schema`` prints and the package ships."""
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    def is_string(checker, instance):
        return isinstance(instance, (str, dt.date))

    checker = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("string", is_string)
    keywords = jsonschema.Draft202012Validator.VALIDATORS
    textual = {name: _text_only(keywords[name]) for name in ("pattern", "minLength", "maxLength")}
    cls = jsonschema.validators.extend(jsonschema.Draft202012Validator, validators=textual, type_checker=checker)
    return cls(schema())


def _text_only(keyword):
    """A text keyword (a pattern, a length) that refuses a YAML date where a name or a text is
    meant: ``2024-01-01`` unquoted is a date, which only ``as_of`` takes."""
    from jsonschema.exceptions import ValidationError

    def check(validator, value, instance, schema):
        if isinstance(instance, dt.date):
            text = instance.isoformat()
            yield ValidationError(f"{text} reads as a date; quote it to use it as text: '{text}'")
            return
        yield from keyword(validator, value, instance, schema)

    return check


def read_source(path: str | Path, *, regular_only: bool = False) -> YDict:
    """Read and schema-check one ruleset file; errors carry file:line:column.

    At most one byte more than the size limit is read, so a device such as /dev/zero cannot
    fill the memory; with ``regular_only`` (a ruleset named by ``extends``) anything but a regular
    file (a device, a named pipe, a socket) is refused before it is opened.
    """
    from .yamlsource import MAX_BYTES

    path = Path(path)
    reader = ruleset_reader(path)
    if reader is not None:
        return check_data(located(_read_with(reader, path), Loc(str(path))), str(path))
    try:
        if regular_only and not stat.S_ISREG(os.stat(path).st_mode):
            raise InputError("is not a regular file (a device, a named pipe or a socket); "
                             "a ruleset must be a file", Loc(str(path)))
        with open(path, "rb") as stream:
            data = stream.read(MAX_BYTES + 1)
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise InputError("ruleset file not found", Loc(str(path))) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a ruleset file", Loc(str(path))) from None
    except UnicodeDecodeError as exc:
        if exc.start >= MAX_BYTES - 3:  # a character cut by the limit: the document is too big
            raise RulesetError(f"ruleset is larger than {MAX_BYTES:,} bytes", Loc(str(path))) from None
        before = exc.object[: exc.start]
        line, col = before.count(b"\n") + 1, exc.start - before.rfind(b"\n")
        raise RulesetError(f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x})", Loc(str(path), line, col)) from None
    except OSError as exc:
        raise InputError(f"cannot read ruleset: {exc.strerror}", Loc(str(path))) from None
    return parse_source(text, str(path))


def parse_source(text: str, source: str) -> YDict:
    """Parse ruleset text and check it against the JSON Schema."""
    from .yamlsource import load_yaml  # here: a ruleset read from the cache needs no YAML parser

    return check_data(load_yaml(text, source), source)


def check_data(data, source: str) -> YDict:
    """Ruleset data (from YAML or a ruleset-format plugin) checked against the JSON Schema."""
    if not isinstance(data, dict):
        raise RulesetError(f"a ruleset must be a mapping, this file is {describe_value(data)}", Loc(source, 1, 1))
    errors = schema_errors(data, source)
    if errors:
        raise ErrorList(errors)
    return data


def _read_with(reader, path: Path):
    """``reader.read(path)``; a plugin's failure is reported by its name, never as a traceback."""
    from ..errors import PluginError, SalesrulesError

    try:
        return reader.read(path)
    except SalesrulesError:
        raise
    except Exception as exc:
        raise PluginError(f"ruleset format {reader.name!r} of plugin {reader.plugin!r} failed: {type(exc).__name__}: {exc}",
                          Loc(str(path))) from exc


def located(value, loc: Loc):
    """Plain ruleset data (dicts, lists, strings) as located YAML values; located values stay."""
    if isinstance(value, dict) and not isinstance(value, YDict):
        out = YDict({k: located(v, loc) for k, v in value.items()})
        out.loc, out.key_locs = loc, {k: loc for k in value}
        out.value_locs = {k: getattr(v, "loc", loc) for k, v in out.items()}
        return out
    if isinstance(value, list) and not isinstance(value, YList):
        out = YList(located(v, loc) for v in value)
        out.loc, out.item_locs = loc, [getattr(v, "loc", loc) for v in out]
        return out
    if isinstance(value, str) and not isinstance(value, YStr):
        out = YStr(value)
        out.loc, out.style, out.exact = loc, None, False
        return out
    return value


def ruleset_reader(path: str | Path):
    """The ruleset-format plugin that reads files with ``path``'s suffix, or None for YAML."""
    from ..plugins import get_registry

    suffix = Path(path).suffix.lower()
    if suffix in (".yaml", ".yml", ""):
        return None
    return next((f for _, f in get_registry().ruleset_formats.every() if suffix in f.extensions), None)


def describe_value(value) -> str:
    """How a YAML value is described to users: 'a list', 'text', 'a number', 'empty'..."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, dt.date):
        return "a date"
    return f"a {type(value).__name__}"


NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$"


def schema_errors(data: YDict, source: str) -> list[RulesetError]:
    """Every JSON Schema violation of ``data``, each located in the file, sorted by position."""
    if data.get("salesrules") not in (None, FORMAT_VERSION) and isinstance(data.get("salesrules"), int):
        return [RulesetError(
            f"unsupported format version salesrules: {data['salesrules']} (this salesrules reads version {FORMAT_VERSION})",
            data.loc_of("salesrules"),
        )]
    found = []
    for error in _validator().iter_errors(data):
        for leaf in _leaf_errors(error):
            found.extend(_located_schema_errors(leaf, data, source))
    found.sort(key=lambda e: (e.loc.line or 0, e.loc.col or 0))
    # A date where a name is meant breaks its pattern and its length alike: say it once.
    return list({(e.loc.line, e.loc.col, str(e)): e for e in found}.values())


def _leaf_errors(error):
    """The errors worth reporting for one schema error.

    A ``oneOf`` (e.g. a field written as a type name or as a mapping) fails as a whole; the
    useful errors are those of the branch whose type the value has, so those are reported,
    all of them, instead of a vague "not a valid value".
    """
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [error]
    depth = len(error.absolute_path)
    branches: dict = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)

    def rejects(subs, validators) -> bool:
        return any(s.validator in validators and len(s.absolute_path) == depth for s in subs)

    # First the branch of the value's kind whose only problems are inside it, else the one
    # of the right type (an enum of names for a string).
    for validators in (("type", "enum", "const"), ("type",)):
        matching = [subs for subs in branches.values() if not rejects(subs, validators)]
        if len(matching) == 1:
            return [leaf for sub in matching[0] for leaf in _leaf_errors(sub)]
    return [error]


def _located_schema_errors(error, root, source) -> list[RulesetError]:
    """One schema error as located ruleset errors: unknown keys and bad names at the key itself."""
    container, key = _walk(root, list(error.absolute_path))
    target = container[key] if key is not None else container
    where = ".".join(str(p) for p in error.absolute_path)
    prefix = f"{where}: " if where else ""
    if error.validator == "additionalProperties" and isinstance(target, YDict):
        allowed = list(error.schema.get("properties", {}))
        return [
            RulesetError(f"{prefix}unknown key {name!r}{did_you_mean(name, allowed)}", target.key_locs.get(name, target.loc))
            for name in target
            if name not in allowed
        ]
    if _is_property_name(error, target):
        # propertyNames: the error is about a key of ``target``; point at that key.
        return [RulesetError(f"{prefix}{_schema_message(error)}", target.key_locs.get(error.instance, target.loc))]
    loc = Loc(source, 1, 1)
    if isinstance(container, YDict):
        loc = container.loc_of(key) if key is not None else container.loc
    elif isinstance(container, YList):
        loc = container.item_locs[key] if key is not None and key < len(container.item_locs) else container.loc
    return [RulesetError(f"{prefix or 'ruleset: '}{_schema_message(error)}", loc)]


def _is_property_name(error, target) -> bool:
    """Whether ``error`` comes from ``propertyNames``, i.e. concerns a key of ``target``."""
    return "propertyNames" in error.schema_path and isinstance(target, YDict) and error.instance in target


def _walk(root, path):
    container, key = root, None
    for i, step in enumerate(path):
        if i == len(path) - 1:
            key = step
            break
        container = container[step]
    return container, key


def _schema_message(error) -> str:
    if isinstance(error.instance, dt.date) and error.validator in ("pattern", "minLength", "maxLength"):
        return error.message  # a date where text is meant, with the quoting that makes it text
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator in ("oneOf", "anyOf"):
        types = [sub.validator_value for sub in error.context or () if sub.validator == "type"]
        if types and len(types) == len(error.context):
            return f"{_short(error.instance)} should be {' or '.join(map(str, types))}"
        if isinstance(error.instance, str):
            return f"{error.instance!r} is not one of the allowed values"
        return f"{_short(error.instance)} is not a valid value here"
    if error.validator == "enum":
        options = ", ".join(map(str, error.validator_value))
        return f"{_short(error.instance)} is not one of: {options}{did_you_mean(error.instance, error.validator_value)}"
    if error.validator == "const":
        return f"must be {error.validator_value!r}"
    if error.validator == "pattern":
        if error.validator_value == NAME_PATTERN:
            return f"{_short(error.instance)} is not a valid name (letters, digits and _, not starting with a digit)"
        hint = error.schema.get("description")
        return f"{_short(error.instance)} does not match {error.validator_value}" + (f" ({hint})" if hint else "")
    if error.validator == "type":
        return f"{_short(error.instance)} should be {error.validator_value}"
    if error.validator in ("maxLength", "minLength"):
        limit = error.validator_value
        shown = _short_text(repr(error.instance), 120)
        if error.validator == "maxLength":
            return f"{shown} is too long (at most {limit} characters)"
        return f"{shown} should be non-empty" if limit == 1 else f"{shown} is too short (at least {limit} characters)"
    return _short_text(error.message)


def _short_text(text: str, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters, so no value floods an error line."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
