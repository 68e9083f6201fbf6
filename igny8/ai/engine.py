"""The one entry point for metered AI work, used by the API, the CLI and automation alike.

The engine's parts live in igny8.runs, one concern each: the run's life
(``lifecycle``: submit, replay, claim, take-over, cancel, finish), its items in parallel
under the account's and the run's limits (``parallel``), one item's execution and
record (``items``), taking over a dead worker's run (``recovery``), the handler's
context (``context``) and waking waiters (``signals``). This module names what the rest
of the core and the plugins call.
"""

from ..runs.context import ItemError, OperationContext
from ..runs.lifecycle import (
    IdempotencyConflict,
    OperationRefused,
    RunOutcome,
    cancel,
    execute_run,
    run_operation,
    stale_runs,
    submit,
)

__all__ = [
    "IdempotencyConflict",
    "ItemError",
    "OperationContext",
    "OperationRefused",
    "RunOutcome",
    "cancel",
    "execute_run",
    "run_operation",
    "stale_runs",
    "submit",
]
