"""Errors raised by business rules; each names the offending field so an API can answer 422."""

from __future__ import annotations


class RuleViolation(ValueError):
    """A business rule refused its input; `field` names the input, `reason` says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(field, reason)
        self.field = field
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"
