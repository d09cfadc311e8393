"""Master data endpoints: entities, locations, items, suppliers, prices, customers, channels, accounts,
tax and FX rates, fiscal periods."""

from typing import Any

from fastapi import APIRouter, HTTPException, status
from sqlmodel import Session, select

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


router = APIRouter()
MASTER = "admin"
for sub in (
    crud_router(
        path="/entities",
        table=m.Entity,
        create=s.EntityCreate,
        update=s.EntityUpdate,
        write_roles=(MASTER,),
        entity_scoped=False,
        after_create=_create_entity,
    ),
    crud_router(
        path="/locations",
        table=m.Location,
        create=s.LocationCreate,
        update=s.LocationUpdate,
        write_roles=(MASTER,),
        entity_scoped=True,
    ),
    crud_router(
        path="/items",
        table=m.Item,
        create=s.ItemCreate,
        update=s.ItemUpdate,
        write_roles=(MASTER, "buyer"),
        entity_scoped=False,
    ),
    crud_router(
        path="/suppliers",
        table=m.Supplier,
        create=s.SupplierCreate,
        update=s.SupplierUpdate,
        write_roles=(MASTER, "buyer"),
        entity_scoped=False,
    ),
    crud_router(
        path="/supplier-prices",
        table=m.SupplierPrice,
        create=s.SupplierPriceCreate,
        update=None,
        write_roles=(MASTER, "buyer"),
        entity_scoped=False,
        archivable=False,
    ),
    crud_router(
        path="/customers",
        table=m.Customer,
        create=s.CustomerCreate,
        update=s.CustomerUpdate,
        write_roles=(MASTER, "sales_ops"),
        entity_scoped=False,
    ),
    crud_router(
        path="/channels",
        table=m.Channel,
        create=s.ChannelCreate,
        update=s.ChannelUpdate,
        write_roles=(MASTER,),
        entity_scoped=True,
    ),
    crud_router(
        path="/accounts",
        table=m.Account,
        create=s.AccountCreate,
        update=s.AccountUpdate,
        write_roles=(MASTER, "controller"),
        entity_scoped=True,
    ),
    crud_router(
        path="/tax-rates",
        table=m.TaxRate,
        create=s.TaxRateCreate,
        update=None,
        write_roles=(MASTER, "controller"),
        entity_scoped=False,
        archivable=False,
    ),
    crud_router(
        path="/fx-rates",
        table=m.FxRate,
        create=s.FxRateCreate,
        update=None,
        write_roles=(MASTER, "controller"),
        entity_scoped=False,
        archivable=False,
    ),
    crud_router(
        path="/fiscal-periods",
        table=m.FiscalPeriod,
        create=s.FiscalPeriodCreate,
        update=None,
        write_roles=(MASTER, "controller"),
        entity_scoped=True,
        archivable=False,
    ),
):
    router.include_router(sub)
