"""Request bodies of policy administration: approval bands and settings, match tolerances, delegations."""

from decimal import Decimal
from typing import Annotated

from pydantic import Field

from api.schemas.base import Body, Id, Reply, examples, record_model, reply_examples
from models.auth import Delegation
from models.contracts.bounds import Amount, Percentage, PlanDate, PositiveAmount
from models.purchasing import ApprovalBand, ApprovalSetting, MatchToleranceRow
from models.tasks import TaskSlaSetting

Short = Annotated[str, Field(min_length=1, max_length=40)]


class LevelBody(Body):
    """One approval step: anyone holding `role`, or the one `user` (exactly one of the two)."""

    role: str | None = Field(default=None, min_length=1, max_length=40, examples=["approver"])
    user: str | None = Field(default=None, min_length=1, max_length=80, examples=["cfo"])


class BandCreate(Body):
    """Amounts in [min_amount, max_amount) of the entity (and category) need these levels, in order."""

    model_config = examples(
        {
            "entity_id": 1,
            "min_amount": "0",
            "max_amount": "10000",
            "levels": [{"role": "approver"}],
            "effective_from": "2030-01-01",
        }
    )

    entity_id: Id
    category: str | None = Field(default=None, min_length=1, max_length=60)
    min_amount: Amount
    max_amount: PositiveAmount | None = None
    levels: list[LevelBody] = Field(max_length=10, description="an empty list approves automatically")
    effective_from: PlanDate | None = None
    effective_to: PlanDate | None = None


class BandUpdate(Body):
    """Change amounts, levels or dates (entity and category are fixed: create another band instead)."""

    model_config = examples({"levels": [{"role": "approver"}, {"role": "controller"}]})

    min_amount: Amount | None = None
    max_amount: PositiveAmount | None = None
    levels: list[LevelBody] | None = Field(default=None, max_length=10)
    effective_from: PlanDate | None = None
    effective_to: PlanDate | None = None


class SettingBody(Body):
    """An entity's approval settings from `effective_from` (omitted: since always); omitted fields are kept."""

    model_config = examples(
        {"sla_hours": 8, "escalation": {"approver": "controller"}, "window_cap": "250000"}
    )

    sla_hours: int | None = Field(default=None, ge=1, le=720)
    escalation: dict[Short, Short] | None = Field(
        default=None, max_length=10, description="role -> role an overdue task goes to"
    )
    window_days: int | None = Field(default=None, ge=1, le=366)
    window_cap: Amount | None = Field(default=None, description="rolling cap per approver; null = no cap")
    grace_days: int | None = Field(default=None, ge=0, le=60)
    over_receipt_pct: Percentage | None = None
    effective_from: PlanDate | None = None


class ToleranceCreate(Body):
    """Three-way-match tolerance of an entity, optionally for one supplier and/or one category."""

    model_config = examples(
        {"entity_id": 1, "category": "electronics", "price_pct": "1", "price_abs": "0.50"}
    )

    entity_id: Id
    supplier_id: Id | None = None
    category: str | None = Field(default=None, min_length=1, max_length=60)
    qty_pct: Percentage = Decimal("0")
    price_pct: Percentage = Decimal("2")
    price_abs: Amount = Decimal("1.00")


class ToleranceUpdate(Body):
    """New percentages or absolute amount (omitted fields are kept)."""

    model_config = examples({"price_pct": "3"})

    qty_pct: Percentage | None = None
    price_pct: Percentage | None = None
    price_abs: Amount | None = None


class DelegationCreate(Body):
    """`delegate` may act for `delegator` from valid_from to valid_to (inclusive) in one entity."""

    model_config = examples(
        {
            "delegator": "fin.manager",
            "delegate": "carla",
            "valid_from": "2030-07-01",
            "valid_to": "2030-07-14",
            "entity_id": 1,
            "task_kinds": ["po_approval"],
        }
    )

    delegator: str = Field(min_length=1, max_length=80)
    delegate: str = Field(min_length=1, max_length=80)
    valid_from: PlanDate
    valid_to: PlanDate
    entity_id: Id
    task_kinds: list[Short] | None = Field(
        default=None, min_length=1, max_length=20, description="null = every kind of task"
    )


class TaskSlaBody(Body):
    """An entity's service level for one kind of task: answered within `sla_hours`, reminded at `remind_pct` %
    of them, then escalated to the `escalate_to` role (null: reminders only)."""

    model_config = examples({"sla_hours": 24, "remind_pct": 50, "escalate_to": "controller"})

    sla_hours: int = Field(ge=1, le=8760)
    remind_pct: int = Field(default=50, ge=1, le=99)
    escalate_to: Short | None = Field(default=None, description="a role (models.auth.ROLES) or null")


# ---- Response models ---------------------------------------------------------------------------------------

BandView = record_model(ApprovalBand, "BandView")
SettingView = record_model(ApprovalSetting, "SettingView")
ToleranceView = record_model(MatchToleranceRow, "ToleranceView")
DelegationView = record_model(Delegation, "DelegationView")
TaskSlaView = record_model(TaskSlaSetting, "TaskSlaView")


class TaskSlaInForce(Reply):
    """A kind of task's service level in force for an entity: its own, or the default."""

    model_config = reply_examples(
        {
            "kind": "po_approval",
            "sla_hours": 24,
            "remind_pct": 75,
            "escalate_to": "controller",
            "source": "default",
            "updated_by": None,
        }
    )

    kind: str
    sla_hours: int
    remind_pct: int
    escalate_to: str | None
    source: str = Field(description="entity (its own) or default")
    updated_by: str | None


class TaskSlaReset(Reply):
    """The entity's own service level is gone: the default applies again."""

    kind: str
    entity_id: int
    source: str = Field(description="default")
