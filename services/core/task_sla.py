"""Service levels of task kinds: an entity's own row per kind, else the default row (entity NULL)."""

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.tasks import TaskSlaSnapshot


def load_task_slas(session: Session, entity_id: int, kinds: tuple[str, ...]) -> dict[str, TaskSlaSnapshot]:
    """The service level of each kind that has one (a kind without a row waits without timers)."""
    rows = session.connection().execute(
        text(
            """
            SELECT DISTINCT ON (kind) kind, sla_hours, remind_pct, escalate_to FROM task_sla
             WHERE (entity_id = :e OR entity_id IS NULL) AND kind = ANY(:k)
             ORDER BY kind, entity_id NULLS LAST, id DESC
            """
        ),
        {"e": entity_id, "k": list(kinds)},
    )
    return {str(r[0]): TaskSlaSnapshot(hours=int(r[1]), remind_pct=int(r[2]), escalate_to=r[3]) for r in rows}
