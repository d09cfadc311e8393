"""The transactional outbox: write a business fact's event in the caller's transaction, once per key."""

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import text
from sqlmodel import Session

from models.contracts.events import event_id_for, lookup, validate_data
from rules.errors import RuleViolation


def emit(
    session: Session,
    *,
    event_type: str,
    key: str,
    entity_id: int | None,
    document_type: str,
    document_id: str,
    data: Mapping[str, Any] | BaseModel,
    version: int = 1,
) -> str:
    """Record an event with the change it reports (no commit here); returns its event id.

    The row commits or rolls back with the caller's transaction, so an event exists if and only if its
    change does. The same key twice is one event (ON CONFLICT DO NOTHING): a retried activity is harmless.
    """
    entry = lookup(event_type, version)
    if document_type != entry.document_type:
        raise RuleViolation(
            "document_type", f"{event_type} reports a {entry.document_type}, not a {document_type}"
        )
    raw = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    try:
        payload = validate_data(event_type, version, raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "data"
        raise RuleViolation(f"data.{field}", f"{event_type} v{version}: {first['msg']}") from exc
    event_id = event_id_for(key)
    session.connection().execute(
        text(
            """
            INSERT INTO outbox_message (idempotency_key, kind, entity_id, document_type, document_id, payload,
                                        event_id, version)
            VALUES (:key, :kind, :entity, :dtype, :did, CAST(:payload AS jsonb), :event_id, :version)
            ON CONFLICT (idempotency_key) DO NOTHING
            """
        ),
        {
            "key": key,
            "kind": event_type,
            "entity": entity_id,
            "dtype": document_type,
            "did": document_id,
            "payload": json.dumps(payload),
            "event_id": event_id,
            "version": version,
        },
    )
    return str(event_id)


def skus(session: Session, item_ids: Iterable[int]) -> dict[int, str]:
    """SKU by item id, for event lines (people and other systems know items by SKU, joins by id)."""
    ids = sorted(set(item_ids))
    if not ids:
        return {}
    rows = session.connection().execute(text("SELECT id, sku FROM item WHERE id = ANY(:ids)"), {"ids": ids})
    return {int(r[0]): str(r[1]) for r in rows}
