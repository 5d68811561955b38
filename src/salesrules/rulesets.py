"""Loading rulesets: YAML, JSON Schema validation, ``extends`` merging and the typed model.

Merge rules: parents merge left to right, then the child. Items of named lists (tiers,
stages, factors, actions, bands, classification levels) and named maps (fields, scores,
classifications, stage entry conditions, grades, lookups and their fields, currencies and
their rates) merge by name, key by key, keeping their place;
new items are appended, before a catch-all level or the first closed stage; ``remove:
true`` deletes an inherited item. When two parents set the same key differently (or one
deletes an item the other changes) and neither inherits from the other, the child must
set that key itself. ``requires`` accumulates: the union, in order, of every file's list.
Tests are not inherited. Every value keeps the file and line it came from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import ErrorList, InputError, Loc, RulesetError, did_you_mean
from .model import (
    Action,
    Band,
    Classification,
    Currencies,
    Decay,
    Expr,
    Factor,
    FieldSpec,
    Grade,
    Level,
    Lookup,
    Score,
    Stage,
    TestCase,
)
from .yamlsource import YDict, YList, YStr, load_yaml

FORMAT_VERSION = 1
BUILTIN_PREFIX = "builtin:"
MAX_EXTENDS_DEPTH = 64
DEFAULT_SCORE = "priority"
TIER = "tier"

# Which containers merge by item name: a path of keys, "*" for any name.
_NAMED_LISTS = {("tiers",), ("stages",), ("factors",), ("actions",), ("classifications", "*"), ("scores", "*", "bands")}
_NAMED_MAPS = {
    ("fields",), ("scores",), ("classifications",), ("stages", "*", "entry"), ("grades",),
    ("lookups",), ("lookups", "*", "fields"), ("currencies",), ("currencies", "rates"),
}
_NOT_INHERITED = {"tests", "extends", "name", "version", "description", "salesrules"}


def schema() -> dict:
    """The JSON Schema (draft 2020-12) of the ruleset format."""
    return json.loads(_schema_text())


@lru_cache(maxsize=1)
def _schema_text() -> str:
    from importlib.resources import files

    return files("salesrules.schemas").joinpath("ruleset.schema.json").read_text("utf-8")


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    def is_string(checker, instance):
        return isinstance(instance, (str, dt.date))

    checker = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("string", is_string)
    cls = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=checker)
    return cls(schema())


# ---------------------------------------------------------------- reading one file


def read_source(path: str | Path) -> YDict:
    """Read and schema-check one ruleset file; errors carry file:line:column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("ruleset file not found", Loc(str(path))) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a ruleset file", Loc(str(path))) from None
    except UnicodeDecodeError as exc:
        before = exc.object[: exc.start]
        line, col = before.count(b"\n") + 1, exc.start - before.rfind(b"\n")
        raise RulesetError(f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x})", Loc(str(path), line, col)) from None
    except OSError as exc:
        raise InputError(f"cannot read ruleset: {exc.strerror}", Loc(str(path))) from None
    return parse_source(text, str(path))


def parse_source(text: str, source: str) -> YDict:
    """Parse ruleset text and check it against the JSON Schema."""
    data = load_yaml(text, source)
    if not isinstance(data, dict):
        raise RulesetError(f"a ruleset must be a mapping, this file is {describe_value(data)}", Loc(source, 1, 1))
    errors = schema_errors(data, source)
    if errors:
        raise ErrorList(errors)
    return data


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
    return found


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


# ---------------------------------------------------------------- extends and merging


class _PathMap(dict):
    """A dict keyed by paths (tuples of keys) that finds every path under a prefix without scanning.

    Each path is also listed under each of its prefixes, in the order the paths were added,
    so copying or dropping a subtree costs the size of the subtree, not of the whole map.
    """

    __slots__ = ("_under",)

    def __init__(self):
        super().__init__()
        self._under: dict = {}  # prefix -> {path: None} for every path starting with prefix

    def __setitem__(self, path, value) -> None:
        if path not in self:
            under = self._under
            for n in range(1, len(path) + 1):
                bucket = under.get(path[:n])
                if bucket is None:
                    under[path[:n]] = {path: None}
                else:
                    bucket[path] = None
        dict.__setitem__(self, path, value)

    def __delitem__(self, path) -> None:
        dict.__delitem__(self, path)
        under = self._under
        for n in range(1, len(path) + 1):
            bucket = under[path[:n]]
            del bucket[path]
            if not bucket:
                del under[path[:n]]

    def setdefault(self, path, default=None):
        """The value at ``path``, first setting it to ``default`` when there is none."""
        if path not in self:
            self[path] = default
        return dict.__getitem__(self, path)

    _MISSING = object()

    def pop(self, path, default=_MISSING):
        """Remove ``path`` and return its value (``default`` when absent, else KeyError)."""
        if path in self:
            value = dict.__getitem__(self, path)
            del self[path]
            return value
        if default is _PathMap._MISSING:
            raise KeyError(path)
        return default

    def popitem(self):
        """Remove and return the path added last, with its value."""
        if not self:
            raise KeyError("popitem(): the map is empty")
        path, value = next(reversed(self.items()))
        del self[path]
        return path, value

    def update(self, *args, **kwargs) -> None:
        """Set every path of a mapping or of (path, value) pairs."""
        for path, value in dict(*args, **kwargs).items():
            self[path] = value

    def __ior__(self, other):
        self.update(other)
        return self

    def clear(self) -> None:
        """Remove every path."""
        dict.clear(self)
        self._under.clear()

    def under(self, prefix: tuple) -> list:
        """Every path equal to ``prefix`` or starting with it, in the order they were added."""
        if not prefix:
            return list(self)
        return list(self._under.get(prefix, ()))

    def drop(self, prefix: tuple) -> None:
        """Remove every path equal to ``prefix`` or starting with it."""
        for path in self.under(prefix):
            del self[path]


@dataclass
class _Resolved:
    """A ruleset file with its parents merged in: normalized data and where each value came from."""

    data: dict
    origins: _PathMap  # path tuple -> Loc of the value
    files: set  # this file and every file it inherits from
    conflicts: _PathMap = field(default_factory=_PathMap)  # path -> (Loc, Loc)
    removed: _PathMap = field(default_factory=_PathMap)  # path of an inherited item deleted -> Loc of the deletion


# Lists that accumulate across parents and child instead of being replaced: the plugins a
# ruleset needs are the union of what every ruleset it is made of needs.
_ACCUMULATED = {("requires",)}

# The kind of each named container's path pattern; a "*" (any name) is only ever second.
_CONTAINER_KINDS = {pattern: "list" for pattern in _NAMED_LISTS} | {pattern: "map" for pattern in _NAMED_MAPS}
assert all(step != "*" or i == 1 for pattern in _CONTAINER_KINDS for i, step in enumerate(pattern))


def _containerdescribe_value(path: tuple) -> str | None:
    """Whether ``path`` is a named list ("list"), a named map ("map") or neither (None)."""
    kind = _CONTAINER_KINDS.get(path)
    if kind is None and len(path) > 1:
        kind = _CONTAINER_KINDS.get((path[0], "*") + path[2:])
    return kind


def _normalize(value, path: tuple, origins: _PathMap, loc: Loc):
    """Turn named lists into name-keyed dicts and record each value's location.

    Classification levels (a named list inside the ``classifications`` map) are normalized
    too, and a field shorthand (``deal_value: money``, also among a lookup's fields) becomes
    ``{type: money}`` so that it
    merges key by key with a parent's or child's mapping of the same field.
    """
    kind = _containerdescribe_value(path)
    origins[path] = loc
    if kind == "list" and isinstance(value, list):
        out = {}
        for i, item in enumerate(value):
            name = str(item["name"])
            item_loc = value.item_locs[i] if isinstance(value, YList) else loc
            if name in out:
                raise RulesetError(f"{'.'.join(path)}: two items named {name!r}", item_loc)
            out[name] = _normalize_item(item, path + (name,), origins, item_loc)
        return out
    if kind == "map" and isinstance(value, dict):
        out = {}
        for name, item in value.items():
            item_loc = value.loc_of(name) if isinstance(value, YDict) else loc
            sub = path + (name,)
            if path[-1] == "fields" and isinstance(item, str):
                item = {"type": item}
            if _containerdescribe_value(sub) is not None:
                out[name] = _normalize(item, sub, origins, item_loc)
            elif isinstance(item, dict):
                out[name] = _normalize_item(item, sub, origins, item_loc)
            else:
                origins[sub] = item_loc
                out[name] = item
        return out
    return value


def _normalize_item(item: dict, path: tuple, origins: _PathMap, loc: Loc) -> dict:
    out = {}
    origins[path] = loc
    for key, value in item.items():
        key_loc = item.loc_of(key) if isinstance(item, YDict) else loc
        out[key] = _normalize(value, path + (key,), origins, key_loc)
    return out


class _Placement:
    """Where new items go in one named container while one file merges into it.

    A new item goes at the end, except that an item with a condition goes before a
    catch-all (a tier or classification level without ``when``, a band without ``min``) and
    an open stage before the first closed stage, so that it can still match. A file's own
    items (``own=True``, from the child being applied) never go before the items it added
    earlier, so they keep the order they are written in; a parent's items (``own=False``)
    look for a catch-all from the start.

    The container dict is updated in place; an item placed before another is put in its
    place once, by :meth:`result`. Finding places costs the size of the container in all,
    not for every item.
    """

    def __init__(self, container: dict, path: tuple):
        self.container = container
        self.condition = None
        if path == ("tiers",) or (len(path) == 2 and path[0] == "classifications"):
            self.condition = "when"
        elif len(path) == 3 and path[0] == "scores" and path[2] == "bands":
            self.condition = "min"
        self.stages = path == ("stages",)
        self.sequence = list(container)  # the inherited names, then those appended at the end
        self.before: dict = {}  # name in sequence -> names placed just before it, in order
        self.cursor = 0  # own items: where the search for the next one's place starts
        self.clear = 0  # parent items: sequence[:clear] holds no catch-all
        self.positions: dict | None = None  # name -> index in sequence, made when first needed

    @property
    def blocking(self) -> bool:
        """Whether an item can go anywhere but the end of this container."""
        return self.condition is not None or self.stages

    def blocks(self, other) -> bool:
        """Whether ``other`` is a catch-all or a closed stage that new items with a condition go before."""
        if not isinstance(other, dict):
            return False
        if self.condition is not None:
            return other.get(self.condition) is None
        return self.stages and bool(other.get("closed"))

    def _movable(self, item) -> bool:
        """Whether ``item`` goes before a catch-all or closed stage rather than at the end."""
        if not isinstance(item, dict):
            return False
        if self.condition is not None:
            return item.get(self.condition) is not None
        return self.stages and not item.get("closed")

    def add(self, name, value, item, own: bool) -> None:
        """Add ``value`` under the new ``name``, placed as the new ``item`` needs."""
        container, sequence = self.container, self.sequence
        if self._movable(item):
            i = self.cursor if own else self.clear
            while i < len(sequence) and not (sequence[i] in container and self.blocks(container[sequence[i]])):
                i += 1
            if not own:
                self.clear = i
            if i < len(sequence):
                self.before.setdefault(sequence[i], []).append(name)
                container[name] = value
                if own:
                    self.cursor = i
                return
        self.append(name, value)
        if own:
            self.cursor = len(sequence)

    def append(self, name, value) -> None:
        """Add ``value`` under the new ``name`` at the end."""
        if self.positions is not None:
            self.positions[name] = len(self.sequence)
        self.sequence.append(name)
        self.container[name] = value

    def changed(self, name, blocked_before: bool) -> None:
        """Note that the inherited item ``name`` changed: a parent's next items may now go before it."""
        if blocked_before or not self.blocks(self.container.get(name)):
            return
        if self.positions is None:
            self.positions = {n: i for i, n in enumerate(self.sequence)}
        self.clear = min(self.clear, self.positions[name])

    def result(self) -> dict:
        """The container with every item in its place."""
        if not self.before:
            return self.container
        container, out = self.container, {}
        for name in self.sequence:
            for placed in self.before.get(name, ()):
                if placed in container:
                    out[placed] = container[placed]
            if name in container and name not in out:
                out[name] = container[name]
        return out


def _union(first, second) -> list:
    """The items of ``first`` then those of ``second`` not already there, in order."""
    out = list(first or ())
    try:
        seen = set(out)
    except TypeError:
        out.extend(x for x in (second or ()) if x not in out)
        return out
    for x in second or ():
        try:
            new = x not in seen
        except TypeError:
            new = x not in out
        if new:
            out.append(x)
            try:
                seen.add(x)
            except TypeError:
                pass
    return out


def _mergeable(dst: dict, key, value, path: tuple) -> bool:
    """Whether ``value`` merges key by key into ``dst[key]`` (named containers and their items)."""
    sub = path + (key,)
    return (
        isinstance(dst.get(key), dict)
        and isinstance(value, dict)
        and (_containerdescribe_value(sub) is not None or _containerdescribe_value(path) is not None)
    )


def _origin_files(origins: _PathMap, prefix: tuple) -> set:
    """The files the value at ``prefix`` and everything under it come from."""
    files = set()
    for path in origins.under(prefix):
        loc = origins[path]
        if loc is not None:
            files.add(loc.file)
    return files


def _delete(data: dict, path: tuple) -> None:
    for step in path[:-1]:
        data = data.get(step) if isinstance(data, dict) else None
    if isinstance(data, dict):
        data.pop(path[-1], None)


def _merge_parent(target: _Resolved, parent: _Resolved) -> None:
    """Merge one resolved parent into the parents merged so far, recording conflicts.

    When both define a value differently, the one that inherits the other's wins (in a
    diamond, child extends [A, B] and B extends A: B's value). Otherwise it is a conflict
    the child must settle. Deleting an inherited item works the same way.
    """

    def merge(dst: dict, src: dict, path: tuple) -> dict:
        placement = _Placement(dst, path) if _containerdescribe_value(path) is not None else None
        tracked = placement is not None and placement.blocking
        for key, value in src.items():
            sub = path + (key,)
            if sub in _ACCUMULATED:
                _set(dst, placement, key, _union(dst.get(key), value))
                target.origins.setdefault(sub, parent.origins.get(sub))
            elif key not in dst:
                if sub in target.removed:
                    if not _origin_files(parent.origins, sub) <= target.files:
                        target.conflicts[sub] = (target.removed[sub], parent.origins.get(sub))
                    continue  # deleted by an earlier parent that inherits it from the same file
                if isinstance(value, dict) and placement is not None:
                    placement.add(key, value, value, own=False)
                else:
                    _set(dst, placement, key, value)
                _copy_origins(parent.origins, target.origins, sub)
            else:
                blocked_before = tracked and placement.blocks(dst[key])
                if _mergeable(dst, key, value, path):
                    dst[key] = merge(dst[key], value, sub)
                elif dst[key] != value:
                    mine, theirs = target.origins.get(sub), parent.origins.get(sub)
                    if _origin_files(target.origins, sub) <= parent.files:
                        dst[key] = value
                        _drop(target.origins, sub)
                        _copy_origins(parent.origins, target.origins, sub)
                    elif _origin_files(parent.origins, sub) <= target.files:
                        pass
                    else:
                        target.conflicts[sub] = (mine, theirs)
                if tracked:
                    placement.changed(key, blocked_before)
        return placement.result() if placement is not None else dst

    target.data = merge(target.data, parent.data, ())
    for path, loc in parent.removed.items():
        if path in target.removed:
            continue
        if _origin_files(target.origins, path) <= parent.files:
            _delete(target.data, path)
            _drop(target.origins, path)
            target.removed[path] = loc
        else:
            target.conflicts[path] = (target.origins.get(path), loc)
    target.files |= parent.files
    for path, locs in parent.conflicts.items():
        target.conflicts.setdefault(path, locs)


def _set(dst: dict, placement: _Placement | None, key, value) -> None:
    """``dst[key] = value``, a new key going at the end of its named container."""
    if placement is not None and key not in dst:
        placement.append(key, value)
    else:
        dst[key] = value


def _copy_origins(src: _PathMap, dst: _PathMap, prefix: tuple) -> None:
    for path in src.under(prefix):
        dst[path] = src[path]


def _apply_child(base: _Resolved, child: dict, child_origins: _PathMap, source: str) -> None:
    """Apply the child's own data over its merged parents; the child settles conflicts."""

    def apply(dst: dict, src: dict, path: tuple) -> dict:
        parent_kind = _containerdescribe_value(path)
        placement = _Placement(dst, path) if parent_kind is not None else None
        for key, value in src.items():
            sub = path + (key,)
            if sub in _ACCUMULATED:
                _set(dst, placement, key, _union(dst.get(key), value))
                base.origins.setdefault(sub, child_origins.get(sub))
                continue
            if parent_kind is not None and isinstance(value, dict) and value.get("remove") is True:
                if key not in dst:
                    raise RulesetError(
                        f"cannot remove {key!r}: no inherited item of that name{did_you_mean(key, dst)}",
                        child_origins.get(sub),
                    )
                del dst[key]
                _drop(base.conflicts, sub)
                _drop(base.origins, sub)
                base.removed[sub] = child_origins.get(sub)
                continue
            if path and path[-1] == "entry" and value is None:
                if dst.pop(key, None) is not None:
                    base.removed[sub] = child_origins.get(sub)
                _drop(base.conflicts, sub)
                _drop(base.origins, sub)
                continue
            if isinstance(value, dict) and (_containerdescribe_value(sub) is not None or parent_kind is not None):
                # A named container or an item: merge key by key. A new one is merged into an
                # empty one so that a `remove: true` inside it is still checked.
                if isinstance(dst.get(key), dict):
                    base.conflicts.pop(sub, None)
                else:
                    if key in dst:
                        dst[key] = {}
                    elif placement is not None:
                        placement.add(key, {}, value, own=True)
                    else:
                        dst[key] = {}
                    _drop(base.conflicts, sub)
                    _drop(base.origins, sub)
                    _drop(base.removed, sub)
                    base.origins[sub] = child_origins.get(sub)
                dst[key] = apply(dst[key], value, sub)
                continue
            _set(dst, placement, key, value)
            _drop(base.conflicts, sub)
            _drop(base.origins, sub)
            _drop(base.removed, sub)
            _copy_origins(child_origins, base.origins, sub)
        return placement.result() if placement is not None else dst

    base.data = apply(base.data, child, ())
    base.files.add(source)


def _drop(mapping: _PathMap, prefix: tuple) -> None:
    mapping.drop(prefix)


def resolve_reference(ref: str, base_dir: Path | None, loc: Loc | None = None) -> Path:
    """The file a ``-r`` or ``extends`` reference names: ``builtin:NAME``, ``PLUGIN:NAME`` or a path."""
    if ":" in ref and not Path(ref).exists() and not (len(ref) > 1 and ref[1] == ":"):
        from .plugins import get_registry

        prefix, name = ref.split(":", 1)
        rulesets = get_registry().rulesets
        shipped = rulesets.get(name)
        if shipped is None or (prefix != "builtin" and shipped.plugin != prefix):
            raise RulesetError(f"unknown ruleset {ref!r}{did_you_mean(name, rulesets)}", loc)
        return Path(shipped.path)
    path = Path(ref)
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    if not path.exists():
        raise RulesetError(f"extended ruleset {ref!r} not found ({path})", loc)
    if path.is_dir():
        raise RulesetError(f"extended ruleset {ref!r} is a directory ({path})", loc)
    return path


def _resolve(path: Path, chain: tuple[str, ...], ref_loc: Loc | None = None) -> tuple[_Resolved, YDict]:
    """Read ``path`` and merge its parents under it; ``ref_loc`` is the ``extends`` entry naming it."""
    key = str(path.resolve())
    if len(chain) >= MAX_EXTENDS_DEPTH:
        raise RulesetError(f"extends chain is deeper than {MAX_EXTENDS_DEPTH} rulesets", ref_loc or Loc(str(path)))
    if key in chain:
        names = [Path(c).name for c in chain[chain.index(key):]] + [path.name]
        raise RulesetError(f"extends cycle: {' -> '.join(names)}", ref_loc or Loc(str(path)))
    raw = read_source(path)
    source = str(path)
    extends = raw.get("extends") or []
    if isinstance(extends, str):
        extends = [extends]
    base = _Resolved(data={}, origins=_PathMap(), files=set())
    merged: set[str] = set()
    for i, ref in enumerate(extends):
        ref_loc = extends.item_locs[i] if isinstance(extends, YList) else raw.loc_of("extends")
        parent_path = resolve_reference(str(ref), path.parent, ref_loc)
        if str(parent_path.resolve()) in merged:
            continue  # merging the same parent again changes nothing
        merged.add(str(parent_path.resolve()))
        parent, _ = _resolve(parent_path, chain + (key,), ref_loc)
        _merge_parent(base, parent)
    own_origins = _PathMap()
    own = {
        k: _normalize(v, (k,), own_origins, raw.loc_of(k))
        for k, v in raw.items()
        if k not in _NOT_INHERITED
    }
    _apply_child(base, own, own_origins, source)
    base.files.add(source)
    return base, raw


def _denormalize(value, path: tuple):
    kind = _containerdescribe_value(path)
    if kind == "list" and isinstance(value, dict):
        return [_denormalize_item(item, path + (name,)) | {"name": name} for name, item in value.items()]
    if kind == "map" and isinstance(value, dict):
        out = {}
        for name, item in value.items():
            sub = path + (name,)
            if _containerdescribe_value(sub) is not None:
                out[name] = _denormalize(item, sub)
            else:
                out[name] = _denormalize_item(item, sub) if isinstance(item, dict) else item
        return out
    return value


def _denormalize_item(item: dict, path: tuple) -> dict:
    return {k: _denormalize(v, path + (k,)) for k, v in item.items()}


# ---------------------------------------------------------------- the Ruleset


@dataclass
class Ruleset:
    """A loaded, merged ruleset. Evaluate it with :meth:`evaluate` or :meth:`evaluate_one`."""

    name: str
    version: str
    description: str
    path: str
    as_of: dt.date | None
    fields: dict[str, FieldSpec]
    classifications: list[Classification]
    stages: list[Stage]
    factors: list[Factor]
    scores: dict[str, Score]
    ranking_score: str
    actions: list[Action]
    tests: list[TestCase]
    requires: list[str]
    hash: str
    locs: dict = field(default_factory=dict, repr=False)
    grades: list[Grade] = field(default_factory=list)
    lookups: list[Lookup] = field(default_factory=list)
    currencies: Currencies | None = None
    stage_entered: str | None = None

    @property
    def key(self) -> str | None:
        """The key field's name, or None when the ruleset declares none."""
        return next((f.name for f in self.fields.values() if f.key), None)

    @property
    def tiers(self) -> Classification | None:
        """The value tiers, the built-in classification named ``tier``."""
        return next((c for c in self.classifications if c.name == TIER), None)

    def compile(self, as_of: dt.date | None = None):
        """The compiled plan of this ruleset for an as-of date (default: the ruleset's, else today)."""
        from .engine import compile_ruleset

        return compile_ruleset(self, as_of)

    def evaluate(self, data, *, as_of: dt.date | None = None, **options):
        """Evaluate records (a path, a polars or pandas frame, or a list of dicts) into a polars DataFrame."""
        from .engine import evaluate

        return evaluate(self, data, as_of=as_of, **options)

    def evaluate_one(self, record: dict, *, as_of: dt.date | None = None) -> dict:
        """Evaluate one record (a dict) with the same plan; values depending on other records stay empty."""
        from .engine import evaluate_one

        return evaluate_one(self, record, as_of=as_of)

    @property
    def provenance_date(self) -> dt.date:
        """The as-of date used when none is given."""
        return self.as_of or dt.date.today()


def load(path: str | Path, as_of: dt.date | None = None) -> Ruleset:
    """Load a ruleset from a file path or ``builtin:NAME``, with its ``extends`` merged, and check it.

    Checking compiles the ruleset for ``as_of`` (default: its own as-of date, else today);
    an evaluation as of the same date reuses that plan.
    """
    ruleset = load_unchecked(path)
    ruleset.compile(as_of)  # type-checks every expression; errors carry file:line:column
    return ruleset


def load_unchecked(path: str | Path) -> Ruleset:
    """Load and merge a ruleset without compiling its expressions."""
    file = resolve_reference(str(path), None) if not Path(str(path)).exists() and ":" in str(path) else Path(path)
    if not Path(file).exists():
        raise InputError("ruleset file not found", Loc(str(path)))
    resolved, raw = _resolve(Path(file), ())
    if resolved.conflicts:
        errors = []
        for path_, (first, second) in resolved.conflicts.items():
            errors.append(RulesetError(
                f"{'.'.join(map(str, path_))} is defined differently by {first} and {second}; "
                "set it in this ruleset to settle it",
                raw.loc_of("extends"),
            ))
        raise ErrorList(errors)
    ruleset = build(resolved, raw, str(file))
    check_requirements(ruleset.requires, raw.loc_of("requires") if "requires" in raw else raw.loc)
    return ruleset


def check_requirements(requires: list[str], loc: Loc | None = None) -> None:
    """Fail with a clear error when a plugin package the ruleset ``requires`` is missing or too old."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import InvalidRequirement, Requirement

    from .errors import PluginError

    for text in requires:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            raise RulesetError(f"requires: {text!r} is not a package requirement such as salesrules-saas>=1.0", loc) from None
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            raise PluginError(
                f"this ruleset requires {text}, which is not installed; install it with: pip install '{text}'", loc
            ) from None
        if requirement.specifier and not requirement.specifier.contains(installed, prereleases=True):
            raise PluginError(
                f"this ruleset requires {text}, but {requirement.name} {installed} is installed; "
                f"upgrade it with: pip install --upgrade '{text}'",
                loc,
            )


def build(resolved: _Resolved, raw: YDict, source: str) -> Ruleset:
    """Build the typed :class:`Ruleset` from merged data."""
    data = {k: _denormalize(v, (k,)) for k, v in resolved.data.items()}
    origins = resolved.origins

    def loc(*path):
        return origins.get(tuple(path)) or raw.loc

    def expr(value, *path) -> Expr | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return Expr("true" if value else "false", loc(*path))
        if isinstance(value, (int, float)):
            return Expr(repr(value), loc(*path))
        if isinstance(value, YStr):
            return Expr(str(value), _text_start(value), value.exact and value.style in (None, "'", '"'))
        return Expr(str(value), loc(*path))

    def field_spec(name: str, spec, path: tuple, inherited: FieldSpec | None = None) -> FieldSpec:
        if isinstance(spec, str):
            spec = {"type": spec}
        values = _value_map(spec.get("values"))
        ftype = spec.get("type") or (inherited.type if inherited else ("enum" if values else "string"))
        if ftype == "enum" and not values:
            values = inherited.values if inherited else None
            if not values:
                raise RulesetError(f"field {name!r}: an enum needs values", loc(*path))
        return FieldSpec(
            name=name,
            type=ftype,
            aliases=tuple(str(a) for a in spec.get("aliases") or ()),
            default=spec.get("default"),
            required=bool(spec.get("required", False)),
            key=bool(spec.get("key", False)),
            values=values,
            format=spec.get("format"),
            decimal=spec.get("decimal"),
            currency=spec.get("currency"),
            currency_field=spec.get("currency_field"),
            description=spec.get("description", ""),
            loc=loc(*path),
        )

    fields = {name: field_spec(name, spec, ("fields", name)) for name, spec in (data.get("fields") or {}).items()}
    keys = [f for f in fields.values() if f.key]
    if len(keys) > 1:
        raise RulesetError(f"only one field can be the key; {keys[0].name!r} and {keys[1].name!r} both are", keys[1].loc)

    classifications = []
    lists = [(TIER, data.get("tiers"), ("tiers",))] + [
        (cname, levels, ("classifications", cname)) for cname, levels in (data.get("classifications") or {}).items()
    ]
    for cname, levels, path in lists:
        if not levels:
            continue
        classifications.append(Classification(
            name=cname,
            levels=tuple(
                Level(
                    name=str(lv["name"]),
                    when=expr(lv.get("when"), *path, lv["name"], "when"),
                    points=expr(lv.get("points"), *path, lv["name"], "points"),
                    score=lv.get("score"),
                    reason=lv.get("reason"),
                    loc=loc(*path, lv["name"]),
                )
                for lv in levels
            ),
            loc=loc(*path),
        ))

    stages = [
        Stage(
            name=str(st["name"]),
            probability=st.get("probability"),
            points=expr(st.get("points"), "stages", st["name"], "points"),
            score=st.get("score"),
            aliases=tuple(str(a) for a in st.get("aliases") or ()),
            entry={
                str(k): expr(v, "stages", st["name"], "entry", k)
                for k, v in (st.get("entry") or {}).items()
                if v is not None
            },
            closed=st.get("closed"),
            max_days=st.get("max_days"),
            loc=loc("stages", st["name"]),
        )
        for st in data.get("stages") or []
    ]
    for stage in stages:
        if stage.closed and stage.max_days is not None:
            raise RulesetError(
                f"stage {stage.name!r} is closed; max_days applies to open stages only", loc("stages", stage.name, "max_days")
            )

    factors = [
        Factor(
            name=str(fc["name"]),
            when=expr(fc.get("when", True), "factors", fc["name"], "when"),
            points=expr(fc.get("points", 0), "factors", fc["name"], "points"),
            score=fc.get("score"),
            reason=fc.get("reason"),
            decay=_decay(fc.get("decay"), expr, loc, ("factors", fc["name"], "decay")),
            loc=loc("factors", fc["name"]),
        )
        for fc in data.get("factors") or []
    ]

    scores: dict[str, Score] = {}
    ranking = None
    for sname, spec in (data.get("scores") or {}).items():
        if spec.get("by"):
            ranking = spec["by"]
            ranking_loc = loc("scores", sname, "by")
            if set(spec) - {"by", "description"}:
                raise RulesetError(f"score {sname!r}: 'by' names the ranking score and takes no other keys", loc("scores", sname))
            continue
        scores[sname] = Score(
            name=sname,
            min=spec.get("min"),
            max=spec.get("max"),
            bands=tuple(Band(str(b["name"]), b.get("min"), loc("scores", sname, "bands", b["name"])) for b in spec.get("bands") or ()),
            loc=loc("scores", sname),
        )
    if not scores:
        scores[DEFAULT_SCORE] = Score(DEFAULT_SCORE)
    if ranking is None:
        ranking = DEFAULT_SCORE if DEFAULT_SCORE in scores else next(iter(scores))
    elif ranking not in scores:
        raise RulesetError(f"priority is by unknown score {ranking!r}{did_you_mean(ranking, scores)}", ranking_loc)
    for s in scores.values():
        if s.min is not None and s.max is not None and s.min > s.max:
            raise RulesetError(f"score {s.name!r}: min {s.min} is above max {s.max}", s.loc)

    actions = [
        Action(
            name=str(ac["name"]),
            text=str(ac.get("text") or ac["name"]),
            when=expr(ac.get("when"), "actions", ac["name"], "when"),
            due=expr(ac.get("due"), "actions", ac["name"], "due"),
            applies_to=ac.get("applies_to", "open"),
            loc=loc("actions", ac["name"]),
        )
        for ac in data.get("actions") or []
    ]

    grades = []
    for gname, spec in (data.get("grades") or {}).items():
        for axis in ("rows", "columns"):
            if not spec.get(axis):
                raise RulesetError(f"grade {gname!r} needs {axis}: the score whose bands it combines", loc("grades", gname))
        grades.append(Grade(gname, str(spec["rows"]), str(spec["columns"]), loc("grades", gname)))

    lookups = []
    for lname, spec in (data.get("lookups") or {}).items():
        for required in ("file", "key", "on", "fields"):
            if not spec.get(required):
                raise RulesetError(f"lookup {lname!r} needs {required!r}", loc("lookups", lname))
        file_loc = loc("lookups", lname, "file")
        path = Path(str(spec["file"]))
        if not path.is_absolute() and file_loc is not None and file_loc.file:
            path = Path(file_loc.file).parent / path
        lookups.append(Lookup(
            name=lname,
            path=str(path),
            key=str(spec["key"]),
            on=str(spec["on"]),
            values=_value_map(spec.get("values")) or {},
            fields={
                fname: field_spec(fname, fspec, ("lookups", lname, "fields", fname), fields.get(fname))
                for fname, fspec in spec["fields"].items()
            },
            loc=loc("lookups", lname),
        ))

    currencies = None
    if data.get("currencies"):
        spec = data["currencies"]
        if not spec.get("base"):
            raise RulesetError("currencies needs base: the currency every money value is converted to", loc("currencies"))
        currencies = Currencies(str(spec["base"]), {str(k): float(v) for k, v in (spec.get("rates") or {}).items()}, loc("currencies"))

    tests = []
    for i, t in enumerate(raw.get("tests") or []):
        t_loc = raw["tests"].item_locs[i]
        as_of = t.get("as_of")
        tests.append(TestCase(
            name=str(t["name"]),
            record=dict(t.get("record") or {}),
            expect=dict(t.get("expect") or {}),
            as_of=_as_date(as_of, t.loc_of("as_of")) if as_of is not None else None,
            error=t.get("error"),
            loc=t_loc,
        ))

    as_of = data.get("as_of")
    hashed = {k: v for k, v in data.items() if k != "tests"}
    digest = hashlib.sha256(json.dumps(_canonical(hashed), sort_keys=True, default=str).encode()).hexdigest()
    return Ruleset(
        name=str(raw["name"]),
        version=str(raw.get("version", "")),
        description=str(raw.get("description", "")),
        path=source,
        as_of=_as_date(as_of, loc("as_of")) if as_of is not None else None,
        fields=fields,
        classifications=classifications,
        stages=stages,
        factors=factors,
        scores=scores,
        ranking_score=ranking,
        actions=actions,
        tests=tests,
        requires=[str(r) for r in data.get("requires") or ()],
        hash=digest[:12],
        grades=grades,
        lookups=lookups,
        currencies=currencies,
        stage_entered=data.get("stage_entered"),
        locs={"stage_entered": loc("stage_entered")},
    )


def _value_map(values) -> dict[str, tuple[str, ...]] | None:
    """Enum values or lookup key spellings: a list of names, or each name mapped to its spellings."""
    if isinstance(values, list):
        return {str(v): () for v in values}
    if isinstance(values, dict):
        return {str(k): tuple(str(s) for s in (v or ())) for k, v in values.items()}
    return None


def _decay(spec, expr, loc, path: tuple) -> Decay | None:
    """The recency decay of a factor; steps must grow in ``after``."""
    if not spec:
        return None
    if ("half_life" in spec) == ("steps" in spec):
        raise RulesetError("decay needs either half_life or steps, not both", loc(*path))
    steps = tuple((float(s["after"]), s["points"]) for s in spec.get("steps") or ())
    afters = [a for a, _ in steps]
    if afters != sorted(set(afters)):
        raise RulesetError("decay steps must be ordered by 'after', each a different number of days", loc(*path))
    return Decay(
        since=expr(spec["since"], *path, "since"),
        half_life=spec.get("half_life"),
        steps=steps,
        loc=loc(*path),
    )


def parse_date(value) -> dt.date:
    """A date from a YAML value: a date, a datetime (its date) or ISO text; ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _as_date(value, loc: Loc | None) -> dt.date:
    try:
        return parse_date(value)
    except ValueError:
        raise RulesetError(f"{value!r} is not a date (YYYY-MM-DD)", loc) from None


def _text_start(value: YStr) -> Loc:
    """Where the text of a scalar begins: after the opening quote of a quoted scalar."""
    if value.style in ("'", '"') and value.loc.col is not None:
        return value.loc.shifted(col=value.loc.col + 1)
    return value.loc


def _canonical(value):
    """``value`` with every mapping key a string, so that it serializes with sorted keys.

    YAML keys can be booleans, numbers or dates (``values: {true: [Y], maybe: [M]}``), which
    ``json.dumps(sort_keys=True)`` cannot sort against strings.
    """
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value
