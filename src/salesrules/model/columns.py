"""The column contract of a compiled plan: the names of internal and result columns.

Input columns are renamed ``in:NAME``; ``__row`` numbers the records and ``__bad`` flags the
ones with a value that does not convert. Lists of fired items (reasons, gaps, actions) travel
through the plan packed as text (see :mod:`salesrules.compiler.packing`).
"""

from __future__ import annotations

import re

import polars as pl

# The recorded stage, a field whose values are the stage names.
STAGE = "stage"
# Internal columns: the record number, its bad-value flag, the input columns (in:NAME), each
# field's value as read, as typed in Python (see runners.one.read_in_python), as a lookup
# gave it, and as templates show text (see Compiler.template).
ROW = "__row"
BAD = "__bad"
IN = "in:"
# The typed input fields carried through to an output format that takes them (see io.output_arguments).
FIELD = "__field:"
VALUE = "__value:"
READ = "__read:"
LOOKUP = "__lookup:"
SHOWN = "__shown:"
# Whether a record's stage is closed, and closed won or lost (closed deals are not ranked).
CLOSED, WON, LOST = "__closed", "__won", "__lost"
# What a missing tier, stage or classification shows as.
UNKNOWN = "unknown"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
ACTION_DTYPE = pl.Struct({"name": pl.String, "text": pl.String, "due": pl.Date})

# The per-record plan keeps lists of fired items (reasons, gaps, actions) packed: their texts
# joined by SEP, and an action's name, text and due date joined by FIELD_SEP. Polars builds
# lists row by row far more slowly than it joins strings, and a packed list becomes a list
# or display text with elementwise operations only, so the whole pass streams. Placeholder
# values have these two characters replaced by spaces.
SEP = "\x1f"
FIELD_SEP = "\x1e"
REASONS, GAPS, ACTIONS, ACTIONS_TEXT = "__reasons", "__gaps", "__actions", "__actions_text"
ACTIONS_FIRED = "__actions_fired"
PACKED = (REASONS, GAPS, ACTIONS, ACTIONS_TEXT, ACTIONS_FIRED)

# Result names a field may not take.
RESERVED = {
    "tier", "tier_points", "stage_source", "stage_conflict", "stage_probability", "score", "band",
    "rank", "reasons", "actions", "gaps", "as_of", "row", "days_in_stage", "stage_overdue",
}


def normal_name(name: str) -> str:
    """A column name compared ignoring case, spaces, ``-``, ``.`` and ``_``, as the docs promise:
    ``Deal Value``, ``deal_value``, ``DealValue`` and ``dealvalue`` (HubSpot's internal name
    style) all match. Separators are dropped, not just unified."""
    return re.sub(r"[\s\-_.]+", "", str(name).strip().lower())
