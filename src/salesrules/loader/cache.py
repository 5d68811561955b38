"""The cache of loaded rulesets: a ruleset file read, checked and merged with its ``extends``
chain is kept as plain JSON, so loading it again parses no YAML and checks no schema.

An entry holds the merged data with the place (file, line, column) of every value, exactly as
reading the files gives it, so every message about the ruleset points where it did; the typed
``Ruleset`` is built from it and compiled as always, so the errors of a compilation (which
depend on the as-of date and the plugins' functions) are found anew on every run.

An entry is used only when everything it was made from is unchanged: the content of every file
of the chain (each is read and its SHA-256 compared), the path the ruleset was named by (and the
working directory, for a relative one: the messages quote the path as given), the salesrules
version and the files of the installed package, every loaded plugin's name, package version and
module file, and the Python and polars versions. Only a ruleset that loaded without error gets
an entry. An entry that cannot be read, is corrupt or was made by another version is ignored
and replaced; a cache directory that cannot be written is not used, and the run goes on.

The cache lives in ``$XDG_CACHE_HOME/salesrules`` (by default ``~/.cache/salesrules``);
``SALESRULES_CACHE_DIR`` names another directory and ``SALESRULES_NO_CACHE=1`` turns the cache
off. Deleting the directory at any time is safe: it is made again as needed. Entries are JSON,
so reading one runs no code; only the user's own are read, and those not written for a month are
removed when another is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path

from ..errors import Loc
from .located import YDict, YList, YStr
from .merge import _PathMap, _Resolved

# The layout of an entry; entries of another layout are ignored.
FORMAT = 1
# An entry larger than this is not read (a ruleset is at most 10 MB of text).
MAX_ENTRY_BYTES = 256 << 20
_MISSING = -1
# Modification times are this precise on every common file system.
SETTLE_SECONDS = 2.0
# Entries not written for this long are removed when another is written (a new version of
# salesrules or of a plugin leaves the old ones unused).
MAX_AGE_SECONDS = 30 * 24 * 3600


def cache_dir() -> Path | None:
    """The directory of the cache, or None when it is turned off (``SALESRULES_NO_CACHE``)."""
    if os.environ.get("SALESRULES_NO_CACHE", "").strip() not in ("", "0"):
        return None
    chosen = os.environ.get("SALESRULES_CACHE_DIR", "").strip()
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if not base or not os.path.isabs(base):  # the XDG rule: a relative path is ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "salesrules"


class _Uncachable(Exception):
    """The data holds a value the cache does not keep: the ruleset is loaded without it."""


def lookup(file: str) -> tuple[_Resolved, YDict] | None:
    """The merged data and the top file's data of the ruleset ``file`` from the cache, or None."""
    place = _entry_path(file)
    if place is None:
        return None
    path, key = place
    try:
        with _open_regular(path) as stream:
            if not _own(stream.fileno()):
                return None
            text = stream.read(MAX_ENTRY_BYTES + 1)
        if len(text) > MAX_ENTRY_BYTES:
            return None
        entry = json.loads(text)
        if entry.get("format") != FORMAT or entry.get("key") != key or not _unchanged(entry):
            return None
        return _Decoder(entry).resolved()
    except Exception:  # noqa: BLE001 - whatever is wrong with an entry, the files are read instead
        return None  # missing, unreadable, corrupt or foreign: loaded from the files, then replaced


def store(file: str, resolved: _Resolved, raw: YDict, started: float) -> None:
    """Keep the loaded ruleset ``file``, whose files were read after the time ``started``, in the
    cache; never fails (the cache is only a shortcut).

    A file modified within ``SETTLE_SECONDS`` before ``started`` (or later) may have changed
    between its reading and now, so the ruleset is not kept: its next loading keeps it.
    """
    place = _entry_path(file)
    if place is None:
        return
    path, key = place
    try:
        entry = _encode(key, resolved, raw, started - SETTLE_SECONDS)
        data = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (_Uncachable, OSError, ValueError, TypeError, RecursionError):
        return
    temporary = None
    try:
        path.parent.parent.mkdir(parents=True, exist_ok=True)
        path.parent.mkdir(mode=0o700, exist_ok=True)  # the user's own, as caches are
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)  # atomic: a reader sees the old entry or the new one
        temporary = None
        _prune(path.parent)
    except OSError:
        pass
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass


def _open_regular(path):
    """``path`` opened for reading without waiting: a named pipe in its place must not block."""
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise OSError(f"{path}: not a regular file")
        return os.fdopen(handle, "rb")
    except BaseException:
        os.close(handle)
        raise


def _own(handle: int) -> bool:
    """Whether the open file is a regular file of the user running salesrules: an entry someone
    else wrote (in a shared ``SALESRULES_CACHE_DIR``) is not trusted."""
    info = os.fstat(handle)
    getuid = getattr(os, "getuid", None)
    return stat.S_ISREG(info.st_mode) and (getuid is None or info.st_uid == getuid())


def _prune(directory: Path) -> None:
    """Remove the entries not written for ``MAX_AGE_SECONDS``, and the temporary files a killed
    process left an hour ago or more."""
    now = time.time()
    for entry in os.scandir(directory):
        if entry.name.endswith(".json") and entry.is_file(follow_symlinks=False):
            age = MAX_AGE_SECONDS if not entry.name.startswith(".tmp-") else 3600
            try:
                if entry.stat(follow_symlinks=False).st_mtime < now - age:
                    os.unlink(entry.path)
            except OSError:
                pass


def _entry_path(file: str) -> tuple[Path, str] | None:
    """Where the entry of ``file`` is and the key it must carry; None when there is no cache."""
    directory = cache_dir()
    if directory is None:
        return None
    try:
        key = environment_key()
    except Exception:  # noqa: BLE001 - a plugin failing to load is reported where it is used, not here
        return None
    if key is None:
        return None
    named = str(file)
    # Messages quote the path as given: a relative one is the same ruleset only from the same directory.
    try:
        where = "" if os.path.isabs(named) else os.getcwd()
    except OSError:
        return None
    key = json.dumps([key, named, where], ensure_ascii=False)
    name = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return directory / f"{name}.json", key


def environment_key() -> str | None:
    """What an entry depends on besides the ruleset's files, as text; None when a loaded plugin
    cannot be told apart from another (no package and no file), and nothing is cached."""
    import polars

    plugins = _plugin_identities()
    if plugins is None:
        return None
    package = sys.modules[__name__.partition(".")[0]]
    return json.dumps([FORMAT, getattr(package, "__version__", ""), _package_files(), plugins,
                       sys.version, sys.implementation.cache_tag, polars.__version__])


@lru_cache(maxsize=1)
def _package_files() -> str:
    """The name, size and modification time of every module of the installed salesrules, hashed:
    code that reads or checks rulesets may change without a new version number."""
    root = str(Path(__file__).resolve().parents[1])
    found = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    stack.append(entry.path)
            elif entry.name.endswith((".py", ".json")):
                try:
                    info = entry.stat()
                except OSError:
                    continue
                found.append(f"{entry.path[len(root):]}:{info.st_size}:{info.st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(found)).encode("utf-8", "surrogatepass")).hexdigest()


def _plugin_identities() -> list | None:
    """Every loaded plugin's name, package and version (when it comes from a package) and the
    size and modification time of its module's file."""
    from ..plugins import load_plugins, pm

    load_plugins()
    packages = {pm.get_name(plugin): _package(dist) for plugin, dist in pm.list_plugin_distinfo()}
    identities = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:  # blocked
            continue
        module = plugin if hasattr(plugin, "__file__") else sys.modules.get(type(plugin).__module__)
        file = getattr(module, "__file__", None)
        if not file and name not in packages:
            return None
        identity = [str(name), packages.get(name)]
        if file:
            try:
                info = os.stat(file)
            except OSError:
                return None
            identity += [str(file), info.st_size, info.st_mtime_ns]
        identities.append(identity)
    return sorted(identities, key=lambda i: i[0])


def _package(dist) -> list:
    """The name and version of an installed package, read from the head of its metadata file
    (parsing it whole takes the email package, which nothing else here needs)."""
    found = {}
    for line in (dist.read_text("METADATA") or dist.read_text("PKG-INFO") or "").splitlines():
        if not line.strip():
            break  # the headers end at the first empty line
        name, _, value = line.partition(":")
        if name in ("Name", "Version"):
            found[name] = value.strip()
    return [found.get("Name"), found.get("Version")]


def _unchanged(entry: dict) -> bool:
    """Whether every file the entry was made from still has the content it had."""
    for name, size, digest in entry["files"]:
        try:
            with _open_regular(name) as stream:
                if os.fstat(stream.fileno()).st_size != size:
                    return False
                if hashlib.sha256(stream.read(size + 1)).hexdigest() != digest:
                    return False
        except (OSError, ValueError):
            return False
    # An extends reference with a colon is a plugin's ruleset unless a file of that name exists.
    return not any(_exists(ref) for ref in entry["plugin_refs"])


def _exists(name: str) -> bool:
    try:
        return os.path.exists(name)
    except (OSError, ValueError):
        return False


def _encode(key: str, resolved: _Resolved, raw: YDict, settled: float) -> dict:
    encoder = _Encoder()
    files = []
    for name in sorted(resolved.files):
        with open(name, "rb") as stream:
            if os.fstat(stream.fileno()).st_mtime >= settled:
                raise _Uncachable(f"{name} has just changed")
            content = stream.read()
        files.append([name, len(content), hashlib.sha256(content).hexdigest()])
    return {
        "format": FORMAT,
        "key": key,
        "files": files,
        "plugin_refs": sorted(resolved.plugin_refs),
        "data": encoder.value(resolved.data),
        "origins": [[encoder.value(list(path)), encoder.loc(loc)] for path, loc in resolved.origins.items()],
        "sources": sorted(resolved.files),
        "raw": encoder.value(raw),
        "places": encoder.files,
        "locs": encoder.locs,
    }


class _Encoder:
    """Ruleset data as JSON values: containers and located strings as tagged lists, places as
    indexes into one table of places (most values share their file)."""

    def __init__(self):
        self.files: list[str] = []
        self.locs: list[list] = []
        self._file_index: dict[str, int] = {}
        self._loc_index: dict[Loc, int] = {}

    def loc(self, loc) -> int | None:
        if loc is None:
            return None
        if type(loc) is not Loc:
            raise _Uncachable(type(loc).__name__)
        index = self._loc_index.get(loc)
        if index is None:
            file = self._file_index.setdefault(loc.file, len(self.files))
            if file == len(self.files):
                self.files.append(loc.file)
            index = self._loc_index[loc] = len(self.locs)
            self.locs.append([file, loc.line, loc.col])
        return index

    def value(self, value):
        kind = type(value)
        if value is None or kind in (bool, int, float) or kind is str:
            return value
        if kind is YStr:
            return ["s", str(value), self.loc(value.loc), value.style, bool(value.exact)]
        if kind is YDict:
            keys, values = value.key_locs, value.value_locs
            if not set(keys) <= set(value) or not set(values) <= set(value):
                raise _Uncachable("locations of absent keys")
            items = [[self.value(k), self.value(v), self._opt_loc(keys, k), self._opt_loc(values, k)]
                     for k, v in value.items()]
            return ["M", self.loc(value.loc), items]
        if kind is YList:
            return ["L", self.loc(value.loc), [self.value(v) for v in value], [self.loc(loc) for loc in value.item_locs]]
        if kind is dict:
            return ["m", [[self.value(k), self.value(v)] for k, v in value.items()]]
        if kind is list:
            return ["l", [self.value(v) for v in value]]
        if kind is dt.date:
            return ["d", value.isoformat()]
        raise _Uncachable(kind.__name__)

    def _opt_loc(self, locs: dict, key):
        return self.loc(locs[key]) if key in locs else _MISSING


class _Decoder:
    """The inverse of :class:`_Encoder`."""

    def __init__(self, entry: dict):
        self.entry = entry
        files = entry["places"]
        self.locs = [Loc(files[file], line, col) for file, line, col in entry["locs"]]

    def resolved(self) -> tuple[_Resolved, YDict]:
        entry = self.entry
        origins = _PathMap()
        for path, loc in entry["origins"]:
            origins[tuple(self.value(path))] = self.loc(loc)
        resolved = _Resolved(data=self.value(entry["data"]), origins=origins, files=set(entry["sources"]),
                             plugin_refs=set(entry["plugin_refs"]))
        raw = self.value(entry["raw"])
        if type(raw) is not YDict or type(resolved.data) is not dict:
            raise _Uncachable("not a ruleset")
        return resolved, raw

    def loc(self, index):
        return None if index is None else self.locs[index]

    def value(self, value):
        if type(value) is not list:
            return value
        tag = value[0]
        if tag == "s":
            out = YStr(value[1])
            out.loc, out.style, out.exact = self.loc(value[2]), value[3], value[4]
            return out
        if tag == "M":
            out = YDict()
            out.loc, out.key_locs, out.value_locs = self.loc(value[1]), {}, {}
            for k, v, key_loc, value_loc in value[2]:
                k = self.value(k)
                out[k] = self.value(v)
                if key_loc != _MISSING:
                    out.key_locs[k] = self.loc(key_loc)
                if value_loc != _MISSING:
                    out.value_locs[k] = self.loc(value_loc)
            return out
        if tag == "L":
            out = YList(self.value(v) for v in value[2])
            out.loc, out.item_locs = self.loc(value[1]), [self.loc(i) for i in value[3]]
            return out
        if tag == "m":
            return {self.value(k): self.value(v) for k, v in value[1]}
        if tag == "l":
            return [self.value(v) for v in value[1]]
        if tag == "d":
            return dt.date.fromisoformat(value[1])
        raise _Uncachable(str(tag))
