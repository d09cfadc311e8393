"""Temporal reports a cancellation to the workflow at once, while an activity already running on a worker
still commits. Two POs are cancelled before their issue; each issue commits anyway, one after the
cancellation was written (the PO reads issued again) and one before it (the PO reads cancelled but its
quantity is inbound). An order on account is cancelled while its card payment commits. The reconciliation
finds all three and releases inbound and voids the payment, through the same services and keys."""

from datetime import UTC, datetime
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from erp.settings import get_settings
from models.contracts.purchasing import CloseRequest, IssuePo
from models.contracts.reconcile import ReconcileInput
from models.contracts.sales import PaymentCall
from services.purchasing import po_progress
from services.sales.payments import LedgerPaymentPort
from tests.factories import Factory
from tests.purchasing.buyer_desk import (
    Desk,
    bearer,
    open_desk,
    po_body,
    stage,
    stock_balance,
    wait_stage,
    wait_task,
)
from tests.sales.shop import add_item, open_shop, order_body, receive
from workflows.operations.reconcile import ReconciliationWorkflow

D = Decimal


def _cancelled_in_approval(api: TestClient, engine: Engine, desk: Desk, qty: str) -> str:
    buyer = bearer(desk.token("buyer"))
    number = str(api.post("/purchase-orders", json=po_body(desk, qty), headers=buyer).json()["number"])
    wait_task(engine, number, "po_approval")
    assert (
        api.post(f"/purchase-orders/{number}/cancel", headers=buyer, json={"reason": "x"}).status_code == 200
    )
    wait_stage(engine, number, "cancelled")
    return number


def _late_issue(engine: Engine, number: str) -> None:
    """What the issue activity, already running when the workflow was cancelled, commits."""
    with Session(engine) as s:
        po_progress.issue(s, IssuePo(number=number, revision=1, issued_at=datetime.now(UTC)))
        s.commit()


async def _reconcile(env: WorkflowEnvironment, code: str) -> None:
    await env.client.execute_workflow(
        ReconciliationWorkflow.run,
        ReconcileInput(entity_code=code, trigger="manual"),
        id=f"Reconcile-{code}-late",
        task_queue=get_settings().task_queue,
    )


async def test_what_in_flight_activities_commit_after_a_cancellation_is_reconciled(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    assert desk.item.id and desk.warehouse.id
    reissued = _cancelled_in_approval(api, engine, desk, "4")
    _late_issue(engine, reissued)
    leaked = _cancelled_in_approval(api, engine, desk, "6")
    _late_issue(engine, leaked)
    with Session(engine) as s:  # the cancellation's close, committed after the issue
        po_progress.close(
            s,
            CloseRequest(number=leaked, stage="cancelled", closed_at=datetime.now(UTC), cycle_time_seconds=1),
        )
        s.commit()
    assert (stage(engine, reissued), stage(engine, leaked)) == ("issued", "cancelled")
    assert stock_balance(engine, desk.item.id, desk.warehouse.id)[1] == D(10)

    await _reconcile(temporal_dev, desk.entity.code)
    assert (stage(engine, reissued), stage(engine, leaked)) == ("cancelled", "cancelled")
    assert stock_balance(engine, desk.item.id, desk.warehouse.id)[1] == D(0)

    shop = open_shop(factory)
    mug = add_item(factory, shop, "mug", "9.00")
    receive(engine, mug, shop.wh1, "5", "3.00")
    sales = {"Authorization": f"Bearer {shop.sales}"}
    created = api.post(
        "/orders",
        json=order_body(shop, shop.web, [{"sku": mug.sku, "qty": "1"}], payment_method="transfer"),
        headers=sales,
    )
    number = created.json()["order_number"]
    assert api.post(f"/orders/{number}/cancel", json={"reason": "x"}, headers=sales).status_code == 200
    with Session(engine) as s:  # the payment update's authorisation, committed after the cancellation
        LedgerPaymentPort().authorise(
            s,
            PaymentCall(
                order_number=number,
                key=f"order:{number}:payment:authorise",
                method="card",
                amount=D("10.71"),
                currency="EUR",
                posting_date=datetime.now(UTC).date(),
            ),
        )
        s.commit()
    await _reconcile(temporal_dev, shop.entity.code)
    payments = api.get(f"/orders/{number}", headers=sales).json()["payments"]
    assert [(p["kind"], D(p["amount"])) for p in payments] == [
        ("authorise", D("10.71")),
        ("void", D("10.71")),
    ]
