"""Return policies: per channel (window, auto-approval value, early refund, deadlines, spike alert) and the
customer's early-refund flag; defaults apply where no row exists."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.returns import ReturnPolicy
from models.returns import ChannelReturnPolicy

_DEFAULT = ChannelReturnPolicy(channel_id=0, updated_by="default")


@dataclass(frozen=True, slots=True)
class SpikeSettings:
    """When a return rate counts as a spike on a channel."""

    threshold: Decimal
    min_sold: Decimal
    window_days: int


def _channel_row(session: Session, channel_id: int) -> dict[str, Any]:
    row = (
        session.connection()
        .execute(text("SELECT * FROM channel_return_policy WHERE channel_id = :c"), {"c": channel_id})
        .mappings()
        .first()
    )
    return dict(row) if row else _DEFAULT.model_dump()


def policy_for(session: Session, channel_id: int, customer_id: int) -> ReturnPolicy:
    """The policy an RMA of this channel and customer follows."""
    ch = _channel_row(session, channel_id)
    trusted = (
        session.connection()
        .execute(
            text("SELECT refund_before_arrival FROM customer_return_policy WHERE customer_id = :c"),
            {"c": customer_id},
        )
        .scalar()
    )
    return ReturnPolicy(
        window_days=int(ch["window_days"]),
        auto_approve_below=Decimal(ch["auto_approve_below"]),
        refund_before_arrival=bool(ch["refund_before_arrival"]) or bool(trusted),
        goods_deadline_days=int(ch["goods_deadline_days"]),
    )


def spike_settings(session: Session, channel_id: int) -> SpikeSettings:
    """The channel's spike threshold, minimum sold volume and rolling window."""
    ch = _channel_row(session, channel_id)
    return SpikeSettings(
        Decimal(ch["spike_threshold"]), Decimal(ch["spike_min_sold"]), int(ch["spike_window_days"])
    )


def set_channel_policy(
    session: Session, channel_id: int, values: dict[str, Any], actor: str
) -> dict[str, Any]:
    """Create or change a channel's policy (only the given fields change); returns the stored policy."""
    current = _channel_row(session, channel_id)
    merged = {k: values.get(k, current[k]) for k in _FIELDS}
    session.connection().execute(
        text(
            f"""
            INSERT INTO channel_return_policy (channel_id, {", ".join(_FIELDS)}, updated_by)
            VALUES (:channel_id, {", ".join(":" + f for f in _FIELDS)}, :actor)
            ON CONFLICT (channel_id) DO UPDATE SET {", ".join(f"{f} = EXCLUDED.{f}" for f in _FIELDS)},
                   updated_by = EXCLUDED.updated_by
            """
        ),
        {**merged, "channel_id": channel_id, "actor": actor},
    )
    return {"channel_id": channel_id, **merged, "updated_by": actor}


def set_customer_policy(session: Session, customer_id: int, refund_before_arrival: bool, actor: str) -> None:
    """Trust (or stop trusting) a customer with refunds before the goods arrive."""
    session.connection().execute(
        text(
            """
            INSERT INTO customer_return_policy (customer_id, refund_before_arrival, updated_by) VALUES (:c, :f, :a)
            ON CONFLICT (customer_id) DO UPDATE SET refund_before_arrival = EXCLUDED.refund_before_arrival,
                   updated_by = EXCLUDED.updated_by
            """
        ),
        {"c": customer_id, "f": refund_before_arrival, "a": actor},
    )


_FIELDS = (
    "window_days",
    "auto_approve_below",
    "refund_before_arrival",
    "goods_deadline_days",
    "spike_threshold",
    "spike_min_sold",
    "spike_window_days",
)
