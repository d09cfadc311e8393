"""Master data builders for tests: each call makes records with unique codes."""

import uuid
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from models.auth import User, UserEntity
from models.master import Channel, Customer, Entity, Item, Location, Supplier, SupplierPrice
from services.core.auth import hash_token
from services.core.chart import create_entity

T = TypeVar("T")


def _uid() -> str:
    return uuid.uuid4().hex[:8]


class Factory:
    """Creates committed master data through the application engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _save(self, obj: T) -> T:
        with Session(self.engine, expire_on_commit=False) as s:
            s.add(obj)
            s.commit()
            s.refresh(obj)
        return obj

    def entity(self, currency: str = "EUR") -> Entity:
        """An entity with the standard chart of accounts."""
        with Session(self.engine, expire_on_commit=False) as s:
            e = create_entity(s, code=f"E{_uid()}", name="Test Retail", currency=currency)
            s.commit()
            return e

    def location(self, entity: Entity, kind: str = "warehouse") -> Location:
        """A stock location of the entity."""
        assert entity.id is not None
        return self._save(Location(entity_id=entity.id, code=f"L{_uid()}", name="Loc", kind=kind))

    def item(self, *, method: str = "moving_average", category: str = "apparel", **kw: Any) -> Item:
        """A stock item."""
        return self._save(
            Item(sku=f"SKU{_uid()}", name="Item", category=category, valuation_method=method, **kw)
        )

    def supplier(self, currency: str = "EUR", **kw: Any) -> Supplier:
        """A supplier."""
        return self._save(Supplier(code=f"S{_uid()}", name="Supplier", currency=currency, **kw))

    def supplier_price(self, supplier: Supplier, item: Item, price: Decimal, **kw: Any) -> SupplierPrice:
        """A contract price valid from 2000-01-01."""
        assert supplier.id is not None and item.id is not None
        return self._save(
            SupplierPrice(
                supplier_id=supplier.id,
                item_id=item.id,
                price=price,
                currency=supplier.currency,
                valid_from=kw.pop("valid_from", date(2000, 1, 1)),
                **kw,
            )
        )

    def customer(self, currency: str = "EUR", region: str = "DE") -> Customer:
        """A customer."""
        return self._save(Customer(code=f"C{_uid()}", name="Customer", currency=currency, tax_region=region))

    def channel(self, entity: Entity, kind: str = "web", **kw: Any) -> Channel:
        """A sales channel of the entity."""
        assert entity.id is not None
        kw.setdefault("currency", entity.currency)
        return self._save(Channel(entity_id=entity.id, code=f"CH{_uid()}", name=kind, kind=kind, **kw))

    def user(
        self, *roles: str, entities: tuple[Entity, ...] = (), limit: Decimal | None = None
    ) -> tuple[User, str]:
        """A user with roles and entities; returns the user and its clear-text token."""
        token = f"tok-{uuid.uuid4().hex}"
        user = self._save(
            User(
                username=f"u{_uid()}",
                display_name="Test",
                roles=list(roles),
                approval_limit=limit,
                token_hash=hash_token(token),
            )
        )
        for e in entities:
            assert user.id is not None and e.id is not None
            self._save(UserEntity(user_id=user.id, entity_id=e.id))
        return user, token
