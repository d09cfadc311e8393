"""A buyer's bad requisitions are refused with the field named, and nothing is created: unknown item or
supplier, a non-positive quantity, an archived supplier, no price and no contract price, another entity."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.worker import Worker

from models.master import Supplier
from tests.api.loc import field_path
from tests.factories import Factory
from tests.purchasing.buyer_desk import bearer, open_desk, po_body, wait_task


def test_bad_requisitions_name_the_field_and_create_nothing(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    headers = bearer(desk.token("buyer"))
    line = {"item_id": desk.item.id, "location_id": desk.warehouse.id, "qty": "5"}
    unpriced = factory.item(category="apparel")
    archived = factory.supplier()
    with Session(engine) as s:
        row = s.get(Supplier, archived.id)
        assert row is not None
        row.archived = True
        s.add(row)
        s.commit()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"lines": [{**line, "item_id": 99999999}]}, "lines[0].item_id"),
        ({"supplier_id": 99999999}, "supplier_id"),
        ({"lines": [{**line, "qty": "0"}]}, "lines[0].qty"),
        ({"lines": [line, {**line, "qty": "-1"}]}, "lines[1].qty"),
        ({"supplier_id": archived.id}, "supplier_id"),
        ({"lines": [{**line, "item_id": unpriced.id}]}, "lines[0].price"),
    ]
    for change, field in cases:
        answer = api.post("/purchase-orders", json={**po_body(desk), **change}, headers=headers)
        assert answer.status_code == 422, (field, answer.text)
        # Bounds refuse in pydantic (loc split in parts), rules in the service (one dotted string).
        assert field_path(answer.json()["detail"][0]["loc"]) == field
    # An explicit price makes the unpriced item orderable.
    priced = api.post(
        "/purchase-orders",
        json={**po_body(desk), "lines": [{**line, "item_id": unpriced.id, "price": "3.50"}]},
        headers=headers,
    )
    assert priced.status_code == 201, priced.text
    other = open_desk(factory)
    assert api.post("/purchase-orders", json=po_body(other), headers=headers).status_code == 404
    assert (
        api.post("/purchase-orders", json=po_body(desk), headers=bearer(desk.token("receiver"))).status_code
        == 403
    )
    wait_task(engine, priced.json()["number"], "po_approval")
    with engine.connect() as c:
        created = (
            c.execute(text("SELECT number FROM purchase_order WHERE entity_id = :e"), {"e": desk.entity.id})
            .scalars()
            .all()
        )
    assert created == [priced.json()["number"]]
