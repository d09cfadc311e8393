"""Channel price lists: what an item sells for on a channel from a date (orders take the latest valid price)."""

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import Field
from sqlmodel import Session, col, select

from api.deps import PrincipalDep, SessionDep, require
from api.errors import responses
from api.schemas.base import Body, Id, QueryId, examples, many
from api.schemas.master import ChannelPriceView
from models.contracts.bounds import CurrencyCode, PlanDate, UnitPrice
from models.master import Channel
from models.sales import ChannelPrice
from rules.errors import RuleViolation
from services.core.audit_log import audit_change
from services.core.auth import Principal
from services.core.errors import NotFound

router = APIRouter(tags=["master data"], responses=responses(401, 422))


class ChannelPriceCreate(Body):
    """An item's price on a channel from a date, in the channel's currency."""

    model_config = examples(
        {"channel_id": 1, "item_id": 1, "price": "19.90", "currency": "EUR", "valid_from": "2030-01-01"}
    )

    channel_id: Id
    item_id: Id
    price: UnitPrice
    currency: CurrencyCode
    valid_from: PlanDate = Field(default_factory=date.today)


def _channel(session: Session, who: Principal, channel_id: int) -> Channel:
    """The channel if it belongs to one of the caller's entities."""
    channel = session.get(Channel, channel_id)
    if channel is None or not who.sees(channel.entity_id):
        raise NotFound("channel_id", f"channel {channel_id} not found")
    return channel


@router.get(
    "/channel-prices",
    summary="A channel's price list, newest validity first",
    response_model=many(ChannelPriceView),
    responses=responses(404),
)
def list_prices(
    channel_id: QueryId, session: SessionDep, who: PrincipalDep, item_id: QueryId | None = None
) -> list[dict[str, Any]]:
    """A channel's prices by item, newest validity first (at most 1,000); only your entities' channels."""
    _channel(session, who, channel_id)
    query = select(ChannelPrice).where(ChannelPrice.channel_id == channel_id)
    if item_id is not None:
        query = query.where(ChannelPrice.item_id == item_id)
    query = query.order_by(col(ChannelPrice.item_id), col(ChannelPrice.valid_from).desc()).limit(1000)
    return [p.model_dump() for p in session.exec(query).all()]


@router.post(
    "/channel-prices",
    status_code=201,
    summary="Put an item on a channel's price list from a date",
    response_model=ChannelPriceView,
    responses=responses(403, 404, 409),
)
def create_price(
    body: ChannelPriceCreate, session: SessionDep, who: Principal = Depends(require("admin", "sales_ops"))
) -> dict[str, Any]:
    """An item's price on a channel from a date, in the channel's currency; audited. Admins and sales ops."""
    channel = _channel(session, who, body.channel_id)
    if body.currency != channel.currency:
        raise RuleViolation("currency", f"channel {channel.code} sells in {channel.currency}")
    price = ChannelPrice(**body.model_dump())
    session.add(price)
    session.flush()
    audit_change(
        session,
        who,
        "ChannelPrice.create",
        "ChannelPrice",
        str(price.id),
        None,
        price.model_dump(),
        channel.entity_id,
    )
    session.commit()
    session.refresh(price)
    return dict(price.model_dump())
