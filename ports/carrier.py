"""The carrier port and its built-in implementation: record the carrier and a format-checked tracking number."""

import re
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlmodel import Session

from rules.errors import RuleViolation


@dataclass(frozen=True, slots=True)
class CarrierFormat:
    """How a carrier's tracking numbers look, and where people follow a parcel."""

    pattern: re.Pattern[str]
    example: str
    tracking_url: str | None = None


# Public formats of the carriers a European retailer ships with most. A carrier missing here is accepted
# with a generic shape check (a real carrier adapter knows its own rules).
FORMATS: dict[str, CarrierFormat] = {
    "dhl": CarrierFormat(re.compile(r"^(\d{10}|\d{12}|JJD\d{18,20}|00\d{18})$"), "00340434161094042557",
                         "https://www.dhl.com/track?tracking-id={tracking}"),
    "dpd": CarrierFormat(re.compile(r"^\d{14}$"), "01234567890123",
                         "https://tracking.dpd.de/status/en_US/parcel/{tracking}"),
    "ups": CarrierFormat(re.compile(r"^1Z[0-9A-Z]{16}$"), "1Z999AA10123456784",
                         "https://www.ups.com/track?tracknum={tracking}"),
    "fedex": CarrierFormat(re.compile(r"^(\d{12}|\d{15}|\d{20})$"), "123456789012",
                           "https://www.fedex.com/fedextrack/?trknbr={tracking}"),
    "gls": CarrierFormat(re.compile(r"^[0-9A-Z]{8,12}$"), "ZA1B2C3D"),
    "royal_mail": CarrierFormat(re.compile(r"^[A-Z]{2}\d{9}GB$"), "AB123456789GB",
                                "https://www.royalmail.com/track-your-item#/tracking-results/{tracking}"),
    "evri": CarrierFormat(re.compile(r"^[0-9A-Z]{16}$"), "H00A0A0000000001"),
    "postnl": CarrierFormat(re.compile(r"^3S[0-9A-Z]{11,13}$"), "3SABCD1234567"),
}  # fmt: skip
_GENERIC = re.compile(r"^[0-9A-Z-]{6,40}$")


def normalize_carrier(carrier: str) -> str:
    """Lower case with underscores: "Royal Mail" -> "royal_mail"."""
    return re.sub(r"[\s-]+", "_", carrier.strip().lower())


def normalize_tracking(tracking: str) -> str:
    """Upper case without spaces, as carriers print it in groups."""
    return re.sub(r"\s+", "", tracking).upper()


def tracking_problem(carrier: str, tracking: str) -> str | None:
    """Why a tracking number cannot be this carrier's, or None when it fits."""
    code, number = normalize_carrier(carrier), normalize_tracking(tracking)
    if not code:
        return "the carrier is missing"
    fmt = FORMATS.get(code)
    if fmt is None:
        return None if _GENERIC.match(number) else "a tracking number is 6 to 40 letters, digits or dashes"
    if not fmt.pattern.match(number):
        return f"{number!r} is not a {code} tracking number (e.g. {fmt.example})"
    return None


@dataclass(frozen=True, slots=True)
class ParcelHandover:
    """A shipment handed to a carrier, keyed by a business key (e.g. the shipment key)."""

    key: str
    carrier: str
    tracking: str
    document_type: str
    document_id: str


@dataclass(frozen=True, slots=True)
class Booking:
    """The recorded booking with its normalised tracking number and a link to follow it."""

    booking_id: int
    carrier: str
    tracking: str
    tracking_url: str | None


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
        fmt = FORMATS.get(carrier)
        url = fmt.tracking_url.format(tracking=tracking) if fmt and fmt.tracking_url else None
        conn = session.connection()
        conn.execute(
            text(
                """
                INSERT INTO carrier_booking (idempotency_key, carrier, tracking, document_type, document_id,
                                             tracking_url)
                VALUES (:k, :c, :t, :dt, :di, :u) ON CONFLICT (idempotency_key) DO NOTHING
                """
            ),
            {"k": parcel.key, "c": carrier, "t": tracking, "dt": parcel.document_type,
             "di": parcel.document_id, "u": url},
        )  # fmt: skip
        row = conn.execute(
            text(
                "SELECT id, carrier, tracking, tracking_url FROM carrier_booking WHERE idempotency_key = :k"
            ),
            {"k": parcel.key},
        ).one()
        return Booking(booking_id=int(row[0]), carrier=row[1], tracking=row[2], tracking_url=row[3])
