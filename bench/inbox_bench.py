"""Task inbox: list latency with 10,000 open tasks through the API vs the bare SELECT."""

import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from bench.harness import Result, percentile
from services.auth import add_user
from services.chart import create_entity


def inbox_list(engine: Engine, open_tasks: int = 10_000, samples: int = 200) -> Result:
    """p50 of GET /tasks (first page) for an approver, with 10,000 open tasks in the table."""
    from api.main import create_app

    with Session(engine) as s:
        e = create_entity(s, code="BINBOX", name="inbox", currency="EUR")
        add_user(
            s, username="bench.approver", roles=["approver"], entity_ids=[e.id or 0], token="bench-token"
        )
        s.commit()
        entity_id = e.id
    with engine.begin() as c:
        c.execute(
            text(
                """
            INSERT INTO task (task_key, kind, workflow_id, workflow_type, subject_type, subject_id, entity_id, title,
                              candidate_role, status, due_at, escalation_level, options, details)
            SELECT 'bench:' || g, 'po_approval', 'PO-' || g, 'PurchaseOrderWorkflow', 'purchase_order', g::text, :e,
                   'Approve PO ' || g, CASE WHEN g % 3 = 0 THEN 'buyer' ELSE 'approver' END, 'open',
                   now() + (g % 500) * interval '1 hour', 0, '["approve","reject"]', '{}'
              FROM generate_series(1, :n) AS g
            """
            ),
            {"e": entity_id, "n": open_tasks},
        )
        c.execute(text("ANALYZE task"))
    api_ms: list[float] = []
    sql_ms: list[float] = []
    with TestClient(create_app()) as client:
        for _ in range(samples):
            t0 = time.perf_counter()
            r = client.get("/tasks", headers={"Authorization": "Bearer bench-token"})
            api_ms.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200 and len(r.json()) == 100
    for _ in range(samples):
        with engine.connect() as c:
            t0 = time.perf_counter()
            c.execute(
                text(
                    "SELECT * FROM task WHERE status = 'open' AND entity_id = :e AND candidate_role = 'approver'"
                    " ORDER BY due_at, id LIMIT 100"
                ),
                {"e": entity_id},
            ).all()
            sql_ms.append((time.perf_counter() - t0) * 1000)
    return Result(
        "inbox GET /tasks p50 (10k open tasks)",
        percentile(api_ms, 50),
        "ms",
        baseline=percentile(sql_ms, 50),
        baseline_name="bare SELECT of the same page",
        extra={"p99_ms": percentile(api_ms, 99), "sql_p99_ms": percentile(sql_ms, 99)},
    )
