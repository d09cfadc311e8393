"""An admin registers webhook receivers; the ERP must never become a proxy into its own network. Every
internal address from the security review is refused at creation and at PATCH (naming the url), an
on-premise receiver works once the operator allow-lists it, and a subscription whose URL turns internal
later (DNS changed, or a row from before the check) is refused at delivery: recorded once, not retried,
parked as a dead letter. A delivery goes to the very address that was checked (no DNS rebinding)."""

import os
import uuid
from collections.abc import Iterable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.testing import WorkflowEnvironment

from erp.db import session_scope
from erp.settings import get_settings
from models.contracts.integration import DeliveryOutcome, DeliveryRequest
from services.core import events
from services.integration import webhook_targets, webhooks
from tests.factories import Factory
from tests.integration_events.receiver import running_receiver
from worker import build_worker
from workflows.integration.delivery import WebhookDeliveryWorkflow

INTERNAL = [
    "http://169.254.169.254/latest/meta-data/iam/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://127.0.0.1/hook",
    "http://localhost:5432/",
    "http://10.0.0.1/hook",
    "http://2130706433/hook",
    "http://0x7f.1/hook",
    "http://[::1]/hook",
    "http://[::ffff:169.254.169.254]/hook",
    "https://points-inside.example.com/hook",
]
DNS = {"hooks.example.com": ["93.184.216.34"], "points-inside.example.com": ["10.1.2.3"]}


def fake_dns(host: str, _port: int) -> Iterable[str]:
    if host not in DNS:
        raise OSError(f"{host}: name not known")
    return DNS[host]


@pytest.fixture(autouse=True)
def no_allow_list(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The default installation: nothing allow-listed, DNS answers from the table above."""
    monkeypatch.setenv("ERP_WEBHOOK_ALLOWED_TARGETS", "")
    monkeypatch.setattr(webhook_targets, "system_resolve", fake_dns)
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_internal_targets_are_refused_at_creation_and_patch(api: TestClient, factory: Factory) -> None:
    entity = factory.entity()
    _, admin = factory.user("admin", entities=(entity,))
    headers = {"Authorization": f"Bearer {admin}"}
    for url in INTERNAL:
        answer = api.post(
            "/integration/subscriptions",
            json={"name": f"evil-{uuid.uuid4().hex[:8]}", "url": url, "entity_ids": [entity.id]},
            headers=headers,
        )
        assert answer.status_code == 422, (url, answer.text)
        assert "url" in answer.text, answer.text
    created = api.post(
        "/integration/subscriptions",
        json={"name": f"wms-{uuid.uuid4().hex[:8]}", "url": "https://hooks.example.com/erp", "entity_ids": [entity.id]},
        headers=headers,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    sub_id = created.json()["id"]
    for url in INTERNAL:
        answer = api.patch(f"/integration/subscriptions/{sub_id}", json={"url": url}, headers=headers)
        assert answer.status_code == 422, (url, answer.text)
    kept = api.get(f"/integration/subscriptions/{sub_id}", headers=headers).json()
    assert kept["url"] == "https://hooks.example.com/erp"


def test_an_operator_allow_lists_an_on_premise_receiver(
    api: TestClient, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    entity = factory.entity()
    _, admin = factory.user("admin", entities=(entity,))
    body = {
        "name": f"onprem-{uuid.uuid4().hex[:8]}",
        "url": "http://10.0.0.1/hook",
        "entity_ids": [entity.id],
    }
    headers = {"Authorization": f"Bearer {admin}"}
    assert api.post("/integration/subscriptions", json=body, headers=headers).status_code == 422
    monkeypatch.setenv("ERP_WEBHOOK_ALLOWED_TARGETS", "10.0.0.0/24")
    get_settings.cache_clear()
    assert api.post("/integration/subscriptions", json=body, headers=headers).status_code == 201
    # The allow-list names that range only: the metadata service stays out of reach.
    body = {**body, "name": f"meta-{uuid.uuid4().hex[:8]}", "url": "http://169.254.169.254/"}
    assert api.post("/integration/subscriptions", json=body, headers=headers).status_code == 422


def _subscribe_and_emit(engine: Engine, entity_id: int, url: str) -> tuple[int, str, str]:
    """A subscription row (as written before the check existed), one event and its delivery, claimed."""
    with session_scope(engine) as s:
        sub, secret = webhooks.create_subscription(
            s,
            {"name": f"old-{uuid.uuid4().hex[:8]}", "url": url, "entity_ids": [entity_id], "max_attempts": 8},
            created_by="admin",
        )  # fmt: skip
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
    return delivery_id, event_id, secret


async def test_a_delivery_goes_to_the_address_that_was_checked(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    entity = factory.entity()
    assert entity.id is not None
    # The receiver's name exists only in the ERP's (fake) DNS; the operator allow-listed its network.
    monkeypatch.setitem(DNS, "wms.onprem.example.com", ["127.0.0.1"])
    monkeypatch.setenv("ERP_WEBHOOK_ALLOWED_TARGETS", "127.0.0.0/8")
    get_settings.cache_clear()
    with running_receiver() as wms:
        url = wms.url.replace("127.0.0.1", "wms.onprem.example.com")
        delivery_id, event_id, wms.secret = _subscribe_and_emit(engine, entity.id, url)
        async with build_worker(time_skipping.client, engine, task_queue):
            outcome: DeliveryOutcome = await time_skipping.client.execute_workflow(
                WebhookDeliveryWorkflow.run,
                DeliveryRequest(delivery_id=delivery_id, run=1, max_attempts=2, first_retry_seconds=1.0),
                id=f"Delivery-test-{event_id}",
                task_queue=task_queue,
            )
    assert outcome.status == "delivered"
    assert wms.arrivals[event_id] == 1 and wms.bad_signatures == 0


async def test_a_target_that_turned_internal_is_refused_at_delivery_not_retried(
    time_skipping: WorkflowEnvironment, task_queue: str, engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    assert entity.id is not None
    with running_receiver() as inside:
        delivery_id, event_id, inside.secret = _subscribe_and_emit(engine, entity.id, inside.url)
        async with build_worker(time_skipping.client, engine, task_queue):
            outcome: DeliveryOutcome = await time_skipping.client.execute_workflow(
                WebhookDeliveryWorkflow.run,
                DeliveryRequest(delivery_id=delivery_id, run=1, max_attempts=8, first_retry_seconds=10.0),
                id=f"Delivery-test-{event_id}",
                task_queue=task_queue,
            )
    assert outcome.status == "dead"
    assert inside.arrivals[event_id] == 0  # nothing was sent to 127.0.0.1
    with engine.connect() as c:
        tries = c.execute(
            text("SELECT attempt, status_code, error FROM webhook_attempt WHERE delivery_id = :d"),
            {"d": delivery_id},
        ).all()
        letter = c.execute(
            text("SELECT last_error FROM webhook_dead_letter WHERE delivery_id = :d"), {"d": delivery_id}
        ).scalar_one()
    assert [(t[0], t[1]) for t in tries] == [(1, None)]  # one recorded refusal, no retries
    assert "refused target" in str(tries[0][2]) and "loopback" in str(tries[0][2])
    assert "refused target" in letter
    assert os.environ.get("ERP_WEBHOOK_ALLOWED_TARGETS") == ""
