"""A retailer's warehouse system subscribes to purchasing events: each committed fact arrives signed, once
per event id even when answers are lost and retried; a receiver that keeps failing ends in the dead-letter
list, and an admin replays from an event id once it is fixed (real dev server, real HTTP on 127.0.0.1)."""

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from models.contracts.integration import DeliveryOutcome
from models.master import Entity
from services.core import events
from tests.factories import Factory
from tests.integration_events.receiver import Receiver, running_receiver
from workflows.integration.delivery import WebhookDeliveryWorkflow


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def call(method: Callable[..., httpx.Response], *args: Any, **kw: Any) -> httpx.Response:
    """The API in a thread, so the worker on this event loop keeps running meanwhile."""
    return await asyncio.to_thread(method, *args, **kw)


def _delivery(env: WorkflowEnvironment, sub_id: int, event_id: str) -> WorkflowHandle[Any, DeliveryOutcome]:
    """The delivery workflow of one event to one subscription (its latest run)."""
    return env.client.get_workflow_handle_for(WebhookDeliveryWorkflow.run, f"Delivery-{sub_id}-{event_id}")


async def until(receiver: Receiver, predicate: Callable[[Receiver], bool]) -> None:
    assert await asyncio.to_thread(receiver.wait_until, predicate, 30.0), "the receiver never saw it"


def _issue_po(engine: Engine, entity: Entity, number: str, *, commit: bool = True) -> str:
    assert entity.id is not None
    with Session(engine) as s:
        event_id = events.emit(
            s, event_type="purchase_order.issued", key=f"po:{number}:issued", entity_id=entity.id,
            document_type="purchase_order", document_id=number,
            data={"number": number, "supplier_id": 7, "currency": "EUR",
                  "lines": [{"line_no": 1, "item_id": 3, "qty": "10", "price": "4.20"}]},
        )  # fmt: skip
        s.commit() if commit else s.rollback()
    return event_id


def _cancel_order(engine: Engine, entity: Entity, number: str) -> str:
    with Session(engine) as s:
        event_id = events.emit(
            s, event_type="sales_order.cancelled", key=f"so:{number}:cancelled", entity_id=entity.id,
            document_type="sales_order", document_id=number, data={"order_number": number},
        )  # fmt: skip
        s.commit()
    return event_id


async def _subscribe(api: TestClient, admin: str, entity: Entity, receiver: Receiver, **kw: Any) -> int:
    created = await call(
        api.post,
        "/integration/subscriptions",
        json={"name": f"wms-{uuid.uuid4().hex[:8]}", "url": receiver.url, "entity_ids": [entity.id],
              "event_types": ["purchase_order.issued"], "first_retry_seconds": 0.2, **kw},
        headers=bearer(admin),
    )  # fmt: skip
    assert created.status_code == 201, created.text
    receiver.secret = created.json()["secret"]  # shown this once
    return int(created.json()["id"])


async def test_each_committed_event_arrives_signed_once_per_event_id_despite_lost_answers(
    api: TestClient, temporal_dev: WorkflowEnvironment, erp_worker: object, engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    _, admin = factory.user("admin", entities=(entity,))
    _, buyer = factory.user("buyer", entities=(entity,))
    tag = uuid.uuid4().hex[:6].upper()
    # The warehouse system stores each event, but its first answer is lost (503): the ERP must retry.
    with running_receiver(answer=lambda _event_id, nth: 503 if nth == 1 else 200) as wms:
        sub_id = await _subscribe(api, admin, entity, wms)
        subs = (await call(api.get, "/integration/subscriptions", headers=bearer(admin))).json()
        assert all("secret" not in s for s in subs)
        assert (await call(api.get, "/integration/subscriptions", headers=bearer(buyer))).status_code == 403

        first = _issue_po(engine, entity, f"PO-{tag}-1")
        _issue_po(engine, entity, f"PO-{tag}-9", commit=False)  # the buyer's transaction failed
        _cancel_order(engine, entity, f"SO-{tag}")  # not a type this subscriber wants
        second = _issue_po(engine, entity, f"PO-{tag}-2")

        await until(wms, lambda r: r.arrivals[first] >= 2 and r.arrivals[second] >= 2)
        for event_id in (first, second):
            outcome = await _delivery(temporal_dev, sub_id, event_id).result()
            assert outcome.status == "delivered"
        assert set(wms.processed) == {first, second}
        assert wms.process_count == {first: 1, second: 1}
        assert wms.bad_signatures == 0
        envelope = wms.processed[first]
        assert envelope["type"] == "purchase_order.issued" and envelope["version"] == 1
        assert (envelope["entity"], envelope["document_type"]) == (entity.code, "purchase_order")
        assert envelope["data"]["lines"] == [{"line_no": 1, "item_id": 3, "qty": "10", "price": "4.20"}]

        deliveries = (
            await call(api.get, f"/integration/deliveries?subscription_id={sub_id}", headers=bearer(admin))
        ).json()
        assert sorted((d["event_id"], d["status"], d["attempts"]) for d in deliveries) == sorted(
            [(first, "delivered", 2), (second, "delivered", 2)]
        )

        # The admin finds the event ids to replay from in the feed of their entities' events.
        feed = (await call(api.get, "/integration/events?after=0&limit=1000", headers=bearer(admin))).json()
        assert [e["event_id"] for e in feed if e["type"] == "purchase_order.issued"] == [first, second]
        assert {e["entity"] for e in feed} == {entity.code}

        # The warehouse restored a backup: the admin replays from the first event. Same ids arrive again,
        # and the receiver, de-duplicating by event id, processes nothing twice.
        replay = await call(
            api.post, f"/integration/subscriptions/{sub_id}/replay", json={"from_event_id": first},
            headers=bearer(admin),
        )  # fmt: skip
        assert replay.status_code == 200, replay.text
        assert replay.json()["replayed"] == 2
        await until(wms, lambda r: r.arrivals[first] >= 3 and r.arrivals[second] >= 3)
        assert wms.process_count == {first: 1, second: 1}
        await call(api.delete, f"/integration/subscriptions/{sub_id}", headers=bearer(admin))


async def test_a_receiver_that_keeps_failing_ends_in_the_dead_letter_list_and_is_replayed_when_fixed(
    api: TestClient, temporal_dev: WorkflowEnvironment, erp_worker: object, engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    _, admin = factory.user("admin", entities=(entity,))
    broken = True
    with running_receiver(answer=lambda _event_id, _nth: 500 if broken else 200) as erp_b:
        sub_id = await _subscribe(api, admin, entity, erp_b, max_attempts=3)
        event_id = _issue_po(engine, entity, f"PO-{uuid.uuid4().hex[:6]}")
        handle = _delivery(temporal_dev, sub_id, event_id)
        await until(erp_b, lambda r: r.arrivals[event_id] >= 1)
        assert (await handle.result()).status == "dead"
        assert erp_b.arrivals[event_id] == 3

        dead = (
            await call(api.get, f"/integration/dead-letters?subscription_id={sub_id}", headers=bearer(admin))
        ).json()
        assert [(d["event_id"], d["attempts"]) for d in dead] == [(event_id, 3)]
        assert "500" in dead[0]["last_error"]

        broken = False
        replay = await call(
            api.post, f"/integration/subscriptions/{sub_id}/replay", json={"from_event_id": event_id},
            headers=bearer(admin),
        )  # fmt: skip
        assert replay.json()["replayed"] == 1
        await until(erp_b, lambda r: r.arrivals[event_id] >= 4)
        assert (await handle.result()).status == "delivered"
        still_dead = (
            await call(api.get, f"/integration/dead-letters?subscription_id={sub_id}", headers=bearer(admin))
        ).json()
        assert still_dead == []  # replayed letters leave the list (include_replayed=true shows them)
        await call(api.delete, f"/integration/subscriptions/{sub_id}", headers=bearer(admin))


def test_the_event_catalogue_is_published_with_a_schema_per_type(api: TestClient, factory: Factory) -> None:
    _, clerk = factory.user("warehouse")
    catalogue = api.get("/integration/events/schema", headers=bearer(clerk)).json()
    by_type = {(e["type"], e["version"]): e for e in catalogue}
    issued = by_type[("purchase_order.issued", 1)]["schema"]
    assert issued["properties"]["type"]["const"] == "purchase_order.issued"
    assert {"number", "supplier_id", "currency", "lines"} <= set(issued["properties"]["data"]["required"])
    assert ("fiscal_period.closed", 1) in by_type and ("sales_order.shipped", 1) in by_type
