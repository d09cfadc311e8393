"""Contracts of replenishment, transfer orders and cycle counts (what crosses the Temporal boundary)."""

from datetime import date
from decimal import Decimal

from pydantic import Field

from models.contracts.base import Contract
from models.contracts.purchasing import PurchaseOrderInput


class ReplenishmentRunInput(Contract):
    """A daily run of one entity; no date means: the schedule's fire day in the entity's time zone."""

    entity_code: str
    run_date: date | None = None
    trigger: str = "manual"


class EntityDay(Contract):
    """The entity a schedule names, with its time zone (to work out the run date)."""

    entity_id: int
    entity_code: str
    time_zone: str


class PlanRequest(Contract):
    """Compute (or reload) the plan of an entity's day."""

    entity_code: str
    run_date: date
    workflow_id: str


class BudgetLine(Contract):
    """One category of a draft PO against its monthly budget (entity currency)."""

    category: str
    budget: Decimal | None
    committed: Decimal
    new: Decimal
    over: bool


class DraftPo(Contract):
    """Suggestions of one supplier as a validated, priced PO input, with the budget verdict."""

    supplier_id: int
    po: PurchaseOrderInput
    total_func: Decimal
    over_budget: bool
    budget: list[BudgetLine] = Field(default_factory=list)
    status: str = "planned"
    task_id: int | None = None


class RunPlan(Contract):
    """The stored plan of a run: how many item-locations were planned and the draft POs."""

    run_id: int
    entity_id: int
    entity_code: str
    run_date: date
    item_locations: int
    suggestions: int
    buyer_role: str
    drafts: list[DraftPo]
    problems: list[str] = Field(default_factory=list)


class DraftStatus(Contract):
    """Record what happened to a draft PO (started, waiting for the buyer, rejected)."""

    run_id: int
    po_number: str
    status: str
    task_id: int | None = None
    decided_by: str | None = None


class ReplenishmentResult(Contract):
    """What a run did: POs started, POs the buyer rejected."""

    entity_code: str
    run_date: date | None
    status: str
    started: list[str] = Field(default_factory=list)
    rejected: list[str] = Field(default_factory=list)


class TransferLineIn(Contract):
    """An item and quantity to move."""

    item_id: int
    qty: Decimal


class TransferInput(Contract):
    """A validated transfer order; the workflow's first activity persists it."""

    number: str
    workflow_id: str
    entity_id: int
    from_location_id: int
    to_location_id: int
    requested_by: str
    lines: list[TransferLineIn]


class TransferStep(Contract):
    """Ship or receive a transfer (the `ship` and `receive` updates, and their activities)."""

    number: str
    actor: str
    on: date


class TransferState(Contract):
    """The transfer's status after a step, with the value moved."""

    number: str
    status: str
    value: Decimal = Decimal(0)


class CountInput(Contract):
    """A cycle count of an item set at a location; the workflow opens the count task."""

    number: str
    workflow_id: str
    entity_id: int
    location_id: int
    item_ids: list[int]
    requested_by: str
    counter_role: str = "warehouse"


class CountPost(Contract):
    """Counted quantities per item, posted as adjustments against the book quantities."""

    number: str
    counted_by: str
    counted_on: date
    counts: dict[int, Decimal]


class CountLineOut(Contract):
    """One item's count: book vs counted, and the adjustment posted."""

    item_id: int
    system_qty: Decimal
    counted_qty: Decimal
    difference: Decimal
    value: Decimal


class CountResult(Contract):
    """The posted count: its lines and the net shrinkage value (positive = loss)."""

    number: str
    lines: list[CountLineOut]
    shrinkage: Decimal
