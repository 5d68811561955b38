"""Signals: values plugins compute from fields, available to every rule as if they were fields.

A signal is computed when the ruleset declares its input fields with fitting types; otherwise
an expression using its name gets a hint saying what it needs.
"""

from __future__ import annotations

import polars as pl

from ...errors import PluginError
from ...language.functions import SignalContext, wants_context
from ...model.types import accepts, named
from ...model.types import polars_dtype as polars_type
from ..fields import field_type

NAME = "signals"


def compile(compiler, scope):
    """Compute the plugins' signals whose input fields the ruleset declares with fitting types.

    Each answers to its qualified name ``PLUGIN:NAME`` too; a name two plugins' signals share
    answers only qualified, and using it plainly is an error naming both.
    """
    exprs, extra, hints = [], {}, dict(scope.hints)
    signals = compiler.registry.signals
    every = signals.every() if hasattr(signals, "every") else ((s.plugin, s) for s in signals.values())
    for qualifier, signal in every:
        if signal.name in compiler.fields:
            continue
        qualified = f"{qualifier}:{signal.name}"
        clash = signals.clash(signal.name) if hasattr(signals, "clash") else None
        column = qualified if clash is not None else signal.name
        if clash is not None:
            hints[signal.name] = clash.removeprefix(f"{signal.name!r} ")
        unmet = []
        for name, wanted in signal.inputs.items():
            spec = compiler.fields.get(name)
            if spec is None:
                unmet.append(f"a field {name!r} ({wanted})")
            elif not accepts(wanted, field_type(spec)):
                unmet.append(f"field {name!r} to be {wanted}, not {spec.type}")
        if unmet:
            need = f"is a signal of plugin {signal.plugin!r} that needs {', '.join(unmet)}"
            hints[qualified] = need
            if clash is None:
                hints[signal.name] = need
            continue
        try:
            inputs = {n: pl.col(n) for n in signal.inputs}
            if wants_context(signal.impl):
                expr = signal.impl(inputs, SignalContext(compiler.as_of, signal.name))
            else:
                expr = signal.impl(inputs)
        except Exception as exc:
            raise PluginError(f"plugin {signal.plugin!r} failed in signal {signal.name!r}: {type(exc).__name__}: {exc}") from exc
        scope.calls.append((signal.plugin, f"signal {signal.name!r}", None, str(expr)))
        exprs.append(expr.cast(polars_type(named(signal.returns))).alias(column))
        extra[qualified] = (named(signal.returns), pl.col(column))
        if clash is None:
            extra[signal.name] = extra[qualified]
    if exprs:
        compiler.steps.append(exprs)
    result = scope.child(extra)
    result.hints = hints
    return result
