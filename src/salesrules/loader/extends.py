"""``extends``: a ruleset file read with the files it inherits from.

References (``builtin:NAME``, ``PLUGIN:NAME`` or a path) are resolved, the chain of
parents is followed (refusing cycles and chains too deep), and each file is read into the
normal form :mod:`salesrules.loader.merge` merges: named lists as maps by item name, with
the location of every value.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import Loc, RulesetError, did_you_mean
from .located import YDict, YList
from .merge import _apply_child, _container_kind, _merge_parent, _PathMap, _Resolved
from .schema import read_source

BUILTIN_PREFIX = "builtin:"
MAX_EXTENDS_DEPTH = 64
_NOT_INHERITED = {"tests", "extends", "name", "version", "description", "salesrules"}


def _normalize(value, path: tuple, origins: _PathMap, loc: Loc):
    """Turn named lists into name-keyed dicts and record each value's location.

    Classification levels (a named list inside the ``classifications`` map) are normalized
    too, and a field shorthand (``deal_value: money``, also among a lookup's fields) becomes
    ``{type: money}`` so that it
    merges key by key with a parent's or child's mapping of the same field.
    """
    kind = _container_kind(path)
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
            if _container_kind(sub) is not None:
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


def resolve_reference(ref: str, base_dir: Path | None, loc: Loc | None = None) -> Path:
    """The file a ``-r`` or ``extends`` reference names: ``builtin:NAME``, ``PLUGIN:NAME`` or a path."""
    if ":" in ref and not _exists(Path(ref)) and not (len(ref) > 1 and ref[1] == ":"):
        from ..plugins import get_registry

        prefix, name = ref.split(":", 1)
        rulesets = get_registry().rulesets
        # builtin:NAME is the plain name (a bare name would be a path); PLUGIN:NAME the qualified one.
        shipped = rulesets.get(name if prefix == "builtin" else ref)
        if shipped is None and prefix != "builtin":  # the pluggy name of a plugin (a module name)
            shipped = next((r for _, r in rulesets.every() if r.name == name and r.plugin == prefix), None)
        if shipped is None:
            clash = rulesets.clash(name) if prefix == "builtin" else None
            if clash is not None:
                raise RulesetError(clash, loc)
            raise RulesetError(f"unknown ruleset {ref!r}{did_you_mean(name, rulesets)}", loc)
        return Path(shipped.path)
    path = Path(ref)
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    try:
        path.stat()
    except FileNotFoundError:
        raise RulesetError(f"extended ruleset {_short(ref)} not found ({path})", loc) from None
    except (OSError, ValueError) as exc:  # a name too long for the file system, a NUL byte
        reason = getattr(exc, "strerror", None) or str(exc)
        raise RulesetError(f"extended ruleset {_short(ref)} cannot be read: {reason}", loc) from None
    if path.is_dir():
        raise RulesetError(f"extended ruleset {ref!r} is a directory ({path})", loc)
    if not path.is_file():  # reading a device or a named pipe could block or never end
        raise RulesetError(f"extended ruleset {ref!r} is not a regular file (a device, a named pipe or a socket)", loc)
    return path


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _short(text: str, limit: int = 200) -> str:
    """``text`` quoted for a message, cut to ``limit`` characters."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"... ({len(text):,} characters)"


def _resolve(path: Path, chain: tuple[str, ...], ref_loc: Loc | None = None) -> tuple[_Resolved, YDict]:
    """Read ``path`` and merge its parents under it; ``ref_loc`` is the ``extends`` entry naming it."""
    key = str(path.resolve())
    if len(chain) >= MAX_EXTENDS_DEPTH:
        raise RulesetError(f"extends chain is deeper than {MAX_EXTENDS_DEPTH} rulesets", ref_loc or Loc(str(path)))
    if key in chain:
        names = [Path(c).name for c in chain[chain.index(key):]] + [path.name]
        raise RulesetError(f"extends cycle: {' -> '.join(names)}", ref_loc or Loc(str(path)))
    raw = read_source(path, regular_only=bool(chain))  # a parent must be a file, never a device or a pipe
    source = str(path)
    extends = raw.get("extends") or []
    if isinstance(extends, str):
        extends = [extends]
    base = _Resolved(data={}, origins=_PathMap(), files=set())
    merged: set[str] = set()
    for i, ref in enumerate(extends):
        ref_loc = extends.item_locs[i] if isinstance(extends, YList) else raw.loc_of("extends")
        parent_path = resolve_reference(str(ref), path.parent, ref_loc)
        if ":" in str(ref) and not _exists(Path(str(ref))):
            base.plugin_refs.add(str(ref))
        if str(parent_path.resolve()) in merged:
            continue  # merging the same parent again changes nothing
        merged.add(str(parent_path.resolve()))
        parent, _ = _resolve(parent_path, chain + (key,), ref_loc)
        base.plugin_refs |= parent.plugin_refs
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
    kind = _container_kind(path)
    if kind == "list" and isinstance(value, dict):
        return [_denormalize_item(item, path + (name,)) | {"name": name} for name, item in value.items()]
    if kind == "map" and isinstance(value, dict):
        out = {}
        for name, item in value.items():
            sub = path + (name,)
            if _container_kind(sub) is not None:
                out[name] = _denormalize(item, sub)
            else:
                out[name] = _denormalize_item(item, sub) if isinstance(item, dict) else item
        return out
    return value


def _denormalize_item(item: dict, path: tuple) -> dict:
    return {k: _denormalize(v, path + (k,)) for k, v in item.items()}
