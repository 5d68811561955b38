"""The names plugins provide, of one kind: plain names, qualified names and clashes.

Every function, signal, ruleset or format a plugin registers answers to its qualified name
``PLUGIN:NAME`` (``insurance:loss_ratio``, ``salesrules:xlsx`` for a built-in). Its plain name
answers too, unless another plugin registers the same one: the name then clashes, and only a
ruleset or a command that uses it fails, with :meth:`Names.clash` saying which plugins provide
it and how to write each one. Nothing fails at start-up. ``SALESRULES_DISABLE_PLUGINS`` names
plugins, or the packages that install them (:func:`disabled_plugins`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any


class Names(dict):
    """What plugins registered of one kind: a dict of the plain names only one plugin provides,
    which also answers (``[]``, ``get``, ``in``) to every item's qualified name ``PLUGIN:NAME``.

    A plain name that two plugins provide is in no key: :meth:`clash` describes it.
    """

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind
        self.qualified: dict[str, Any] = {}
        # name -> the qualifiers of the plugins that provide it, in registration order
        self.owners: dict[str, list[str]] = {}
        self._items: list[tuple[str, Any]] = []

    def add(self, item, qualifier: str) -> None:
        """Add ``item`` (with a ``name``), provided by the plugin that ``qualifier`` names."""
        name = item.name
        owners = self.owners.setdefault(name, [])
        owners.append(qualifier)
        self.qualified[f"{qualifier}:{name}"] = item
        self._items.append((qualifier, item))
        if len(owners) == 1:
            dict.__setitem__(self, name, item)
        else:
            dict.pop(self, name, None)

    def __missing__(self, key):
        if key in self.qualified:
            return self.qualified[key]
        raise KeyError(key)

    def get(self, key, default=None):
        """The item of a plain or a qualified name; ``default`` when none (or when it clashes)."""
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        return self.qualified.get(key, default)

    def __contains__(self, key) -> bool:
        return dict.__contains__(self, key) or key in self.qualified

    def every(self) -> Iterator[tuple[str, Any]]:
        """Every item registered, clashing ones included, with its plugin's qualifier."""
        return iter(self._items)

    @property
    def clashes(self) -> dict[str, list[str]]:
        """The plain names two or more plugins provide, with the qualifiers of those plugins."""
        return {name: owners for name, owners in self.owners.items() if len(owners) > 1}

    def clash(self, name: str) -> str | None:
        """The message for a plain ``name`` that plugins share, None when it does not clash:
        ``'loss_ratio' is provided by plugins 'insurance' and 'actuarial'; write
        'insurance:loss_ratio' or 'actuarial:loss_ratio'``."""
        owners = self.owners.get(name)
        if not owners or len(owners) < 2:
            return None
        plugins = _listed([repr(owner) for owner in owners], "and")
        choices = _listed([repr(f"{owner}:{name}") for owner in owners], "or")
        return f"{name!r} is provided by plugins {plugins}; write {choices}"


def _listed(words: list[str], last: str) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {last} " + words[-1]


def clashes_by_plugin(kinds) -> dict[str, list[dict]]:
    """The clashing names of every :class:`Names` in ``kinds``, by the name of each plugin that
    provides one: ``{"kind", "name", "also_in": [the other plugins], "write": "PLUGIN:NAME"}``."""
    found: dict[str, list[dict]] = {}
    for names in kinds:
        clashing = names.clashes
        for qualifier, item in names.every():
            owners = clashing.get(item.name)
            if owners:
                found.setdefault(item.plugin, []).append({
                    "kind": names.kind, "name": item.name, "also_in": [o for o in owners if o != qualifier],
                    "write": f"{qualifier}:{item.name}",
                })
    return found


def disabled_plugins(value: str, group: str, builtin=()) -> list[str]:
    """The plugin names ``SALESRULES_DISABLE_PLUGINS`` (``value``) blocks: each entry is a plugin
    name (an entry-point name, a built-in module) or the name of the package (distribution) that
    installs plugins of entry-point ``group``, which blocks all of them. An entry that is neither
    (nor one of the ``builtin`` plugin names) gets a one-line warning on standard error."""
    wanted = [n.strip() for n in value.split(",") if n.strip()]
    if not wanted:
        return []
    from importlib.metadata import entry_points

    by_package: dict[str, list[str]] = {}
    for entry in entry_points(group=group):
        package = _package_key(entry.dist.name) if entry.dist is not None else None
        by_package.setdefault(package, []).append(entry.name)
    known = {name for names in by_package.values() for name in names} | set(builtin)
    blocked = []
    for name in wanted:
        blocked.append(name)
        blocked += by_package.get(_package_key(name), [])
        if name not in known and _package_key(name) not in by_package and not name.startswith("plugins-dir:"):
            installed = ", ".join(sorted(known - set(builtin))) or "none"
            print(f"warning: SALESRULES_DISABLE_PLUGINS names {name!r}, which is neither a plugin nor a package "
                  f"of plugins (installed plugins: {installed})", file=sys.stderr)
    return list(dict.fromkeys(blocked))


def _package_key(name: str) -> str:
    """A package name as pip compares them: lower case, runs of ``-``, ``_`` and ``.`` as one ``-``."""
    return re.sub(r"[-_.]+", "-", name).lower()
