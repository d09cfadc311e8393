"""The supplier scorecard's query fails (a schema change went wrong) while a buyer raises a PO. The report
may say "not available", but the approval control may not quietly skip the level a poor score would add:
the PO waits for the approver and then for the controller, whose task says the supplier score could not
be computed. A supplier that merely has no history yet still needs the approver alone."""

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from services.close import analytics
from tests.factories import Factory
from tests.purchasing.buyer_desk import (
    bearer,
    create_po,
    decide,
    eventually,
    open_desk,
    open_task,
    po_body,
    wait_stage,
    wait_task,
)

D = Decimal


def test_a_failed_supplier_score_adds_the_level_and_says_why(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = open_desk(factory)
    # A new supplier with no history: no score, nothing extra (absence of history is not poor service).
    fresh = create_po(api, desk.token("buyer"), po_body(desk, "10"))
    first = wait_task(engine, fresh, "po_approval")
    assert decide(api, desk.token("approver"), first["id"], "approve", revision=1).status_code == 200
    assert wait_stage(engine, fresh, "issued")

    # The scorecard query breaks: the policy input cannot be computed.
    monkeypatch.setattr(analytics, "_SCORECARD", "SELECT no_such_column FROM supplier WHERE id = :e")
    card = api.get(
        "/replenishment/supplier-scorecard",
        params={"entity_id": desk.entity.id},
        headers=bearer(desk.token("buyer")),
    ).json()
    assert card["available"] is False and "query failed" in card["reason"]
    number = create_po(api, desk.token("buyer"), po_body(desk, "10"))
    level1 = wait_task(engine, number, "po_approval")
    assert level1["candidate_role"] == "approver"
    assert decide(api, desk.token("approver"), level1["id"], "approve", revision=1).status_code == 200
    extra = eventually(
        lambda: (t := open_task(engine, number, "po_approval")) and t["candidate_role"] == "controller" and t,
        "the level a failed score input adds",
    )
    assert "supplier score" in extra["details"]["why"] and "query failed" in extra["details"]["why"]
    assert wait_stage(engine, number, "approval")
    decided = decide(api, desk.token("controller"), extra["id"], "approve", revision=1)
    assert decided.status_code == 200, decided.text
    assert wait_stage(engine, number, "issued")
