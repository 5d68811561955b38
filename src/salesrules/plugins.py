"""The plugin manager, plugin discovery and the registry of what plugins provide.

Plugins are found through the ``salesrules`` entry-point group. ``SALESRULES_LOAD_PLUGINS``
is a comma-separated allow-list of entry-point names (empty: load none);
``SALESRULES_DISABLE_PLUGINS`` blocks plugins by name or by package; ``SALESRULES_TRACE_PLUGINS=1`` prints hook
calls to stderr.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

import pluggy

from . import hookspecs
from .errors import PluginError, UsageError, did_you_mean
from .plugin_names import Names, disabled_plugins

ENTRY_POINT_GROUP = "salesrules"

DEFAULT_PLUGINS = (
    "salesrules.default_plugins.databases",
    "salesrules.default_plugins.functions",
    "salesrules.default_plugins.input_formats",
    "salesrules.default_plugins.output_crm",
    "salesrules.default_plugins.output_csv",
    "salesrules.default_plugins.output_json",
    "salesrules.default_plugins.output_markdown",
    "salesrules.default_plugins.output_table",
    "salesrules.default_plugins.output_xlsx",
    "salesrules.default_plugins.output_parquet",
    "salesrules.default_plugins.report_html",
    "salesrules.default_plugins.report_json",
    "salesrules.default_plugins.report_markdown",
    "salesrules.default_plugins.report_table",
    "salesrules.default_plugins.report_xlsx",
    "salesrules.default_plugins.rulesets",
    "salesrules.default_plugins.ruleset_dmn",
)

pm = pluggy.PluginManager("salesrules")
pm.add_hookspecs(hookspecs)

_loaded = False
_registry: "Registry | None" = None


def load_plugins(plugins_dir: str | None = None) -> None:
    """Register the default plugins and the installed ones, once; then any ``*.py`` in ``plugins_dir``."""
    global _loaded, _registry
    if not _loaded:
        _loaded = True
        for name in DEFAULT_PLUGINS:
            if pm.get_plugin(name) is None:
                pm.register(importlib.import_module(name), name)
        for name in disabled_plugins(os.environ.get("SALESRULES_DISABLE_PLUGINS", ""), ENTRY_POINT_GROUP, DEFAULT_PLUGINS):
            pm.set_blocked(name)
        # The repository's own test session sets this flag (its conftest.py).
        if not getattr(sys, "_salesrules_test_no_entrypoints", False):
            allow = os.environ.get("SALESRULES_LOAD_PLUGINS")
            if allow is None:
                pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
            else:
                for name in filter(None, (n.strip() for n in allow.split(","))):
                    pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name=name)
        if os.environ.get("SALESRULES_TRACE_PLUGINS"):
            pm.add_hookcall_monitoring(_trace_before, _trace_after)
        pm.check_pending()
    if plugins_dir:
        register_plugins_dir(plugins_dir)


def register_plugins_dir(path: str) -> None:
    """Register every ``*.py`` file in ``path`` as a plugin named after the file."""
    import importlib.util
    from pathlib import Path

    global _registry
    directory = Path(path)
    if not directory.is_dir():
        raise PluginError(f"--plugins-dir {path}: not a directory")
    for file in sorted(directory.glob("*.py")):
        name = f"plugins-dir:{file.stem}"
        if pm.get_plugin(name) is not None:
            continue
        spec = importlib.util.spec_from_file_location(f"salesrules_local_{file.stem}", file)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # a broken local plugin is reported, not a traceback
            raise PluginError(f"{file}: plugin failed to load: {type(exc).__name__}: {exc}") from exc
        pm.register(module, name)
    pm.check_pending()
    _registry = None


def _trace_before(hook_name, hook_impls, kwargs):
    print(f"salesrules: calling {hook_name} on {[i.plugin_name for i in hook_impls]}", file=sys.stderr)


def _trace_after(outcome, hook_name, hook_impls, kwargs):
    print(f"salesrules: {hook_name} done", file=sys.stderr)


@dataclass(frozen=True)
class Function:
    """A function callable from expressions; see the ``register_functions`` hook."""

    name: str
    impl: Callable
    args: tuple[str, ...]
    returns: Any
    variadic: bool = False
    doc: str = ""
    plugin: str = ""


@dataclass(frozen=True)
class Signal:
    """A computed field; see the ``register_signals`` hook."""

    name: str
    impl: Callable
    inputs: dict
    returns: str
    doc: str = ""
    plugin: str = ""


@dataclass(frozen=True)
class ShippedRuleset:
    """A ruleset file a plugin ships; see the ``register_rulesets`` hook."""

    name: str
    path: str
    description: str = ""
    plugin: str = ""


@dataclass(frozen=True)
class InputFormat:
    """A reader of prospect files; see the ``register_input_formats`` hook."""

    name: str
    read: Callable
    extensions: tuple[str, ...] = ()
    diagnose: Callable | None = None
    plugin: str = ""


@dataclass(frozen=True)
class OutputFormat:
    """A writer of results; see the ``register_output_formats`` hook."""

    name: str
    write: Callable
    extension: str = ""
    binary: bool = True
    plugin: str = ""
    # Optional: ``sink(frame: pl.LazyFrame, stream, context)`` writes results that may not fit
    # in memory, batch by batch (polars' sink_* methods do).
    sink: Callable | None = None
    # Optional: the separator the writer joins list values with; the results then come with
    # reasons, gaps and actions already as that text, as ``outputs.text_frame`` renders them.
    lists_as_text: str | None = None
    # Optional: the order the format writes records in by default, ``input`` or ``rank``.
    sort: str = "input"
    # Optional: ``columns(available, key)`` gives the result columns the format shows by
    # default (the others are then not computed); None writes every column.
    columns: Callable | None = None

    def takes(self, argument: str, streaming: bool = False) -> bool:
        """Whether ``write`` (``sink`` when ``streaming``) has a parameter named ``argument``:
        the optional arguments ``fields`` and ``ruleset`` go only to writers that name them."""
        return argument in _parameters(self.sink if streaming else self.write)


def _parameters(function) -> tuple[str, ...]:
    """The parameter names of ``function`` (none when they cannot be read)."""
    import inspect

    try:
        return tuple(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return ()


@dataclass(frozen=True)
class ReportFormat:
    """A writer of reports; see the ``register_report_formats`` hook."""

    name: str
    write: Callable
    extension: str = ""
    binary: bool = True
    plugin: str = ""
    sink: Callable | None = None  # reports are written whole


@dataclass(frozen=True)
class Database:
    """A database that records are read from and results written to; see ``register_databases``."""

    name: str
    connect: Callable
    schemes: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    retype: Callable | None = None
    plugin: str = ""


@dataclass(frozen=True)
class RulesetFormat:
    """A reader of rulesets in another format than YAML; see the ``register_ruleset_formats`` hook."""

    name: str
    read: Callable
    extensions: tuple[str, ...] = ()
    description: str = ""
    plugin: str = ""


@dataclass
class Registry:
    """Everything the loaded plugins registered, by kind and name (see :class:`Names`: a name
    two plugins provide clashes, and answers only qualified, ``PLUGIN:NAME``)."""

    functions: Names = field(default_factory=lambda: Names("function"))
    signals: Names = field(default_factory=lambda: Names("signal"))
    rulesets: Names = field(default_factory=lambda: Names("ruleset"))
    input_formats: Names = field(default_factory=lambda: Names("input format"))
    output_formats: Names = field(default_factory=lambda: Names("output format"))
    report_formats: Names = field(default_factory=lambda: Names("report format"))
    databases: Names = field(default_factory=lambda: Names("database"))
    ruleset_formats: Names = field(default_factory=lambda: Names("ruleset format"))


# What qualifies the names of the built-in plugins: ``salesrules:days_since``, ``salesrules:xlsx``.
BUILTIN_QUALIFIER = "salesrules"


def qualifier(plugin: str) -> str:
    """The name that qualifies what plugin ``plugin`` provides (``PLUGIN:NAME``): its name (the
    entry-point name of an installed plugin), ``salesrules`` for the built-in plugins, and the
    file name for a plugin of ``--plugins-dir``."""
    if plugin in DEFAULT_PLUGINS:
        return BUILTIN_QUALIFIER
    return plugin.removeprefix("plugins-dir:")


def _collect(hook_name: str, target: Names, build: Callable) -> None:
    hook = getattr(pm.hook, hook_name)
    for impl in reversed(hook.get_hookimpls()):
        plugin = impl.plugin_name
        mine: set[str] = set()

        def register(name, *args, _plugin=plugin, _mine=mine, **kwargs):
            if name in _mine:
                raise PluginError(f"plugin {_plugin!r} registers the {target.kind} {name!r} twice")
            _mine.add(name)
            target.add(build(name, *args, plugin=_plugin, **kwargs), qualifier(_plugin))

        try:
            impl.function(register=register)
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(
                f"plugin {plugin!r} failed in {hook_name}: {type(exc).__name__}: {exc}"
            ) from exc


def _database(name, connect, schemes=(), extensions=(), retype=None, plugin=""):
    return Database(name, connect, tuple(s.lower() for s in schemes), tuple(e.lower() for e in extensions), retype, plugin)


def get_registry() -> Registry:
    """The registry of the loaded plugins, built once per set of plugins."""
    global _registry
    load_plugins()
    if _registry is None:
        registry = Registry()
        _collect("register_functions", registry.functions, Function)
        _collect("register_signals", registry.signals, Signal)
        _collect("register_rulesets", registry.rulesets, ShippedRuleset)
        _collect("register_input_formats", registry.input_formats, InputFormat)
        _collect("register_output_formats", registry.output_formats, OutputFormat)
        _collect("register_report_formats", registry.report_formats, ReportFormat)
        _collect("register_databases", registry.databases, _database)
        _collect("register_ruleset_formats", registry.ruleset_formats, RulesetFormat)
        _registry = registry
    return _registry


@contextmanager
def plugin_registered(module, name: str | None = None) -> Iterator["Registry"]:
    """Register ``module`` as the plugin ``name`` (default: the module's name) for the duration of
    the block and yield the registry with it, whether or not the package is installed.

    Idempotent: when the same module is registered already (the installed package, loaded from
    its entry point), it is used as it is and stays; when another plugin holds the name (an
    older installed copy), it steps aside for the block and comes back after. Either way the
    registry is built afresh on entry and on exit, so each test sees exactly what it set up.
    """
    load_plugins()
    name = name or module.__name__
    previous = pm.get_plugin(name)
    added = not pm.is_registered(module)
    if added:
        if previous is not None:
            pm.unregister(name=name)
        pm.register(module, name)
    reset_registry()
    try:
        yield get_registry()
    finally:
        if added:
            pm.unregister(module)
            if previous is not None:
                pm.register(previous, name)
        reset_registry()


def provided(registry: "Registry | None" = None) -> dict[str, dict[str, list[dict]]]:
    """What each plugin registered, by plugin name and kind (``functions``, ``signals``,
    ``rulesets``, ``input_formats``, ``output_formats``, ``report_formats``, ``databases``,
    ``ruleset_formats``): each entry's name and what a user needs to know of it (a function's
    arguments, result and doc; a format's extensions...)."""
    registry = registry or get_registry()
    found: dict[str, dict[str, list[dict]]] = {}

    def add(kind: str, item, **details) -> None:
        owners = getattr(registry, kind).clashes.get(item.name, ())
        also = [o for o in owners if o != qualifier(item.plugin)]
        entry = {"name": item.name, **{k: v for k, v in details.items() if v}, **({"also_in": also} if also else {})}
        found.setdefault(item.plugin, {}).setdefault(kind, []).append(entry)

    def every(kind: str) -> list:
        return [item for _, item in getattr(registry, kind).every()]

    for f in every("functions"):
        add("functions", f, args=list(f.args) + (["..."] if f.variadic else []), returns=str(f.returns), doc=_first_line(f.doc))
    for sig in every("signals"):
        add("signals", sig, inputs=sorted(sig.inputs), returns=str(sig.returns), doc=_first_line(sig.doc))
    for r in every("rulesets"):
        prefix = "builtin" if r.name in registry.rulesets else qualifier(r.plugin)
        add("rulesets", r, reference=f"{prefix}:{r.name}", description=r.description)
    for kind in ("input_formats", "output_formats", "report_formats", "databases", "ruleset_formats"):
        for item in every(kind):
            extensions = getattr(item, "extensions", None) or ((item.extension,) if getattr(item, "extension", "") else ())
            add(kind, item, extensions=list(extensions), schemes=list(getattr(item, "schemes", ())),
                doc=_first_line(getattr(item, "description", "") or _doc_of(item)))
    return found


def _first_line(text: str | None) -> str:
    return (text or "").strip().split("\n")[0].strip()


def _doc_of(item) -> str:
    """The docstring of the callable behind a format or database."""
    for attribute in ("read", "write", "connect"):
        function = getattr(item, attribute, None)
        if function is not None and getattr(function, "__doc__", None):
            return function.__doc__
    return ""


def reset_registry() -> None:
    """Forget the built registry so the next :func:`get_registry` asks the plugins again."""
    global _registry
    _registry = None


def plugin_list(show_all: bool = False, hook: str | None = None) -> list[dict]:
    """The loaded plugins as ``{name, version, hooks}`` dicts; default plugins only with ``show_all``."""
    load_plugins()
    versions = {}
    for plugin, dist in pm.list_plugin_distinfo():
        versions[pm.get_name(plugin)] = (dist.project_name if hasattr(dist, "project_name") else dist.metadata["Name"], dist.version)
    result = []
    for plugin in pm.get_plugins():
        name = pm.get_name(plugin)
        if name in DEFAULT_PLUGINS and not show_all:
            continue
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or ())
        if hook and hook not in hooks:
            continue
        entry = {"name": name, "hooks": hooks}
        if name in versions:
            entry["package"], entry["version"] = versions[name]
        result.append(entry)
    return sorted(result, key=lambda e: e["name"])


def named_format(formats: dict, name: str, kind: str):
    """The format ``name`` (plain or ``PLUGIN:NAME``) of ``formats`` (``kind`` "input" or
    "output"); a UsageError naming the known ones, or the plugins that share the name, otherwise."""
    found = formats.get(name)
    if found is not None:
        return found
    clash = formats.clash(name) if isinstance(formats, Names) else None
    if clash is not None:
        raise UsageError(f"{kind} format {clash}")
    raise UsageError(f"unknown {kind} format {name!r}{did_you_mean(name, formats)}; known: {', '.join(sorted(formats))}")


def by_extension(formats) -> dict[str, str]:
    """Format names by lower-case file extension; a built-in format keeps an extension a plugin also claims.

    ``formats`` is a :class:`Names` (a format whose name clashes is then given by its qualified
    name) or an iterable of formats.
    """
    if isinstance(formats, Names):
        named = [(item, item.name if formats.clash(item.name) is None else f"{q}:{item.name}") for q, item in formats.every()]
    else:
        named = [(item, item.name) for item in formats]
    def standing(fmt, extension: str) -> tuple[bool, bool]:
        # A built-in format beats a plugin's, and among equals the format named for the extension
        # (``csv`` for ``.csv``, not ``salesforce-csv``) beats the others, whatever the order the
        # plugins were registered in.
        return fmt.plugin in DEFAULT_PLUGINS, fmt.name == extension.lstrip(".")

    owners: dict[str, tuple] = {}
    for fmt, name in named:
        extensions = getattr(fmt, "extensions", None) or ((fmt.extension,) if getattr(fmt, "extension", "") else ())
        for extension in extensions:
            extension = extension.lower()
            current = owners.get(extension)
            if current is None or standing(fmt, extension) > standing(current[0], extension):
                owners[extension] = (fmt, name)
    return {extension: name for extension, (_, name) in owners.items()}
