"""The warehouse sees PO "issued" in the ERP and the lorry is at the door, but the workflow has not yet heard
back from the activity that issued it (a busy or restarted worker). The receipt the clerk books in that
moment is not refused as "PO is approval": it waits for the issue to be recorded and is then applied once,
through the API, like any other receipt."""

import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.worker import Worker

from services.purchasing import po_progress
from tests.factories import Factory
from tests.held_step import HeldStep
from tests.purchasing.buyer_desk import bearer, decide, eventually, open_desk, po_body, wait_stage, wait_task


@pytest.fixture()
def held_issue(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldStep[None]]:
    held = HeldStep(po_progress.issue)
    monkeypatch.setattr(po_progress, "issue", held)
    yield held
    held.release.set()


def _command(api: TestClient, url: str, token: str) -> dict[str, Any]:
    def decided() -> dict[str, Any] | None:
        answer = api.get(url, headers=bearer(token)).json()
        return None if answer["status"] == "pending" else dict(answer)

    return eventually(decided, url)


def test_a_receipt_booked_while_the_po_is_being_issued_is_applied_once(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory, held_issue: HeldStep[None]
) -> None:
    desk = open_desk(factory, price="10.00")
    created = api.post("/purchase-orders", json=po_body(desk, "4"), headers=bearer(desk.token("buyer")))
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    held_issue.number = number
    approval = wait_task(engine, number, "po_approval")
    approved = decide(api, desk.token("approver"), approval["id"], "approve", revision=1)
    assert approved.status_code in (200, 202), approved.text

    assert held_issue.committed.wait(30), "the issue activity never ran"
    wait_stage(engine, number, "issued")  # what the clerk sees
    # The issue's activity finishes while the receipt is on its way: both reach the workflow together.
    threading.Timer(0.5, held_issue.release.set).start()
    receipt = {"delivery_note": "DN-door", "lines": [{"line_no": 1, "qty": "4"}]}
    answer = api.post(
        f"/purchase-orders/{number}/receipts", json=receipt, headers=bearer(desk.token("receiver"))
    )
    assert answer.status_code in (200, 202), answer.text
    if answer.status_code == 202:
        outcome = _command(api, answer.json()["command_url"], desk.token("receiver"))
        assert outcome["status"] == "applied", outcome

    with engine.connect() as c:
        received = c.execute(
            text(
                "SELECT count(*), coalesce(sum(l.qty), 0) FROM goods_receipt r"
                " JOIN goods_receipt_line l ON l.receipt_id = r.id"
                " JOIN purchase_order p ON p.id = r.po_id WHERE p.number = :n"
            ),
            {"n": number},
        ).one()
    assert (received[0], Decimal(received[1])) == (1, Decimal("4"))
    wait_stage(engine, number, "matching")
