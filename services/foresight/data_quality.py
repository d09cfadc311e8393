"""Master-data quality: find rule breaches with SQL, keep one problem row per breach, open and close tasks."""

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.foresight import NewProblem, OpenProblemTasks, ScanRequest, ScanResult
from models.contracts.tasks import TaskClose, TaskSpec
from rules.data_quality import (
    RULES,
    SupplierRecord,
    duplicate_suppliers,
    lead_time_problem,
    problem_key,
    terms_problem,
)
from services.core import tasks
from services.core.errors import NotFound

CHECKER = "data-quality-check"
TASK_KIND = "data_quality"


@dataclass(frozen=True, slots=True)
class Finding:
    """One record breaking one rule, with what the owner needs to see."""

    rule: str
    record_id: str
    label: str
    details: dict[str, Any] = field(default_factory=dict)


# Each query answers (record id, label, details) for one rule; :d is the check day, :e the entity.
_QUERIES = {
    "item_without_cost": """
        SELECT i.id, i.sku, jsonb_build_object('sku', i.sku, 'name', i.name) FROM item i
         WHERE NOT i.archived
           AND NOT EXISTS (SELECT 1 FROM supplier_price p WHERE p.item_id = i.id AND p.valid_from <= :d
                            AND (p.valid_to IS NULL OR p.valid_to >= :d))
           AND NOT EXISTS (SELECT 1 FROM stock_balance b WHERE b.item_id = i.id AND b.on_hand > 0 AND b.value > 0)
    """,
    "item_without_category": """
        SELECT i.id, i.sku, jsonb_build_object('sku', i.sku, 'name', i.name, 'category', i.category) FROM item i
         WHERE NOT i.archived AND btrim(COALESCE(i.category, '')) = ''
    """,
    "price_without_validity": """
        SELECT p.id, s.code || ' / ' || i.sku,
               jsonb_build_object('supplier', s.code, 'sku', i.sku, 'price', p.price::text, 'currency', p.currency,
                                  'valid_from', p.valid_from, 'valid_to', p.valid_to)
          FROM supplier_price p JOIN supplier s ON s.id = p.supplier_id JOIN item i ON i.id = p.item_id
         WHERE p.valid_to IS NULL AND NOT s.archived AND NOT i.archived
    """,
    "customer_without_tax_region": """
        SELECT c.id, c.code, jsonb_build_object('code', c.code, 'name', c.name, 'tax_region', c.tax_region)
          FROM customer c WHERE NOT c.archived AND btrim(COALESCE(c.tax_region, '')) = ''
    """,
    "account_without_role": """
        SELECT a.id, a.code, jsonb_build_object('code', a.code, 'name', a.name, 'type', a.type) FROM account a
         WHERE a.entity_id = :e AND NOT a.archived AND btrim(COALESCE(a.role, '')) = ''
    """,
}


def entity_of(session: Session, entity_code: str) -> int:
    """The id of an entity by code."""
    found = (
        session.connection()
        .execute(text("SELECT id FROM entity WHERE code = :c"), {"c": entity_code})
        .scalar()
    )
    if found is None:
        raise NotFound("entity_code", f"entity {entity_code} does not exist")
    return int(found)


def _supplier_findings(session: Session) -> list[Finding]:
    rows = session.connection().execute(
        text(
            "SELECT id, code, name, tax_id, payment_terms, lead_time_days FROM supplier WHERE NOT archived ORDER BY id"
        )
    )
    suppliers = [SupplierRecord(int(r[0]), str(r[1]), str(r[2]), r[3], r[4], r[5]) for r in rows]
    out: list[Finding] = []
    for s in suppliers:
        base = {"code": s.code, "name": s.name}
        if (why := terms_problem(s.payment_terms)) is not None:
            out.append(
                Finding("supplier_without_terms", str(s.supplier_id), s.code, {**base, "problem": why})
            )
        if (why := lead_time_problem(s.lead_time_days)) is not None:
            out.append(
                Finding("supplier_without_lead_time", str(s.supplier_id), s.code, {**base, "problem": why})
            )
    for sid, twins in duplicate_suppliers(suppliers).items():
        code = next(s.code for s in suppliers if s.supplier_id == sid)
        # Ten codes are enough to find the twins; a catalogue of look-alikes must not bloat every row.
        details = {"code": code, "same_as": twins[:10], "duplicates": len(twins)}
        out.append(Finding("duplicate_supplier", str(sid), code, details))
    return out


def findings(session: Session, entity_id: int, day: date) -> list[Finding]:
    """Every rule breach visible to an entity's check on a day."""
    out = _supplier_findings(session)
    conn = session.connection()
    for rule, sql in _QUERIES.items():
        for record_id, label, details in conn.execute(text(sql), {"e": entity_id, "d": day}):
            out.append(Finding(rule, str(record_id), str(label), dict(details)))
    return out


_UPSERT = """
INSERT INTO data_quality_problem (problem_key, entity_id, rule, record_type, record_id, record_label, owner_role,
                                  details, status, occurrence, first_seen, last_seen)
VALUES (:k, :e, :rule, :rt, :rid, :label, :owner, CAST(:details AS jsonb), 'open', 1, :d, :d)
ON CONFLICT (problem_key) DO UPDATE SET
  -- A fixed problem that is found again is a new occurrence: it needs a new task.
  occurrence = data_quality_problem.occurrence + CASE WHEN data_quality_problem.status = 'fixed' THEN 1 ELSE 0 END,
  task_id = CASE WHEN data_quality_problem.status = 'fixed' THEN NULL ELSE data_quality_problem.task_id END,
  status = 'open', fixed_on = NULL, last_seen = GREATEST(data_quality_problem.last_seen, EXCLUDED.last_seen),
  record_label = EXCLUDED.record_label, details = EXCLUDED.details
"""


def _close_task(session: Session, task_id: int, key: str) -> None:
    tasks.close_task(
        session,
        TaskClose(
            task_id=task_id,
            status="decided",
            decision="fixed",
            decided_by=CHECKER,
            comment=f"{key}: the record no longer breaks the rule",
        ),
    )


def scan(session: Session, req: ScanRequest) -> ScanResult:
    """Record today's findings, mark the ones no longer found as fixed (closing their tasks), list new ones."""
    entity_id = entity_of(session, req.entity_code)
    conn = session.connection()
    # One check per entity at a time: a manual run and the schedule must not interleave their updates.
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('data_quality'), :e)"), {"e": entity_id})
    keys = _record_findings(session, req, entity_id)
    fixed = _mark_fixed(session, entity_id, req.day, keys)
    return ScanResult(
        entity_id=entity_id,
        entity_code=req.entity_code,
        day=req.day,
        open_problems=len(keys),
        fixed=fixed,
        new=_without_task(session, entity_id),
    )


def _record_findings(session: Session, req: ScanRequest, entity_id: int) -> list[str]:
    """Upsert today's findings as open problems; returns their keys."""
    found = findings(session, entity_id, req.day)
    params = [
        {
            "k": problem_key(req.entity_code, f.rule, f.record_id),
            "e": entity_id,
            "rule": f.rule,
            "rt": RULES[f.rule].record_type,
            "rid": f.record_id,
            "label": f.label[:200],
            "owner": RULES[f.rule].owner_role,
            "details": json.dumps(f.details, default=str),
            "d": req.day,
        }
        for f in found
    ]
    if params:
        session.connection().execute(text(_UPSERT), params)
    return [problem_key(req.entity_code, f.rule, f.record_id) for f in found]


def _mark_fixed(session: Session, entity_id: int, day: date, keys: list[str]) -> int:
    """Open problems not found today are fixed, and their tasks closed; returns how many."""
    fixed = (
        session.connection()
        .execute(
            text(
                """
            UPDATE data_quality_problem SET status = 'fixed', fixed_on = :d
             WHERE entity_id = :e AND status = 'open' AND NOT (problem_key = ANY(CAST(:keys AS text[])))
            RETURNING problem_key, task_id
            """
            ),
            {"e": entity_id, "d": day, "keys": keys},
        )
        .all()
    )
    for key, task_id in fixed:
        if task_id is not None:
            _close_task(session, int(task_id), str(key))
    return len(fixed)


def _without_task(session: Session, entity_id: int) -> list[NewProblem]:
    """Open problems nobody was asked to fix yet."""
    rows = (
        session.connection()
        .execute(
            text(
                """
            SELECT id, problem_key, occurrence, rule, record_type, record_id, record_label, owner_role
              FROM data_quality_problem WHERE entity_id = :e AND status = 'open' AND task_id IS NULL ORDER BY id
            """
            ),
            {"e": entity_id},
        )
        .all()
    )
    return [
        NewProblem(
            problem_id=r[0],
            problem_key=r[1],
            occurrence=r[2],
            rule=r[3],
            record_type=r[4],
            record_id=r[5],
            record_label=r[6],
            owner_role=r[7],
            description=RULES[r[3]].description,
        )
        for r in rows
    ]


def open_problem_tasks(session: Session, req: OpenProblemTasks) -> dict[int, int]:
    """Open the owner's task per problem occurrence (idempotent by task key) and link it to the problem."""
    opened: dict[int, int] = {}
    for p in req.problems:
        task_id = tasks.open_task(
            session,
            TaskSpec(
                task_key=f"{p.problem_key}:{p.occurrence}",
                kind=TASK_KIND,
                workflow_id=req.workflow_id,
                workflow_type=req.workflow_type,
                subject_type=p.record_type,
                subject_id=p.record_id,
                entity_id=req.entity_id,
                title=f"Fix {p.record_type} {p.record_label}: {p.description}",
                candidate_role=p.owner_role,
                # Nothing to decide: the next check closes the task once the record is fixed.
                options=[],
                details={"rule": p.rule, "problem_id": p.problem_id, "record_label": p.record_label},
            ),
        )
        session.connection().execute(
            text("UPDATE data_quality_problem SET task_id = :t WHERE id = :p AND task_id IS NULL"),
            {"t": task_id, "p": p.problem_id},
        )
        opened[p.problem_id] = task_id
    return opened


def problems(
    session: Session, entity_id: int, status: str | None = "open", rule: str | None = None
) -> list[dict[str, Any]]:
    """Problems of an entity with the offending record's fields, the owner and the task."""
    rows = session.connection().execute(
        text(
            """
            SELECT p.id, p.rule, p.record_type, p.record_id, p.record_label, p.details, p.owner_role, p.status,
                   p.occurrence, p.first_seen, p.last_seen, p.fixed_on, p.task_id, t.status AS task_status
              FROM data_quality_problem p LEFT JOIN task t ON t.id = p.task_id
             WHERE p.entity_id = :e AND (CAST(:s AS text) IS NULL OR p.status = :s)
               AND (CAST(:r AS text) IS NULL OR p.rule = :r)
             ORDER BY p.rule, p.record_label, p.id
            """
        ),
        {"e": entity_id, "s": status, "r": rule},
    )
    return [
        {**r._asdict(), "description": RULES[r.rule].description if r.rule in RULES else ""}
        for r in rows.all()
    ]
