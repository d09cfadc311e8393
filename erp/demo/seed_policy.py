"""The demo retailer's purchasing policy: approval bands and settings per entity, and how reliable each
supplier is (the simulator makes deliveries late or short by these profiles)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from models.master import Channel, Item
from models.purchasing import ApprovalBand, ApprovalSetting
from models.sales import ChannelPrice

D = Decimal

# (min, max, levels) in the entity's currency: the approver alone, then the finance manager by name,
# above 50,000 the CFO by name. Every level checks the approver's limit against the whole amount, so
# fin.manager (limit 50,000) cannot be a level above 50,000: there the CFO (1,000,000) signs instead.
BANDS: list[tuple[str, str | None, list[dict[str, str]]]] = [
    ("0", "5000", [{"role": "approver"}]),
    ("5000", "50000", [{"role": "approver"}, {"user": "fin.manager"}]),
    ("50000", None, [{"role": "approver"}, {"user": "cfo"}]),
]


@dataclass(frozen=True, slots=True)
class SupplierProfile:
    """How a supplier behaves: share of deliveries on time, share of ordered units delivered, price drift."""

    on_time_pct: int
    fill_rate_pct: int
    invoice_price_drift_pct: Decimal


# Kept in code, not in a table: only the simulator and the README's story use them; the scorecard
# report measures the real behaviour from receipts.
SUPPLIER_PROFILES: dict[str, SupplierProfile] = {
    "NORDTEX": SupplierProfile(92, 98, D("0")),
    "BALTWEAR": SupplierProfile(70, 90, D("3")),
    "ALPSHOE": SupplierProfile(95, 99, D("0")),
    "PORTOSTEP": SupplierProfile(80, 94, D("2")),
    "ACCENTO": SupplierProfile(97, 100, D("0")),
    "SHENTECH": SupplierProfile(55, 85, D("5")),
    "VOLTEDGE": SupplierProfile(75, 92, D("4")),
    "GLOWLAB": SupplierProfile(98, 100, D("0")),
    "PUREBEAU": SupplierProfile(85, 95, D("1")),
    "CASADOM": SupplierProfile(88, 96, D("0")),
    "HOMEKRAFT": SupplierProfile(65, 88, D("6")),
    "RAPIDTEX": SupplierProfile(99, 100, D("0")),
}


def seed_approval_policy(session: Session, entity_ids: list[int]) -> None:
    """Entity-specific bands and settings (never generic ones, so other data in the database is unaffected)."""
    for entity_id in entity_ids:
        for low, high, levels in BANDS:
            session.add(
                ApprovalBand(
                    entity_id=entity_id,
                    min_amount=D(low),
                    max_amount=None if high is None else D(high),
                    levels=levels,
                )
            )
        session.add(
            ApprovalSetting(
                entity_id=entity_id,
                sla_hours=24,
                # Escalation targets are roles: an overdue approval goes to the controllers (carla, cfo).
                escalation={"approver": "controller"},
                window_days=30,
                window_cap=D("500000"),
                grace_days=2,
                over_receipt_pct=D("5"),
            )
        )
    session.flush()


def seed_channel_prices(
    session: Session, channels: list[Channel], items: list[Item], valid_from: date
) -> None:
    """Every item on every channel's price list: list price in EUR, a GBP price for the UK web shop."""
    for channel in channels:
        assert channel.id is not None
        # Marketplaces carry their fee in the price; GBP is priced off EUR at a round retail factor.
        factor = {"EUR": D("1.00"), "GBP": D("0.86")}[channel.currency] * (
            D("1.05") if channel.kind == "marketplace" else D("1")
        )
        for item in items:
            assert item.id is not None and item.list_price is not None
            session.add(
                ChannelPrice(
                    channel_id=channel.id,
                    item_id=item.id,
                    price=(item.list_price * factor).quantize(D("0.01")),
                    currency=channel.currency,
                    valid_from=valid_from,
                )
            )
    session.flush()
