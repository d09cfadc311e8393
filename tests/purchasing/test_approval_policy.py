"""Approval policy from the database: bands by amount pick the levels; the requester never approves their
own PO; an approver's limit and a rolling-window cap are enforced; a delegate acts for an absent approver
(recorded); reject ends the PO; request changes sends it back and the revision is approved from level 1;
stale revisions and decided tasks are refused."""

from datetime import date, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.worker import Worker

from models.auth import Delegation
from models.purchasing import ApprovalBand
from tests.factories import Factory
from tests.purchasing.buyer_desk import bearer, decide, open_desk, po_body, wait_stage, wait_task

D = Decimal


def _create(api: TestClient, token: str, body: dict[str, object]) -> str:
    created = api.post("/purchase-orders", json=body, headers=bearer(token))
    assert created.status_code == 201, created.text
    return str(created.json()["number"])


def test_segregation_of_duties_limits_and_the_window_cap(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory, approver_limit="3000", window_cap="4000")
    # A buyer who is also an approver still may not approve their own PO.
    _, boss_token = factory.user("buyer", "approver", entities=(desk.entity,), limit=D("100000"))
    own = _create(api, boss_token, po_body(desk, "10"))
    task = wait_task(engine, own, "po_approval")
    refused = decide(api, boss_token, task["id"], "approve", revision=1)
    assert refused.status_code == 403 and "own_document" in refused.text
    wrong = decide(api, desk.token("clerk"), task["id"], "approve", revision=1)
    assert wrong.status_code in (403, 404)

    # 3,500 is above the approver's 3,000 limit.
    big = _create(api, desk.token("buyer"), po_body(desk, "350"))
    big_task = wait_task(engine, big, "po_approval")
    over = decide(api, desk.token("approver"), big_task["id"], "approve", revision=1)
    assert over.status_code == 403 and "over_limit" in over.text

    # Splitting: 2,500 then 2,500 by the same approver breaks the 4,000 cap in 30 days.
    first = _create(api, desk.token("buyer"), po_body(desk, "250"))
    ok = decide(
        api, desk.token("approver"), wait_task(engine, first, "po_approval")["id"], "approve", revision=1
    )
    assert ok.status_code == 200, ok.text
    second = _create(api, desk.token("buyer"), po_body(desk, "250"))
    split = decide(
        api, desk.token("approver"), wait_task(engine, second, "po_approval")["id"], "approve", revision=1
    )
    assert split.status_code == 403 and "over_window_cap" in split.text
    assert wait_stage(engine, first, "issued")


def test_delegation_two_levels_reject_and_request_changes(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    # 600 x 10.00 = 6,000: approver, then controller.
    number = _create(api, desk.token("buyer"), po_body(desk, "600"))
    level1 = wait_task(engine, number, "po_approval")
    assert level1["candidate_role"] == "approver"
    # The approver is away; a delegate (no approver role of their own) acts for them.
    delegate, delegate_token = factory.user("buyer", entities=(desk.entity,))
    with Session(engine) as s:
        s.add(
            Delegation(
                delegator=desk.name("approver"),
                delegate=delegate.username,
                valid_from=date.today() - timedelta(days=1),
                valid_to=date.today() + timedelta(days=1),
            )
        )
        s.commit()
    acted = decide(api, delegate_token, level1["id"], "approve", revision=1)
    assert acted.status_code == 200, acted.text
    assert acted.json()["acting_for"] == desk.name("approver")
    level2 = wait_task(engine, number, "po_approval")
    assert level2["candidate_role"] == "controller" and level2["id"] != level1["id"]
    assert decide(api, desk.token("approver"), level2["id"], "approve", revision=1).status_code == 403

    # The controller wants a smaller order: back to the buyer.
    changes = decide(
        api, desk.token("controller"), level2["id"], "request_changes", revision=1, comment="split it"
    )
    assert changes.status_code == 200, changes.text
    assert decide(api, desk.token("controller"), level2["id"], "approve", revision=1).status_code == 409
    revise = wait_task(engine, number, "po_revision")
    bad = decide(
        api, desk.token("buyer"), revise["id"], "submit", payload={"lines": [{"line_no": 7, "qty": "1"}]}
    )
    assert bad.status_code == 422
    submitted = decide(
        api,
        desk.token("buyer"),
        revise["id"],
        "submit",
        revision=1,
        payload={"lines": [{"line_no": 1, "qty": "300"}]},
    )
    assert submitted.status_code == 200, submitted.text
    # Revision 2 (3,000) needs one level and starts again at level 1; revision 1 answers are stale.
    again = wait_task(engine, number, "po_approval")
    assert again["details"]["revision"] == 2 and again["details"]["level"] == 1
    stale = decide(api, desk.token("approver"), again["id"], "approve", revision=1)
    assert stale.status_code == 409 and "revision" in stale.text
    assert decide(api, desk.token("approver"), again["id"], "approve", revision=2).status_code == 200
    wait_stage(engine, number, "issued")
    po = api.get(f"/purchase-orders/{number}", headers=bearer(desk.token("buyer"))).json()
    assert D(po["total"]) == D("3000.00") and po["revision"] == 2
    assert [(t["decision"], t["acting_for"]) for t in po["tasks"]] == [
        ("approve", desk.name("approver")),
        ("request_changes", None),
        ("submit", None),
        ("approve", None),
    ]

    # Reject ends the PO with its reason.
    doomed = _create(api, desk.token("buyer"), po_body(desk, "5"))
    rejected = decide(
        api,
        desk.token("approver"),
        wait_task(engine, doomed, "po_approval")["id"],
        "reject",
        revision=1,
        comment="not in budget",
    )
    assert rejected.status_code == 200
    wait_stage(engine, doomed, "rejected")


def test_changing_the_bands_changes_new_pos_only(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    before = _create(api, desk.token("buyer"), po_body(desk, "10"))
    wait_task(engine, before, "po_approval")
    with Session(engine) as s:
        s.execute(text("UPDATE approval_band SET active = false WHERE entity_id = :e"), {"e": desk.entity.id})
        s.add(
            ApprovalBand(
                entity_id=desk.entity.id, min_amount=D(0), max_amount=None, levels=[{"role": "controller"}]
            )
        )
        s.commit()
    after = _create(api, desk.token("buyer"), po_body(desk, "10"))
    assert wait_task(engine, after, "po_approval")["candidate_role"] == "controller"
    first = wait_task(engine, before, "po_approval")
    assert first["candidate_role"] == "approver"
    assert decide(api, desk.token("approver"), first["id"], "approve", revision=1).status_code == 200
    wait_stage(engine, before, "issued")
