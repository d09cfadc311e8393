"""A small buying office for the procure-to-pay scenarios: master data, approval policy, users, helpers."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from models.contracts.purchasing import PurchaseOrderInput
from models.master import Entity, Item, Location, Supplier
from models.purchasing import ApprovalBand, ApprovalSetting, MatchToleranceRow
from services.purchasing.orders import Draft, DraftLine, build_input, next_number
from tests.factories import Factory

D = Decimal
T = TypeVar("T")


def bearer(token: str) -> dict[str, str]:
    """Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Desk:
    """One entity's buying office: a warehouse, an item, a supplier with a contract price, and people."""

    entity: Entity
    warehouse: Location
    item: Item
    supplier: Supplier
    buyer: tuple[str, str]
    approver: tuple[str, str]
    controller: tuple[str, str]
    receiver: tuple[str, str]
    clerk: tuple[str, str]

    def token(self, who: str) -> str:
        """The bearer token of a person by attribute name."""
        return str(getattr(self, who)[1])

    def name(self, who: str) -> str:
        """The username of a person by attribute name."""
        return str(getattr(self, who)[0])


def open_desk(
    factory: Factory,
    *,
    price: str = "10.00",
    terms: str = "IMMEDIATE",
    lead_days: int = 7,
    bands: list[tuple[str, str | None, list[dict[str, str]]]] | None = None,
    sla_hours: int = 24,
    escalation: dict[str, str] | None = None,
    window_cap: str | None = None,
    grace_days: int = 2,
    over_receipt_pct: str = "10",
    approver_limit: str | None = "100000",
    tracking: str = "none",
    currency: str = "EUR",
    supplier_currency: str = "EUR",
) -> Desk:
    """Master data plus a policy: by default one approver up to 5,000 and approver + controller above."""
    entity = factory.entity(currency)
    warehouse = factory.location(entity)
    item = factory.item(category="apparel", tracking=tracking, weight_kg=D("2"))
    supplier = factory.supplier(supplier_currency, payment_terms=terms, lead_time_days=lead_days)
    factory.supplier_price(supplier, item, D(price))
    assert entity.id is not None
    bands = bands or [
        ("0", "5000", [{"role": "approver"}]),
        ("5000", None, [{"role": "approver"}, {"role": "controller"}]),
    ]
    with Session(factory.engine) as s:
        for low, high, levels in bands:
            s.add(
                ApprovalBand(
                    entity_id=entity.id,
                    min_amount=D(low),
                    max_amount=None if high is None else D(high),
                    levels=levels,
                )
            )
        s.add(
            ApprovalSetting(
                entity_id=entity.id,
                sla_hours=sla_hours,
                escalation=escalation or {},
                window_days=30,
                window_cap=None if window_cap is None else D(window_cap),
                grace_days=grace_days,
                over_receipt_pct=D(over_receipt_pct),
            )
        )
        s.commit()
    limit = None if approver_limit is None else D(approver_limit)

    def person(*roles: str, lim: Decimal | None = None) -> tuple[str, str]:
        user, token = factory.user(*roles, entities=(entity,), limit=lim)
        return user.username, token

    return Desk(
        entity,
        warehouse,
        item,
        supplier,
        buyer=person("buyer"),
        approver=person("approver", lim=limit),
        controller=person("controller", lim=D("1000000")),
        receiver=person("warehouse"),
        clerk=person("ap_clerk"),
    )


def tolerance(engine: Engine, supplier_id: int, price_pct: str, price_abs: str, qty_pct: str = "0") -> None:
    """A supplier-specific match tolerance."""
    with Session(engine) as s:
        s.add(
            MatchToleranceRow(
                supplier_id=supplier_id, qty_pct=D(qty_pct), price_pct=D(price_pct), price_abs=D(price_abs)
            )
        )
        s.commit()


def po_body(desk: Desk, qty: str = "10", **extra: Any) -> dict[str, Any]:
    """A one-line PO request at the contract price."""
    return {
        "entity_id": desk.entity.id,
        "supplier_id": desk.supplier.id,
        "lines": [{"item_id": desk.item.id, "location_id": desk.warehouse.id, "qty": qty}],
        **extra,
    }


def create_po(api: TestClient, token: str, body: dict[str, Any]) -> str:
    """POST /purchase-orders as a buyer; the new PO's number (asserting 201)."""
    created = api.post("/purchase-orders", json=body, headers=bearer(token))
    assert created.status_code == 201, created.text
    return str(created.json()["number"])


def draft_input(
    engine: Engine, desk: Desk, qty: str = "10", order_date: date | None = None, landed_pct: str = "0"
) -> PurchaseOrderInput:
    """The validated workflow input, built exactly as the API builds it (for tests that start directly)."""
    assert desk.entity.id and desk.supplier.id and desk.item.id and desk.warehouse.id
    draft = Draft(
        entity_id=desk.entity.id,
        supplier_id=desk.supplier.id,
        requested_by=desk.name("buyer"),
        order_date=order_date or date.today(),
        landed_cost_pct=D(landed_pct),
        lines=[DraftLine(desk.item.id, desk.warehouse.id, D(qty))],
    )
    with Session(engine) as s:
        po = build_input(s, draft, next_number(s))
        s.commit()
    return po


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    """Poll until the probe returns something (workflows act asynchronously after the API answers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found is not None and found is not False:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def open_task(engine: Engine, number: str, kind: str) -> dict[str, Any] | None:
    """The open task of a kind on a PO, if any."""
    with engine.connect() as c:
        row = (
            c.execute(
                text(
                    "SELECT id, candidate_role, candidate_user, escalation_level, details FROM task"
                    " WHERE subject_id = :n AND kind = :k AND status = 'open' ORDER BY id DESC LIMIT 1"
                ),
                {"n": number, "k": kind},
            )
            .mappings()
            .first()
        )
    return dict(row) if row else None


def wait_task(engine: Engine, number: str, kind: str) -> dict[str, Any]:
    """Wait for a task of a kind to be opened on the PO."""
    return eventually(lambda: open_task(engine, number, kind), f"{kind} task on PO {number}")


def stage(engine: Engine, number: str) -> str | None:
    """The PO's stage in PostgreSQL."""
    with engine.connect() as c:
        value = c.execute(text("SELECT stage FROM purchase_order WHERE number = :n"), {"n": number}).scalar()
    return None if value is None else str(value)


def wait_stage(engine: Engine, number: str, wanted: str) -> str:
    """Wait until the PO reaches a stage."""
    eventually(lambda: stage(engine, number) == wanted, f"PO {number} in stage {wanted}")
    return wanted


def decide(api: TestClient, token: str, task_id: int, decision: str, **extra: Any) -> Any:
    """POST a decision on a task through the inbox API."""
    return api.post(f"/tasks/{task_id}/decision", json={"decision": decision, **extra}, headers=bearer(token))


def account_totals(engine: Engine, number: str) -> dict[str, Decimal]:
    """Net amount per account role over the PO's journal entries (zero balances dropped)."""
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT a.role, sum(l.amount_func) FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id"
                " JOIN account a ON a.id = l.account_id WHERE e.source_type = 'purchase_order' AND e.source_id = :n"
                " GROUP BY a.role"
            ),
            {"n": number},
        ).all()
    return {str(r[0]): D(r[1]) for r in rows if D(r[1]) != 0}


def stock_balance(engine: Engine, item_id: int, location_id: int) -> tuple[Decimal, Decimal, Decimal]:
    """on_hand, inbound and value of an item at a location."""
    with engine.connect() as c:
        row = c.execute(
            text("SELECT on_hand, inbound, value FROM stock_balance WHERE item_id = :i AND location_id = :l"),
            {"i": item_id, "l": location_id},
        ).first()
    return (D(row[0]), D(row[1]), D(row[2])) if row else (D(0), D(0), D(0))
