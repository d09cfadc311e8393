"""What the middleware learned about the current request, for the route that handles it."""

import time
from contextvars import ContextVar

from starlette.types import Message, Send

# The request's Idempotency-Key (None without one): a command records it, so a retry after a crash finds it.
idempotency_key: ContextVar[str | None] = ContextVar("idempotency_key", default=None)

# What the access log line of the current request names (actor, command id): the middleware puts a fresh dict
# here; the auth dependency and the command edge add to it. A dict, not separate variables, because a sync
# dependency runs in a copy of the context and its writes to a ContextVar would not reach the middleware.
request_facts: ContextVar[dict[str, str] | None] = ContextVar("request_facts", default=None)


def note(**facts: str) -> None:
    """Add facts to the current request's access log line (no-op outside a request)."""
    current = request_facts.get()
    if current is not None:
        current.update(facts)


class Answer:
    """What a middleware learns of a request's answer: its status (500 until the app starts one) and its time."""

    def __init__(self, send: Send) -> None:
        self.status = 500
        self._send = send
        self._began = time.perf_counter()

    async def send(self, message: Message) -> None:
        """The `send` a middleware hands the app: notes the status, then passes the message on."""
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self._send(message)

    @property
    def seconds(self) -> float:
        """Seconds since the request came in."""
        return time.perf_counter() - self._began
