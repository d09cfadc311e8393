"""A subscriber's endpoint is down for good: with the production backoff (10 s, doubling) the ERP tries
exactly `max_attempts` times over several minutes of workflow time, then parks the event in the
dead-letter list (time-skipping server: minutes pass in milliseconds)."""

import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.testing import WorkflowEnvironment

from erp.db import session_scope
from models.contracts.integration import DeliveryOutcome, DeliveryRequest
from services.core import events
from services.integration import webhooks
from tests.factories import Factory
from tests.histories import save, should_record
from tests.integration_events.receiver import running_receiver
from worker import build_worker
from workflows.integration.delivery import WebhookDeliveryWorkflow

HISTORY = Path(__file__).parent / "histories" / "webhook_delivery_dead_letter.json"


def _subscribe_and_emit(engine: Engine, entity_id: int, url: str) -> tuple[int, str, str]:
    """Subscription, event and its delivery in one transaction, claimed for this test's worker.

    Marking the run started before commit keeps a dispatcher of another test from starting it too.
    """
    with session_scope(engine) as s:
        sub, secret = webhooks.create_subscription(
            s,
            {
                "name": f"down-{uuid.uuid4().hex[:8]}",
                "url": url,
                "entity_ids": [entity_id],
                "max_attempts": 4,
            },
            created_by="admin",
        )
        number = f"PO-{uuid.uuid4().hex[:6]}"
        event_id = events.emit(
            s, event_type="purchase_order.approved", key=f"po:{number}:approved", entity_id=entity_id,
            document_type="purchase_order", document_id=number,
            data={"number": number, "supplier_id": 1, "currency": "EUR", "total": "120.00"},
        )  # fmt: skip
        webhooks.fan_out(s, 1000)
        delivery_id = (
            s.connection()
            .execute(text("SELECT id FROM webhook_delivery WHERE subscription_id = :s"), {"s": sub.id})
            .scalar_one()
        )
        webhooks.mark_started(s, [(delivery_id, 1)])
        assert sub.id is not None
        return delivery_id, event_id, secret


async def test_a_dead_endpoint_gets_max_attempts_tries_with_backoff_then_a_dead_letter(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory, api: TestClient
) -> None:
    entity = factory.entity()
    _, admin = factory.user("admin", entities=(entity,))
    assert entity.id is not None
    with running_receiver(answer=lambda _event_id, _nth: 502) as down:
        delivery_id, event_id, down.secret = _subscribe_and_emit(engine, entity.id, down.url)
        async with build_worker(time_skipping.client, engine, task_queue):
            handle = await time_skipping.client.start_workflow(
                WebhookDeliveryWorkflow.run,
                DeliveryRequest(delivery_id=delivery_id, run=1, max_attempts=4, first_retry_seconds=10.0),
                id=f"Delivery-test-{event_id}",
                task_queue=task_queue,
            )
            outcome: DeliveryOutcome = await handle.result()
            history = await handle.fetch_history()
    if should_record(HISTORY):
        save(history, HISTORY)
    assert outcome.status == "dead"
    assert down.arrivals[event_id] == 4 and down.bad_signatures == 0
    with engine.connect() as c:
        tries = c.execute(
            text("SELECT attempt, status_code FROM webhook_attempt WHERE delivery_id = :d ORDER BY id"),
            {"d": delivery_id},
        ).all()
    assert [tuple(t) for t in tries] == [(1, 502), (2, 502), (3, 502), (4, 502)]
    # In workflow time the tries were 10 s, 20 s and 40 s apart: the last failure came 70 s or more in.
    began = history.events[0].event_time.ToDatetime()
    gave_up = next(e for e in history.events if e.HasField("activity_task_failed_event_attributes"))
    assert (gave_up.event_time.ToDatetime() - began).total_seconds() >= 70

    dead = api.get("/integration/dead-letters", headers={"Authorization": f"Bearer {admin}"}).json()
    mine = [d for d in dead if d["event_id"] == event_id]
    assert [(d["delivery_id"], d["attempts"], d["event_type"]) for d in mine] == [
        (delivery_id, 4, "purchase_order.approved")
    ]
    assert "502" in mine[0]["last_error"]
