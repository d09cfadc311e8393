"""Errors services raise; each names a field and a reason, so the API answers 4xx without guessing."""

from rules.errors import RuleViolation


class NotFound(RuleViolation):
    """A referenced record does not exist (or is not visible to the caller)."""


class Conflict(RuleViolation):
    """The request clashes with the current state (duplicate, already decided, stale revision)."""


class InsufficientStock(RuleViolation):
    """Not enough available stock for a reservation or an issue."""
