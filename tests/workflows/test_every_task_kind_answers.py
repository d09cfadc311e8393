"""A data steward tries to "approve" a master-data quality task: such a task is not decided in a workflow
(it closes once the record is fixed), so the API says so with a 409, never a 500, and changes nothing."""

from fastapi.testclient import TestClient
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

from models.contracts.tasks import TaskSpec
from models.tasks import Task
from services.core.tasks import open_task
from services.foresight.data_quality import TASK_KIND
from tests.factories import Factory
from tests.sales.shop import bearer
from workflows.foresight.data_quality import WORKFLOW_TYPE


def test_a_task_kind_without_a_decision_answers_409_and_stays_open(
    api: TestClient, temporal_dev: WorkflowEnvironment, factory: Factory
) -> None:
    entity = factory.entity()
    assert entity.id is not None
    _, token = factory.user("admin", entities=(entity,))
    with Session(factory.engine) as s:
        task_id = open_task(
            s,
            TaskSpec(
                task_key=f"dq:{entity.code}:item:1",
                kind=TASK_KIND,
                workflow_id=f"DataQuality-{entity.code}",
                workflow_type=WORKFLOW_TYPE,
                subject_type="item",
                subject_id="1",
                entity_id=entity.id,
                title="Item 1 has no supplier price",
                candidate_role="admin",
                options=[],
            ),
        )
        s.commit()
    answer = api.post(f"/tasks/{task_id}/decision", json={"decision": "approve"}, headers=bearer(token))
    assert answer.status_code == 409, answer.text
    assert "not decided here" in answer.json()["detail"]
    with Session(factory.engine) as s:
        task = s.get(Task, task_id)
        assert task is not None and task.status == "open"
