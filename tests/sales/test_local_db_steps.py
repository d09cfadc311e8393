"""A web order's short database steps (persist, stage, line updates) run as local activities: no activity task
goes through the server for them, the books come out the same, and the recorded history of such an order
replays beside the older ones recorded before the change (tests/replay runs every history)."""

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.factories import Factory
from tests.histories import save, should_record
from tests.sales.test_pos_and_replay import record_happy_path
from workflows.sales.order import OrderWorkflow

HISTORY = Path(__file__).parent / "histories" / "web_order_local_db_steps.json"


async def test_database_steps_run_locally(
    api: TestClient, erp_worker: Worker, temporal_dev: WorkflowEnvironment, engine: Engine, factory: Factory
) -> None:
    workflow_id = record_happy_path(api, engine, factory)
    handle = temporal_dev.client.get_workflow_handle_for(OrderWorkflow.run, workflow_id)
    assert (await handle.result()).stage == "closed"
    history = await handle.fetch_history()
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    markers = [
        e.marker_recorded_event_attributes.marker_name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]
    # Payments and the shipment (the carrier) still go through the server; the database steps do not.
    assert scheduled == ["payments.authorise", "sales.allocate", "sales.ship", "payments.capture"]
    assert markers.count("core_local_activity") == 4  # persist, stage x 3 (allocated, picking, closed)
    if should_record(HISTORY):
        save(history, HISTORY)
