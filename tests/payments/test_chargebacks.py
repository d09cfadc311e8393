"""A web shop's controller handles two chargebacks. Two card orders (35.70 each) were captured into payment
clearing. The provider reports a chargeback of the first ("fraudulent"): the money moves from payment
clearing to dispute clearing and a task asks the controller to accept or contest it; the controller accepts:
a 35.70 chargeback loss, dispute clearing back to zero. The provider reports a 20.00 chargeback of the
second ("goods not received"); the controller contests it (it stays in dispute clearing), and when the
provider rules for the shop, it is won: the 20.00 returns to payment clearing. A chargeback of more than the
order paid by card, of an unknown order, or by a sales clerk is refused and changes nothing; the same
chargeback reported again (with or without the same Idempotency-Key) changes nothing either."""

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.factories import Factory
from tests.histories import save, should_record
from tests.payments.bank import balances, open_task
from tests.purchasing.buyer_desk import eventually
from tests.returns.desk import ship_through_api
from tests.sales.shop import Shop, add_item, bearer, open_shop, receive

D = Decimal
HISTORY = Path(__file__).parent / "histories" / "chargeback_contested_and_won.json"


def _chargeback(shop: Shop, ref: str, order_number: str, amount: str, reason: str) -> dict[str, Any]:
    return {
        "channel": shop.web.code,
        "chargeback_id": ref,
        "order_number": order_number,
        "amount": amount,
        "reason": reason,
        "received_on": date.today().isoformat(),
    }


def _decide(api: TestClient, shop: Shop, task_id: int, decision: str) -> Any:
    return api.post(
        f"/tasks/{task_id}/decision", json={"decision": decision}, headers=bearer(shop.controller)
    )


async def test_a_chargeback_is_accepted_and_another_contested_and_won(
    temporal_dev: WorkflowEnvironment, api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    shop = open_shop(factory)
    assert shop.entity.id
    entity = shop.entity.id
    lamp = add_item(factory, shop, "lamp", "30.00")
    receive(engine, lamp, shop.wh1, "10", "12.00")
    ctl = bearer(shop.controller)
    first = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}])  # 30.00 + 19 % = 35.70
    second = ship_through_api(api, shop, [{"sku": lamp.sku, "qty": "1"}])
    before = balances(engine, entity)
    assert before["payment_clearing"] == D("71.40")

    for body, field, code in (
        (_chargeback(shop, "cb-x", first, "35.71", "fraudulent"), "amount", 422),
        (_chargeback(shop, "cb-x", first, "0", "fraudulent"), "amount", 422),
        (_chargeback(shop, "cb-x", "NO-SUCH-ORDER", "1.00", "fraudulent"), "order_number", 422),
        (
            {**_chargeback(shop, "cb-x", first, "1.00", "fraudulent"), "channel": shop.market.code},
            "channel",
            422,
        ),
        (
            {**_chargeback(shop, "cb-x", first, "1.00", "fraudulent"), "chargeback_id": "a b"},
            "chargeback_id",
            422,
        ),
    ):
        refused = api.post("/psp-chargebacks", json=body, headers=ctl)
        assert refused.status_code == code and field in refused.text, (body, refused.text)
    clerk = api.post(
        "/psp-chargebacks", json=_chargeback(shop, "cb-x", first, "1.00", "x"), headers=bearer(shop.sales)
    )
    assert clerk.status_code == 403
    assert balances(engine, entity) == before

    body = _chargeback(shop, "cb-1", first, "35.70", "fraudulent")
    recorded = api.post("/psp-chargebacks", json=body, headers={**ctl, "Idempotency-Key": "cb-1"})
    assert recorded.status_code == 201, recorded.text
    cb = recorded.json()
    assert (cb["status"], D(cb["amount"]), cb["duplicate"]) == ("disputed", D("35.70"), False)
    taken = balances(engine, entity)
    assert taken["payment_clearing"] == D("35.70") and taken["dispute_clearing"] == D("35.70")
    replay = api.post("/psp-chargebacks", json=body, headers={**ctl, "Idempotency-Key": "cb-1"})
    assert replay.status_code == 201 and replay.json() == cb
    again = api.post("/psp-chargebacks", json=body, headers=ctl)
    assert again.status_code == 200 and again.json()["duplicate"] is True and again.json()["id"] == cb["id"]
    assert balances(engine, entity) == taken
    more = api.post("/psp-chargebacks", json=_chargeback(shop, "cb-9", first, "0.01", "again"), headers=ctl)
    assert more.status_code == 422 and "amount" in more.text  # the whole card payment is charged back already

    task = eventually(lambda: open_task(engine, cb["workflow_id"], "chargeback_dispute"), "dispute task")
    assert _decide(api, shop, task, "won").status_code == 422  # not an option yet
    accepted = _decide(api, shop, task, "accept")
    assert accepted.status_code == 200, accepted.text
    assert _decide(api, shop, task, "accept").status_code == 409
    eventually(
        lambda: api.get(f"/psp-chargebacks/{cb['id']}", headers=ctl).json()["status"] == "accepted" or None,
        "accepted",
    )
    lost = balances(engine, entity)
    assert "dispute_clearing" not in lost and lost["chargeback_loss"] == D("35.70")

    contested = api.post(
        "/psp-chargebacks", json=_chargeback(shop, "cb-2", second, "20.00", "not received"), headers=ctl
    )
    assert contested.status_code == 201, contested.text
    other = contested.json()
    dispute = eventually(
        lambda: open_task(engine, other["workflow_id"], "chargeback_dispute"), "dispute task"
    )
    assert _decide(api, shop, dispute, "contest").status_code == 200
    ruling = eventually(lambda: open_task(engine, other["workflow_id"], "chargeback_ruling"), "ruling task")
    waiting = balances(engine, entity)
    assert waiting["dispute_clearing"] == D("20.00") and waiting["payment_clearing"] == D("15.70")
    assert api.get(f"/psp-chargebacks/{other['id']}", headers=ctl).json()["status"] == "contested"
    assert _decide(api, shop, ruling, "won").status_code == 200
    handle = temporal_dev.client.get_workflow_handle(other["workflow_id"])
    assert await handle.result() == "won"
    won = balances(engine, entity)
    assert "dispute_clearing" not in won and won["payment_clearing"] == D("35.70")
    assert won["chargeback_loss"] == D("35.70")  # only the accepted one

    stranger = open_shop(factory)
    assert api.get(f"/psp-chargebacks/{other['id']}", headers=bearer(stranger.controller)).status_code == 404
    if should_record(HISTORY):
        save(await handle.fetch_history(), HISTORY)
