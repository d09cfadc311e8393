"""Master data endpoints: entities, locations, items, suppliers, prices, customers, channels, accounts,
tax and FX rates, fiscal periods."""

from typing import Any, NamedTuple

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel
from sqlmodel import Session, SQLModel, select

from api.routes.crud import crud_router
from api.schemas import master as s
from models import master as m
from models.auth import User, UserEntity
from services.core.auth import Principal
from services.core.chart import create_entity
from services.core.policy_admin import apply_defaults


def _create_entity(session: Session, who: Principal, data: dict[str, Any]) -> m.Entity:
    if not who.has_role("admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only admins create entities")
    entity = create_entity(session, **data)
    assert entity.id is not None
    # Default approval bands, settings and match tolerance: a new entity can buy at once (admins change them).
    apply_defaults(session, entity.id)
    # The creator must see what they created; admins join every entity they create.
    user = session.exec(select(User).where(User.username == who.username)).one()
    assert user.id is not None and entity.id is not None
    session.add(UserEntity(user_id=user.id, entity_id=entity.id))
    session.flush()
    return entity


class _Master(NamedTuple):
    """One master-data resource: without an update body a record is never edited nor archived, a newer one
    takes over (prices, rates, periods)."""

    path: str
    table: type[SQLModel]
    create: type[BaseModel]
    update: type[BaseModel] | None
    write_roles: tuple[str, ...]
    entity_scoped: bool


MASTER = "admin"
_RESOURCES = (
    _Master("/entities", m.Entity, s.EntityCreate, s.EntityUpdate, (MASTER,), False),
    _Master("/locations", m.Location, s.LocationCreate, s.LocationUpdate, (MASTER,), True),
    _Master("/items", m.Item, s.ItemCreate, s.ItemUpdate, (MASTER, "buyer"), False),
    _Master("/suppliers", m.Supplier, s.SupplierCreate, s.SupplierUpdate, (MASTER, "buyer"), False),
    _Master("/supplier-prices", m.SupplierPrice, s.SupplierPriceCreate, None, (MASTER, "buyer"), False),
    _Master("/customers", m.Customer, s.CustomerCreate, s.CustomerUpdate, (MASTER, "sales_ops"), False),
    _Master("/channels", m.Channel, s.ChannelCreate, s.ChannelUpdate, (MASTER,), True),
    _Master("/accounts", m.Account, s.AccountCreate, s.AccountUpdate, (MASTER, "controller"), True),
    _Master("/tax-rates", m.TaxRate, s.TaxRateCreate, None, (MASTER, "controller"), False),
    _Master("/fx-rates", m.FxRate, s.FxRateCreate, None, (MASTER, "controller"), False),
    _Master("/fiscal-periods", m.FiscalPeriod, s.FiscalPeriodCreate, None, (MASTER, "controller"), True),
)

router = APIRouter()
for res in _RESOURCES:
    router.include_router(
        crud_router(
            path=res.path,
            table=res.table,
            create=res.create,
            update=res.update,
            write_roles=res.write_roles,
            entity_scoped=res.entity_scoped,
            archivable=res.update is not None,
            after_create=_create_entity if res.table is m.Entity else None,
        )
    )
