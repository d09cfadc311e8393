"""Admission for order intake: how many intakes one API process lets wait for their workflow's first answer.

Past that many, an order is stored as a pending command and answered 202 at once, naming it; the command
relays beside the workers start it at their own pace. A flash sale then queues durably in PostgreSQL
instead of holding hundreds of requests open until they time out."""

from collections.abc import Iterator
from contextlib import contextmanager

from erp.settings import get_settings


class IntakeGate:
    """A count of waiting intakes in this process (one event loop: no lock needed)."""

    def __init__(self) -> None:
        self.waiting = 0

    @contextmanager
    def slot(self) -> Iterator[bool]:
        """Yields True when this intake may wait for its workflow, False when it should queue instead."""
        if self.waiting >= get_settings().intake_waiters:
            yield False
            return
        self.waiting += 1
        try:
            yield True
        finally:
            self.waiting -= 1


gate = IntakeGate()
