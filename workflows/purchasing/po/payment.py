"""The payment stage: an approved invoice is paid on its due date, or by a payment run that signals it."""

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.purchasing import PurchasingActivities
    from models.contracts.payments import PaidByRun
    from models.contracts.purchasing import PaymentRequest
    from workflows.purchasing.po.effects import Effects
    from workflows.purchasing.po.facts import PAID_BY_RUNS, InvoiceState, PoFacts, at


class Payments:
    """When each approved invoice is paid, and by whom (the PO on its due date, or a payment run)."""

    def __init__(self, facts: PoFacts, fx: Effects) -> None:
        self.facts, self.fx = facts, fx

    def by_runs(self) -> bool:
        """A payment run pays this PO's invoices (only POs of entities using runs ever ask the patch)."""
        return self.facts.po.paid_by_runs and workflow.patched(PAID_BY_RUNS)

    def due_at(self, inv: InvoiceState) -> datetime | None:
        """The payment timer of an approved invoice this PO pays itself."""
        if inv.status == "approved" and inv.due is not None and not self.by_runs():
            return at(inv.due)
        return None

    def is_due(self, inv: InvoiceState, now: datetime) -> bool:
        """An approved invoice whose due date has come, paid by this PO."""
        return inv.status == "approved" and inv.due is not None and now >= at(inv.due) and not self.by_runs()

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
