"""A controller books November's rent accrual through the API, to be reversed on the next day.

Malformed journals (unbalanced, an unknown account, a control account such as payables, too many lines,
a closed period) are refused naming the field and store nothing. The controller's client times out and
re-sends the journal with the same Idempotency-Key: one journal, one workflow. The maker cannot approve
their own journal (403), nor can an AP clerk; a second controller approves it: it posts once, then its
reversal posts on its date. Every step is in the audit trail. A second journal is rejected and posts
nothing."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from rules.periods import period_of
from tests.factories import Factory
from tests.histories import save, should_record
from tests.journals.desk import audit_actions, bearer, close_period, entries, open_desk, rent, rows
from tests.replenishment.shop import eventually, open_task
from workflows.journals.manual_journal import ManualJournalWorkflow

D = Decimal
HISTORIES = Path(__file__).parent / "histories"  # recorded once, replayed by tests/replay on every change


def _refusal(answer: Any) -> tuple[int, list[Any]]:
    return answer.status_code, answer.json()["detail"][0]["loc"]


async def test_a_controller_books_and_reverses_an_accrual_with_a_second_controller(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    maker, checker = desk.maker, desk.checker
    today = date.today()
    yesterday = today - timedelta(days=1)
    body = rent(desk.entity_id, yesterday, reversal_date=today.isoformat())

    unbalanced = rent(desk.entity_id, yesterday)
    unbalanced["lines"][1]["credit"] = "1499.99"
    assert _refusal(api.post("/journals", json=unbalanced, headers=bearer(maker[1]))) == (
        422,
        ["body", "lines"],
    )
    unknown = rent(desk.entity_id, yesterday)
    unknown["lines"][1]["account"] = "9999"
    assert _refusal(api.post("/journals", json=unknown, headers=bearer(maker[1]))) == (
        422,
        ["body", "lines[1].account"],
    )
    on_ap = rent(desk.entity_id, yesterday)
    on_ap["lines"][1]["account"] = "2000"  # accounts payable moves with supplier documents only
    refused = api.post("/journals", json=on_ap, headers=bearer(maker[1]))
    assert _refusal(refused) == (422, ["body", "lines[1].account"]) and "control account" in refused.text
    too_many = rent(desk.entity_id, yesterday)
    too_many["lines"] = too_many["lines"] * 51
    assert _refusal(api.post("/journals", json=too_many, headers=bearer(maker[1]))) == (
        422,
        ["body", "lines"],
    )
    both = rent(desk.entity_id, yesterday)
    both["lines"][0]["credit"] = "1500.00"
    assert _refusal(api.post("/journals", json=both, headers=bearer(maker[1]))) == (422, ["body", "lines[0]"])
    early = rent(desk.entity_id, yesterday, reversal_date=yesterday.isoformat())
    assert _refusal(api.post("/journals", json=early, headers=bearer(maker[1]))) == (
        422,
        ["body", "reversal_date"],
    )
    long_ago = today.replace(day=1) - timedelta(days=40)
    close_period(engine, desk.entity_id, period_of(long_ago))
    closed = api.post("/journals", json=rent(desk.entity_id, long_ago), headers=bearer(maker[1]))
    assert _refusal(closed) == (409, ["body", "posting_date"]), closed.text
    by_clerk = api.post("/journals", json=body, headers=bearer(desk.clerk[1]))  # AP clerks key journals too
    assert by_clerk.status_code == 201, by_clerk.text

    first = api.post("/journals", json=body, headers=bearer(maker[1], key="rent-nov-1"))
    assert first.status_code == 201, first.text
    number = first.json()["number"]
    assert first.json() == {
        "number": number,
        "workflow_id": f"ManualJournal-{desk.entity_id}-{number}",
        "status": "approval",
    }
    again = api.post("/journals", json=body, headers=bearer(maker[1], key="rent-nov-1"))
    assert (again.status_code, again.json()["number"]) == (201, number)
    assert again.headers.get("idempotent-replayed") == "true"
    task = await eventually(lambda: open_task(engine, number, "journal_approval"), "the approval task")
    # The re-sent request made no second journal (the workflow stored this one before opening its task).
    assert rows(engine, "SELECT number FROM manual_journal WHERE maker = :m", m=maker[0]) == [
        {"number": number}
    ]
    assert task["candidate_role"] == "controller"
    decision = f"/tasks/{task['id']}/decision"
    own = api.post(decision, json={"decision": "approve"}, headers=bearer(maker[1]))
    assert own.status_code == 403, own.text
    assert "may not approve" in own.text
    clerk = api.post(decision, json={"decision": "approve"}, headers=bearer(desk.clerk[1]))
    assert clerk.status_code == 403, clerk.text
    assert entries(engine, number) == []
    assert api.get(f"/journals/{number}", headers=bearer(maker[1])).json()["status"] == "approval"

    approved = api.post(
        decision, json={"decision": "approve", "comment": "agreed to lease"}, headers=bearer(checker[1])
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["stage"] == "posted"
    twice = api.post(
        decision, json={"decision": "approve", "comment": "agreed to lease"}, headers=bearer(checker[1])
    )
    assert twice.status_code in (200, 409), twice.text  # the same decision again: never a second posting

    def reversed_() -> dict[str, Any] | None:
        view = api.get(f"/journals/{number}", headers=bearer(maker[1])).json()
        return view if view["status"] == "reversed" else None

    view = await eventually(reversed_, "the reversal on its date")
    assert (view["maker"], view["approved_by"]) == (maker[0], checker[0])
    assert [(D(x["amount"]), x["account"]) for x in view["lines"]] == [
        (D("1500.00"), "6200"),
        (D("-1500.00"), "2150"),
    ]
    posted, reversal = entries(engine, number)
    assert (posted["id"], posted["posting_date"], posted["created_by"]) == (
        view["entry_id"],
        yesterday,
        checker[0],
    )
    assert {k: D(v) for k, v in posted["lines"].items()} == {"2150": D("-1500"), "6200": D("1500")}
    assert (reversal["id"], reversal["posting_date"], reversal["reverses_entry_id"]) == (
        view["reversal_entry_id"],
        today,
        posted["id"],
    )
    assert {k: D(v) for k, v in reversal["lines"].items()} == {"2150": D("1500"), "6200": D("-1500")}
    assert audit_actions(engine, number) == [
        ("manual_journal.submitted", maker[0]),
        ("manual_journal.posted", checker[0]),
        ("task.approve", checker[0]),
        ("manual_journal.reversed", "system"),
    ]
    handle = temporal_dev.client.get_workflow_handle_for(ManualJournalWorkflow.run, view["workflow_id"])
    assert (await handle.result()).stage == "reversed"
    if should_record(HISTORIES / "manual_journal_reversed.json"):
        save(await handle.fetch_history(), HISTORIES / "manual_journal_reversed.json")

    second = api.post("/journals", json=rent(desk.entity_id, today, "80.00"), headers=bearer(maker[1]))
    assert second.status_code == 201, second.text
    other = second.json()["number"]
    task = await eventually(lambda: open_task(engine, other, "journal_approval"), "the second approval task")
    rejected = api.post(
        f"/tasks/{task['id']}/decision",
        json={"decision": "reject", "comment": "wrong store"},
        headers=bearer(checker[1]),
    )
    assert rejected.status_code == 200, rejected.text
    assert api.get(f"/journals/{other}", headers=bearer(maker[1])).json()["status"] == "rejected"
    assert entries(engine, other) == []
    assert audit_actions(engine, other) == [
        ("manual_journal.submitted", maker[0]),
        ("manual_journal.rejected", checker[0]),
        ("task.reject", checker[0]),
    ]
    handle = temporal_dev.client.get_workflow_handle_for(
        ManualJournalWorkflow.run, f"ManualJournal-{desk.entity_id}-{other}"
    )
    assert (await handle.result()).stage == "rejected"
    if should_record(HISTORIES / "manual_journal_rejected.json"):
        save(await handle.fetch_history(), HISTORIES / "manual_journal_rejected.json")
