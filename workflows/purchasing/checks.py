"""Pure checks behind the PO workflow's update validators; each raises a typed refusal."""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from models.contracts.bounds import PLAN_HORIZON
from models.contracts.errors import FORBIDDEN, INVALID
from models.contracts.purchasing import PoLine, ReceiptRequest, RevisionPayload
from models.contracts.tasks import DecisionRequest
from rules.approval import ApprovalLevel, ApprovalRefused, Approver, Document, check_decision
from rules.matching import over_receipt_allowed
from rules.money import quantize_cost
from workflows.inbox import parse_payload, refusal


def approver(req: DecisionRequest, acting_for: str | None, approved_in_window: Decimal) -> Approver:
    """The approver as the rules see them; acting for someone lends that person's roles and limit."""
    if acting_for is None:
        return Approver(req.actor, frozenset(req.actor_roles), req.approval_limit, approved_in_window)
    lender = next(d for d in req.delegators if d.username == acting_for)
    return Approver(req.actor, frozenset(lender.roles), lender.approval_limit, approved_in_window, acting_for)


def check_approver(
    who: Approver,
    level: ApprovalLevel,
    doc: Document,
    window_cap: Decimal | None = None,
    *,
    limit_required: bool = True,
) -> None:
    """Run the approval rules; a refusal becomes a 403 for the API."""
    try:
        check_decision(who, level, doc, window_cap, limit_required=limit_required)
    except ApprovalRefused as exc:
        raise refusal(FORBIDDEN, f"{exc.code}: {exc.reason}") from exc


def revised_lines(lines: Mapping[int, PoLine], payload: dict[str, Any], landed_pct: Decimal) -> list[PoLine]:
    """Apply a revision payload (qty/price per line; qty 0 drops a line) or refuse it."""
    rev = parse_payload(RevisionPayload, payload)
    changed = dict(lines)
    for i, change in enumerate(rev.lines):
        line = changed.get(change.line_no)
        if line is None:
            raise refusal(INVALID, f"payload.lines[{i}].line_no: the PO has no line {change.line_no}")
        qty = line.qty if change.qty is None else change.qty
        price = line.price if change.price is None else change.price
        if qty < 0 or price < 0:
            raise refusal(INVALID, f"payload.lines[{i}]: quantity and price must not be negative")
        if qty == 0:
            del changed[change.line_no]
            continue
        landed = quantize_cost(price * landed_pct / Decimal(100))
        changed[change.line_no] = line.model_copy(update={"qty": qty, "price": price, "landed_unit": landed})
    if not changed:
        raise refusal(INVALID, "payload.lines: a revision must keep at least one line")
    return [changed[n] for n in sorted(changed)]


def check_receipt(
    req: ReceiptRequest,
    lines: Mapping[int, PoLine],
    received: Mapping[int, Decimal],
    cancelled: Mapping[int, Decimal],
    over_pct: Decimal,
) -> None:
    """Refuse unknown lines, empty or negative quantities, over-receipt and missing lot/serial numbers."""
    if not req.lines:
        raise refusal(INVALID, "lines: a receipt needs at least one line")
    if len({rl.line_no for rl in req.lines}) != len(req.lines):
        raise refusal(INVALID, "lines: each PO line appears once per receipt")
    for i, rl in enumerate(req.lines):
        line = lines.get(rl.line_no)
        if line is None:
            raise refusal(INVALID, f"lines[{i}].line_no: the PO has no line {rl.line_no}")
        if rl.qty < 0 or rl.rejected_qty < 0 or rl.qty + rl.rejected_qty == 0:
            raise refusal(
                INVALID, f"lines[{i}].qty: accepted and rejected quantities must be >= 0, not both 0"
            )
        ordered = line.qty - cancelled.get(rl.line_no, Decimal(0))
        already = received.get(rl.line_no, Decimal(0))
        if rl.qty > 0 and not over_receipt_allowed(ordered, already, rl.qty, over_pct):
            raise refusal(
                INVALID,
                f"lines[{i}].qty: {already} received + {rl.qty} exceeds the {ordered} ordered"
                f" (+{over_pct}% tolerance)",
            )
        if line.tracking == "lot" and rl.qty > 0 and not rl.lot:
            raise refusal(INVALID, f"lines[{i}].lot: item {line.item_id} is lot-tracked")
        if (
            line.tracking == "serial"
            and rl.qty > 0
            and (rl.qty != len(rl.serials) or len(set(rl.serials)) != len(rl.serials))
        ):
            raise refusal(INVALID, f"lines[{i}].serials: one distinct serial number per unit received")


def payload_date(payload: dict[str, Any], key: str, today: date, required: bool) -> date | None:
    """A future date from a decision payload."""
    raw = payload.get(key)
    if raw is None:
        if required:
            raise refusal(INVALID, f"payload.{key}: required")
        return None
    try:
        value = date.fromisoformat(str(raw))
    except ValueError as exc:
        raise refusal(INVALID, f"payload.{key}: {raw!r} is not an ISO date") from exc
    if value <= today:
        raise refusal(INVALID, f"payload.{key}: must be after {today}")
    if value > today + PLAN_HORIZON:
        # A timer years ahead would keep the PO open for ever: plans stop at the horizon.
        raise refusal(INVALID, f"payload.{key}: must not be after {today + PLAN_HORIZON}")
    return value


def payload_int(payload: dict[str, Any], key: str, default: int | None, low: int, high: int) -> int:
    """A bounded integer from a decision payload."""
    raw = payload.get(key, default)
    if raw is None:
        raise refusal(INVALID, f"payload.{key}: required")
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise refusal(INVALID, f"payload.{key}: {raw!r} is not a whole number") from exc
    if not low <= value <= high:
        raise refusal(INVALID, f"payload.{key}: must be between {low} and {high}")
    return value
