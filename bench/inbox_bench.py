"""Task inbox: list latency with 10,000 (and 100,000) open tasks through the API vs the bare SELECT."""

import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from bench.harness import Result, percentile
from services.core.auth import add_user
from services.core.chart import create_entity


def inbox_list(engine: Engine, open_tasks: int = 10_000, samples: int = 200, p: int = 50) -> Result:
    """The p-th percentile of GET /tasks (first page) for an approver, with `open_tasks` open tasks of one
    entity in the table."""
    from api.main import create_app

    token = f"bench-token-{open_tasks}"
    with Session(engine) as s:
        e = create_entity(s, code=f"BINBOX{open_tasks}", name="inbox", currency="EUR")
        add_user(
            s, username=f"bench.approver{open_tasks}", roles=["approver"], entity_ids=[e.id or 0], token=token
        )
        s.commit()
        entity_id = e.id
    with engine.begin() as c:
        c.execute(
            text(
                """
            INSERT INTO task (task_key, kind, workflow_id, workflow_type, subject_type, subject_id, entity_id, title,
                              candidate_role, status, due_at, escalation_level, options, details)
            SELECT 'bench:' || :e || ':' || g, 'po_approval', 'PO-' || g, 'PurchaseOrderWorkflow', 'purchase_order', g::text, :e,
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
            r = client.get("/tasks", headers={"Authorization": f"Bearer {token}"})
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
        f"inbox GET /tasks p{p} ({open_tasks:,} open tasks)",
        percentile(api_ms, p),
        "ms",
        baseline=percentile(sql_ms, p),
        baseline_name=f"bare SELECT of the same page, p{p}",
        extra={
            "p50_ms": percentile(api_ms, 50),
            "p99_ms": percentile(api_ms, 99),
            "sql_p50_ms": percentile(sql_ms, 50),
            "sql_p99_ms": percentile(sql_ms, 99),
        },
    )
