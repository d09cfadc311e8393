"""A document workflow cancelled from Temporal (Web UI, CLI): the actor and reason it names, and its audit event."""

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from models.contracts.tasks import AuditRecord

FROM_TEMPORAL_ACTOR = "temporal"
FROM_TEMPORAL_REASON = "cancelled from Temporal"


def audit(
    key: str, doc: str, *, subject_type: str, subject_id: str, entity_id: int, **after: Any
) -> AuditRecord:
    """The audit event `<doc>.cancelled_from_temporal` (key `<key>:cancelled_from_temporal`): the reason, then
    what the document says of its cancellation (`after`)."""
    return AuditRecord(
        idempotency_key=f"{key}:cancelled_from_temporal",
        actor=FROM_TEMPORAL_ACTOR,
        action=f"{doc}.cancelled_from_temporal",
        subject_type=subject_type,
        subject_id=subject_id,
        entity_id=entity_id,
        after={"reason": FROM_TEMPORAL_REASON, **after},
    )
