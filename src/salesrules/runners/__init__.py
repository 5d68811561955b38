"""Runners: evaluate a compiled plan over records.

:mod:`.common` holds what every runner shares (de-duplication, rank, the output columns),
:mod:`.local` the batched runner with its spill store, :mod:`.one` the one-record path,
:mod:`.many` micro-batches of records.
"""

from .common import Evaluation
from .local import Outcome, evaluate, evaluate_full, run
from .many import evaluate_many
from .one import evaluate_one

__all__ = ["Evaluation", "Outcome", "evaluate", "evaluate_full", "evaluate_many", "evaluate_one", "run"]
