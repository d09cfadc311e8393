"""What the middleware learned about the current request, for the route that handles it."""

from contextvars import ContextVar

# The request's Idempotency-Key (None without one): a command records it, so a retry after a crash finds it.
idempotency_key: ContextVar[str | None] = ContextVar("idempotency_key", default=None)
