"""Every activity the worker runs, bound to its dependencies (the composition root for activities)."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from temporalio.client import Client

from activities.close import CloseActivities
from activities.foresight import ForesightActivities
from activities.inbound import InboundActivities
from activities.integration import IntegrationActivities
from activities.journals import JournalActivities
from activities.payments import PaymentActivities
from activities.purchasing import PurchasingActivities
from activities.reconcile import ReconcileActivities
from activities.replenishment import ReplenishmentActivities
from activities.returns import ReturnsActivities
from activities.sales import SalesActivities
from activities.tasks import TaskActivities


def build_activities(engine: Engine, client: Client | None = None) -> list[Callable[..., Any]]:
    """Instantiate the activity classes with their dependencies and list their activity methods."""
    task_acts = TaskActivities(engine)
    inbound = InboundActivities(engine, client)
    return [
        task_acts.open_task,
        task_acts.close_task,
        task_acts.escalate_task,
        task_acts.record_audit,
        inbound.wait_for,
        inbound.stop_waiting,
        inbound.notify,
        *SalesActivities(engine).all(),
        *PurchasingActivities(engine).all(),
        *CloseActivities(engine).all(),
        *IntegrationActivities(engine, client).all(),
        *ReturnsActivities(engine).all(),
        *ReplenishmentActivities(engine).all(),
        *ForesightActivities(engine).all(),
        *ReconcileActivities(engine, client).all(),
        *JournalActivities(engine).all(),
        *PaymentActivities(engine).all(),
    ]
