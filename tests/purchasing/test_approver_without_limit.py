"""A new approver joins before an administrator has set their approval limit. They open the inbox and try
to approve a 40,000 EUR PO: refused (403, "no_limit"), the PO still waits at level 1. They may still
reject nothing-committing decisions; once the administrator gives them a 50,000 limit, the same approval
goes through."""

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.worker import Worker

from tests.factories import Factory
from tests.purchasing.buyer_desk import create_po, decide, open_desk, po_body, stage, wait_stage, wait_task

D = Decimal


def test_an_approver_without_a_limit_approves_nothing_until_given_one(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    # One band, the approver alone, for any amount: the limit is the only thing standing in the way.
    desk = open_desk(factory, approver_limit=None, bands=[("0", None, [{"role": "approver"}])])
    number = create_po(api, desk.token("buyer"), po_body(desk, "4000"))
    task = wait_task(engine, number, "po_approval")

    refused = decide(api, desk.token("approver"), task["id"], "approve", revision=1)
    assert refused.status_code == 403, refused.text
    assert "no_limit" in refused.text and "approval limit" in refused.text
    assert stage(engine, number) == "approval"

    # The administrator sets the limit (the user's row; `erp users` / the admin API write the same column).
    with engine.begin() as c:
        c.execute(
            text("UPDATE app_user SET approval_limit = 50000 WHERE username = :u"),
            {"u": desk.name("approver")},
        )
    approved = decide(api, desk.token("approver"), task["id"], "approve", revision=1, comment="limit set")
    assert approved.status_code == 200, approved.text
    assert wait_stage(engine, number, "issued")


def test_an_approver_without_a_limit_may_still_reject(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory, approver_limit=None, bands=[("0", None, [{"role": "approver"}])])
    number = create_po(api, desk.token("buyer"), po_body(desk, "20000"))
    task = wait_task(engine, number, "po_approval")
    rejected = decide(api, desk.token("approver"), task["id"], "reject", revision=1, comment="too big")
    assert rejected.status_code == 200, rejected.text
    assert wait_stage(engine, number, "rejected")
