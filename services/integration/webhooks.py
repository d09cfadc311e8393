"""Webhook subscriptions and deliveries: fan events out, hand deliveries to the workflows, record attempts,
dead letters and replays. Every function works in the caller's transaction."""

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.events import CATALOGUE, EventEnvelope, event_id_for
from models.webhooks import WebhookSubscription
from rules.errors import RuleViolation
from services.core.errors import NotFound

NOTIFY_CHANNEL = "erp_outbox"
_KNOWN_TYPES = {name for name, _ in CATALOGUE}


@dataclass(frozen=True, slots=True)
class DeliveryToStart:
    """A delivery run the dispatcher must hand to a delivery workflow."""

    delivery_id: int
    run: int
    subscription_id: int
    event_id: uuid.UUID
    document_type: str
    document_id: str
    entity_id: int | None
    max_attempts: int
    first_retry_seconds: float

    @property
    def workflow_id(self) -> str:
        """One workflow id per (subscription, event), reused by replays."""
        return f"Delivery-{self.subscription_id}-{self.event_id}"


@dataclass(frozen=True, slots=True)
class SendJob:
    """Everything one POST needs: where, the secret, and the exact body every try sends."""

    delivery_id: int
    run: int
    status: str
    active: bool
    url: str
    secret: str
    event_id: uuid.UUID
    event_type: str
    body: bytes
    # The secret before the last rotation, while its overlap window lasts (a second signature).
    previous_secret: str | None = None


def check_event_types(event_types: list[str]) -> None:
    """Refuse a filter naming a type that is not in the catalogue (a typo would silently match nothing)."""
    unknown = sorted(set(event_types) - _KNOWN_TYPES)
    if unknown:
        raise RuleViolation(
            "event_types", f"unknown event types {unknown}; see GET /integration/events/schema"
        )


def create_subscription(
    session: Session, values: dict[str, Any], created_by: str
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its secret (generated when not given; shown to the caller only now)."""
    check_event_types(values.get("event_types") or [])
    secret = values.pop("secret", None) or secrets.token_urlsafe(32)
    sub = WebhookSubscription(**values, secret=secret, created_by=created_by)
    session.add(sub)
    session.flush()
    return sub, secret


def get_subscription(session: Session, subscription_id: int) -> WebhookSubscription:
    """A subscription, or NotFound."""
    sub = session.get(WebhookSubscription, subscription_id)
    if sub is None:
        raise NotFound("subscription_id", f"webhook subscription {subscription_id} does not exist")
    return sub


def public_view(sub: WebhookSubscription) -> dict[str, Any]:
    """A subscription as the API shows it: never the secret."""
    return sub.model_dump(exclude={"secret", "previous_secret"})


def rotate_secret(session: Session, sub: WebhookSubscription, overlap: timedelta) -> str:
    """A new generated secret; the current one keeps signing (as a second signature) for `overlap`."""
    secret = secrets.token_urlsafe(32)
    if overlap > timedelta(0):
        sub.previous_secret, sub.previous_secret_until = sub.secret, datetime.now(UTC) + overlap
    else:
        sub.previous_secret, sub.previous_secret_until = None, None
    sub.secret = secret
    session.add(sub)
    session.flush()
    return secret


def fan_out(session: Session, limit: int) -> int:
    """Give each new outbox event a delivery for every active subscription that wants it; returns the count.

    A subscription receives the events that occur after it was created; older ones come by replay.
    """
    rows = (
        session.connection()
        .execute(
            text(
                "SELECT id, idempotency_key, event_id FROM outbox_message WHERE dispatched_at IS NULL"
                " ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED"
            ),
            {"n": limit},
        )
        .all()
    )
    if not rows:
        return 0
    ids = [int(r[0]) for r in rows]
    # Rows written without services.core.events.emit get their id here, from the same key, so it is the same.
    event_ids = [r[2] or event_id_for(str(r[1])) for r in rows]
    session.connection().execute(
        text(
            """
            UPDATE outbox_message AS o SET event_id = COALESCE(o.event_id, v.eid), dispatched_at = now()
              FROM unnest(CAST(:ids AS int[]), CAST(:eids AS uuid[])) AS v(id, eid) WHERE o.id = v.id
            """
        ),
        {"ids": ids, "eids": event_ids},
    )
    session.connection().execute(
        text(
            """
            INSERT INTO webhook_delivery (subscription_id, outbox_id, event_id, event_type, status, run,
                                          started_run, attempts)
            SELECT s.id, o.id, o.event_id, o.kind, 'pending', 1, 0, 0
              FROM outbox_message o
              JOIN webhook_subscription s
                ON s.active AND s.created_at <= o.created_at
               AND (cardinality(s.event_types) = 0 OR o.kind = ANY(s.event_types))
               AND (cardinality(s.entity_ids) = 0 OR o.entity_id = ANY(s.entity_ids))
             WHERE o.id = ANY(CAST(:ids AS int[]))
            ON CONFLICT (subscription_id, outbox_id) DO NOTHING
            """
        ),
        {"ids": ids},
    )
    return len(ids)


def deliveries_to_start(session: Session, limit: int) -> list[DeliveryToStart]:
    """Pending delivery runs no workflow was started for yet (new events and replays)."""
    rows = (
        session.connection()
        .execute(
            text(
                """
            SELECT d.id, d.run, d.subscription_id, d.event_id, o.document_type, o.document_id, o.entity_id,
                   s.max_attempts, s.first_retry_seconds
              FROM webhook_delivery d
              JOIN webhook_subscription s ON s.id = d.subscription_id
              JOIN outbox_message o ON o.id = d.outbox_id
             WHERE d.status = 'pending' AND d.started_run < d.run
             ORDER BY d.id LIMIT :n
            """
            ),
            {"n": limit},
        )
        .all()
    )
    return [DeliveryToStart(*r) for r in rows]


def mark_started(session: Session, runs: list[tuple[int, int]]) -> None:
    """Remember which run of each delivery has its workflow (only forwards)."""
    if not runs:
        return
    session.connection().execute(
        text(
            """
            UPDATE webhook_delivery AS d SET started_run = v.run
              FROM unnest(CAST(:ids AS int[]), CAST(:runs AS int[])) AS v(id, run)
             WHERE d.id = v.id AND d.started_run < v.run
            """
        ),
        {"ids": [r[0] for r in runs], "runs": [r[1] for r in runs]},
    )


def has_work(session: Session) -> bool:
    """True when an event waits for fan-out or a delivery run waits for its workflow."""
    return bool(
        session.connection()
        .execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM outbox_message WHERE dispatched_at IS NULL)"
                " OR EXISTS (SELECT 1 FROM webhook_delivery WHERE status = 'pending' AND started_run < run)"
            )
        )
        .scalar()
    )


def envelope_of(row: Any) -> EventEnvelope:
    """The envelope of an outbox row (joined with its entity's code)."""
    return EventEnvelope(
        event_id=row.event_id,
        type=row.kind,
        version=row.version,
        occurred_at=row.created_at,
        entity=row.entity_code,
        document_type=row.document_type,
        document_id=row.document_id,
        data=row.payload,
    )


def send_job(session: Session, delivery_id: int) -> SendJob | None:
    """The delivery with its subscription and the event body, or None when it does not exist."""
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT d.id, d.run, d.status, s.active, s.url, s.secret,
                   CASE WHEN s.previous_secret_until > now() THEN s.previous_secret END AS previous_secret,
                   o.event_id, o.kind, o.version, o.created_at,
                   e.code AS entity_code, o.document_type, o.document_id, o.payload
              FROM webhook_delivery d
              JOIN webhook_subscription s ON s.id = d.subscription_id
              JOIN outbox_message o ON o.id = d.outbox_id
              LEFT JOIN entity e ON e.id = o.entity_id
             WHERE d.id = :id
            """
            ),
            {"id": delivery_id},
        )
        .first()
    )
    if row is None:
        return None
    body = envelope_of(row).model_dump_json().encode()
    return SendJob(
        delivery_id=row.id,
        run=row.run,
        status=row.status,
        active=row.active,
        url=row.url,
        secret=row.secret,
        event_id=row.event_id,
        event_type=row.kind,
        body=body,
        previous_secret=row.previous_secret,
    )


def record_attempt(
    session: Session,
    job: SendJob,
    *,
    attempt: int,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    delivered: bool,
) -> None:
    """Log one POST; a success marks the delivery (and, once all its deliveries are done, the event)."""
    conn = session.connection()
    conn.execute(
        text(
            "INSERT INTO webhook_attempt (delivery_id, run, attempt, status_code, error, duration_ms)"
            " VALUES (:d, :r, :a, :c, :e, :ms)"
        ),
        {"d": job.delivery_id, "r": job.run, "a": attempt, "c": status_code, "e": error, "ms": duration_ms},
    )
    outbox_id = conn.execute(
        text(
            """
            UPDATE webhook_delivery SET attempts = attempts + 1, last_status_code = :c, last_error = :e,
                   status = CASE WHEN :ok THEN 'delivered' ELSE status END,
                   delivered_at = CASE WHEN :ok THEN now() ELSE delivered_at END
             WHERE id = :d RETURNING outbox_id
            """
        ),
        {"d": job.delivery_id, "c": status_code, "e": error, "ok": delivered},
    ).scalar_one()
    if delivered:
        conn.execute(
            text(
                """
                UPDATE outbox_message SET delivered_at = now()
                 WHERE id = :o AND delivered_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM webhook_delivery WHERE outbox_id = :o AND status <> 'delivered')
                """
            ),
            {"o": outbox_id},
        )


def mark_skipped(session: Session, delivery_id: int) -> None:
    """A delivery for a subscription deactivated since: nothing is sent."""
    session.connection().execute(
        text("UPDATE webhook_delivery SET status = 'skipped' WHERE id = :d AND status = 'pending'"),
        {"d": delivery_id},
    )


def dead_letter(session: Session, delivery_id: int, run: int, reason: str) -> None:
    """Park a delivery run that failed every try (once per run)."""
    conn = session.connection()
    conn.execute(
        text(
            """
            INSERT INTO webhook_dead_letter (delivery_id, run, subscription_id, event_id, event_type, attempts,
                                             last_error)
            SELECT id, :r, subscription_id, event_id, event_type, attempts, :reason FROM webhook_delivery
             WHERE id = :d
            ON CONFLICT (delivery_id, run) DO NOTHING
            """
        ),
        {"d": delivery_id, "r": run, "reason": reason[:500]},
    )
    conn.execute(
        # Not filtered by run: a replay asked for while this run was still retrying ends here too, and
        # the letter (listed again) is what tells the admin to replay once more.
        text("UPDATE webhook_delivery SET status = 'dead' WHERE id = :d AND status = 'pending'"),
        {"d": delivery_id},
    )
