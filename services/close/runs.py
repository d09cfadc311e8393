"""Close runs: the run row, its checklist, differences, period status changes and the stored result."""

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.close import BeginClose, CloseContext, CloseResult, DifferenceOut, EntityInfo
from models.contracts.tasks import AuditRecord
from rules.errors import RuleViolation
from rules.periods import PeriodStatus, period_bounds
from services.close.reconciliation import Finding
from services.core.errors import Conflict, NotFound
from services.core.events import emit
from services.core.tasks import record_audit

_ORDER = {PeriodStatus.OPEN: 0, PeriodStatus.SOFT_CLOSED: 1, PeriodStatus.CLOSED: 2}


def entity_info(session: Session, entity_code: str) -> EntityInfo:
    """An entity by code, with its currency and time zone."""
    row = (
        session.connection()
        .execute(text("SELECT id, code, currency, time_zone FROM entity WHERE code = :c"), {"c": entity_code})
        .first()
    )
    if row is None:
        raise NotFound("entity_code", f"no entity with code {entity_code!r}")
    return EntityInfo(entity_id=row[0], entity_code=row[1], currency=row[2], time_zone=row[3])


def begin(session: Session, req: BeginClose) -> CloseContext:
    """Create the run once per entity and period; a closed run hands back its stored result."""
    period_bounds(req.period)
    ent = entity_info(session, req.entity_code)
    conn = session.connection()
    conn.execute(
        text(
            """
            INSERT INTO close_run (entity_id, period, workflow_id, trigger, status, round, started_at)
            VALUES (:e, :p, :w, :t, 'running', 1, :s) ON CONFLICT (entity_id, period) DO NOTHING
            """
        ),
        {"e": ent.entity_id, "p": req.period, "w": req.workflow_id, "t": req.trigger, "s": req.started_at},
    )
    run = conn.execute(
        text("SELECT id, status, round FROM close_run WHERE entity_id = :e AND period = :p FOR UPDATE"),
        {"e": ent.entity_id, "p": req.period},
    ).one()
    finished = result_of(session, int(run.id)) if run.status == "closed" else None
    if finished is None:
        conn.execute(
            text("UPDATE close_run SET status = 'running', workflow_id = :w WHERE id = :i"),
            {"w": req.workflow_id, "i": run.id},
        )
    return CloseContext(
        run_id=run.id,
        entity_id=ent.entity_id,
        entity_code=ent.entity_code,
        currency=ent.currency,
        period=req.period,
        round=run.round,
        finished=finished,
    )


def set_period_status(
    session: Session, entity_id: int, entity_code: str, period: str, status: PeriodStatus, actor: str
) -> PeriodStatus:
    """Move a period forward (open -> soft_closed -> closed) with an audit event; never backwards."""
    conn = session.connection()
    conn.execute(
        text(
            "INSERT INTO fiscal_period (entity_id, period, status, changed_by) VALUES (:e, :p, 'open', :a)"
            " ON CONFLICT (entity_id, period) DO NOTHING"
        ),
        {"e": entity_id, "p": period, "a": actor},
    )
    before = PeriodStatus(
        conn.execute(
            text("SELECT status FROM fiscal_period WHERE entity_id = :e AND period = :p FOR UPDATE"),
            {"e": entity_id, "p": period},
        ).scalar_one()
    )
    if _ORDER[before] >= _ORDER[status]:
        return before
    conn.execute(
        text(
            "UPDATE fiscal_period SET status = :s, changed_by = :a, changed_at = now()"
            " WHERE entity_id = :e AND period = :p"
        ),
        {"s": str(status), "a": actor, "e": entity_id, "p": period},
    )
    record_audit(
        session,
        AuditRecord(
            idempotency_key=f"close:{entity_code}:{period}:period:{status}",
            actor=actor,
            action=f"period.{status}",
            subject_type="fiscal_period",
            subject_id=f"{entity_code}-{period}",
            entity_id=entity_id,
            before={"status": str(before)},
            after={"status": str(status)},
        ),
    )
    if status == PeriodStatus.CLOSED:
        emit(
            session,
            event_type="fiscal_period.closed",
            key=f"period:{entity_code}:{period}:closed",
            entity_id=entity_id,
            document_type="fiscal_period",
            document_id=f"{entity_code}-{period}",
            data={
                "period": period,
                "status": str(status),
                "closed_by": _signed_off_by(session, entity_id, period) or actor,
            },
        )
    return status


def _signed_off_by(session: Session, entity_id: int, period: str) -> str | None:
    """The controller whose sign-off led to the lock (the lock itself is written by a system user)."""
    value = (
        session.connection()
        .execute(
            text(
                "SELECT s.details->>'by' FROM close_step s JOIN close_run r ON r.id = s.run_id"
                " WHERE r.entity_id = :e AND r.period = :p AND s.step = 'sign_off' AND s.outcome = 'approved'"
                " ORDER BY s.round DESC LIMIT 1"
            ),
            {"e": entity_id, "p": period},
        )
        .scalar()
    )
    return None if value is None else str(value)


def record_step(
    session: Session,
    *,
    run_id: int,
    round_no: int,
    seq: int,
    step: str,
    started_at: datetime,
    outcome: str,
    details: dict[str, Any],
    finished_at: datetime | None = None,
) -> None:
    """Write (or, on a retried activity, overwrite) one checklist line."""
    # The start is the workflow's clock, the end the database's: GREATEST keeps a line from ending
    # before it started when the two disagree (clock skew, a time-skipping test server).
    session.connection().execute(
        text(
            """
            INSERT INTO close_step (run_id, round, seq, step, started_at, finished_at, outcome, details)
            VALUES (:r, :n, :q, :s, :b, GREATEST(COALESCE(:f, clock_timestamp()), :b), :o, CAST(:d AS jsonb))
            ON CONFLICT (run_id, round, step) DO UPDATE
               SET finished_at = EXCLUDED.finished_at, outcome = EXCLUDED.outcome, details = EXCLUDED.details
            """
        ),
        {
            "r": run_id,
            "n": round_no,
            "q": seq,
            "s": step,
            "b": started_at,
            "f": finished_at,
            "o": outcome,
            "d": json.dumps(details, default=str),
        },
    )


def record_differences(
    session: Session, run_id: int, round_no: int, found: list[Finding]
) -> list[DifferenceOut]:
    """Store this round's differences once (a retried activity finds the rows already there)."""
    out: list[DifferenceOut] = []
    for f in found:
        d = f.difference
        session.connection().execute(
            text(
                """
                INSERT INTO close_difference (run_id, round, check_name, subledger, control, difference, documents)
                VALUES (:r, :n, :c, :s, :k, :d, CAST(:docs AS jsonb))
                ON CONFLICT (run_id, round, check_name) DO UPDATE
                   SET subledger = EXCLUDED.subledger, control = EXCLUDED.control,
                       difference = EXCLUDED.difference, documents = EXCLUDED.documents
                """
            ),
            {
                "r": run_id,
                "n": round_no,
                "c": d.name,
                "s": d.subledger,
                "k": d.control,
                "d": d.difference,
                "docs": json.dumps(f.documents, default=str),
            },
        )
        out.append(
            DifferenceOut(
                check_name=d.name,
                subledger=d.subledger,
                control=d.control,
                difference=d.difference,
                documents=f.documents,
            )
        )
    return out


def link_task(session: Session, run_id: int, round_no: int, check_name: str, task_id: int) -> None:
    """Remember the task that routes a difference to the controller."""
    session.connection().execute(
        text("UPDATE close_difference SET task_id = :t WHERE run_id = :r AND round = :n AND check_name = :c"),
        {"t": task_id, "r": run_id, "n": round_no, "c": check_name},
    )


def next_round(session: Session, run_id: int, round_no: int) -> None:
    """Move the run to a later round (a send-back); stale calls change nothing."""
    session.connection().execute(
        text("UPDATE close_run SET round = :n, status = 'running' WHERE id = :r AND round < :n"),
        {"n": round_no, "r": run_id},
    )


def mark_awaiting_signoff(session: Session, run_id: int) -> None:
    """The run waits for the controller."""
    session.connection().execute(
        text("UPDATE close_run SET status = 'awaiting_signoff' WHERE id = :r AND status = 'running'"),
        {"r": run_id},
    )


def finish(
    session: Session, run_id: int, snapshot: dict[str, Any], duration: Decimal, signed_off_by: str | None
) -> CloseResult:
    """Store the statements and the close-cycle duration once; a later call keeps the first snapshot."""
    session.connection().execute(
        text(
            """
            UPDATE close_run SET status = 'closed', statements = CAST(:s AS jsonb), duration_seconds = :d,
                   finished_at = clock_timestamp(), signed_off_by = :by
             WHERE id = :r AND status <> 'closed'
            """
        ),
        {"s": json.dumps(snapshot, default=str), "d": duration, "by": signed_off_by, "r": run_id},
    )
    result = result_of(session, run_id)
    if result is None:
        raise Conflict("run_id", f"close run {run_id} did not close")
    return result


def result_of(session: Session, run_id: int) -> CloseResult | None:
    """The stored result of a closed run (None while it is not closed)."""
    conn = session.connection()
    run = conn.execute(
        text(
            """
            SELECT r.id, e.code, r.period, r.status, r.round, r.duration_seconds, r.signed_off_by, r.statements
              FROM close_run r JOIN entity e ON e.id = r.entity_id WHERE r.id = :r
            """
        ),
        {"r": run_id},
    ).first()
    if run is None:
        raise NotFound("run_id", f"close run {run_id} does not exist")
    if run.status != "closed":
        return None
    diffs = conn.execute(
        text(
            "SELECT check_name, subledger, control, difference, documents, task_id FROM close_difference"
            " WHERE run_id = :r AND round = :n ORDER BY id"
        ),
        {"r": run_id, "n": run.round},
    ).all()
    snap: dict[str, Any] = run.statements or {}
    bs = snap.get("balance_sheet", {})
    return CloseResult(
        run_id=run.id,
        entity_code=run.code,
        period=run.period,
        status=run.status,
        rounds=run.round,
        duration_seconds=run.duration_seconds,
        signed_off_by=run.signed_off_by,
        differences=[
            DifferenceOut(
                check_name=d.check_name,
                subledger=d.subledger,
                control=d.control,
                difference=d.difference,
                documents=d.documents,
                task_id=d.task_id,
            )
            for d in diffs
        ],
        net_income=Decimal(snap["profit_and_loss"]["net_income"]) if "profit_and_loss" in snap else None,
        total_assets=Decimal(bs["total_assets"]) if "total_assets" in bs else None,
        balanced=bool(bs.get("balanced")) if bs else None,
    )


def next_accrual_number(session: Session, entity_id: int, period: str) -> int:
    """The next free accrual number of a period."""
    return int(
        session.connection()
        .execute(
            text("SELECT COALESCE(max(n), 0) + 1 FROM close_accrual WHERE entity_id = :e AND period = :p"),
            {"e": entity_id, "p": period},
        )
        .scalar_one()
    )


def request_accrual(
    session: Session,
    *,
    entity_id: int,
    period: str,
    description: str,
    expense_role: str,
    amount: Decimal,
    requested_by: str,
) -> int:
    """Record a bill to receive for the period's close; refused once the period is hard-closed."""
    period_bounds(period)
    status = (
        session.connection()
        .execute(
            text("SELECT status FROM fiscal_period WHERE entity_id = :e AND period = :p"),
            {"e": entity_id, "p": period},
        )
        .scalar()
    )
    if status == PeriodStatus.CLOSED:
        raise RuleViolation("period", f"period {period} is closed: accrue in an open period")
    n = next_accrual_number(session, entity_id, period)
    session.connection().execute(
        text(
            """
            INSERT INTO close_accrual (entity_id, period, n, description, expense_role, amount, requested_by, status)
            VALUES (:e, :p, :n, :d, :r, :a, :by, 'requested')
            """
        ),
        {
            "e": entity_id,
            "p": period,
            "n": n,
            "d": description,
            "r": expense_role,
            "a": amount,
            "by": requested_by,
        },
    )
    return n
