"""Activities of replenishment, transfer orders and cycle counts: one transaction each, idempotent by keys."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from temporalio import activity

from activities.purchasing import business_errors
from erp.db import session_scope
from models.contracts.replenishment import (
    CountInput,
    CountPost,
    CountResult,
    DraftStatus,
    EntityDay,
    PlanRequest,
    ReplenishmentRunInput,
    RunPlan,
    TransferInput,
    TransferState,
    TransferStep,
)
from services.replenishment import cycle_counts, transfers
from services.replenishment import runs as replenishment_runs


class ReplenishmentActivities:
    """Replenishment plans, transfer moves and count postings on PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn(name="replenishment.resolve_entity")
    def resolve_entity(self, inp: ReplenishmentRunInput) -> EntityDay:
        """The entity a schedule names, with its time zone."""
        with business_errors(), session_scope(self.engine) as s:
            return replenishment_runs.entity_day(s, inp.entity_code)

    @activity.defn(name="replenishment.plan")
    def plan(self, req: PlanRequest) -> RunPlan:
        """Plan the entity's day (suggestions, draft POs, budget check) or reload the stored plan."""
        with business_errors(), session_scope(self.engine) as s:
            return replenishment_runs.plan(s, req)

    @activity.defn(name="replenishment.set_draft_status")
    def set_draft_status(self, upd: DraftStatus) -> None:
        """Record what happened to a draft PO."""
        with session_scope(self.engine) as s:
            replenishment_runs.set_status(s, upd)

    @activity.defn(name="transfers.persist")
    def persist_transfer(self, inp: TransferInput) -> None:
        """Record a transfer order (once per number)."""
        with business_errors(), session_scope(self.engine) as s:
            transfers.persist(s, inp)

    @activity.defn(name="transfers.ship")
    def ship(self, step: TransferStep) -> TransferState:
        """Move the goods into transit."""
        with business_errors(), session_scope(self.engine) as s:
            return transfers.ship(s, step)

    @activity.defn(name="transfers.receive")
    def receive(self, step: TransferStep) -> TransferState:
        """Move the goods from transit onto the destination."""
        with business_errors(), session_scope(self.engine) as s:
            return transfers.receive(s, step)

    @activity.defn(name="counts.persist")
    def persist_count(self, inp: CountInput) -> None:
        """Record a cycle count and its item set (once per number)."""
        with business_errors(), session_scope(self.engine) as s:
            cycle_counts.persist(s, inp)

    @activity.defn(name="counts.post")
    def post_count(self, req: CountPost) -> CountResult:
        """Post counted vs book quantities as shrinkage adjustments."""
        with business_errors(), session_scope(self.engine) as s:
            return cycle_counts.post(s, req)

    @activity.defn(name="counts.cancel")
    def cancel_count(self, inp: CountInput) -> None:
        """Cancel an open count."""
        with session_scope(self.engine) as s:
            cycle_counts.cancel(s, inp.number)

    def all(self) -> list[Callable[..., Any]]:
        """Every activity method of this class, for the worker."""
        return [
            self.resolve_entity,
            self.plan,
            self.set_draft_status,
            self.persist_transfer,
            self.ship,
            self.receive,
            self.persist_count,
            self.post_count,
            self.cancel_count,
        ]
