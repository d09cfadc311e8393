"""What operators and clients read of the webhooks (deliveries, dead letters, the event feed) and replaying
a subscription from an event. Every function works in the caller's transaction."""

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from services.core.errors import Conflict, NotFound
from services.integration.webhooks import NOTIFY_CHANNEL, envelope_of, get_subscription


def replay(session: Session, subscription_id: int, from_event_id: uuid.UUID) -> int:
    """Re-enqueue, for one subscription, the given event and every later one it wants; returns the count."""
    sub = get_subscription(session, subscription_id)
    if not sub.active:
        raise Conflict("subscription_id", "the subscription is inactive: activate it before replaying")
    conn = session.connection()
    start = conn.execute(
        text("SELECT id FROM outbox_message WHERE event_id = :e"), {"e": from_event_id}
    ).scalar()
    if start is None:
        raise NotFound("from_event_id", f"no event {from_event_id}")
    ids = (
        conn.execute(
            text(
                """
            INSERT INTO webhook_delivery (subscription_id, outbox_id, event_id, event_type, status, run,
                                          started_run, attempts)
            SELECT s.id, o.id, o.event_id, o.kind, 'pending', 1, 0, 0
              FROM outbox_message o JOIN webhook_subscription s ON s.id = :s
             WHERE o.id >= :start AND o.event_id IS NOT NULL
               AND (cardinality(s.event_types) = 0 OR o.kind = ANY(s.event_types))
               AND (cardinality(s.entity_ids) = 0 OR o.entity_id = ANY(s.entity_ids))
            ON CONFLICT (subscription_id, outbox_id) DO UPDATE
               SET status = 'pending', run = webhook_delivery.run + 1, attempts = 0, last_status_code = NULL,
                   last_error = NULL, delivered_at = NULL
            RETURNING id
            """
            ),
            {"s": subscription_id, "start": start},
        )
        .scalars()
        .all()
    )
    conn.execute(
        text(
            "UPDATE webhook_dead_letter SET replayed_at = now()"
            " WHERE delivery_id = ANY(CAST(:ids AS int[])) AND replayed_at IS NULL"
        ),
        {"ids": list(ids)},
    )
    # Delivered at commit: the dispatcher wakes up and starts the new runs.
    conn.execute(text("SELECT pg_notify(:c, 'replay')"), {"c": NOTIFY_CHANNEL})
    return len(ids)


def list_deliveries(
    session: Session, *, subscription_ids: list[int], status: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Deliveries of these subscriptions, newest first, with the event they carry."""
    rows = (
        session.connection()
        .execute(
            text(
                """
            SELECT d.id, d.subscription_id, d.event_id, d.event_type, o.document_type, o.document_id, d.status,
                   d.run, d.attempts, d.last_status_code, d.last_error, d.delivered_at, d.created_at
              FROM webhook_delivery d JOIN outbox_message o ON o.id = d.outbox_id
             WHERE d.subscription_id = ANY(CAST(:s AS int[]))
               AND (CAST(:st AS text) IS NULL OR d.status = :st)
             ORDER BY d.id DESC LIMIT :l OFFSET :o
            """
            ),
            {"s": subscription_ids, "st": status, "l": limit, "o": offset},
        )
        .mappings()
        .all()
    )
    return [_jsonable(dict(r)) for r in rows]


def list_dead_letters(
    session: Session, *, subscription_ids: list[int], include_replayed: bool, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Dead letters of these subscriptions, newest first (replayed ones only on request)."""
    rows = (
        session.connection()
        .execute(
            text(
                """
            SELECT id, delivery_id, run, subscription_id, event_id, event_type, attempts, last_error,
                   replayed_at, created_at
              FROM webhook_dead_letter
             WHERE subscription_id = ANY(CAST(:s AS int[])) AND (:all OR replayed_at IS NULL)
             ORDER BY id DESC LIMIT :l OFFSET :o
            """
            ),
            {"s": subscription_ids, "all": include_replayed, "l": limit, "o": offset},
        )
        .mappings()
        .all()
    )
    return [_jsonable(dict(r)) for r in rows]


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (str(v) if isinstance(v, uuid.UUID) else v.isoformat() if isinstance(v, datetime) else v)
        for k, v in row.items()
    }


def events_after(session: Session, entity_ids: list[int], after_id: int, limit: int) -> list[dict[str, Any]]:
    """Outbox events of these entities (and entity-less ones) as envelopes, in the order of their ids."""
    rows = (
        session.connection()
        .execute(
            text(
                """
            SELECT o.id, o.event_id, o.kind, o.version, o.created_at, e.code AS entity_code, o.document_type,
                   o.document_id, o.payload
              FROM outbox_message o LEFT JOIN entity e ON e.id = o.entity_id
             WHERE o.id > :a AND o.event_id IS NOT NULL
               AND (o.entity_id IS NULL OR o.entity_id = ANY(CAST(:ents AS int[])))
             ORDER BY o.id LIMIT :l
            """
            ),
            {"a": after_id, "l": limit, "ents": entity_ids},
        )
        .all()
    )
    return [json.loads(envelope_of(r).model_dump_json()) for r in rows]
