"""What the middleware learned about the current request, for the route that handles it."""

from contextvars import ContextVar

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
