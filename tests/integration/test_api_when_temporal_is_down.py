"""An outage drill: with Temporal unreachable, deciding a task answers 503 with Retry-After and
changes nothing; readiness says which dependency is down."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.temporal_holder import TemporalHolder
from erp.settings import Settings
from models.contracts.tasks import TaskSpec
from models.tasks import Task
from services.core.tasks import open_task
from tests.factories import Factory


def test_a_decision_while_temporal_is_down_is_503_and_writes_nothing(
    api: TestClient, engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    assert entity.id is not None
    _, token = factory.user("approver", entities=(entity,))
    with Session(engine) as s:
        task_id = open_task(
            s,
            TaskSpec(
                task_key=f"t:{entity.code}",
                kind="po_approval",
                workflow_id="PO-X",
                workflow_type="PurchaseOrderWorkflow",
                subject_type="purchase_order",
                subject_id="X",
                entity_id=entity.id,
                title="Approve PO X",
                candidate_role="approver",
                options=["approve", "reject"],
            ),
        )
        s.commit()
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    api.app.state.temporal = TemporalHolder(Settings(TEMPORAL_ADDRESS="127.0.0.1:1"))  # type: ignore[attr-defined]
    answer = api.post(
        f"/tasks/{task_id}/decision",
        json={"decision": "approve"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    with Session(engine) as s:
        task = s.get(Task, task_id)
        assert task is not None and task.status == "open" and task.decided_by is None
    ready = api.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["database"] == "ok" and ready.json()["temporal"].startswith("error")
