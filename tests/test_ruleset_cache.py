"""The cache of loaded rulesets: a hit loads the same ruleset without reading its files, and
anything the entry depends on, changed, makes it load from the files again."""

from __future__ import annotations

import datetime as dt
import json
import os
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import salesrules
from salesrules.errors import ExpressionError, Loc, RulesetError
from salesrules.loader import cache
from salesrules.loader import load as load_module
from salesrules.loader.load import load
from salesrules.loader.located import YDict, YList, YStr
from salesrules.loader.merge import _PathMap, _Resolved
from salesrules.plugins import pm
from salesrules.testing import plugin_registered

PARENT = """
salesrules: 1
name: parent
fields:
  id: {type: string, key: true}
  amount: money
  industry: {type: enum, values: [Software, Retail]}
factors:
  - name: big
    when: amount >= 1000
    points: 10
    reason: "big deal: {amount}"
"""

CHILD = """
salesrules: 1
name: child
version: "2"
extends: parent.yaml
factors:
  - name: software
    when: industry == "Software"
    points: 5
"""

RECORDS = pl.DataFrame({"id": ["a", "b", "c"], "amount": ["1500", "20", "3000"], "industry": ["Software", "Retail", "Retail"]})
AS_OF = dt.date(2026, 11, 22)


def write(path: Path, text: str) -> Path:
    """Write ``text`` (dedented) to ``path`` dated ten seconds ago, as a file not being edited is."""
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    settle(path)
    return path


def settle(path: Path) -> None:
    past = time.time() - 10
    os.utime(path, (past, past))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv("SALESRULES_CACHE_DIR", str(directory))
    monkeypatch.delenv("SALESRULES_NO_CACHE", raising=False)
    return directory


@pytest.fixture
def family(tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    write(folder / "parent.yaml", PARENT)
    return write(folder / "child.yaml", CHILD)


@pytest.fixture
def reads(monkeypatch):
    """How many times the ruleset files are read and merged (a cache miss)."""
    count = {"n": 0}
    resolve = load_module._resolve

    def counting(*args, **kwargs):
        count["n"] += 1
        return resolve(*args, **kwargs)

    monkeypatch.setattr(load_module, "_resolve", counting)
    return count


def entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.json"))


def test_a_hit_loads_the_same_ruleset_without_reading_its_files(cache_dir, family, reads):
    first = load(family, AS_OF)
    assert reads["n"] == 1 and len(entries(cache_dir)) == 1
    assert cache_dir.stat().st_mode & 0o777 == 0o700
    second = load(family, AS_OF)
    assert reads["n"] == 1
    assert second == first
    assert second.hash == first.hash and second.sources == first.sources
    assert [f.when.loc for f in second.factors] == [f.when.loc for f in first.factors]
    assert second.factors[0].when.loc == Loc(str(family.parent / "parent.yaml"), 9, 11)
    assert second.evaluate(RECORDS, as_of=AS_OF).equals(first.evaluate(RECORDS, as_of=AS_OF))
    assert second.evaluate(RECORDS, as_of=AS_OF)["score"].to_list() == [15, 0, 10]


def test_the_entry_is_plain_json(cache_dir, family):
    load(family, AS_OF)
    (entry,) = entries(cache_dir)
    data = json.loads(entry.read_text("utf-8"))
    assert data["format"] == cache.FORMAT
    assert [Path(name).name for name, _, _ in data["files"]] == ["child.yaml", "parent.yaml"]


@pytest.mark.parametrize("changed", ["child.yaml", "parent.yaml"])
def test_changing_any_file_of_the_chain_reads_the_files_again(cache_dir, family, reads, changed):
    load(family, AS_OF)
    path = family.parent / changed
    write(path, path.read_text("utf-8").replace("points: 10", "points: 11").replace("points: 5", "points: 6"))
    ruleset = load(family, AS_OF)
    assert reads["n"] == 2
    assert sorted(int(f.points.text) for f in ruleset.factors) == ([5, 11] if changed == "parent.yaml" else [6, 10])
    load(family, AS_OF)
    assert reads["n"] == 2  # the new content is cached in turn


def test_a_file_changed_a_moment_ago_is_not_cached_yet(cache_dir, family, reads):
    family.write_text(family.read_text("utf-8"), encoding="utf-8")  # dated now
    load(family, AS_OF)
    load(family, AS_OF)
    assert reads["n"] == 2 and entries(cache_dir) == []


def test_a_plugin_more_or_another_plugin_version_reads_the_files_again(cache_dir, family, reads, tmp_path, monkeypatch):
    load(family, AS_OF)
    plugin_file = tmp_path / "extra_plugin.py"
    plugin_file.write_text("from salesrules import hookimpl\n\n\n@hookimpl\ndef register_functions(register):\n    pass\n")
    import importlib.util

    spec = importlib.util.spec_from_file_location("extra_plugin", plugin_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with plugin_registered(module, "extra"):
        load(family, AS_OF)
        assert reads["n"] == 2
        load(family, AS_OF)
        assert reads["n"] == 2

    class Dist:
        def __init__(self, version):
            self.version = version

        def read_text(self, name):
            return f"Metadata-Version: 2.1\nName: extra-plugin\nVersion: {self.version}\n\nabout it\n"

    with plugin_registered(module, "extra"):
        for version, expected_reads in (("1.0", 3), ("1.0", 3), ("1.1", 4)):
            monkeypatch.setattr(pm, "list_plugin_distinfo", lambda v=version: [(module, Dist(v))])
            load(family, AS_OF)
            assert reads["n"] == expected_reads


def test_another_salesrules_version_reads_the_files_again(cache_dir, family, reads, monkeypatch):
    load(family, AS_OF)
    monkeypatch.setattr(salesrules, "__version__", "99.0")
    load(family, AS_OF)
    assert reads["n"] == 2
    assert len(entries(cache_dir)) == 2


def test_a_plugin_without_package_or_file_turns_the_cache_off(cache_dir, family, reads):
    class Anonymous:
        pass

    plugin = Anonymous()
    Anonymous.__module__ = "no_such_module_anywhere"
    with plugin_registered(plugin, "anonymous"):
        load(family, AS_OF)
        load(family, AS_OF)
    assert reads["n"] == 2 and entries(cache_dir) == []


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"format": 1}', b"[1, 2]", b"\xff\xfe", b'{"format": 99}'])
def test_a_corrupt_or_foreign_entry_is_ignored_and_replaced(cache_dir, family, reads, content):
    first = load(family, AS_OF)
    (entry,) = entries(cache_dir)
    entry.write_bytes(content)
    assert load(family, AS_OF) == first
    assert reads["n"] == 2
    assert load(family, AS_OF) == first
    assert reads["n"] == 2  # replaced by a good entry


def test_an_entry_of_a_well_formed_but_wrong_shape_is_ignored(cache_dir, family, reads):
    first = load(family, AS_OF)
    (entry,) = entries(cache_dir)
    data = json.loads(entry.read_text("utf-8"))
    data["raw"] = ["M", 10**9, []]
    entry.write_text(json.dumps(data), encoding="utf-8")
    assert load(family, AS_OF) == first
    assert reads["n"] == 2


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="giving a file away takes root")
def test_an_entry_of_another_user_is_not_trusted(cache_dir, family, reads):
    load(family, AS_OF)
    (entry,) = entries(cache_dir)
    os.chown(entry, 4321, -1)
    load(family, AS_OF)
    assert reads["n"] == 2
    assert entry.stat().st_uid == 0  # replaced by the user's own
    load(family, AS_OF)
    assert reads["n"] == 2


def test_entries_unused_for_a_month_are_removed_when_another_is_written(cache_dir, family, tmp_path):
    cache_dir.mkdir()
    old, recent, leftover = cache_dir / ("0" * 40 + ".json"), cache_dir / ("1" * 40 + ".json"), cache_dir / ".tmp-x.json"
    for path, age in ((old, 31 * 24 * 3600), (recent, 29 * 24 * 3600), (leftover, 2 * 3600)):
        path.write_text("{}")
        os.utime(path, (time.time() - age, time.time() - age))
    load(family, AS_OF)
    assert not old.exists() and recent.exists() and not leftover.exists()
    assert len(entries(cache_dir)) == 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_in_place_of_an_entry_is_not_waited_on(cache_dir, family, reads):
    first = load(family, AS_OF)
    (entry,) = entries(cache_dir)
    entry.unlink()
    os.mkfifo(entry)
    assert load(family, AS_OF) == first  # would block forever if the pipe were opened to read
    assert reads["n"] == 2


def test_an_unwritable_cache_directory_never_fails_a_run(tmp_path, family, reads, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("SALESRULES_CACHE_DIR", str(blocker / "cache"))
    assert load(family, AS_OF).name == "child"
    assert load(family, AS_OF).name == "child"
    assert reads["n"] == 2


def test_the_cache_can_be_turned_off(cache_dir, family, reads, monkeypatch):
    monkeypatch.setenv("SALESRULES_NO_CACHE", "1")
    load(family, AS_OF)
    load(family, AS_OF)
    assert reads["n"] == 2 and not cache_dir.exists()


def test_the_cache_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("SALESRULES_NO_CACHE", raising=False)
    monkeypatch.delenv("SALESRULES_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "salesrules"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "salesrules"
    monkeypatch.setenv("SALESRULES_CACHE_DIR", str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"
    monkeypatch.setenv("SALESRULES_NO_CACHE", "1")
    assert cache.cache_dir() is None
    monkeypatch.setenv("SALESRULES_NO_CACHE", "0")
    assert cache.cache_dir() == tmp_path / "mine"


def test_the_test_session_never_uses_the_users_cache():
    home = Path(os.path.expanduser("~")) / ".cache" / "salesrules"
    assert cache.cache_dir() is not None and cache.cache_dir() != home


def test_expression_errors_are_reported_the_same_from_the_cache(cache_dir, tmp_path, reads):
    path = write(tmp_path / "bad.yaml", """
        salesrules: 1
        name: bad
        fields:
          amount: money
        factors:
          - name: big
            when: amount >= "x"
            points: 10
    """)
    errors = []
    for _ in range(2):
        with pytest.raises(ExpressionError) as info:
            load(path, AS_OF)
        errors.append((str(info.value), info.value.loc))
    assert reads["n"] == 1  # the data was cached; the expression is compiled and refused each time
    assert errors[0] == errors[1]
    assert errors[0][1] == Loc(str(path), 7, 21)


def test_a_ruleset_that_fails_its_schema_is_never_cached(cache_dir, tmp_path, reads):
    path = write(tmp_path / "bad.yaml", "salesrules: 1\nname: bad\nfactors: 3\n")
    for _ in range(2):
        with pytest.raises(RulesetError) as info:
            load(path, AS_OF)
        assert str(info.value.loc) == f"{path}:3:10"
    assert reads["n"] == 2 and entries(cache_dir) == []


def test_a_relative_path_is_quoted_as_given_from_each_directory(cache_dir, family, monkeypatch):
    monkeypatch.chdir(family.parent)
    assert load("child.yaml", AS_OF).factors[1].when.loc == Loc("child.yaml", 7, 11)
    monkeypatch.chdir(family.parent.parent)
    assert load("rules/child.yaml", AS_OF).factors[1].when.loc == Loc("rules/child.yaml", 7, 11)
    monkeypatch.chdir(family.parent)
    assert load("child.yaml", AS_OF).factors[1].when.loc == Loc("child.yaml", 7, 11)
    assert len(entries(cache_dir)) == 2


def test_a_builtin_ruleset_is_cached_too(cache_dir, reads):
    first = load("builtin:standard", AS_OF)
    second = load("builtin:standard", AS_OF)
    assert second == first and reads["n"] == 1


# ------------------------------------------------------------- the encoding, any data

_locs = st.builds(Loc, st.sampled_from(["a.yaml", "/x/b.yaml", "ü.yaml"]), st.one_of(st.none(), st.integers(1, 10**6)),
                  st.one_of(st.none(), st.integers(1, 500)))


@st.composite
def _ystr(draw):
    value = YStr(draw(st.text(max_size=12)))
    value.loc, value.style, value.exact = draw(_locs), draw(st.sampled_from([None, "'", '"', "|", ">"])), draw(st.booleans())
    return value


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(allow_nan=False, allow_infinity=False),
                     st.text(max_size=12), st.dates(), _ystr())
_keys = st.one_of(st.text(max_size=8), _ystr(), st.integers(-5, 5), st.booleans(), st.dates())


@st.composite
def _ydict(draw, children):
    items = draw(st.dictionaries(_keys, children, max_size=4))
    value = YDict(items)
    value.loc = draw(_locs)
    value.key_locs = {k: draw(_locs) for k in items if draw(st.booleans())}
    value.value_locs = {k: draw(_locs) for k in items if draw(st.booleans())}
    return value


@st.composite
def _ylist(draw, children):
    value = YList(draw(st.lists(children, max_size=4)))
    value.loc = draw(_locs)
    value.item_locs = [draw(_locs) for _ in value]
    return value


_data = st.recursive(_scalars, lambda children: st.one_of(
    _ydict(children), _ylist(children), st.lists(children, max_size=3), st.dictionaries(_keys, children, max_size=3)
), max_leaves=20)


def _same(a, b) -> bool:
    if type(a) is not type(b) or a != b:
        return False
    for attribute in ("loc", "style", "exact", "key_locs", "value_locs", "item_locs"):
        if getattr(a, attribute, None) != getattr(b, attribute, None):
            return False
    if isinstance(a, dict):
        keys_b = list(b)
        return list(a) == keys_b and all(_same(k, kb) and _same(a[k], b[kb]) for k, kb in zip(a, keys_b))
    if isinstance(a, list):
        return all(_same(x, y) for x, y in zip(a, b))
    return True


@settings(max_examples=200, deadline=None)
@given(_data, _data, st.lists(st.tuples(st.lists(_keys, min_size=1, max_size=3), _locs), max_size=5))
def test_any_located_data_comes_back_exactly(data, raw_body, origin_items):
    raw = YDict({"body": raw_body})
    raw.loc, raw.key_locs, raw.value_locs = Loc("a.yaml", 1, 1), {}, {}
    origins = _PathMap()
    for path, loc in origin_items:
        origins[tuple(path)] = loc
    resolved = _Resolved(data={"data": data}, origins=origins, files=set(), plugin_refs={"builtin:x"})
    encoded = json.loads(json.dumps(cache._encode("k", resolved, raw, time.time())))
    back, back_raw = cache._Decoder(encoded).resolved()
    assert _same(back.data, resolved.data)
    assert _same(back_raw, raw)
    assert list(back.origins.items()) == list(origins.items())
    assert back.plugin_refs == {"builtin:x"}
