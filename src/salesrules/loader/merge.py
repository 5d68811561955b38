"""Merging rulesets that ``extends`` joins: parents left to right, then the child, item by item.

The data is in the normal form :mod:`salesrules.loader.extends` reads files into: named
lists (tiers, stages, factors...) as maps by item name. Every value keeps the file
location it came from, so that a conflict between two parents, or a value the child
overrides, can point at both places.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import RulesetError, did_you_mean

# Which containers merge by item name: a path of keys, "*" for any name.
_NAMED_LISTS = {("decisions",), ("tiers",), ("stages",), ("factors",), ("actions",), ("classifications", "*"), ("scores", "*", "bands")}
_NAMED_MAPS = {
    ("fields",), ("scores",), ("classifications",), ("stages", "*", "entry"), ("grades",),
    ("lookups",), ("lookups", "*", "fields"), ("currencies",), ("currencies", "rates"),
}


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
    # The chain's extends references read as a plugin's ruleset (``builtin:NAME``) because no file has their name.
    plugin_refs: set = field(default_factory=set)


# Lists that accumulate across parents and child instead of being replaced: the plugins a
# ruleset needs are the union of what every ruleset it is made of needs.
_ACCUMULATED = {("requires",)}
# The kind of each named container's path pattern; a "*" (any name) is only ever second.
_CONTAINER_KINDS = {pattern: "list" for pattern in _NAMED_LISTS} | {pattern: "map" for pattern in _NAMED_MAPS}


assert all(step != "*" or i == 1 for pattern in _CONTAINER_KINDS for i, step in enumerate(pattern))


def _container_kind(path: tuple) -> str | None:
    """Whether ``path`` is a named list ("list"), a named map ("map") or neither (None)."""
    kind = _CONTAINER_KINDS.get(path)
    if kind is None and len(path) > 1:
        kind = _CONTAINER_KINDS.get((path[0], "*") + path[2:])
    return kind


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
        and (_container_kind(sub) is not None or _container_kind(path) is not None)
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
        placement = _Placement(dst, path) if _container_kind(path) is not None else None
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
        parent_kind = _container_kind(path)
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
            if isinstance(value, dict) and (_container_kind(sub) is not None or parent_kind is not None):
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
