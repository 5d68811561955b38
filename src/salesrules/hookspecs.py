"""The hooks salesrules calls, one per extension point.

Plugins implement them with ``@salesrules.hookimpl``. Registration hooks receive a
``register`` callback; salesrules collects what is registered (a name two plugins register
answers only as ``PLUGIN:NAME``, see :mod:`salesrules.plugin_names`), and reports a plugin that
raises by its name and the hook.
Built-in formats, functions and rulesets are registered through these same hooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from pluggy import HookimplMarker, HookspecMarker

if TYPE_CHECKING:
    import click

hookspec = HookspecMarker("salesrules")
hookimpl = HookimplMarker("salesrules")


@hookspec
def register_functions(register: Callable) -> None:
    """Register functions that ruleset expressions may call.

    :param register: ``register(name, impl, args, returns, variadic=False, doc="")``.
        ``args`` lists the argument types (``string``, ``integer``, ``number``, ``money``,
        ``boolean``, ``date``, or the classes ``numeric``, ``text`` and ``any``);
        ``returns`` is a type name or ``callable(arg_types) -> type name``; ``impl(call)``
        receives a :class:`salesrules.functions.Call` and returns a polars expression.
    """


@hookspec
def register_signals(register: Callable) -> None:
    """Register signals: fields computed from other fields, usable in rules like any field.

    :param register: ``register(name, impl, inputs, returns, doc="")``. ``inputs`` maps each
        input field name to its type; ``impl(inputs)`` receives a dict of polars expressions
        keyed by those names and returns one polars expression of type ``returns``. An
        ``impl(inputs, context)`` also receives a :class:`salesrules.functions.SignalContext`:
        the evaluation's ``as_of`` date (for "days until renewal") and the signal's ``name``.
    """


@hookspec
def register_rulesets(register: Callable) -> None:
    """Register rulesets shipped by a plugin, usable as ``builtin:NAME`` in ``extends`` and ``-r``.

    :param register: ``register(name, path, description="")`` with the path of a YAML file.
    """


@hookspec
def register_input_formats(register: Callable) -> None:
    """Register readers of prospect files.

    :param register: ``register(name, read, extensions, diagnose=None)``. ``read(path, options)``
        receives the file path and a :class:`salesrules.inputs.ReadOptions` and returns a polars
        DataFrame or LazyFrame; ``extensions`` are the file suffixes (``".csv"``) that select it by
        default. A lazy reader may fail only when the data is collected; ``diagnose(path, options,
        error)`` then returns an :class:`salesrules.errors.InputError` that names the place.
    """


@hookspec
def register_output_formats(register: Callable) -> None:
    """Register writers of results.

    :param register: ``register(name, write, extension, binary=True, sink=None,
        lists_as_text=None, sort="input", columns=None)``. ``write(frame, stream, context)`` receives the results as a
        polars DataFrame, a writable stream (bytes when ``binary``, text otherwise) and a
        :class:`salesrules.outputs.OutputContext`. Results too big for memory go instead to
        ``sink(frame, stream, context)`` when the format has one, with a polars LazyFrame to
        write in batches (``frame.sink_csv(stream)`` and the like); without one they are
        collected for ``write``. ``lists_as_text`` (a separator such as ``"; "``) asks for
        reasons, gaps and actions as text joined by it, as
        :func:`salesrules.outputs.text_frame` renders them, instead of lists. ``sort`` is
        the order of the records when the user asks for none: ``input`` (as read) or
        ``rank`` (ranked open deals first, then the closed ones). ``columns(available, key)``,
        when given, returns the result columns the format shows by default, from the list
        ``available``; the others are then not computed. A ``write`` (or ``sink``) that also
        names the parameters ``fields`` or ``ruleset`` gets them by name: the typed input fields
        under their canonical names, one row per result row (a LazyFrame for ``sink``), and a
        :class:`salesrules.outputs.RulesetInfo`; the fields are computed only for such a writer.
    """


@hookspec
def register_report_formats(register: Callable) -> None:
    """Register writers of reports (``salesrules report``).

    :param register: ``register(name, write, extension, binary=True)``. ``write(report, stream,
        context)`` receives a :class:`salesrules.reports.Report` (its sections as polars
        DataFrames, and ``to_dict()`` for the JSON document), a writable stream (bytes when
        ``binary``, text otherwise) and a :class:`salesrules.outputs.OutputContext`.

    .. versionadded:: 0.2
    """


@hookspec
def register_databases(register: Callable) -> None:
    """Register databases that records are read from and results written to.

    :param register: ``register(name, connect, schemes, extensions=(), retype=None)``.
        ``connect(url)`` receives the URI as the user gave it (credentials included) and returns
        an open DB-API 2.0 connection with the ADBC extensions (``cursor.fetch_record_batch``,
        ``cursor.adbc_ingest``, ``connection.adbc_get_table_schema``), autocommit off.
        ``schemes`` are the URI schemes that select it (``"postgresql"``), ``extensions`` the
        file suffixes (``".db"``). ``retype(connection, sql)`` optionally returns the query
        rewritten so that each column has one type in every batch, and the number of leading
        rows it adds (skipped when read).

    .. versionadded:: 0.2
    """


@hookspec
def register_ruleset_formats(register: Callable) -> None:
    """Register readers of rulesets written in another format than YAML (DMN models, say).

    :param register: ``register(name, read, extensions, description="")``. ``read(path)``
        receives the file path and returns the ruleset's data: the mapping a YAML ruleset
        would give (``salesrules``, ``name``, ``fields``, ``decisions``...), checked against the
        ruleset schema like YAML. Values may be :mod:`salesrules.loader.yamlsource` strings,
        lists and mappings carrying their place (``loc``), so that errors point into the file.
        ``extensions`` are the file suffixes (``".dmn"``) that select the reader.

    .. versionadded:: 0.2
    """


@hookspec
def register_commands(cli: "click.Group") -> None:
    """Add commands to the ``salesrules`` command line.

    :param cli: the root click group; decorate new commands with ``@cli.command()``.
    """
