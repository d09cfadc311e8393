"""Heartbeats for long activity steps: a worker that dies mid-step is noticed within the heartbeat timeout,
not the step's whole start-to-close timeout (the month-end close's heavy steps have 15 minutes)."""

import contextvars
import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from temporalio import activity

F = TypeVar("F", bound=Callable[..., Any])


def heartbeats(fn: F) -> F:
    """Run a sync activity while a background thread heartbeats every third of its heartbeat timeout (none
    when the caller set no heartbeat timeout)."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        timeout = activity.info().heartbeat_timeout
        if not timeout:
            return fn(*args, **kwargs)
        # The activity's context, copied so the beating thread heartbeats for this activity.
        context = contextvars.copy_context()
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(timeout.total_seconds() / 3):
                context.run(activity.heartbeat)

        beater = threading.Thread(target=beat, name=f"heartbeat-{activity.info().activity_type}", daemon=True)
        beater.start()
        try:
            return fn(*args, **kwargs)
        finally:
            stop.set()
            beater.join()

    return run  # type: ignore[return-value]
