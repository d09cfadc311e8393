"""The carrier port and its built-in implementation: a booking record with a format-checked tracking number."""

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlmodel import Session

from rules.errors import RuleViolation
from rules.tracking_numbers import (
    FORMATS,
    CarrierFormat,
    normalize_carrier,
    normalize_tracking,
    tracking_problem,
    tracking_url,
)

__all__ = [
    "FORMATS",
    "Booking",
    "CarrierFormat",
    "CarrierPort",
    "ParcelHandover",
    "RecordingCarrier",
    "carrier_port",
    "normalize_carrier",
    "normalize_tracking",
    "tracking_problem",
]


@dataclass(frozen=True, slots=True)
class ParcelHandover:
    """A shipment handed to a carrier, keyed by a business key (e.g. the shipment key)."""

    key: str
    carrier: str
    tracking: str
    document_type: str
    document_id: str
    service: str | None = None
    label_reference: str | None = None


@dataclass(frozen=True, slots=True)
class Booking:
    """The recorded booking: carrier, service, normalised tracking number, label reference, a link to follow."""

    booking_id: int
    carrier: str
    tracking: str
    tracking_url: str | None
    service: str | None = None
    label_reference: str | None = None


class CarrierPort(Protocol):
    """Hand a parcel to a carrier; a carrier API adapter would also buy the label here."""

    def book(self, session: Session, parcel: ParcelHandover) -> Booking:
        """Record (or create) the booking once per key; RuleViolation for a malformed tracking number."""
        ...


class RecordingCarrier:
    """No carrier API: the warehouse types in the tracking number; we check its format and record it."""

    def book(self, session: Session, parcel: ParcelHandover) -> Booking:
        """Validate and record once per key (a retried activity gets the first booking back)."""
        problem = tracking_problem(parcel.carrier, parcel.tracking)
        if problem is not None:
            raise RuleViolation("tracking", problem)
        carrier, tracking = normalize_carrier(parcel.carrier), normalize_tracking(parcel.tracking)
        # The label the warehouse printed; without one, the label is the carrier's own (its tracking number).
        label = parcel.label_reference or f"{carrier}:{tracking}"
        conn = session.connection()
        conn.execute(
            text(
                """
                INSERT INTO carrier_booking (idempotency_key, carrier, tracking, document_type, document_id,
                                             tracking_url, service, label_reference)
                VALUES (:k, :c, :t, :dt, :di, :u, :s, :lr) ON CONFLICT (idempotency_key) DO NOTHING
                """
            ),
            {"k": parcel.key, "c": carrier, "t": tracking, "dt": parcel.document_type,
             "di": parcel.document_id, "u": tracking_url(carrier, tracking), "s": parcel.service, "lr": label},
        )  # fmt: skip
        row = conn.execute(
            text(
                "SELECT id, carrier, tracking, tracking_url, service, label_reference FROM carrier_booking"
                " WHERE idempotency_key = :k"
            ),
            {"k": parcel.key},
        ).one()
        return Booking(
            booking_id=int(row[0]),
            carrier=row[1],
            tracking=row[2],
            tracking_url=row[3],
            service=row[4],
            label_reference=row[5],
        )


def carrier_port() -> CarrierPort:
    """The carrier port shipments use (the recording carrier until a carrier API adapter is configured)."""
    return RecordingCarrier()
