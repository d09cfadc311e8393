"""Contracts of the webhook dispatcher and delivery workflows and their activities."""

from pydantic import Field

from models.contracts.base import Contract


class DispatcherInput(Contract):
    """How the dispatcher sweeps: batch size, idle wait, and rounds before continue-as-new."""

    batch_size: int = 200
    idle_seconds: int = 30
    rounds_before_continue: int = 200


class DispatchRequest(Contract):
    """Fan out up to `limit` new events, then start up to `limit` pending deliveries."""

    limit: int = 200


class DispatchResult(Contract):
    """What one sweep did; `more` when a batch was full (sweep again at once)."""

    fanned_out: int
    started: int
    more: bool


class WaitRequest(Contract):
    """Wait at most this long for an outbox NOTIFY (or pending deliveries)."""

    seconds: int = 30


class DeliveryRequest(Contract):
    """One delivery run to send, with its subscription's retry settings."""

    delivery_id: int
    run: int
    max_attempts: int = 8
    first_retry_seconds: float = 10.0


class DeliveryAttemptResult(Contract):
    """The outcome of a successful (or pointless) POST."""

    status: str
    status_code: int | None = None


class DeadLetterRequest(Contract):
    """A delivery run that failed every try."""

    delivery_id: int
    run: int
    reason: str = Field(max_length=500)


class DeliveryOutcome(Contract):
    """How a delivery workflow ended: delivered, dead or skipped."""

    delivery_id: int
    run: int
    status: str
