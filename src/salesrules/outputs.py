"""Stable import path for plugin authors: the context and helpers of output formats, and the
:class:`RulesetInfo` a writer that names a ``ruleset`` parameter receives.

The writers live in :mod:`salesrules.io.outputs`; plugins written against this module keep working.
"""

from .io.formulas import formula_safe
from .io.output_arguments import RulesetInfo
from .io.outputs import (
    OutputContext,
    json_value,
    provenance,
    provenance_text,
    text_frame,
    with_provenance_columns,
)

__all__ = [
    "OutputContext",
    "RulesetInfo",
    "formula_safe",
    "json_value",
    "provenance",
    "provenance_text",
    "text_frame",
    "with_provenance_columns",
]
