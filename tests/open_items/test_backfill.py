"""A retailer upgrades with a month already booked: a supplier invoice of 100.00 paid 40.00 and an order
shipped for 59.50, all posted before open items existed. The upgrade's backfill turns those entries into
open items (allocated as live ones are), so the reconciliation agrees at once, 60.00 stays open on the
invoice, and running it again records nothing twice."""

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from services.core import ledger, open_items
from services.core.ledger import LineIn, PostingRequest
from tests.conftest import scalar
from tests.factories import Factory
from tests.sales.shop import bearer

D = Decimal


def test_the_upgrade_backfill_makes_old_postings_open_items(
    api: TestClient, engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    supplier = factory.supplier()
    assert entity.id is not None
    tag = ("supplier", str(supplier.id))
    order = ("order", f"LEGACY-{entity.code}")
    legacy = [
        (f"po:PO-{entity.code}:invoice:1:gl", [LineIn("grni", D(100)), LineIn("ap", D(-100), "", *tag)]),
        (f"po:PO-{entity.code}:invoice:1:payment", [LineIn("ap", D(40), "", *tag), LineIn("bank", D(-40))]),
        (
            f"so:{entity.code}:ship:revenue",
            [LineIn("ar", D("59.50"), "", *order), LineIn("revenue", D("-59.50"))],
        ),
    ]
    with Session(engine) as s:
        for key, lines in legacy:
            ledger.post(
                s,
                PostingRequest(
                    entity_id=entity.id,
                    idempotency_key=key,
                    posting_date=date.today(),
                    source_type="legacy",
                    source_id=key,
                    currency="EUR",
                    lines=lines,
                ),
            )
        s.commit()
    _, token = factory.user("controller", entities=(entity,))

    def sides() -> dict[str, D]:
        answer = api.get("/open-items/reconciliation", params={"entity_id": entity.id}, headers=bearer(token))
        assert answer.status_code == 200, answer.text
        return {side["side"]: D(side["difference"]) for side in answer.json()["sides"]}

    assert sides() == {"ap": D(-60), "ar": D("-59.50")}  # nothing recorded: every posting differs
    with Session(engine) as s:
        assert open_items.backfill(s, entity.id) == 3
        s.commit()
    assert sides() == {"ap": D(0), "ar": D(0)}
    listed = api.get(
        "/open-items", params={"side": "ap", "entity_id": entity.id}, headers=bearer(token)
    ).json()
    assert [(i["document_type"], D(i["open"])) for i in listed["items"]] == [("invoice", D("60.00"))]
    ar = api.get("/open-items", params={"side": "ar", "entity_id": entity.id}, headers=bearer(token)).json()
    assert [(i["document_type"], D(i["open"])) for i in ar["items"]] == [("shipment", D("59.50"))]

    with Session(engine) as s:
        assert open_items.backfill(s, entity.id) == 0
        s.commit()
    count = scalar(engine, "SELECT count(*) FROM open_item WHERE entity_id = :e", e=entity.id)
    assert count == 3
