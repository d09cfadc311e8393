"""Return policies: per channel (window, auto-approval value, early refund, deadlines, spike alert) and the
customer's early-refund flag; defaults apply where no row exists."""

from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from sqlmodel import Session, col

from models.contracts.returns import ReturnPolicy
from models.returns import ChannelReturnPolicy, CustomerReturnPolicy


@dataclass(frozen=True, slots=True)
class SpikeSettings:
    """When a return rate counts as a spike on a channel."""

    threshold: Decimal
    min_sold: Decimal
    window_days: int


@dataclass(frozen=True, slots=True)
class ChannelPolicy:
    """A channel's stored return policy (the defaults where it has none)."""

    window_days: int
    auto_approve_below: Decimal
    refund_before_arrival: bool
    goods_deadline_days: int
    spike_threshold: Decimal
    spike_min_sold: Decimal
    spike_window_days: int


_FIELDS = tuple(f.name for f in fields(ChannelPolicy))
_UNSET = ChannelReturnPolicy(channel_id=0, updated_by="default")  # the table's column defaults
_DEFAULT = ChannelPolicy(
    _UNSET.window_days,
    _UNSET.auto_approve_below,
    _UNSET.refund_before_arrival,
    _UNSET.goods_deadline_days,
    _UNSET.spike_threshold,
    _UNSET.spike_min_sold,
    _UNSET.spike_window_days,
)


def channel_policy(session: Session, channel_id: int) -> ChannelPolicy:
    """The channel's policy, or the defaults when none is stored."""
    t = ChannelReturnPolicy
    row = (
        session.connection()
        .execute(
            select(
                col(t.window_days),
                col(t.auto_approve_below),
                col(t.refund_before_arrival),
                col(t.goods_deadline_days),
                col(t.spike_threshold),
                col(t.spike_min_sold),
                col(t.spike_window_days),
            ).where(col(t.channel_id) == channel_id)
        )
        .first()
    )
    if row is None:
        return _DEFAULT
    return ChannelPolicy(
        window_days=int(row[0]),
        auto_approve_below=Decimal(row[1]),
        refund_before_arrival=bool(row[2]),
        goods_deadline_days=int(row[3]),
        spike_threshold=Decimal(row[4]),
        spike_min_sold=Decimal(row[5]),
        spike_window_days=int(row[6]),
    )


def policy_for(session: Session, channel_id: int, customer_id: int) -> ReturnPolicy:
    """The policy an RMA of this channel and customer follows."""
    ch = channel_policy(session, channel_id)
    trusted = (
        session.connection()
        .execute(
            select(col(CustomerReturnPolicy.refund_before_arrival)).where(
                col(CustomerReturnPolicy.customer_id) == customer_id
            )
        )
        .scalar()
    )
    return ReturnPolicy(
        window_days=ch.window_days,
        auto_approve_below=ch.auto_approve_below,
        refund_before_arrival=ch.refund_before_arrival or bool(trusted),
        goods_deadline_days=ch.goods_deadline_days,
    )


def spike_settings(session: Session, channel_id: int) -> SpikeSettings:
    """The channel's spike threshold, minimum sold volume and rolling window."""
    ch = channel_policy(session, channel_id)
    return SpikeSettings(ch.spike_threshold, ch.spike_min_sold, ch.spike_window_days)


def set_channel_policy(
    session: Session, channel_id: int, values: dict[str, Any], actor: str
) -> dict[str, Any]:
    """Create or change a channel's policy (only the given fields change); returns the stored policy."""
    current = asdict(channel_policy(session, channel_id))
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
