"""A warehouse receives goods and ships an order: each fact's event is written with the change it
reports, in the same transaction, so an event exists if and only if its change committed."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from erp.db import session_scope
from models.contracts.events import UnknownEventType, event_id_for
from rules.accounts import AccountRole
from rules.errors import RuleViolation
from services.core import events, stock
from services.core.errors import InsufficientStock
from services.core.stock import MoveIn
from tests.conftest import scalar
from tests.factories import Factory

D = Decimal


def _receipt(item_id: int, loc_id: int, key: str) -> MoveIn:
    return MoveIn(
        item_id=item_id, location_id=loc_id, qty=D(12), unit_cost=D("4.50"), reason="receipt",
        source_type="purchase_order", source_id=key, idempotency_key=f"{key}:stock", posting_date=date(2026, 10, 5),
    )  # fmt: skip


def _emit_receipt(s: Session, entity_id: int, item_id: int, key: str) -> str:
    return events.emit(
        s,
        event_type="goods_receipt.posted",
        key=key,
        entity_id=entity_id,
        document_type="purchase_order",
        document_id="PO-RCV-1",
        data={
            "po_number": "PO-RCV-1",
            "receipt_no": 1,
            "delivery_note": "DN-778",
            "received_on": date(2026, 10, 5),
            "lines": [{"line_no": 1, "item_id": item_id, "qty": D(12)}],
        },
    )


def _events_with_key(engine: Engine, key: str) -> int:
    return int(str(scalar(engine, "SELECT count(*) FROM outbox_message WHERE idempotency_key = :k", k=key)))


def test_a_receipt_rolled_back_leaves_no_event_and_a_committed_one_leaves_exactly_one(
    engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    loc, item = factory.location(entity), factory.item()
    assert entity.id and loc.id and item.id
    key = f"po:RCV-{uuid.uuid4().hex[:8]}:receipt:1"

    # The clerk's transaction fails after the stock move and the event were written: both disappear.
    with Session(engine) as s:
        stock.move(s, _receipt(item.id, loc.id, key))
        _emit_receipt(s, entity.id, item.id, key)
        s.rollback()
    assert _events_with_key(engine, key) == 0
    assert scalar(engine, "SELECT count(*) FROM stock_move WHERE idempotency_key = :k", k=f"{key}:stock") == 0

    # The same receipt committed: stock and event together.
    with Session(engine) as s:
        stock.move(s, _receipt(item.id, loc.id, key))
        event_id = _emit_receipt(s, entity.id, item.id, key)
        s.commit()
    assert _events_with_key(engine, key) == 1
    assert scalar(engine, "SELECT count(*) FROM stock_move WHERE idempotency_key = :k", k=f"{key}:stock") == 1
    with engine.connect() as c:
        row = c.execute(
            text("SELECT event_id, kind, version, payload FROM outbox_message WHERE idempotency_key = :k"),
            {"k": key},
        ).one()
    assert row.event_id == event_id_for(key) == uuid.UUID(event_id)
    assert (row.kind, row.version) == ("goods_receipt.posted", 1)
    # The payload is the validated data in its JSON form: Decimal as a string, dates in ISO format.
    assert row.payload["lines"] == [
        {"line_no": 1, "item_id": item.id, "sku": None, "qty": "12", "location_id": None}
    ]
    assert row.payload["received_on"] == "2026-10-05"


def test_a_retried_activity_reports_the_same_event_once(engine: Engine, factory: Factory) -> None:
    entity = factory.entity()
    item = factory.item()
    assert entity.id and item.id
    key = f"po:RETRY-{uuid.uuid4().hex[:8]}:receipt:1"
    reported = []
    for _attempt in (1, 2):  # Temporal ran the activity twice: the second run must change nothing
        with session_scope(engine) as s:
            reported.append(_emit_receipt(s, entity.id, item.id, key))
    assert reported == [str(event_id_for(key))] * 2
    assert _events_with_key(engine, key) == 1


def test_a_shipment_refused_for_lack_of_stock_leaves_no_shipped_event(
    engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    loc, item = factory.location(entity), factory.item()
    assert entity.id and loc.id and item.id
    key = f"so:SHORT-{uuid.uuid4().hex[:8]}:shipment:1"
    with pytest.raises(InsufficientStock), session_scope(engine) as s:
        events.emit(
            s, event_type="sales_order.shipped", key=key, entity_id=entity.id, document_type="sales_order",
            document_id="SO-SHORT", data={"order_number": "SO-SHORT", "shipment_key": key, "carrier": "dhl",
                                          "shipped_on": "2026-10-06", "lines": [{"line_no": 1, "qty": "1"}]},
        )  # fmt: skip
        stock.move(
            s, MoveIn(item_id=item.id, location_id=loc.id, qty=D(-1), reason="sale", offset_account=AccountRole.COGS,
                      source_type="sales_order", source_id="SO-SHORT", idempotency_key=f"{key}:stock",
                      posting_date=date(2026, 10, 6)),
        )  # fmt: skip
    assert _events_with_key(engine, key) == 0


def test_only_catalogued_events_with_valid_data_are_written(engine: Engine, factory: Factory) -> None:
    entity = factory.entity()
    assert entity.id
    with Session(engine) as s:
        with pytest.raises(UnknownEventType):
            events.emit(s, event_type="purchase_order.aproved", key="x", entity_id=entity.id,
                        document_type="purchase_order", document_id="PO-1", data={})  # fmt: skip
        with pytest.raises(RuleViolation) as missing:
            events.emit(s, event_type="purchase_order.approved", key="y", entity_id=entity.id,
                        document_type="purchase_order", document_id="PO-1",
                        data={"supplier_id": 1, "currency": "EUR", "total": "10"})  # fmt: skip
        assert missing.value.field == "data.number"
        with pytest.raises(RuleViolation) as wrong_document:
            events.emit(s, event_type="refund.issued", key="z", entity_id=entity.id, document_type="purchase_order",
                        document_id="PO-1", data={})  # fmt: skip
        assert wrong_document.value.field == "document_type"
