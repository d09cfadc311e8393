"""The one line an operator reads for a document's workflow in the Temporal Web UI (its static summary)."""

from decimal import Decimal
from functools import singledispatch

from models.contracts.close import CloseInput
from models.contracts.foresight import DataQualityInput
from models.contracts.integration import DeliveryRequest, DispatcherInput
from models.contracts.journals import IntercompanyInput, JournalInput
from models.contracts.payments import PaymentRunInput, PayoutInput, StatementInput
from models.contracts.purchasing import PurchaseOrderInput
from models.contracts.reconcile import CaseInput
from models.contracts.replenishment import CountInput, ReplenishmentRunInput, TransferInput
from models.contracts.returns import ReturnInput
from models.contracts.sales import OrderInput, SettlementInput

ZERO = Decimal(0)


@singledispatch
def summary_of(arg: object) -> str | None:
    """Document, counterparty and amount of a workflow's input; None for inputs without one."""
    return None


@summary_of.register
def _po(po: PurchaseOrderInput) -> str:
    total = sum((line.qty * line.price for line in po.lines), ZERO)
    return (
        f"PO {po.number} · supplier #{po.supplier_id} · {total:.2f} {po.currency}"
        f" · {len(po.lines)} line(s) · requested by {po.requested_by}"
    )


@summary_of.register
def _order(order: OrderInput) -> str:
    total = sum((line.gross - line.discount + line.tax for line in order.lines), ZERO)
    return (
        f"Order {order.order_number} · {order.channel_code} {order.external_id} · customer #{order.customer_id}"
        f" · {total:.2f} {order.currency} · {len(order.lines)} line(s)"
    )


@summary_of.register
def _return(rma: ReturnInput) -> str:
    total = sum((line.net + line.tax for line in rma.lines), ZERO)
    return (
        f"Return {rma.rma_number} of order {rma.order_number} · {rma.channel_code} · customer #{rma.customer_id}"
        f" · {total:.2f} {rma.currency} · {len(rma.lines)} line(s) · refund by {rma.refund_method}"
    )


@summary_of.register
def _transfer(transfer: TransferInput) -> str:
    units = sum((line.qty for line in transfer.lines), ZERO)
    return (
        f"Transfer {transfer.number} · location #{transfer.from_location_id} -> #{transfer.to_location_id}"
        f" · {units.normalize():f} unit(s) in {len(transfer.lines)} line(s)"
    )


@summary_of.register
def _count(count: CountInput) -> str:
    return f"Cycle count {count.number} · location #{count.location_id} · {len(count.item_ids)} item(s)"


@summary_of.register
def _settlement(settlement: SettlementInput) -> str:
    return (
        f"Settlement {settlement.reference} · {settlement.channel_code} · payout {settlement.payout_date}"
        f" · {settlement.currency}"
    )


@summary_of.register
def _close(close: CloseInput) -> str:
    return f"Month-end close {close.entity_code} {close.period or '(last open period)'} · {close.trigger} by {close.requested_by}"


@summary_of.register
def _replenishment(run: ReplenishmentRunInput) -> str:
    return f"Replenishment {run.entity_code} {run.run_date or '(today)'} · {run.trigger}"


@summary_of.register
def _journal(journal: JournalInput) -> str:
    debits = sum((line.amount for line in journal.lines if line.amount > 0), ZERO)
    return (
        f"Manual journal {journal.number} · entity #{journal.entity_id} · {debits:.2f} {journal.currency}"
        f" · {len(journal.lines)} line(s) · keyed by {journal.maker}"
    )


@summary_of.register
def _intercompany(charge: IntercompanyInput) -> str:
    return (
        f"Intercompany charge {charge.reference} · entity #{charge.seller_entity_id} -> #{charge.buyer_entity_id}"
        f" · {charge.amount:.2f} {charge.currency} · {charge.posting_date}"
    )


@summary_of.register
def _payment_run(run: PaymentRunInput) -> str:
    return f"Payment run {run.workflow_id} · entity #{run.entity_id} · {run.run_date} · proposed by {run.proposed_by}"


@summary_of.register
def _statement(statement: StatementInput) -> str:
    currencies = sorted({line.currency for line in statement.lines})
    total = sum((line.amount for line in statement.lines), ZERO)
    net = f"net {total:.2f} {currencies[0]}" if len(currencies) == 1 else f"{len(currencies)} currencies"
    return (
        f"Bank statement {statement.statement_ref} ({statement.format}) · entity #{statement.entity_id}"
        f" · {len(statement.lines)} line(s), {net} · imported by {statement.imported_by}"
    )


@summary_of.register
def _data_quality(check: DataQualityInput) -> str:
    return f"Master-data quality check {check.entity_code} {check.day or '(today)'} · {check.trigger}"


@summary_of.register
def _dispatcher(settings: DispatcherInput) -> str:
    return f"Outbox dispatcher · batches of {settings.batch_size}, idle {settings.idle_seconds} s"


@summary_of.register
def _delivery(delivery: DeliveryRequest) -> str:
    return f"Webhook delivery #{delivery.delivery_id} run {delivery.run} · up to {delivery.max_attempts} attempts"


@summary_of.register
def _case(case: CaseInput) -> str:
    doc = case.outcome.finding.document
    return (
        f"Reconciliation case {doc.doc_type} {doc.number} · entity #{doc.entity_id}"
        f" · workflow {case.outcome.finding.workflow_status} · {case.outcome.left or 'repaired'}"
    )


@summary_of.register
def _payout(payout: PayoutInput) -> str:
    total = sum((line.gross for line in payout.lines), ZERO)
    return (
        f"PSP payout {payout.payout_ref} · channel #{payout.channel_id} · {payout.payout_date}"
        f" · {len(payout.lines)} line(s), gross {total:.2f} {payout.currency} · imported by {payout.imported_by}"
    )
