"""The invoice and match stage: supplier invoices matched three ways (or landed cost allocated), match
exceptions decided by the AP clerks, invoices waiting for their receipt, then paid (see payment.py)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.purchasing import PurchasingActivities
    from models.contracts.errors import CONFLICT, INVALID
    from models.contracts.purchasing import (
        InvoiceRecord,
        InvoiceRequest,
        LandedCostRecord,
        MatchOutcome,
        MatchRequest,
        ResolveMatch,
    )
    from models.contracts.tasks import DecisionRequest
    from rules.approval import ApprovalLevel, Document
    from workflows.inbox import OpenTask, refusal
    from workflows.purchasing import checks
    from workflows.purchasing.po.effects import Effects
    from workflows.purchasing.po.facts import DEADLINE_OWN_TASK, InvoiceState, PoFacts
    from workflows.purchasing.po.payment import Payments

KIND = "match_exception"


class InvoiceStage:
    """Supplier invoices of the PO by id, their match exceptions, and their payment."""

    def __init__(self, facts: PoFacts, fx: Effects) -> None:
        self.facts, self.fx = facts, fx
        self.payments = Payments(facts, fx)
        self.invoices: dict[int, InvoiceState] = {}
        self.invoice_numbers: set[str] = set()
        self.exception_tasks: dict[int, int] = {}  # task id -> invoice id

    # ---- registering and matching --------------------------------------------------------------

    def check(self, req: InvoiceRequest) -> None:
        """Refuse duplicates, invoices before issue and currency mismatches."""
        facts, po = self.facts, self.facts.po
        if not facts.taking_goods():
            raise refusal(CONFLICT, f"PO {po.number} is {facts.stage}: it takes no invoices")
        if req.invoice_number in self.invoice_numbers:
            raise refusal(CONFLICT, f"invoice_number: {req.invoice_number} is registered on this PO already")
        if req.tax < 0:
            raise refusal(INVALID, "tax: must not be negative")
        if req.kind == "landed_cost":
            if req.currency != po.entity_currency:
                raise refusal(INVALID, f"currency: landed cost is invoiced in {po.entity_currency}")
            if req.amount <= 0:
                raise refusal(INVALID, "amount: must be positive")
            if not facts.any_received():
                raise refusal(CONFLICT, "landed cost needs at least one goods receipt to allocate to")
            return
        if req.currency != po.currency:
            raise refusal(INVALID, f"currency: the PO is in {po.currency}")
        if not req.lines:
            raise refusal(INVALID, "lines: an invoice needs at least one line")
        for i, line in enumerate(req.lines):
            if line.qty <= 0 or line.price < 0:
                raise refusal(INVALID, f"lines[{i}]: quantity must be positive and price not negative")

    async def submit(self, req: InvoiceRequest) -> MatchOutcome:
        """A supplier invoice: goods invoices are matched, landed-cost invoices allocated."""
        number = self.facts.po.number
        self.check(req)
        reg = await self.fx.act_or_refuse(
            PurchasingActivities.register_invoice, InvoiceRecord(number=number, request=req)
        )
        self.invoice_numbers.add(req.invoice_number)
        inv = InvoiceState(invoice_id=reg.invoice_id, kind=req.kind, status="exception", net=reg.net)
        self.invoices[reg.invoice_id] = inv
        today = workflow.now().date()
        if req.kind == "landed_cost":
            out = await self.fx.act(
                PurchasingActivities.landed_cost,
                LandedCostRecord(number=number, invoice_id=reg.invoice_id, posting_date=today),
            )
        else:
            out = await self.fx.act(
                PurchasingActivities.match,
                MatchRequest(number=number, invoice_id=reg.invoice_id, attempt=1, posting_date=today),
            )
        if out.status == "matched":
            self._approved(inv, out)
        else:
            await self._open_exception(inv, out.reasons, allow_wait=True)
        await self.fx.refresh_stage()
        self.fx.wake()
        return out

    def _approved(self, inv: InvoiceState, out: MatchOutcome) -> None:
        """An invoice approved for payment: its quantities count as invoiced; the due date sets a timer."""
        inv.status = "approved"
        inv.due = out.due_date
        inv.invoiced = dict(out.invoiced)
        for line_no, qty in out.invoiced.items():
            self.facts.invoiced[line_no] = self.facts.invoiced.get(line_no, Decimal(0)) + qty

    async def _open_exception(self, inv: InvoiceState, reasons: list[str], allow_wait: bool) -> None:
        """Route a match exception to the AP clerks."""
        number = self.facts.po.number
        inv.status = "exception"
        options = ["accept", "reject", "wait_for_receipt"] if allow_wait else ["accept", "reject"]
        spec = self.fx.spec(
            f"po:{number}:invoice:{inv.invoice_id}:exception:{inv.attempt}",
            KIND,
            f"PO {number}: invoice does not match ({', '.join(reasons)})",
            options,
            role="ap_clerk",
            due=self.fx.sla.first_due(KIND, workflow.now()),
            details={"invoice_id": inv.invoice_id, "reasons": reasons},
        )
        task = await self.fx.open(spec)
        self.exception_tasks[task.task_id] = inv.invoice_id

    async def rematch_waiting(self) -> None:
        """An invoice waiting for its receipt is matched again once more goods have arrived."""
        total = sum(self.facts.received.values(), Decimal(0))
        for inv_id in sorted(self.invoices):
            inv = self.invoices[inv_id]
            if inv.status != "waiting" or total <= inv.received_mark:
                continue
            inv.attempt += 1
            out = await self.fx.act(
                PurchasingActivities.match,
                MatchRequest(
                    number=self.facts.po.number,
                    invoice_id=inv_id,
                    attempt=inv.attempt,
                    posting_date=workflow.now().date(),
                ),
            )
            if out.status == "matched":
                self._approved(inv, out)
            elif set(out.reasons) <= {"no_receipt", "qty_over_received"}:
                inv.received_mark = total  # still short: keep waiting until the deadline
            else:
                await self._open_exception(inv, out.reasons, allow_wait=False)

    # ---- timers: payment due, wait-for-receipt deadline ----------------------------------------

    def moments(self) -> list[datetime]:
        """Every invoice timer: a payment due, or a wait-for-receipt deadline."""
        moments: list[datetime] = []
        for inv in self.invoices.values():
            due = self.payments.due_at(inv)
            if due is not None:
                moments.append(due)
            if inv.status == "waiting" and inv.wait_until is not None:
                moments.append(inv.wait_until)
        return moments

    async def on_due(self, now: datetime) -> None:
        """One pass per invoice by id: pay what fell due, reopen an exception whose wait ran out."""
        for inv_id in sorted(self.invoices):
            inv = self.invoices[inv_id]
            if self.payments.is_due(inv, now):
                await self.payments.settle_due(inv, now)
            elif inv.status == "waiting" and inv.wait_until is not None and now >= inv.wait_until:
                if workflow.patched(DEADLINE_OWN_TASK):
                    # A new key: the first exception's task is decided, and the task service hands back
                    # the task of a key it knows, so the clerks would never see this one.
                    inv.attempt += 1
                await self._open_exception(inv, ["receipt_deadline_passed"], allow_wait=False)

    # ---- where the invoices stand --------------------------------------------------------------

    def settled(self) -> bool:
        """Every invoice paid or rejected."""
        return all(inv.status in ("paid", "rejected") for inv in self.invoices.values())

    def any_waiting(self) -> bool:
        """An invoice waits for its receipt."""
        return any(inv.status == "waiting" for inv in self.invoices.values())

    def dues(self) -> list[date]:
        """Due dates of approved invoices (shown as the PO's due date)."""
        return [inv.due for inv in self.invoices.values() if inv.status == "approved" and inv.due is not None]

    # ---- the AP clerk's decision on a match exception ------------------------------------------

    def check_decision(self, task: OpenTask, req: DecisionRequest, acting_for: str | None) -> None:
        """Accepting releases the invoice for payment: SoD against the receivers and the supplier's creator."""
        po = self.facts.po
        inv = self.invoices[self.exception_tasks[task.task_id]]
        checks.check_approver(
            checks.approver(req, acting_for, Decimal(0)),
            ApprovalLevel(role=task.candidate_role, user=task.candidate_user),
            # Accepting an exception releases the invoice for payment: the supplier's creator may not.
            Document(
                po.requested_by,
                inv.net,
                received_by=frozenset(self.facts.receivers),
                supplier_created_by=po.supplier_created_by,
            ),
            # AP clerks settle exceptions within the match tolerances; a limit, when set, still caps them.
            limit_required=False,
        )
        if req.decision == "wait_for_receipt":
            checks.payload_int(req.payload, "days", 14, 1, 90)

    async def decide(self, task: OpenTask, req: DecisionRequest) -> None:
        """accept posts and schedules payment; reject sends a debit note; wait_for_receipt waits."""
        inv = self.invoices[self.exception_tasks[task.task_id]]
        out = await self.fx.act_or_refuse(
            PurchasingActivities.resolve_match,
            ResolveMatch(
                number=self.facts.po.number,
                invoice_id=inv.invoice_id,
                resolution=req.decision,
                actor=req.actor,
                posting_date=workflow.now().date(),
            ),
        )
        del self.exception_tasks[task.task_id]
        if req.decision == "accept":
            self._approved(inv, out)
        elif req.decision == "reject":
            inv.status = "rejected"
        else:
            inv.status = "waiting"
            inv.wait_until = workflow.now() + timedelta(
                days=checks.payload_int(req.payload, "days", 14, 1, 90)
            )
            inv.received_mark = sum(self.facts.received.values(), Decimal(0))
