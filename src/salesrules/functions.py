"""Stable import path for plugin authors: what a function's ``impl(call)`` receives, and the
context a signal's ``impl(inputs, context)`` may take.

The expression language lives in :mod:`salesrules.language`; plugins written against this
module keep working.
"""

from .language.functions import NO_LITERAL, Call, SignalContext

__all__ = ["NO_LITERAL", "Call", "SignalContext"]
