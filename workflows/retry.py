"""The activity retry policies every workflow shares: transient failures retry a bounded while, data errors never."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from models.contracts.errors import DATA

# About five minutes: 0.5 + 1 + 2 + 4 + 8 + 16 s, then every 20 s up to the 20th attempt. Long enough to ride
# out a database restart or failover, short enough that a stuck document reaches a person within the hour.
MAX_ATTEMPTS = 20
MAX_INTERVAL = timedelta(seconds=20)


def transient(*also_non_retryable: str) -> RetryPolicy:
    """Bounded back-off for transient failures; the worker's "DataError" (and any types named) never retry."""
    return RetryPolicy(
        initial_interval=timedelta(milliseconds=500),
        backoff_coefficient=2.0,
        maximum_interval=MAX_INTERVAL,
        maximum_attempts=MAX_ATTEMPTS,
        non_retryable_error_types=[DATA, *also_non_retryable],
    )


TRANSIENT = transient()

# Steps that must get through in the end, however long the database is away: reporting a stuck step (its
# stage and inbox task) and the outbox dispatcher's sweeps. They retry without a limit, data errors aside.
UNTIL_DONE = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=[DATA],
)
