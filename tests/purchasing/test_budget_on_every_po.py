"""The apparel budget for this month is 1,000 EUR. A buyer orders 500 EUR of shirts through the API: within
budget, the approver alone approves it and it is issued (500 committed). The next 600 EUR PO would take
apparel to 1,100: the API says it is over budget and why, and after the approver the controller must
approve it too, as a replenishment draft over budget is reviewed before it starts. A PO in a month
without a budget (last month) has no limit."""

from datetime import date, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from rules.periods import period_of
from tests.factories import Factory
from tests.purchasing.buyer_desk import (
    bearer,
    decide,
    eventually,
    open_desk,
    open_task,
    po_body,
    wait_stage,
    wait_task,
)

D = Decimal


def test_a_po_over_its_category_budget_needs_the_review_level(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    buyer = bearer(desk.token("buyer"))
    today = date.today()
    budget = {
        "entity_id": desk.entity.id,
        "category": "apparel",
        "period": period_of(today),
        "amount": "1000",
    }
    assert (
        api.put("/replenishment/budgets", json=budget, headers=buyer).status_code == 403
    )  # not the buyer's to set
    assert (
        api.put("/replenishment/budgets", json=budget, headers=bearer(desk.token("controller"))).status_code
        == 200
    )

    within = api.post("/purchase-orders", json=po_body(desk, "50"), headers=buyer)
    assert within.status_code == 201, within.text
    assert within.json()["over_budget"] is None
    first = str(within.json()["number"])
    task = wait_task(engine, first, "po_approval")
    assert decide(api, desk.token("approver"), task["id"], "approve", revision=1).status_code == 200
    assert wait_stage(engine, first, "issued")

    over = api.post("/purchase-orders", json=po_body(desk, "60"), headers=buyer)
    assert over.status_code == 201, over.text
    reason = over.json()["over_budget"]
    assert reason is not None and "apparel" in reason and "500" in reason and "600" in reason
    number = str(over.json()["number"])
    level1 = wait_task(engine, number, "po_approval")
    assert level1["candidate_role"] == "approver"  # 600 alone is well inside the approver's band
    assert decide(api, desk.token("approver"), level1["id"], "approve", revision=1).status_code == 200
    review = eventually(
        lambda: (t := open_task(engine, number, "po_approval")) and t["candidate_role"] == "controller" and t,
        "the budget review level",
    )
    assert "over its" in review["details"]["why"]
    assert decide(api, desk.token("controller"), review["id"], "approve", revision=1).status_code == 200
    assert wait_stage(engine, number, "issued")

    # Last month had no apparel budget: no limit, no extra level. (Last month, not next: a PO may not be
    # dated more than a few days ahead, so next month is out of reach for most of the month.)
    last_month = today.replace(day=1) - timedelta(days=1)
    later = api.post(
        "/purchase-orders", json=po_body(desk, "200", order_date=last_month.isoformat()), headers=buyer
    )
    assert later.status_code == 201, later.text
    assert later.json()["over_budget"] is None
