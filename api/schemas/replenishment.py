"""Response models of replenishment: runs, their drafts and suggestions, planning figures, scores."""

from datetime import date
from decimal import Decimal

from pydantic import Field

from api.schemas.base import OpenReply, Reply, record_model
from models.replenishment import ReplenishmentDraft, ReplenishmentRun, ReplenishmentSuggestion

# A computed figure, kept as PostgreSQL or the rule computed it (exact decimal, integer or number).
Figure = Decimal | int | float | None


class RunStarted(Reply):
    """A replenishment run started for an entity's day."""

    workflow_id: str
    entity_code: str
    run_date: date


_RUN = ("id", "run_date", "workflow_id", "item_locations", "suggestions", "seconds")
RunItem = record_model(ReplenishmentRun, "ReplenishmentRunItem", only=_RUN)
DraftView = record_model(
    ReplenishmentDraft,
    "ReplenishmentDraftView",
    only=(
        "supplier_id",
        "po_number",
        "total_func",
        "over_budget",
        "status",
        "budget",
        "task_id",
        "decided_by",
    ),
)
SuggestionView = record_model(
    ReplenishmentSuggestion,
    "ReplenishmentSuggestionView",
    only=(
        "item_id",
        "location_id",
        "supplier_id",
        "mean_daily",
        "sigma_daily",
        "lead_time_mean",
        "lead_time_var",
        "z",
        "safety_stock",
        "reorder_point",
        "projected",
        "order_qty",
        "po_number",
    ),
)
RunView = record_model(
    ReplenishmentRun,
    "ReplenishmentRunView",
    only=(*_RUN[:1], "entity_id", *_RUN[1:]),
    drafts=(list[DraftView], ...),  # type: ignore[valid-type]
    suggestions=(list[SuggestionView], ...),  # type: ignore[valid-type]
)


class PlanningFigures(OpenReply):
    """How an item-location's order suggestion comes about: demand, lead time, safety stock, reorder point."""

    item_id: int
    location_id: int
    supplier_id: int | None = None
    projected: Figure = Field(default=None, description="on hand + inbound + in transit - reserved")
    mean: Figure = Field(default=None, description="mean daily demand")
    sigma: Figure = Field(default=None, description="standard deviation of daily demand")
    lt: Figure = Field(default=None, description="mean lead time in days")
    ltv: Figure = Field(default=None, description="lead-time variance")
    z: Figure = Field(default=None, description="the service level's z value")
    ss: Figure = Field(default=None, description="safety stock")
    rop: Figure = Field(default=None, description="reorder point")
    order_qty: Figure = None


class TransferSuggestion(Reply):
    """Move whole units of an item from a location with surplus to one that is short."""

    item_id: int
    from_location_id: int
    to_location_id: int
    qty: Decimal


class ParamView(Reply):
    """An item-location's planning parameters as stored."""

    item_id: int
    location_id: int
    service_level: Decimal | None
    min_order_qty: Decimal
    review_days: int | None
    reorder_enabled: bool
    supplier_id: int | None


class BudgetView(Reply):
    """A category's monthly purchasing budget as stored."""

    entity_id: int
    category: str
    period: str
    amount: Decimal


class RollingScore(Reply):
    """A supplier's statistics and score over the rolling window."""

    supplier_id: int
    supplier: str = Field(description="the supplier's code")
    name: str
    orders: int
    delivered: int
    on_time_pct: Figure
    fill_rate: Figure
    lead_time_mean_days: Figure
    lead_time_var_days: Figure
    price_variance_pct: Figure
    match_rate: Figure
    score: Figure
    extra_approval: bool = Field(description="below the threshold: new POs need the extra approval level")


class RollingScorecard(Reply):
    """Rolling supplier scores of an entity; below the threshold a PO needs an extra approval."""

    entity_id: int
    as_of: date
    window_days: int
    threshold: Figure
    extra_approval_role: str | None
    available: bool = Field(description="false: every PO gets the extra approval until scores are back")
    reason: str | None
    suppliers: list[RollingScore]
