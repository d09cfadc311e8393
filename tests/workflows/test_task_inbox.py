"""An approver's day: a sign-off request lands in the inbox, the requester cannot approve it, the
wrong role cannot either, the approver can — once, even if the request is retried — and a task
nobody answers escalates after its SLA (days skipped on the time-skipping server)."""

import asyncio
import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from models.tasks import AuditEvent, Task
from tests.factories import Factory
from tests.workflows.conftest import PROBE_QUEUE
from tests.workflows.signoff_probe import SignOffInput, SignOffWorkflow
from worker import build_worker


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _task_for(engine: Engine, document: str) -> Task:
    for _ in range(100):
        with Session(engine) as s:
            task = s.exec(select(Task).where(Task.subject_id == document)).first()
            if task is not None:
                return task
        await asyncio.sleep(0.1)
    raise AssertionError(f"no task for {document}")


async def test_decisions_go_through_the_workflow_once_and_refusals_are_clear(
    temporal_dev: WorkflowEnvironment, engine: Engine, factory: Factory, api: TestClient, probe_worker: None
) -> None:
    entity = factory.entity()
    assert entity.id is not None
    requester, requester_token = factory.user("approver", entities=(entity,))
    _, buyer_token = factory.user("buyer", entities=(entity,))
    approver, approver_token = factory.user("approver", entities=(entity,))
    _, other_approver_token = factory.user("approver", entities=(entity,))
    outsider_entity = factory.entity()
    _, outsider_token = factory.user("approver", entities=(outsider_entity,))
    document = f"DOC-{uuid.uuid4().hex[:6]}"
    client: Client = temporal_dev.client
    handle = await client.start_workflow(
        SignOffWorkflow.run,
        SignOffInput(document=document, entity_id=entity.id, requested_by=requester.username),
        id=f"SignOff-{document}",
        task_queue=PROBE_QUEUE,
    )
    task = await _task_for(engine, document)
    inbox = api.get("/tasks", headers=_bearer(approver_token)).json()
    assert task.id in [t["id"] for t in inbox]
    assert task.id not in [t["id"] for t in api.get("/tasks", headers=_bearer(buyer_token)).json()]

    url = f"/tasks/{task.id}/decision"
    own = api.post(url, json={"decision": "approve"}, headers=_bearer(requester_token))
    assert own.status_code == 403 and "own request" in own.json()["detail"][0]["msg"]
    wrong_role = api.post(url, json={"decision": "approve"}, headers=_bearer(buyer_token))
    assert wrong_role.status_code == 403
    assert api.post(url, json={"decision": "approve"}, headers=_bearer(outsider_token)).status_code == 404
    bad = api.post(url, json={"decision": "maybe"}, headers=_bearer(approver_token))
    assert bad.status_code == 422

    first = api.post(url, json={"decision": "approve", "comment": "ok"}, headers=_bearer(approver_token))
    retried = api.post(url, json={"decision": "approve", "comment": "ok"}, headers=_bearer(approver_token))
    assert first.status_code == 200, first.text
    assert first.json() == {
        "task_id": task.id,
        "decision": "approve",
        "decided_by": approver.username,
        "acting_for": None,
        "stage": "approved",
    }
    # The task row is closed by the workflow, so the retry hits the 409 guard or replays the update.
    assert retried.status_code in (200, 409)
    late = api.post(url, json={"decision": "reject"}, headers=_bearer(other_approver_token))
    assert late.status_code == 409
    result = await handle.result()
    assert result.decided_by == approver.username
    with Session(engine) as s:
        closed = s.get(Task, task.id)
        assert closed is not None and (closed.status, closed.decision, closed.decided_by) == (
            "decided",
            "approve",
            approver.username,
        )
        trail = s.exec(select(AuditEvent).where(AuditEvent.subject_id == document)).all()
        assert [(e.actor, e.action) for e in trail] == [(approver.username, "task.approve")]


async def test_an_unanswered_task_escalates_after_its_sla(
    time_skipping: WorkflowEnvironment,
    engine: Engine,
    factory: Factory,
    task_queue: str,
    probe_registered: None,
) -> None:
    entity = factory.entity()
    assert entity.id is not None
    document = f"DOC-{uuid.uuid4().hex[:6]}"
    client = time_skipping.client
    async with build_worker(client, engine, task_queue):
        await client.start_workflow(
            SignOffWorkflow.run,
            SignOffInput(document=document, entity_id=entity.id, requested_by="someone", sla_hours=48),
            id=f"SignOff-{document}",
            task_queue=task_queue,
        )
        task = await _task_for(engine, document)
        assert (task.candidate_role, task.escalation_level) == ("approver", 0)
        await time_skipping.sleep(timedelta(hours=49))
        again: Task | None = None
        for _ in range(50):
            with Session(engine) as s:
                again = s.get(Task, task.id)
                if again is not None and again.escalation_level == 1:
                    break
            await time_skipping.sleep(timedelta(seconds=1))
        assert again is not None
        assert (again.candidate_role, again.escalation_level, again.status) == ("controller", 1, "open")
