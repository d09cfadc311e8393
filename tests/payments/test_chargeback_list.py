"""A controller looks through the chargebacks of their shop. Three card orders were charged back this week:
the first accepted (a loss), the other two still disputed. Another shop (an entity the controller does not
see) had one too. The list shows the shop's three, newest received first; asked for the accepted ones it
shows the first; paged one at a time it shows them one after another; the other shop's is never shown, and
asking for the other shop (or for an unknown status) is refused naming the field."""

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from tests.factories import Factory
from tests.payments.bank import open_task
from tests.purchasing.buyer_desk import eventually
from tests.returns.desk import ship_through_api
from tests.sales.shop import Shop, add_item, bearer, open_shop, receive


def _record(api: TestClient, shop: Shop, ref: str, order_number: str, received_on: date) -> dict[str, Any]:
    """The provider's chargeback of a whole card order (35.70), recorded by the controller."""
    body = {
        "channel": shop.web.code,
        "chargeback_id": ref,
        "order_number": order_number,
        "amount": "35.70",
        "reason": "fraudulent",
        "received_on": received_on.isoformat(),
    }
    recorded = api.post("/psp-chargebacks", json=body, headers=bearer(shop.controller))
    assert recorded.status_code == 201, recorded.text
    answer: dict[str, Any] = recorded.json()
    return answer


def _card_orders(api: TestClient, engine: Engine, factory: Factory, shop: Shop, count: int) -> list[str]:
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "10", "12.00")
    return [ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}]) for _ in range(count)]


async def test_a_controller_lists_the_chargebacks_of_their_shop_by_status_and_page(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop, other = open_shop(factory), open_shop(factory)
    first, second, third = _card_orders(api, engine, factory, shop, 3)
    (elsewhere,) = _card_orders(api, engine, factory, other, 1)
    today = date.today()
    accepted = _record(api, shop, "cb-l1", first, today - timedelta(days=3))
    older = _record(api, shop, "cb-l2", second, today - timedelta(days=2))
    newest = _record(api, shop, "cb-l3", third, today)
    _record(api, other, "cb-o1", elsewhere, today)
    task = eventually(
        lambda: open_task(engine, accepted["workflow_id"], "chargeback_dispute"), "dispute task"
    )
    decided = api.post(
        f"/tasks/{task}/decision", json={"decision": "accept"}, headers=bearer(shop.controller)
    )
    assert decided.status_code == 200, decided.text
    ctl = bearer(shop.controller)
    eventually(
        lambda: (
            api.get(f"/psp-chargebacks/{accepted['id']}", headers=ctl).json()["status"] == "accepted" or None
        ),
        "accepted",
    )

    listed = api.get("/psp-chargebacks", headers=ctl)
    assert listed.status_code == 200, listed.text
    assert [(c["chargeback_ref"], c["status"]) for c in listed.json()] == [
        ("cb-l3", "disputed"),
        ("cb-l2", "disputed"),
        ("cb-l1", "accepted"),
    ]
    assert listed.json()[0] == {**newest, "duplicate": False}
    by_status = api.get("/psp-chargebacks", params={"status": "accepted"}, headers=ctl).json()
    assert [c["id"] for c in by_status] == [accepted["id"]]
    disputed = api.get(
        "/psp-chargebacks", params={"status": "disputed", "entity_id": shop.entity.id}, headers=ctl
    ).json()
    assert [c["id"] for c in disputed] == [newest["id"], older["id"]]
    pages = [
        [c["id"] for c in api.get("/psp-chargebacks", params={"limit": 1, "offset": n}, headers=ctl).json()]
        for n in range(4)
    ]
    assert pages == [[newest["id"]], [older["id"]], [accepted["id"]], []]

    refused = api.get("/psp-chargebacks", params={"entity_id": other.entity.id}, headers=ctl)
    assert refused.status_code == 422 and "entity_id" in refused.text
    unknown = api.get("/psp-chargebacks", params={"status": "pending"}, headers=ctl)
    assert unknown.status_code == 422 and "status" in unknown.text
    theirs = api.get("/psp-chargebacks", headers=bearer(other.controller)).json()
    assert [c["chargeback_ref"] for c in theirs] == ["cb-o1"]
