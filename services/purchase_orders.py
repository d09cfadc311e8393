"""Build a validated, priced purchase order from a buyer's draft (422 naming the field otherwise)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.bounds import MAX_AMOUNT
from models.contracts.purchasing import (
    ApprovalPolicy,
    BandSnapshot,
    LevelSnapshot,
    PoLine,
    PurchaseOrderInput,
)
from rules.budget import over_budget_reason
from rules.errors import RuleViolation
from rules.money import quantize_cost
from rules.periods import period_of
from services import fx, payment_runs, replenishment_budget
from services.errors import NotFound
from services.supplier_scorecard import score_input
from services.task_sla import load_task_slas
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


def _one(session: Session, sql: str, **params: object) -> tuple[object, ...] | None:
    row = session.connection().execute(text(sql), params).first()
    return tuple(row) if row is not None else None


def contract_price(
    session: Session, supplier_id: int, item_id: int, currency: str, on: date
) -> Decimal | None:
    """The supplier's contract price valid on a date in the PO currency (latest valid_from wins)."""
    row = _one(
        session,
        """
        SELECT price FROM supplier_price
         WHERE supplier_id = :s AND item_id = :i AND currency = :c AND valid_from <= :d
           AND (valid_to IS NULL OR valid_to >= :d)
         ORDER BY valid_from DESC, id DESC LIMIT 1
        """,
        s=supplier_id,
        i=item_id,
        c=currency,
        d=on,
    )
    return Decimal(str(row[0])) if row else None


# The entity's own settings beat the default (entity NULL); among them the latest in effect on the date wins.
_SETTING_IN_EFFECT = """
    FROM approval_setting WHERE (entity_id = :e OR entity_id IS NULL)
     AND (effective_from IS NULL OR effective_from <= :d)
     ORDER BY entity_id NULLS LAST, effective_from DESC NULLS LAST LIMIT 1
"""


def load_policy(
    session: Session, entity_id: int, supplier_id: int | None = None, as_of: date | None = None
) -> ApprovalPolicy:
    """Bands in effect for the entity (plus generic ones), its settings, and the supplier's scorecard input."""
    on = as_of or date.today()
    bands = (
        session.connection()
        .execute(
            text(
                """
            SELECT min_amount, max_amount, category, entity_id, levels FROM approval_band
             WHERE active AND (entity_id IS NULL OR entity_id = :e)
               AND (effective_from IS NULL OR effective_from <= :d) AND (effective_to IS NULL OR effective_to >= :d)
             ORDER BY id
            """
            ),
            {"e": entity_id, "d": on},
        )
        .all()
    )
    setting = _one(
        session,
        f"SELECT sla_hours, escalation, window_days, window_cap {_SETTING_IN_EFFECT}",
        e=entity_id,
        d=on,
    )
    snaps = [
        BandSnapshot(
            min_amount=Decimal(b[0]),
            max_amount=None if b[1] is None else Decimal(b[1]),
            category=b[2],
            entity=None if b[3] is None else str(b[3]),
            levels=[LevelSnapshot(role=lv.get("role"), user=lv.get("user")) for lv in b[4]],
        )
        for b in bands
    ]
    policy = ApprovalPolicy(bands=snaps)
    if setting is not None:
        sla, escalation, window_days, cap = setting
        policy = ApprovalPolicy(
            bands=snaps,
            sla_hours=int(str(sla)),
            escalation=dict(escalation),  # type: ignore[call-overload]
            window_days=int(str(window_days)),
            window_cap=None if cap is None else Decimal(str(cap)),
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
    row = _one(session, f"SELECT grace_days, over_receipt_pct {_SETTING_IN_EFFECT}", e=entity_id, d=on)
    return (int(str(row[0])), Decimal(str(row[1]))) if row else (2, Decimal(0))


def _line(session: Session, draft: Draft, i: int, line: DraftLine, currency: str) -> PoLine:
    """Validate and price one line; errors name `lines[i].<field>`."""
    where = f"{draft.field_prefix}lines[{i}]"
    if line.qty <= 0:
        raise RuleViolation(f"{where}.qty", f"must be positive, got {line.qty}")
    item = _one(
        session, "SELECT category, tracking, weight_kg, archived FROM item WHERE id = :i", i=line.item_id
    )
    if item is None or item[3]:
        raise RuleViolation(f"{where}.item_id", f"unknown or archived item {line.item_id}")
    loc = _one(session, "SELECT entity_id, archived FROM location WHERE id = :l", l=line.location_id)
    if loc is None or loc[1] or loc[0] != draft.entity_id:
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
        category=str(item[0]),
        tracking=str(item[1]),
        weight_kg=Decimal(str(item[2])),
        qty=line.qty,
        price=price,
        landed_unit=quantize_cost(price * draft.landed_cost_pct / Decimal(100)),
    )


def build_input(session: Session, draft: Draft, number: str) -> PurchaseOrderInput:
    """Validate the draft against the database and return the workflow input (nothing is written)."""
    entity = _one(session, "SELECT currency, archived FROM entity WHERE id = :e", e=draft.entity_id)
    if entity is None or entity[1]:
        raise RuleViolation("entity_id", f"unknown entity {draft.entity_id}")
    supplier = _one(
        session,
        "SELECT currency, payment_terms, lead_time_days, archived, created_by FROM supplier WHERE id = :s",
        s=draft.supplier_id,
    )
    if supplier is None:
        raise RuleViolation("supplier_id", f"unknown supplier {draft.supplier_id}")
    if supplier[3]:
        raise RuleViolation("supplier_id", f"supplier {draft.supplier_id} is archived")
    if not draft.lines:
        raise RuleViolation("lines", "a purchase order needs at least one line")
    if not Decimal(0) <= draft.landed_cost_pct <= Decimal(100):
        raise RuleViolation("landed_cost_pct", "must be between 0 and 100")
    currency = draft.currency or str(supplier[0])
    lines = [_line(session, draft, i, line, currency) for i, line in enumerate(draft.lines)]
    entity_currency = str(entity[0])
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
    expected = draft.expected_date or draft.order_date + timedelta(days=int(str(supplier[2])))
    if expected < draft.order_date:
        raise RuleViolation("expected_date", "must not be before the order date")
    po = PurchaseOrderInput(
        number=number,
        workflow_id=f"PO-{number}",
        entity_id=draft.entity_id,
        entity_currency=entity_currency,
        supplier_id=draft.supplier_id,
        supplier_created_by=None if supplier[4] is None else str(supplier[4]),
        currency=currency,
        fx_rate=rate,
        order_date=draft.order_date,
        expected_date=expected,
        payment_terms=str(supplier[1]),
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
