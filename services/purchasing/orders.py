"""Build a validated, priced purchase order from a buyer's draft (422 naming the field otherwise)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import or_, select, text
from sqlmodel import Session, col

from models.contracts.bounds import MAX_AMOUNT
from models.contracts.purchasing import (
    ApprovalPolicy,
    BandSnapshot,
    LevelSnapshot,
    PoLine,
    PurchaseOrderInput,
)
from models.master import Entity, Item, Location, Supplier, SupplierPrice
from models.purchasing import ApprovalBand, ApprovalSetting
from rules.budget import over_budget_reason
from rules.errors import RuleViolation
from rules.money import quantize_cost
from rules.periods import period_of
from services.core import fx
from services.core.errors import NotFound
from services.core.task_sla import load_task_slas
from services.payments import runs as payment_runs
from services.purchasing.supplier_scorecard import score_input
from services.replenishment import budget as replenishment_budget
from workflows.purchasing.policy import approval_chain, func_total, po_total

# The PO's task kinds that run on a service level of their own (PO approvals use approval_setting's).
PO_TIMED_KINDS = ("match_exception", "supplier_delay", "po_revision")


@dataclass(frozen=True, slots=True)
class DraftLine:
    """A requested line; price None means: use the supplier's valid contract price."""

    item_id: int
    location_id: int
    qty: Decimal
    price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Draft:
    """A requisition / draft PO as the buyer (or replenishment) submits it."""

    entity_id: int
    supplier_id: int
    lines: list[DraftLine]
    requested_by: str
    order_date: date
    currency: str | None = None
    expected_date: date | None = None
    landed_cost_pct: Decimal = Decimal(0)
    parent_number: str | None = None
    field_prefix: str = ""
    # Replenishment checks a whole run's drafts against the budgets at once (and a buyer reviews those
    # over budget before they start); every other PO is checked on its own here.
    budget_checked: bool = False


def contract_price(
    session: Session, supplier_id: int, item_id: int, currency: str, on: date
) -> Decimal | None:
    """The supplier's contract price valid on a date in the PO currency (latest valid_from wins)."""
    price = session.connection().execute(
        select(col(SupplierPrice.price))
        .where(
            col(SupplierPrice.supplier_id) == supplier_id,
            col(SupplierPrice.item_id) == item_id,
            col(SupplierPrice.currency) == currency,
            col(SupplierPrice.valid_from) <= on,
            or_(col(SupplierPrice.valid_to).is_(None), col(SupplierPrice.valid_to) >= on),
        )
        .order_by(col(SupplierPrice.valid_from).desc(), col(SupplierPrice.id).desc())
        .limit(1)
    )
    return price.scalar()


@dataclass(frozen=True, slots=True)
class _Setting:
    """An entity's approval and receiving settings (approval_setting)."""

    sla_hours: int
    escalation: dict[str, str]
    window_days: int
    window_cap: Decimal | None
    grace_days: int
    over_receipt_pct: Decimal


def _setting_in_effect(session: Session, entity_id: int, on: date) -> _Setting | None:
    """The settings in effect for the entity on a date, or None when there are none.

    The entity's own settings beat the default (entity NULL); among them the latest in effect on the date wins."""
    row = (
        session.connection()
        .execute(
            select(
                col(ApprovalSetting.sla_hours),
                col(ApprovalSetting.escalation),
                col(ApprovalSetting.window_days),
                col(ApprovalSetting.window_cap),
                col(ApprovalSetting.grace_days),
                col(ApprovalSetting.over_receipt_pct),
            )
            .where(
                or_(col(ApprovalSetting.entity_id) == entity_id, col(ApprovalSetting.entity_id).is_(None)),
                or_(col(ApprovalSetting.effective_from).is_(None), col(ApprovalSetting.effective_from) <= on),
            )
            .order_by(
                col(ApprovalSetting.entity_id).nulls_last(),
                col(ApprovalSetting.effective_from).desc().nulls_last(),
            )
            .limit(1)
        )
        .first()
    )
    if row is None:
        return None
    return _Setting(
        sla_hours=row.sla_hours,
        escalation=dict(row.escalation),
        window_days=row.window_days,
        window_cap=row.window_cap,
        grace_days=row.grace_days,
        over_receipt_pct=row.over_receipt_pct,
    )


def _bands_in_effect(session: Session, entity_id: int, on: date) -> list[BandSnapshot]:
    """The active approval bands of the entity and the generic ones in effect on a date, in creation order."""
    bands = session.connection().execute(
        select(
            col(ApprovalBand.min_amount),
            col(ApprovalBand.max_amount),
            col(ApprovalBand.category),
            col(ApprovalBand.entity_id),
            col(ApprovalBand.levels),
        )
        .where(
            col(ApprovalBand.active),
            or_(col(ApprovalBand.entity_id).is_(None), col(ApprovalBand.entity_id) == entity_id),
            or_(col(ApprovalBand.effective_from).is_(None), col(ApprovalBand.effective_from) <= on),
            or_(col(ApprovalBand.effective_to).is_(None), col(ApprovalBand.effective_to) >= on),
        )
        .order_by(col(ApprovalBand.id))
    )
    return [
        BandSnapshot(
            min_amount=b.min_amount,
            max_amount=b.max_amount,
            category=b.category,
            entity=None if b.entity_id is None else str(b.entity_id),
            levels=[LevelSnapshot(role=lv.get("role"), user=lv.get("user")) for lv in b.levels],
        )
        for b in bands
    ]


def load_policy(
    session: Session, entity_id: int, supplier_id: int | None = None, as_of: date | None = None
) -> ApprovalPolicy:
    """Bands in effect for the entity (plus generic ones), its settings, and the supplier's scorecard input."""
    on = as_of or date.today()
    snaps = _bands_in_effect(session, entity_id, on)
    setting = _setting_in_effect(session, entity_id, on)
    policy = ApprovalPolicy(bands=snaps)
    if setting is not None:
        policy = ApprovalPolicy(
            bands=snaps,
            sla_hours=setting.sla_hours,
            escalation=setting.escalation,
            window_days=setting.window_days,
            window_cap=setting.window_cap,
        )
    # Snapshotted too: a service level changed later applies to POs created after the change.
    policy = policy.model_copy(update={"task_slas": load_task_slas(session, entity_id, PO_TIMED_KINDS)})
    if supplier_id is None:
        return policy
    # Snapshotted like the bands: a later scorecard change does not re-route this PO's approvals.
    found = score_input(session, entity_id, supplier_id, on)
    return policy.model_copy(
        update={
            "supplier_score": found.supplier_score,
            "score_threshold": found.threshold,
            "score_role": found.role,
            "score_unavailable": found.unavailable,
        }
    )


def receiving_settings(session: Session, entity_id: int, on: date) -> tuple[int, Decimal]:
    """Grace days before a delivery counts as late, and the over-receipt allowance in percent."""
    setting = _setting_in_effect(session, entity_id, on)
    return (setting.grace_days, setting.over_receipt_pct) if setting else (2, Decimal(0))


def _line(session: Session, draft: Draft, i: int, line: DraftLine, currency: str) -> PoLine:
    """Validate and price one line; errors name `lines[i].<field>`."""
    where = f"{draft.field_prefix}lines[{i}]"
    if line.qty <= 0:
        raise RuleViolation(f"{where}.qty", f"must be positive, got {line.qty}")
    item = (
        session.connection()
        .execute(
            select(col(Item.category), col(Item.tracking), col(Item.weight_kg), col(Item.archived)).where(
                col(Item.id) == line.item_id
            )
        )
        .first()
    )
    if item is None or item.archived:
        raise RuleViolation(f"{where}.item_id", f"unknown or archived item {line.item_id}")
    loc = (
        session.connection()
        .execute(
            select(col(Location.entity_id), col(Location.archived)).where(
                col(Location.id) == line.location_id
            )
        )
        .first()
    )
    if loc is None or loc.archived or loc.entity_id != draft.entity_id:
        raise RuleViolation(
            f"{where}.location_id", f"unknown location {line.location_id} of entity {draft.entity_id}"
        )
    price = line.price
    if price is None:
        price = contract_price(session, draft.supplier_id, line.item_id, currency, draft.order_date)
        if price is None:
            raise RuleViolation(
                f"{where}.price",
                f"no price given and no contract price in {currency} valid on {draft.order_date}",
            )
    if price < 0:
        raise RuleViolation(f"{where}.price", f"must not be negative, got {price}")
    return PoLine(
        line_no=i + 1,
        item_id=line.item_id,
        location_id=line.location_id,
        category=item.category,
        tracking=item.tracking,
        weight_kg=item.weight_kg,
        qty=line.qty,
        price=price,
        landed_unit=quantize_cost(price * draft.landed_cost_pct / Decimal(100)),
    )


@dataclass(frozen=True, slots=True)
class _SupplierTerms:
    """What a PO takes from its supplier."""

    currency: str
    payment_terms: str
    lead_time_days: int
    archived: bool
    created_by: str | None


def _supplier(session: Session, supplier_id: int) -> _SupplierTerms | None:
    """The supplier's currency, terms and lead time, or None when it does not exist."""
    row = (
        session.connection()
        .execute(
            select(
                col(Supplier.currency),
                col(Supplier.payment_terms),
                col(Supplier.lead_time_days),
                col(Supplier.archived),
                col(Supplier.created_by),
            ).where(col(Supplier.id) == supplier_id)
        )
        .first()
    )
    if row is None:
        return None
    return _SupplierTerms(row.currency, row.payment_terms, row.lead_time_days, row.archived, row.created_by)


def build_input(session: Session, draft: Draft, number: str) -> PurchaseOrderInput:
    """Validate the draft against the database and return the workflow input (nothing is written)."""
    entity = (
        session.connection()
        .execute(select(col(Entity.currency), col(Entity.archived)).where(col(Entity.id) == draft.entity_id))
        .first()
    )
    if entity is None or entity.archived:
        raise RuleViolation("entity_id", f"unknown entity {draft.entity_id}")
    supplier = _supplier(session, draft.supplier_id)
    if supplier is None:
        raise RuleViolation("supplier_id", f"unknown supplier {draft.supplier_id}")
    if supplier.archived:
        raise RuleViolation("supplier_id", f"supplier {draft.supplier_id} is archived")
    if not draft.lines:
        raise RuleViolation("lines", "a purchase order needs at least one line")
    if not Decimal(0) <= draft.landed_cost_pct <= Decimal(100):
        raise RuleViolation("landed_cost_pct", "must be between 0 and 100")
    currency = draft.currency or supplier.currency
    lines = [_line(session, draft, i, line, currency) for i, line in enumerate(draft.lines)]
    entity_currency = entity.currency
    try:
        rate = fx.rate(session, currency, entity_currency, draft.order_date)
    except NotFound as exc:
        raise RuleViolation("currency", exc.reason) from exc
    policy = load_policy(session, draft.entity_id, draft.supplier_id, draft.order_date)
    total = po_total(lines, currency)
    amount = func_total(total, rate, entity_currency)
    if max(total, amount) > MAX_AMOUNT:
        # Each line fits its columns; the sum (or its conversion) could still overflow the PO's money columns.
        raise RuleViolation("lines", f"the PO's total must not exceed {MAX_AMOUNT:,} (in either currency)")
    approval_chain(policy, lines, amount, draft.entity_id)  # fail now (422) when no band covers the PO
    grace, over_pct = receiving_settings(session, draft.entity_id, draft.order_date)
    expected = draft.expected_date or draft.order_date + timedelta(days=supplier.lead_time_days)
    if expected < draft.order_date:
        raise RuleViolation("expected_date", "must not be before the order date")
    po = PurchaseOrderInput(
        number=number,
        workflow_id=f"PO-{number}",
        entity_id=draft.entity_id,
        entity_currency=entity_currency,
        supplier_id=draft.supplier_id,
        supplier_created_by=supplier.created_by,
        currency=currency,
        fx_rate=rate,
        order_date=draft.order_date,
        expected_date=expected,
        payment_terms=supplier.payment_terms,
        requested_by=draft.requested_by,
        landed_cost_pct=draft.landed_cost_pct,
        over_receipt_pct=over_pct,
        grace_days=grace,
        lines=lines,
        policy=policy,
        parent_number=draft.parent_number,
        paid_by_runs=payment_runs.uses_runs(session, draft.entity_id),
    )
    return po if draft.budget_checked else _budget_checked(session, po, setting_role=policy.score_role)


def _budget_checked(session: Session, po: PurchaseOrderInput, setting_role: str | None) -> PurchaseOrderInput:
    """The PO with its budget verdict in the policy: over a category budget adds the review level."""
    period = period_of(po.order_date)
    [lines] = replenishment_budget.category_verdicts(session, po.entity_id, po.entity_currency, period, [po])
    reason = over_budget_reason(lines, period)
    if reason is None or setting_role is None:
        return po
    policy = po.policy.model_copy(update={"budget_over": reason, "budget_role": setting_role})
    return po.model_copy(update={"policy": policy})


def next_number(session: Session) -> str:
    """Allocate a PO number (gaps are fine: a number is never reused)."""
    return str(session.connection().execute(text("SELECT nextval('purchase_order_number_seq')")).scalar_one())
