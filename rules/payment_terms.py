"""Due dates from payment terms: NET{n}, EOM, EOM{n}, IMMEDIATE."""

from __future__ import annotations

from datetime import date, timedelta

from rules.errors import RuleViolation
from rules.periods import period_bounds, period_of

# Longer terms than this are a typo, and a huge n would overflow date arithmetic.
_MAX_DAYS = 999


def _days(terms: str, prefix: str, suffix: str) -> int:
    """Parse the day count after a prefix, refusing junk and absurd values."""
    if not suffix.isdigit() or int(suffix) > _MAX_DAYS:
        raise RuleViolation("payment_terms", f"{terms!r}: expected {prefix} followed by 0..{_MAX_DAYS} days")
    return int(suffix)


def due_date(invoice_date: date, terms: str) -> date:
    """Date an invoice falls due under `terms` (case and spaces ignored, e.g. 'net 30')."""
    code = terms.replace(" ", "").upper()
    if code == "IMMEDIATE":
        return invoice_date
    if code.startswith("EOM"):
        extra = 0 if code == "EOM" else _days(terms, "EOM", code[3:])
        return period_bounds(period_of(invoice_date))[1] + timedelta(days=extra)
    if code.startswith("NET"):
        return invoice_date + timedelta(days=_days(terms, "NET", code[3:]))
    raise RuleViolation("payment_terms", f"unknown payment terms {terms!r}; use NETn, EOM, EOMn or IMMEDIATE")
