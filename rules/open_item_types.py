"""Which kind of AP/AR document a journal entry was, for entries posted before open items existed."""

from decimal import Decimal

# Markers in the posting keys the services use (services/*.py), checked in this order.
_BY_KEY = (
    (":revenue", "shipment"),
    (":capture:gl", "capture"),
    (":refund:gl", "refund"),
    (":credit_note", "credit_note"),
    ("settlement:", "settlement"),
    (":payment", "payment"),
    (":invoice:", "invoice"),
    (":out", "debit_note"),
)


def legacy_type(key: str, side: str, amount: Decimal) -> str:
    """The document type from the entry's posting key, else from the side and the sign of its amount."""
    for marker, kind in _BY_KEY:
        if marker in key:
            return kind
    if side == "ar":
        return "shipment" if amount > 0 else "capture"
    return "invoice" if amount < 0 else "payment"
