"""Monthly journals from templates: the controller stores the store's rent (paid, not reversed) and a bonus
accrual (reversed at the start of the next month) once; each month a journal is made from a template for
a date, and it goes through the same approval as any manual journal. A template that could not post
(unbalanced, an unknown account, a code used twice) is refused when stored."""

from datetime import date
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from rules.journals import next_period_start
from tests.factories import Factory
from tests.histories import save, should_record
from tests.journals.desk import bearer, entries, open_desk, rent, rows
from tests.replenishment.shop import eventually, open_task
from workflows.journals.manual_journal import ManualJournalWorkflow

D = Decimal
HISTORY = Path(__file__).parent / "histories" / "manual_journal_posted.json"


async def test_journals_from_templates_go_through_approval(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    maker, checker = desk.maker, desk.checker
    today = date.today()
    paid = {**rent(desk.entity_id, today), "code": "RENT"}
    del paid["posting_date"]
    paid["lines"][1]["account"] = "1000"  # paid from the bank
    stored = api.post("/journal-templates", json=paid, headers=bearer(maker[1]))
    assert stored.status_code == 201, stored.text
    template = stored.json()
    assert (template["code"], template["currency"], template["auto_reverse"]) == ("RENT", "EUR", False)
    assert api.post("/journal-templates", json=paid, headers=bearer(maker[1])).status_code == 409
    clerk = api.post("/journal-templates", json={**paid, "code": "RENT2"}, headers=bearer(desk.clerk[1]))
    assert clerk.status_code == 403  # templates are the controllers'
    unbalanced = {**paid, "code": "BAD", "lines": [paid["lines"][0], {"account": "1000", "credit": "1.00"}]}
    refused = api.post("/journal-templates", json=unbalanced, headers=bearer(maker[1]))
    assert (refused.status_code, refused.json()["detail"][0]["loc"]) == (422, ["body", "lines"])
    [audited] = rows(
        engine,
        "SELECT actor FROM audit_event WHERE action = 'journal_template.created' AND subject_id = :i",
        i=str(template["id"]),
    )
    assert audited["actor"] == maker[0]

    made = api.post(
        f"/journal-templates/{template['id']}/journals",
        json={"posting_date": today.isoformat()},
        headers=bearer(maker[1], key=f"rent-{today}"),
    )
    assert made.status_code == 201, made.text
    number = made.json()["number"]
    task = await eventually(lambda: open_task(engine, number, "journal_approval"), "the approval task")
    own = api.post(f"/tasks/{task['id']}/decision", json={"decision": "approve"}, headers=bearer(maker[1]))
    assert own.status_code == 403, own.text
    approved = api.post(
        f"/tasks/{task['id']}/decision", json={"decision": "approve"}, headers=bearer(checker[1])
    )
    assert approved.status_code == 200, approved.text
    view = api.get(f"/journals/{number}", headers=bearer(desk.clerk[1])).json()
    assert (view["status"], view["template_id"], view["reversal_date"]) == ("posted", template["id"], None)
    [posted] = entries(engine, number)
    assert {k: D(v) for k, v in posted["lines"].items()} == {"1000": D(-1500), "6200": D(1500)}
    handle = temporal_dev.client.get_workflow_handle_for(ManualJournalWorkflow.run, view["workflow_id"])
    assert (await handle.result()).stage == "posted"
    if should_record(HISTORY):
        save(await handle.fetch_history(), HISTORY)

    accrual = {**paid, "code": "BONUS", "auto_reverse": True, "lines": rent(desk.entity_id, today)["lines"]}
    bonus = api.post("/journal-templates", json=accrual, headers=bearer(maker[1]))
    assert bonus.status_code == 201, bonus.text
    made = api.post(
        f"/journal-templates/{bonus.json()['id']}/journals",
        json={"posting_date": today.isoformat()},
        headers=bearer(maker[1]),
    )
    assert made.status_code == 201, made.text
    accrued = made.json()["number"]
    await eventually(lambda: open_task(engine, accrued, "journal_approval"), "the accrual's approval task")
    view = api.get(f"/journals/{accrued}", headers=bearer(maker[1])).json()
    assert (view["status"], view["reversal_date"]) == ("approval", next_period_start(today).isoformat())
