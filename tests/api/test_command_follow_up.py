"""A warehouse scanner reports a shipment while the system is too busy to answer in time: it gets 202 with
the command's URL, the relay applies the shipment once, the URL then says "applied" with the result, and
the scanner's retry with the same Idempotency-Key gets the outcome instead of 202 for ever. A command is
private to its sender; a request whose API process died mid-way is answered from the command it stored."""

import hashlib
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.worker import Worker

from erp.settings import get_settings
from models.contracts.sales import ShipResult
from services.sales import shipping as sales_shipping
from tests.factories import Factory
from tests.held_step import HeldStep
from tests.sales.shop import add_item, bearer, follow_command, open_shop, order_body, receive


@pytest.fixture()
def impatient_api() -> Iterator[None]:
    """The API waits (almost) nothing for a workflow's answer: every command is answered 202."""
    settings = get_settings()
    before = settings.update_timeout_seconds
    settings.update_timeout_seconds = 0.001
    yield
    settings.update_timeout_seconds = before


@pytest.fixture()
def held_shipment(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldStep[ShipResult]]:
    """The shipping step of one order commits, then waits to be released (a busy worker)."""
    held: HeldStep[ShipResult] = HeldStep(sales_shipping.ship, key=lambda r: str(r.order_number))
    monkeypatch.setattr(sales_shipping, "ship", held)
    yield held
    held.release.set()


def test_a_shipment_answered_202_is_applied_once_and_its_retry_gets_the_outcome(
    api: TestClient,
    erp_worker: Worker,
    engine: Engine,
    factory: Factory,
    impatient_api: None,
    held_shipment: HeldStep[ShipResult],
) -> None:
    shop = open_shop(factory)
    lamp = add_item(factory, shop, "lamp", "40.00")
    receive(engine, lamp, shop.wh1, "5", "15.00")
    get_settings().update_timeout_seconds = 10  # the order itself is taken normally
    created = api.post(
        "/orders",
        json=order_body(shop, shop.web, [{"sku": lamp.sku, "qty": "1"}]),
        headers=bearer(shop.sales),
    )
    assert created.status_code == 201, created.text
    number = created.json()["order_number"]
    get_settings().update_timeout_seconds = 0.001
    # The shipment waits in the worker until the 202 is in hand: no machine is fast enough to answer first.
    held_shipment.number = number

    key = {"Idempotency-Key": f"scan-{uuid.uuid4().hex}"}
    event = {"kind": "shipped", "location_id": shop.wh1.id, "carrier": "DHL", "event_id": "scan-1"}
    first = api.post(
        f"/orders/{number}/warehouse-events", json=event, headers={**bearer(shop.warehouse), **key}
    )
    assert first.status_code == 202, first.text
    url = first.json()["command_url"]
    assert first.headers["Location"] == url and first.json()["status"] == "pending"

    # Nobody else may read the scanner's command.
    assert api.get(url, headers=bearer(shop.sales)).status_code == 404
    held_shipment.release.set()

    outcome = follow_command(api, url, shop.warehouse)
    assert outcome["status"] == "applied" and outcome["http_status"] == 200, outcome
    assert outcome["result"]["stage"] == "closed"

    retried = api.post(
        f"/orders/{number}/warehouse-events", json=event, headers={**bearer(shop.warehouse), **key}
    )
    assert retried.status_code == 200, retried.text
    assert retried.headers.get("idempotent-replayed") == "true"
    assert retried.json()["stage"] == "closed"

    # The same shipment without the key is the same command (same event id): answered, applied once.
    again = api.post(f"/orders/{number}/warehouse-events", json=event, headers=bearer(shop.warehouse))
    assert again.status_code == 200 and again.json()["stage"] == "closed", again.text
    with engine.connect() as c:
        revenue = c.execute(
            text("SELECT count(*) FROM journal_entry WHERE source_id = :n AND idempotency_key LIKE :k"),
            {"n": number, "k": "%:revenue"},
        ).scalar_one()
        commands = c.execute(
            text("SELECT count(*), min(status) FROM api_command WHERE workflow_id = :w AND kind = 'update'"),
            {"w": f"Order-{number}"},
        ).one()
    assert revenue == 1
    assert tuple(commands) == (1, "applied")


def test_a_request_whose_api_process_died_is_answered_from_its_stored_command(
    api: TestClient, engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    user, token = factory.user("warehouse", entities=(entity,))
    key = f"dead-{uuid.uuid4().hex}"
    command_id = str(uuid.uuid4())
    with engine.begin() as c:
        # What a process leaves when it dies after storing the command and before answering: a claim
        # "in progress" for a minute, and the command (applied meanwhile by the relay).
        c.execute(
            text(
                "INSERT INTO api_idempotency (key, username, method, path, body_hash, status_code, created_at)"
                " VALUES (:k, :u, 'POST', '/orders/X/warehouse-events', :h, 0, now() - interval '1 hour')"
            ),
            {"k": key, "u": user.username, "h": _hash("/orders/X/warehouse-events", b'{"kind":"picked"}')},
        )
        c.execute(
            text(
                """
                INSERT INTO api_command (id, dedup_key, kind, workflow_id, workflow_type, update_name, update_id,
                       subject, default_field, username, entity_id, idempotency_key, status, http_status, result,
                       attempts, next_attempt_at)
                VALUES (:id, :dk, 'update', 'Order-X', 'SalesOrder', 'warehouse_event', 'wh-X-1', 'order', 'kind',
                        :u, :e, :k, 'applied', 200, CAST('{"stage": "picking"}' AS jsonb), 1, now())
                """
            ),
            {"id": command_id, "dk": f"Order-X|{key}", "u": user.username, "e": entity.id, "k": key},
        )
    answer = api.post(
        "/orders/X/warehouse-events",
        content=b'{"kind":"picked"}',
        headers={**bearer(token), "Idempotency-Key": key, "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"stage": "picking"}


def _hash(path: str, body: bytes) -> str:
    """The middleware's fingerprint of a request."""
    return hashlib.sha256(path.encode() + b"\n" + body).hexdigest()


def test_a_creation_whose_api_process_died_still_names_its_document(
    api: TestClient, engine: Engine, factory: Factory
) -> None:
    # Found by the soak (seed 11): the API was killed after it had started the order's workflow and before
    # it stored its answer; the shop's retry got 201 without the order number and never shipped the order.
    entity = factory.entity()
    user, token = factory.user("sales_ops", entities=(entity,))
    key = f"dead-start-{uuid.uuid4().hex}"
    body = b'{"channel":"WEB","external_id":"E-1"}'
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO api_idempotency (key, username, method, path, body_hash, status_code, created_at)"
                " VALUES (:k, :u, 'POST', '/orders', :h, 0, now() - interval '1 hour')"
            ),
            {"k": key, "u": user.username, "h": _hash("/orders", body)},
        )
        c.execute(
            text(
                """
                INSERT INTO api_command (id, dedup_key, kind, workflow_id, workflow_type, payload, subject,
                       default_field, username, entity_id, idempotency_key, status, http_status, result,
                       attempts, next_attempt_at)
                VALUES (:id, :dk, 'start', 'Order-WEB-E-1', 'SalesOrder',
                        CAST('{"order_number": "WEB-E-1", "currency": "EUR"}' AS jsonb), 'order', 'order',
                        :u, :e, :k, 'applied', 201, CAST('{"started": true}' AS jsonb), 1, now())
                """
            ),
            {
                "id": str(uuid.uuid4()),
                "dk": f"Order-WEB-E-1|{key}",
                "u": user.username,
                "e": entity.id,
                "k": key,
            },
        )
    answer = api.post(
        "/orders",
        content=body,
        headers={**bearer(token), "Idempotency-Key": key, "Content-Type": "application/json"},
    )
    assert answer.status_code == 201, answer.text
    named = answer.json()
    assert (named["order_number"], named["workflow_id"], named["status"]) == (
        "WEB-E-1",
        "Order-WEB-E-1",
        "applied",
    )
