"""A small retailer for the replenishment scenarios: a warehouse and a store, a T-shirt bought from one
supplier, an approval policy, people, and a sales history posted through the real stock ledger."""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Engine, text
from sqlmodel import Session

from models.master import Entity, Item, Location, Supplier
from models.purchasing import ApprovalBand, ApprovalSetting
from models.replenishment import ReplenishmentSetting
from rules.accounts import AccountRole
from services.core import stock
from services.core.invariants import check_books
from tests.factories import Factory

D = Decimal
T = TypeVar("T")

# The worked example: ten days of sales with three days selling nothing. Mean 4 a day, sample standard
# deviation 8/3 (the squared deviations sum to 64 over 9 degrees of freedom).
TEN_DAYS = [0, 8, 4, 4, 0, 8, 4, 4, 4, 4]


def today() -> date:
    """The business day as the schedule sees it (entities here are on UTC)."""
    return datetime.now(UTC).date()


@dataclass
class Shop:
    """One entity's replenishment desk."""

    entity: Entity
    warehouse: Location
    store: Location
    item: Item
    supplier: Supplier
    buyer: tuple[str, str]
    approver: tuple[str, str]
    controller: tuple[str, str]
    warehouse_clerk: tuple[str, str]

    @property
    def ids(self) -> tuple[int, int, int, int]:
        """entity, warehouse, item, supplier ids."""
        assert self.entity.id and self.warehouse.id and self.item.id and self.supplier.id
        return self.entity.id, self.warehouse.id, self.item.id, self.supplier.id


def open_shop(
    factory: Factory, *, price: str = "10.00", lead_days: int = 9, pack: str = "6", history_days: int = 10
) -> Shop:
    """Master data, a one-approver policy up to 5,000 (plus controller above), a 10-day demand window."""
    entity = factory.entity()
    warehouse = factory.location(entity)
    store = factory.location(entity, kind="store")
    item = factory.item(category="apparel", pack_size=D(pack))
    supplier = factory.supplier(lead_time_days=lead_days, payment_terms="IMMEDIATE")
    factory.supplier_price(supplier, item, D(price))
    assert entity.id is not None
    with Session(factory.engine) as s:
        s.add(
            ApprovalBand(
                entity_id=entity.id, min_amount=D(0), max_amount=D(5000), levels=[{"role": "approver"}]
            )
        )
        s.add(
            ApprovalBand(
                entity_id=entity.id,
                min_amount=D(5000),
                max_amount=None,
                levels=[{"role": "approver"}, {"role": "controller"}],
            )
        )
        s.add(ApprovalSetting(entity_id=entity.id, grace_days=2, over_receipt_pct=D(0)))
        s.add(ReplenishmentSetting(entity_id=entity.id, history_days=history_days, review_days=7))
        s.commit()

    def person(*roles: str) -> tuple[str, str]:
        user, token = factory.user(*roles, entities=(entity,), limit=D("1000000"))
        return user.username, token

    return Shop(
        entity,
        warehouse,
        store,
        item,
        supplier,
        buyer=person("buyer"),
        approver=person("approver"),
        controller=person("controller"),
        warehouse_clerk=person("warehouse"),
    )


def receive_stock(
    engine: Engine, item_id: int, location_id: int, qty: str, cost: str, on: date, key: str
) -> None:
    """Opening stock through the stock ledger."""
    with Session(engine) as s:
        stock.move(
            s,
            stock.MoveIn(
                item_id=item_id,
                location_id=location_id,
                qty=D(qty),
                reason="opening",
                source_type="opening",
                source_id=key,
                idempotency_key=f"test:{key}",
                posting_date=on,
                unit_cost=D(cost),
                offset_account=AccountRole.EQUITY,
            ),
        )
        s.commit()


def sell(engine: Engine, item_id: int, location_id: int, daily: Sequence[int], until: date, key: str) -> None:
    """Shipped sales, one day each, ending the day before `until` (zeros are days without a sale)."""
    with Session(engine) as s:
        for back, qty in enumerate(reversed(daily), start=1):
            if qty:
                stock.move(
                    s,
                    stock.MoveIn(
                        item_id=item_id,
                        location_id=location_id,
                        qty=-D(qty),
                        reason="sale",
                        source_type="sales_order",
                        source_id=f"{key}-{back}",
                        idempotency_key=f"test:{key}:sale:{back}",
                        posting_date=until - timedelta(days=back),
                        offset_account=AccountRole.COGS,
                    ),
                )
        s.commit()


def books_consistent(engine: Engine, entity_id: int) -> bool:
    """Stock ledger == balances == inventory GL, and the GL balances."""
    with Session(engine) as s:
        return check_books(s, entity_id).consistent


def rows(engine: Engine, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Query rows as dicts."""
    with engine.connect() as c:
        return [dict(r) for r in c.execute(text(sql), params).mappings()]


async def eventually(probe: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    """Poll without blocking the event loop (workflows act asynchronously)."""
    for _ in range(int(timeout / 0.05)):
        found = probe()
        if found is not None and found is not False:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def open_task(engine: Engine, subject_id: str, kind: str) -> dict[str, Any] | None:
    """The open task of a kind on a subject, if any."""
    found = rows(
        engine,
        "SELECT id, candidate_role, details FROM task WHERE subject_id = :s AND kind = :k AND status = 'open'"
        " ORDER BY id DESC LIMIT 1",
        s=subject_id,
        k=kind,
    )
    return found[0] if found else None


def bearer(token: str) -> dict[str, str]:
    """Authorization header."""
    return {"Authorization": f"Bearer {token}"}
