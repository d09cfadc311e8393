"""The controller's worked month (tests/close/worked_month.py: two EUR suppliers, a CHF supplier at 0.90, a
customer sale, a return and a part receipt) read as open items at month end: what each counterparty still
owes or is owed, worked out by hand from the documents, and the open items equal the AP and AR control
accounts to the cent."""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from rules.periods import period_bounds
from tests.close import worked_month
from tests.close.worked_month import PERIOD
from tests.factories import Factory
from tests.sales.shop import bearer

D = Decimal


def test_open_items_equal_the_control_accounts_after_the_worked_month(
    api: TestClient, engine: Engine, factory: Factory
) -> None:
    month = worked_month.build(engine, factory)
    entity = month.entity.id
    _, token = factory.user("controller", entities=(month.entity,))
    end = str(period_bounds(PERIOD)[1])

    def get(path: str, **params: str) -> dict[str, object]:
        answer = api.get(path, params={"entity_id": entity, "as_of": end, **params}, headers=bearer(token))
        assert answer.status_code == 200, answer.text
        body: dict[str, object] = answer.json()
        return body

    # AP: supplier 1's invoice (1020.00 + 193.80 tax) was paid in full on the 28th; the freight bill (130.00,
    # supplier 2) and the CHF invoice (600.00 CHF = 540.00 EUR at 0.90, supplier 3) are open.
    ap = get("/open-items", side="ap")["items"]
    assert isinstance(ap, list)
    assert sorted((i["document_type"], i["currency"], D(i["open"])) for i in ap) == [
        ("invoice", "CHF", D("600.00")),
        ("landed_cost", "EUR", D("130.00")),
    ]
    # AR: 2000.00 - 100.00 discount + 361.00 tax = 2261.00 shipped, a 282.63 credit note (237.50 + 45.13),
    # 1000.00 received: 978.37 open on the shipment.
    ar = get("/open-items", side="ar")["items"]
    assert isinstance(ar, list)
    assert [(i["document_type"], D(i["amount"]), D(i["open"])) for i in ar] == [
        ("shipment", D("2261.00"), D("978.37"))
    ]
    sides = get("/open-items/reconciliation")["sides"]
    assert isinstance(sides, list)
    assert {s["side"]: (D(s["open_items"]), D(s["control"]), D(s["difference"])) for s in sides} == {
        "ap": (D("670.00"), D("670.00"), D(0)),
        "ar": (D("978.37"), D("978.37"), D(0)),
    }
