"""Audit events for changes made through the API (who, when, before/after)."""

import uuid
from typing import Any

from sqlmodel import Session

from models.contracts.tasks import AuditRecord
from services.core.auth import Principal
from services.core.tasks import record_audit


def audit_change(
    session: Session,
    who: Principal,
    action: str,
    subject_type: str,
    subject_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    entity_id: int | None = None,
) -> None:
    """Append one audit event in the caller's transaction."""
    record_audit(
        session,
        AuditRecord(
            idempotency_key=f"api:{uuid.uuid4()}",
            actor=who.username,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            entity_id=entity_id,
            before=before,
            after=after,
        ),
    )
