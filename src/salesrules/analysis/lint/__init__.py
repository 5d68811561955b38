"""Linting rulesets: rules that are valid but can never apply, and other likely mistakes.

Every warning has a code, a message and the file, line and column it is about:

- ``unreachable-level``: a tier or classification level that no record can reach, because a
  catch-all comes before it, or because the levels before it already take every value its
  condition accepts (``deal_value >= 500_000`` listed after ``deal_value >= 100_000``).
- ``unreachable-band``: a band that no score can reach (a lower ``min`` before it, a ``min`` above
  the score's ``max``, or a band before it that every clamped score reaches).
- ``overlapping-bands``: two bands of a score with the same ``min``; the second is never used.
- ``never-holds``: a condition that no record can satisfy, such as
  ``deal_value > 5 and deal_value < 3`` or ``stage == 'won' and stage == 'lost'``.
- ``unused-field``: a field that no expression, reason or action text uses (and not the key).
- ``no-probability``: an open stage without a probability.
- ``no-catch-all``: a classification (tiers...) or a score's bands without a catch-all, so some
  records get ``unknown`` or no band.
- ``overlapping-rules``: two rules of a UNIQUE decision table (or of an ANY table, with different
  outputs) that both match some records.
- ``rule-gap``: input values no rule of a single-hit decision table without defaults matches.

The analysis is sound, not complete: it only reports what it can prove. Conditions are read
with :mod:`ast` and reasoned about per field ("subject"): comparisons of a field (or a
function of fields such as ``days_since(last_contact)``) with literals, ``in`` lists, ``is
None``, ``not``, ``and`` and ``or``, in three-valued logic (a field without a value makes a
comparison unknown, and an unknown condition does not hold).
"""

from .checks import CODES, LintWarning, Warning, lint
from .domains import INF
from .domains import (
    _Intervals as _Intervals,  # the interval algebra, which tests check on its own
)

__all__ = ["CODES", "INF", "LintWarning", "Warning", "lint"]
