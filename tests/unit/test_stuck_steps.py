"""When does a failed step park a document for an admin, and how long do transient failures get first?"""

from datetime import timedelta

from temporalio.exceptions import ActivityError, ApplicationError, RetryState

from models.contracts.errors import CONFLICT, DATA
from workflows.attention import stuck_reason
from workflows.retry import TRANSIENT, UNTIL_DONE


def _failed(cause: BaseException, state: RetryState) -> ActivityError:
    """The ActivityError a workflow sees, with the activity's failure as its cause."""
    err = ActivityError(
        "activity failed",
        scheduled_event_id=5,
        started_event_id=6,
        identity="worker",
        activity_type="purchasing.issue",
        activity_id="1",
        retry_state=state,
    )
    err.__cause__ = cause
    return err


def test_a_data_error_parks_the_document_at_once() -> None:
    data = ApplicationError('violates check constraint "po_line_qty_positive"', type=DATA, non_retryable=True)
    exc = _failed(data, RetryState.NON_RETRYABLE_FAILURE)
    assert stuck_reason(exc) == 'violates check constraint "po_line_qty_positive"'


def test_inside_an_update_bad_input_refuses_the_request_instead() -> None:
    data = ApplicationError("numeric field overflow", type=DATA, non_retryable=True)
    assert stuck_reason(_failed(data, RetryState.NON_RETRYABLE_FAILURE), refuse_data=True) is None


def test_a_business_refusal_is_the_callers_to_handle() -> None:
    refused = ApplicationError("invoice INV-1 is registered already", type=CONFLICT, non_retryable=True)
    assert stuck_reason(_failed(refused, RetryState.NON_RETRYABLE_FAILURE)) is None


def test_a_transient_failure_parks_only_once_its_retries_ran_out() -> None:
    down = ApplicationError("connection refused", type="OperationalError")
    reason = stuck_reason(_failed(down, RetryState.MAXIMUM_ATTEMPTS_REACHED))
    assert reason is not None and "retries ran out" in reason and "connection refused" in reason
    assert stuck_reason(_failed(down, RetryState.TIMEOUT)) is not None
    # Cancelled with the workflow, or anything else: not a stuck step.
    assert stuck_reason(_failed(down, RetryState.CANCEL_REQUESTED)) is None


def test_transient_retries_last_minutes_not_for_ever() -> None:
    assert TRANSIENT.maximum_attempts == 20 and TRANSIENT.maximum_interval == timedelta(seconds=20)
    assert DATA in (TRANSIENT.non_retryable_error_types or [])
    waits, interval = timedelta(0), TRANSIENT.initial_interval
    for _ in range(TRANSIENT.maximum_attempts - 1):
        waits += interval
        interval = min(interval * TRANSIENT.backoff_coefficient, TRANSIENT.maximum_interval)
    assert timedelta(minutes=3) < waits < timedelta(minutes=10)
    # Reporting a stuck step itself must get through however long the database is away.
    assert UNTIL_DONE.maximum_attempts == 0 and DATA in (UNTIL_DONE.non_retryable_error_types or [])
