"""A day's replenishment of an entity: plan once (suggestions in SQL, grouped per supplier into validated,
priced draft POs, budget-checked), and reload the same plan when the day runs again."""

import json
import logging
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.purchasing import PurchaseOrderInput
from models.contracts.replenishment import BudgetLine, DraftPo, DraftStatus, EntityDay, PlanRequest, RunPlan
from rules.errors import RuleViolation
from rules.periods import period_of
from services.core.errors import NotFound
from services.purchasing.orders import Draft, DraftLine, build_input, next_number
from services.replenishment import budget as replenishment_budget
from services.replenishment.settings import load_setting
from services.replenishment.stats import record_suggestions
from workflows.purchasing.policy import func_total, po_total

log = logging.getLogger(__name__)

# Who "requested" a replenishment PO: the system, so every human approver is free of the own-document rule.
REQUESTER = "replenishment"


def entity_day(session: Session, entity_code: str) -> EntityDay:
    """The entity's id and time zone by code."""
    row = (
        session.connection()
        .execute(
            text("SELECT id, code, time_zone FROM entity WHERE code = :c AND NOT archived"),
            {"c": entity_code},
        )
        .first()
    )
    if row is None:
        raise NotFound("entity_code", f"unknown entity {entity_code}")
    return EntityDay(entity_id=int(row[0]), entity_code=str(row[1]), time_zone=str(row[2]))


def _load(session: Session, run_id: int, entity: EntityDay, run_date: date, buyer_role: str) -> RunPlan:
    """The stored plan of a run."""
    conn = session.connection()
    head = conn.execute(
        text("SELECT item_locations, suggestions FROM replenishment_run WHERE id = :r"), {"r": run_id}
    ).one()
    drafts = [
        DraftPo(
            supplier_id=int(r[0]),
            po=PurchaseOrderInput.model_validate(r[1]),
            total_func=Decimal(r[2]),
            over_budget=bool(r[3]),
            budget=[BudgetLine.model_validate(b) for b in r[4]],
            status=str(r[5]),
            task_id=r[6],
        )
        for r in conn.execute(
            text(
                "SELECT supplier_id, po_input, total_func, over_budget, budget, status, task_id"
                " FROM replenishment_draft WHERE run_id = :r ORDER BY supplier_id"
            ),
            {"r": run_id},
        )
    ]
    return RunPlan(
        run_id=run_id,
        entity_id=entity.entity_id,
        entity_code=entity.entity_code,
        run_date=run_date,
        item_locations=int(head[0]),
        suggestions=int(head[1]),
        buyer_role=buyer_role,
        drafts=drafts,
    )


def _drafts(session: Session, run_id: int, entity_id: int, run_date: date) -> tuple[list[Draft], list[str]]:
    """Suggestions grouped by supplier; item-locations with no supplier are reported, not ordered."""
    rows = session.connection().execute(
        text(
            "SELECT supplier_id, item_id, location_id, order_qty FROM replenishment_suggestion"
            " WHERE run_id = :r ORDER BY supplier_id NULLS LAST, item_id, location_id"
        ),
        {"r": run_id},
    )
    lines: dict[int, list[DraftLine]] = defaultdict(list)
    problems: list[str] = []
    for supplier_id, item_id, location_id, qty in rows:
        if supplier_id is None:
            problems.append(f"item {item_id} at location {location_id}: no supplier with a valid price")
            continue
        lines[int(supplier_id)].append(DraftLine(int(item_id), int(location_id), Decimal(qty)))
    drafts = [
        Draft(
            entity_id=entity_id,
            supplier_id=supplier_id,
            lines=supplier_lines,
            requested_by=REQUESTER,
            order_date=run_date,
            budget_checked=True,  # the run checks all its drafts together (plan below)
        )
        for supplier_id, supplier_lines in sorted(lines.items())
    ]
    return drafts, problems


def plan(session: Session, req: PlanRequest) -> RunPlan:
    """Plan the entity's day once; a second call (retry, re-run) returns the stored plan."""
    entity = entity_day(session, req.entity_code)
    setting = load_setting(session, entity.entity_id)
    run_id = _claim_run(session, entity.entity_id, req)
    if run_id is None:
        stored = int(
            session.connection()
            .execute(
                text("SELECT id FROM replenishment_run WHERE entity_id = :e AND run_date = :d"),
                {"e": entity.entity_id, "d": req.run_date},
            )
            .scalar_one()
        )
        return _load(session, stored, entity, req.run_date, setting.buyer_role)
    started = time.perf_counter()
    counts = record_suggestions(session, run_id, entity.entity_id, req.run_date, setting)
    session.connection().execute(
        text(
            "UPDATE replenishment_run SET item_locations = :n, suggestions = :s, seconds = :t WHERE id = :r"
        ),
        {
            "n": counts.item_locations,
            "s": counts.suggestions,
            "t": round(time.perf_counter() - started, 3),
            "r": run_id,
        },
    )
    drafts, problems = _drafts(session, run_id, entity.entity_id, req.run_date)
    pos = _numbered(session, drafts, problems)
    currency = pos[0].entity_currency if pos else "EUR"
    verdicts = replenishment_budget.check(session, entity.entity_id, currency, period_of(req.run_date), pos)
    for po, budget in zip(pos, verdicts, strict=True):
        _store_draft(session, run_id, po, budget)
    for problem in problems:
        log.warning("replenishment problem", extra={"entity": entity.entity_code, "problem": problem})
    result = _load(session, run_id, entity, req.run_date, setting.buyer_role)
    return result.model_copy(update={"problems": problems})


def _claim_run(session: Session, entity_id: int, req: PlanRequest) -> int | None:
    """Insert the day's run row; None when a run of that day exists already."""
    claimed = (
        session.connection()
        .execute(
            text(
                "INSERT INTO replenishment_run (entity_id, run_date, workflow_id, item_locations, suggestions, seconds)"
                " VALUES (:e, :d, :w, 0, 0, 0)"
                " ON CONFLICT (entity_id, run_date) DO NOTHING RETURNING id"
            ),
            {"e": entity_id, "d": req.run_date, "w": req.workflow_id},
        )
        .first()
    )
    return None if claimed is None else int(claimed[0])


def _numbered(session: Session, drafts: list[Draft], problems: list[str]) -> list[PurchaseOrderInput]:
    """The drafts that validate, each with a PO number; the others are added to `problems`."""
    pos: list[PurchaseOrderInput] = []
    for draft in drafts:
        try:
            build_input(session, draft, "0")  # validate before spending a number
        except RuleViolation as exc:
            problems.append(f"supplier {draft.supplier_id}: {exc.field}: {exc.reason}")
            continue
        pos.append(build_input(session, draft, next_number(session)))
    return pos


def _store_draft(session: Session, run_id: int, po: PurchaseOrderInput, budget: list[BudgetLine]) -> None:
    """The draft PO with its budget verdict (over budget waits for the buyer); its suggestions point at it."""
    over = any(line.over for line in budget)
    session.connection().execute(
        text(
            """
                INSERT INTO replenishment_draft (run_id, supplier_id, po_number, total_func, over_budget, status,
                                                 po_input, budget)
                VALUES (:r, :s, :n, :t, :o, :st, CAST(:po AS jsonb), CAST(:b AS jsonb))
                """
        ),
        {
            "r": run_id,
            "s": po.supplier_id,
            "n": po.number,
            "t": func_total(po_total(po.lines, po.currency), po.fx_rate, po.entity_currency),
            "o": over,
            "st": "awaiting_buyer" if over else "planned",
            "po": po.model_dump_json(),
            "b": json.dumps([line.model_dump(mode="json") for line in budget]),
        },
    )
    session.connection().execute(
        text("UPDATE replenishment_suggestion SET po_number = :n WHERE run_id = :r AND supplier_id = :s"),
        {"n": po.number, "r": run_id, "s": po.supplier_id},
    )


def set_status(session: Session, upd: DraftStatus) -> None:
    """Record what happened to a draft PO."""
    session.connection().execute(
        text(
            "UPDATE replenishment_draft SET status = :s, task_id = COALESCE(:t, task_id),"
            " decided_by = COALESCE(:b, decided_by) WHERE run_id = :r AND po_number = :n"
        ),
        {"s": upd.status, "t": upd.task_id, "b": upd.decided_by, "r": upd.run_id, "n": upd.po_number},
    )
