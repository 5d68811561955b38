"""salesrules: a columnar rules engine for sales methodologies.

``load(path)`` returns a :class:`Ruleset`; ``Ruleset.evaluate(data)`` returns a polars
DataFrame of results, ``Ruleset.evaluate_one(record)`` a dict and
``Ruleset.evaluate_many(records)`` a list of them. Plugins implement the hooks in
:mod:`salesrules.hookspecs` with ``@salesrules.hookimpl``.
"""

from .errors import (
    ExpressionError,
    InputError,
    PluginError,
    RulesetError,
    SalesrulesError,
    UsageError,
)
from .hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = [
    "ExpressionError",
    "InputError",
    "PluginError",
    "Ruleset",
    "RulesetError",
    "SalesrulesError",
    "UsageError",
    "__version__",
    "hookimpl",
    "load",
]


def __getattr__(name):
    # Loaded on first use so that `salesrules --version` stays fast.
    if name == "load":
        from .loader.load import load

        return load
    if name == "Ruleset":
        from .loader.ruleset import Ruleset

        return Ruleset
    raise AttributeError(f"module 'salesrules' has no attribute {name!r}")
