"""A retailer's admin rotates a webhook secret without breaking the warehouse system that receives the
events: the answer shows the new secret once; during the overlap window every delivery carries two
signatures (new and old), so the receiver may switch whenever it likes; after the window, or with no
overlap, only the new secret signs. The secrets never show in a listing, and another entity's admin
cannot rotate them."""

import time
import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from models.master import Entity
from rules.webhook_signature import sign_rotating, verify
from services.core import events
from services.integration import webhooks
from tests.factories import Factory

RECEIVER_URL = "https://93.184.215.14/hooks/erp"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def delivery_for(engine: Engine, entity: Entity, subscription_id: int) -> int:
    """A delivery of a fresh event to the subscription, parked (never started) so only its signature is used."""
    number = f"PO-{uuid.uuid4().hex[:8]}"
    with Session(engine) as s:
        event_id = events.emit(
            s, event_type="purchase_order.issued", key=f"po:{number}:issued", entity_id=entity.id,
            document_type="purchase_order", document_id=number,
            data={"number": number, "supplier_id": 7, "currency": "EUR",
                  "lines": [{"line_no": 1, "item_id": 3, "qty": "1", "price": "1.00"}]},
        )  # fmt: skip
        delivery_id = (
            s.connection()
            .execute(
                text(
                    "INSERT INTO webhook_delivery (subscription_id, outbox_id, event_id, event_type, status, run,"
                    " started_run, attempts) SELECT :s, id, event_id, kind, 'pending', 1, 1, 0 FROM outbox_message"
                    " WHERE event_id = :e RETURNING id"
                ),
                {"s": subscription_id, "e": event_id},
            )
            .scalar_one()
        )
        s.commit()
    return int(delivery_id)


def signature(engine: Engine, delivery_id: int) -> tuple[str, bytes]:
    """The signature header the delivery activity sends now, and the body it signs."""
    with Session(engine) as s:
        job = webhooks.send_job(s, delivery_id)
    assert job is not None
    return sign_rotating(job.secret, job.previous_secret, int(time.time()), job.body), job.body


def test_a_secret_rotates_with_an_overlap_window(api: TestClient, factory: Factory, engine: Engine) -> None:
    entity, other = factory.entity(), factory.entity()
    _, admin = factory.user("admin", entities=(entity,))
    _, stranger = factory.user("admin", entities=(other,))
    _, buyer = factory.user("buyer", entities=(entity,))
    created = api.post(
        "/integration/subscriptions",
        json={
            "name": f"wms-{entity.code}",
            "url": RECEIVER_URL,
            "entity_ids": [entity.id],
            # Never matched by the dispatcher: this test signs its own parked delivery.
            "event_types": ["sales_order.cancelled"],
        },
        headers=bearer(admin),
    )
    assert created.status_code == 201, created.text
    sub_id, old = created.json()["id"], created.json()["secret"]
    delivery = delivery_for(engine, entity, sub_id)
    path = f"/integration/subscriptions/{sub_id}/rotate-secret"

    assert api.post(path, headers=bearer(buyer)).status_code == 403
    assert api.post(path, headers=bearer(stranger)).status_code == 404
    assert api.post(path, json={"overlap_hours": 721}, headers=bearer(admin)).status_code == 422

    rotated = api.post(path, json={"overlap_hours": 2}, headers=bearer(admin))
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != old and len(new) >= 32
    until = datetime.fromisoformat(rotated.json()["previous_secret_until"])
    assert timedelta(hours=1, minutes=59) < until - datetime.now(UTC) <= timedelta(hours=2)

    # During the window: one header, two signatures; a receiver on either secret accepts the delivery.
    header, body = signature(engine, delivery)
    assert header.count("v1=") == 2
    assert verify(new, header, body, int(time.time())) and verify(old, header, body, int(time.time()))
    assert not verify("not-the-secret-at-all", header, body, int(time.time()))

    # The listing and the audit never show either secret.
    shown = api.get(f"/integration/subscriptions/{sub_id}", headers=bearer(admin)).json()
    assert "secret" not in shown and "previous_secret" not in shown and shown["previous_secret_until"]
    with engine.connect() as conn:
        trail = conn.execute(
            text(
                "SELECT action, after::text FROM audit_event WHERE subject_type = 'webhook_subscription'"
                " AND subject_id = :s ORDER BY id"
            ),
            {"s": str(sub_id)},
        ).all()
    assert [a for a, _ in trail] == ["webhook_subscription.create", "webhook_subscription.rotate_secret"]
    assert all(old not in after and new not in after for _, after in trail)

    # Once the window has passed only the new secret signs.
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE webhook_subscription SET previous_secret_until = now() - interval '1 second' WHERE id = :i"
            ),
            {"i": sub_id},
        )
    header, body = signature(engine, delivery)
    assert verify(new, header, body, int(time.time())) and not verify(old, header, body, int(time.time()))

    # A rotation without overlap (a leaked secret) stops the current secret at once.
    urgent = api.post(path, json={"overlap_hours": 0}, headers=bearer(admin)).json()
    assert urgent["previous_secret_until"] is None
    header, body = signature(engine, delivery)
    assert header.count("v1=") == 1
    assert verify(urgent["secret"], header, body, int(time.time())) and not verify(
        new, header, body, int(time.time())
    )
