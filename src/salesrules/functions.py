"""Stable import path for plugin authors: what a function's ``impl(call)`` receives.

The expression language lives in :mod:`salesrules.language`; plugins written against this
module keep working.
"""

from .language.functions import NO_LITERAL, Call

__all__ = ["NO_LITERAL", "Call"]
