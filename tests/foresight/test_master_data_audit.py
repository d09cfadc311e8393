"""Every master-data write path leaves who, when, before and after: the CRUD routes, the catalogue feed,
the return policies and foresight's own settings."""

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.factories import Factory


def _audit(engine: Engine, action: str, subject_id: str) -> list[tuple[Any, ...]]:
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT actor, at, before, after FROM audit_event WHERE action = :a AND subject_id = :s ORDER BY id"
            ),
            {"a": action, "s": subject_id},
        ).all()
    return [tuple(r) for r in rows]


def test_master_data_changes_are_audited_with_before_and_after(
    engine: Engine, factory: Factory, api: TestClient
) -> None:
    entity = factory.entity()
    loc = factory.location(entity)
    item = factory.item()
    channel = factory.channel(entity, "marketplace")
    customer = factory.customer()
    user, token = factory.user("admin", "controller", "buyer", entities=(entity,))
    h = {"Authorization": f"Bearer {token}"}

    assert api.patch(f"/items/{item.id}", json={"name": "Renamed"}, headers=h).status_code == 200
    [(actor, at, before, after)] = _audit(engine, "Item.update", str(item.id))
    assert (
        actor == user.username and at is not None and (before["name"], after["name"]) == ("Item", "Renamed")
    )

    feed = {"records": [{"sku": item.sku, "name": "From feed", "category": "apparel"}]}
    assert api.post("/items/batch", json=feed, headers=h).status_code == 200
    assert _audit(engine, "Item.update", str(item.id))[-1][3]["name"] == "From feed"

    put = api.put(f"/returns/policies/channels/{channel.code}", json={"window_days": 14}, headers=h)
    assert put.status_code == 200, put.text
    [(_, _, before, after)] = _audit(engine, "ChannelReturnPolicy.update", str(channel.id))
    assert before is None and after["window_days"] == 14
    put = api.put(
        f"/returns/policies/customers/{customer.code}", json={"refund_before_arrival": True}, headers=h
    )
    assert put.status_code == 200, put.text
    [(_, _, before, after)] = _audit(engine, "CustomerReturnPolicy.update", str(customer.id))
    assert before is None and after["refund_before_arrival"] is True

    minimum = {"item_id": item.id, "location_id": loc.id, "min_qty": "12"}
    assert api.put("/foresight/stock-minimums", json=minimum, headers=h).status_code == 200
    minimum["min_qty"] = "8"
    assert api.put("/foresight/stock-minimums", json=minimum, headers=h).status_code == 200
    changes = _audit(engine, "StockMinimum.update", str(item.id))
    assert [(b and Decimal(b["min_qty"]), Decimal(a["min_qty"])) for _, _, b, a in changes] == [
        (None, Decimal(12)),
        (Decimal(12), Decimal(8)),
    ]
