"""The payment stage: an approved invoice is paid on its due date, or by a payment run that signals it."""

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.purchasing import PurchasingActivities
    from models.contracts.payments import PaidByRun
    from models.contracts.purchasing import PaymentRequest, SelfPayCheck
    from workflows.purchasing.po.effects import Effects
    from workflows.purchasing.po.facts import PAID_BY_RUNS, RUNS_STOPPED, InvoiceState, PoFacts, at

# How often a PO past due whose invoices runs pay looks again at whether they still do.
RUNS_CHECK_EVERY = timedelta(days=1)


class Payments:
    """When each approved invoice is paid, and by whom (the PO on its due date, or a payment run)."""

    def __init__(self, facts: PoFacts, fx: Effects) -> None:
        self.facts, self.fx = facts, fx

    def by_runs(self) -> bool:
        """A payment run pays this PO's invoices (only POs of entities using runs ever ask the patch)."""
        return self.facts.po.paid_by_runs and workflow.patched(PAID_BY_RUNS)

    def due_at(self, inv: InvoiceState) -> datetime | None:
        """The payment timer of an approved invoice: its due date when this PO pays it; when runs pay it, the
        next look at whether they still do (the due date, then daily)."""
        if inv.status != "approved" or inv.due is None:
            return None
        if not self.by_runs():
            return at(inv.due)
        if workflow.patched(RUNS_STOPPED):
            return inv.runs_check or at(inv.due)
        return None

    def is_due(self, inv: InvoiceState, now: datetime) -> bool:
        """An approved invoice whose payment timer has come (to pay it, or to look at the runs again)."""
        due = self.due_at(inv)
        return due is not None and now >= due

    async def settle_due(self, inv: InvoiceState, now: datetime) -> None:
        """Pay an invoice that fell due; one that runs pay is paid here only once the entity stopped using
        runs (else it is looked at again in a day)."""
        if self.by_runs():
            check = SelfPayCheck(number=self.facts.po.number, invoice_id=inv.invoice_id)
            if not await self.fx.act(PurchasingActivities.pays_itself, check):
                inv.runs_check = now + RUNS_CHECK_EVERY
                return
        await self.pay(inv, now)

    async def pay(self, inv: InvoiceState, now: datetime) -> None:
        """Pay the invoice from the bank (AP cleared) on the day it fell due: what payment runs left open of it."""
        await self.fx.act(
            PurchasingActivities.pay,
            PaymentRequest(number=self.facts.po.number, invoice_id=inv.invoice_id, paid_on=now.date()),
        )
        inv.status = "paid"

    def paid_by_run(self, invoices: dict[int, InvoiceState], notice: PaidByRun) -> None:
        """A payment run paid an invoice of this PO (sent once per payment; a repeat changes nothing)."""
        inv = invoices.get(notice.invoice_id)
        if inv is not None and inv.status != "paid":
            inv.status = "paid"
            self.fx.wake()
