"""Business figures for Prometheus, read at scrape time: open tasks by kind and documents by stage."""

from dataclasses import dataclass

from sqlalchemy import Engine, text

# (label, table, stage column): the documents operators follow through their stages.
DOCUMENTS = (
    ("purchase_order", "purchase_order", "stage"),
    ("sales_order", "sales_order", "status"),
    ("return", "return_authorisation", "stage"),
    ("transfer_order", "transfer_order", "status"),
)


@dataclass(frozen=True, slots=True)
class TaskFigure:
    """Open tasks of one kind: how many, how many past their due time, the age of the oldest."""

    kind: str
    open: int
    overdue: int
    oldest_seconds: float


@dataclass(frozen=True, slots=True)
class StageFigure:
    """How many documents of a type and entity stand in a stage."""

    document: str
    entity: str
    stage: str
    count: int


def task_figures(engine: Engine) -> list[TaskFigure]:
    """Open tasks by kind."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                """
                SELECT kind, count(*), count(*) FILTER (WHERE due_at < now()),
                       EXTRACT(EPOCH FROM now() - min(created_at))
                  FROM task WHERE status = 'open' GROUP BY kind ORDER BY kind
                """
            )
        ).all()
    return [TaskFigure(str(r[0]), int(r[1]), int(r[2]), float(r[3] or 0)) for r in rows]


def stage_figures(engine: Engine) -> list[StageFigure]:
    """Documents by type, entity code and stage (needs_attention included)."""
    parts = [
        f"SELECT '{label}', e.code, d.{column}, count(*) FROM {table} d JOIN entity e ON e.id = d.entity_id"
        f" GROUP BY e.code, d.{column}"
        for label, table, column in DOCUMENTS
    ]
    with engine.connect() as conn:
        rows = conn.execute(text(" UNION ALL ".join(parts))).all()
    return [StageFigure(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]
