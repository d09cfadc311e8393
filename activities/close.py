"""Activities of the month-end close: each step does its work and writes its checklist line in one transaction."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio import activity

from activities.heartbeat import heartbeats
from erp.db import session_scope
from models.contracts.close import (
    BeginClose,
    CloseContext,
    CloseResult,
    DifferenceTask,
    EntityInfo,
    EntityRef,
    FinishClose,
    NextRound,
    ReconResult,
    RecordStep,
    StepInput,
    StepResult,
)
from rules.periods import PeriodStatus, period_bounds
from services.close import postings as close_postings
from services.close import reconciliation, reports
from services.close import runs as close_runs
from services.core.ledger import entity_currency

CLOSER = "close"


def _record(s: Session, step: StepInput, name: str, outcome: str, details: dict[str, Any]) -> StepResult:
    close_runs.record_step(
        s,
        run_id=step.run_id,
        round_no=step.round,
        seq=step.seq,
        step=name,
        started_at=step.started_at,
        outcome=outcome,
        details=details,
    )
    return StepResult(step=name, outcome=outcome, details=details)


class CloseActivities:
    """Close I/O; idempotent through posting keys, unique checklist lines and forward-only period status."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn(name="close.resolve_entity")
    def resolve_entity(self, ref: EntityRef) -> EntityInfo:
        """The entity's id, currency and time zone."""
        with session_scope(self.engine) as s:
            return close_runs.entity_info(s, ref.entity_code)

    def _set_status(self, step: StepInput, status: PeriodStatus, name: str) -> StepResult:
        """Move the period to `status` as the closer and record the step."""
        with session_scope(self.engine) as s:
            now = close_runs.set_period_status(
                s, step.entity_id, step.entity_code, step.period, status, CLOSER
            )
            return _record(s, step, name, "ok", {"period_status": str(now)})

    @activity.defn(name="close.begin")
    def begin(self, req: BeginClose) -> CloseContext:
        """Create or resume the run of the period."""
        with session_scope(self.engine) as s:
            return close_runs.begin(s, req)

    @activity.defn(name="close.soft_close")
    @heartbeats
    def soft_close(self, step: StepInput) -> StepResult:
        """Cut-off: from now on only closers post into the period."""
        return self._set_status(step, PeriodStatus.SOFT_CLOSED, "soft_close")

    @activity.defn(name="close.accruals")
    @heartbeats
    def accruals(self, step: StepInput) -> StepResult:
        """Post requested accruals with day-1 reversals, and list goods received not invoiced."""
        with session_scope(self.engine) as s:
            currency = entity_currency(s, step.entity_id)
            posted = close_postings.post_accruals(s, step.entity_id, step.entity_code, step.period, currency)
            grni = close_postings.grni_open(s, step.entity_id, period_bounds(step.period)[1])
            return _record(
                s, step, "accruals", "ok", {"accruals": posted, "goods_received_not_invoiced": grni}
            )

    @activity.defn(name="close.reconcile")
    @heartbeats
    def reconcile(self, step: StepInput) -> ReconResult:
        """Stock ledger vs inventory GL, AP and AR subledgers vs control: store every difference."""
        with session_scope(self.engine) as s:
            currency = entity_currency(s, step.entity_id)
            found = reconciliation.all_checks(s, step.entity_id, period_bounds(step.period)[1], currency)
            diffs = close_runs.record_differences(s, step.run_id, step.round, found)
            summary = [{"check": d.check_name, "difference": f"{d.difference:.2f}"} for d in diffs]
            _record(s, step, "reconciliations", "differences" if diffs else "ok", {"differences": summary})
            return ReconResult(differences=diffs)

    @activity.defn(name="close.link_difference_task")
    def link_difference_task(self, link: DifferenceTask) -> None:
        """Remember the task that carries a difference."""
        with session_scope(self.engine) as s:
            close_runs.link_task(s, link.run_id, link.round, link.check_name, link.task_id)

    @activity.defn(name="close.fx_revalue")
    @heartbeats
    def fx_revalue(self, step: StepInput) -> StepResult:
        """Revalue open foreign-currency payables and receivables at the closing rate."""
        with session_scope(self.engine) as s:
            currency = entity_currency(s, step.entity_id)
            found = close_postings.revalue_fx(
                s, step.entity_id, step.entity_code, step.period, currency, step.round
            )
            return _record(s, step, "fx_revaluation", "ok", found)

    @activity.defn(name="close.trial_balance")
    @heartbeats
    def trial_balance(self, step: StepInput) -> StepResult:
        """The trial balance must balance before anyone signs off."""
        with session_scope(self.engine) as s:
            tb = reports.trial_balance(s, step.entity_id, step.period)
            details = {k: tb[k] for k in ("total_debit", "total_credit", "balanced")}
            result = _record(s, step, "trial_balance", "ok" if tb["balanced"] else "failed", details)
            if tb["balanced"]:
                close_runs.mark_awaiting_signoff(s, step.run_id)
            return result

    @activity.defn(name="close.record_step")
    def record_step(self, rec: RecordStep) -> None:
        """Write a checklist line the workflow decided (sign-off)."""
        with session_scope(self.engine) as s:
            close_runs.record_step(
                s,
                run_id=rec.run_id,
                round_no=rec.round,
                seq=rec.seq,
                step=rec.step,
                started_at=rec.started_at,
                finished_at=rec.finished_at,
                outcome=rec.outcome,
                details=rec.details,
            )

    @activity.defn(name="close.next_round")
    def next_round(self, req: NextRound) -> None:
        """Start another round after a send-back."""
        with session_scope(self.engine) as s:
            close_runs.next_round(s, req.run_id, req.round)

    @activity.defn(name="close.hard_close")
    @heartbeats
    def hard_close(self, step: StepInput) -> StepResult:
        """Lock the period: nothing dated in it can be posted any more (the database refuses it)."""
        return self._set_status(step, PeriodStatus.CLOSED, "hard_close")

    @activity.defn(name="close.statements")
    @heartbeats
    def statements(self, req: FinishClose) -> CloseResult:
        """Build the statements snapshot, store it with the close-cycle duration, and finish the run."""
        with session_scope(self.engine) as s:
            snapshot = reports.statements(s, req.entity_id, req.period)
            close_runs.record_step(
                s,
                run_id=req.run_id,
                round_no=req.round,
                seq=req.seq,
                step="statements",
                started_at=req.started_at,
                outcome="ok",
                details={"net_income": snapshot["profit_and_loss"]["net_income"]},
            )
            return close_runs.finish(
                s, req.run_id, snapshot, Decimal(req.duration_seconds), req.signed_off_by
            )

    def all(self) -> list[Callable[..., Any]]:
        """Every activity method, for the registry."""
        return [
            self.resolve_entity,
            self.begin,
            self.soft_close,
            self.accruals,
            self.reconcile,
            self.link_difference_task,
            self.fx_revalue,
            self.trial_balance,
            self.record_step,
            self.next_round,
            self.hard_close,
            self.statements,
        ]
