"""The goods coming back: the deadline for them, the receipt and inspection (each part booked by its
disposition), then the spike check, the exchange, the refund of what came back and the close."""

from datetime import UTC, datetime, time, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.returns import ReturnsActivities
    from models.contracts.errors import CONFLICT
    from models.contracts.returns import GoodsReceipt, ReceiptRequest, ReceiptResult, SpikeCheck
    from workflows.inbox import refusal
    from workflows.returns.checks import check_receipt
    from workflows.returns.rma.effects import Effects
    from workflows.returns.rma.exchange import ExchangeStage
    from workflows.returns.rma.facts import FAILED_PENDING, ZERO, ReturnFacts
    from workflows.returns.rma.refund import RefundStage


class GoodsStage:
    """What came back per line and how it was disposed of, and what happens once it is in."""

    def __init__(self, facts: ReturnFacts, fx: Effects, refund: RefundStage, exchange: ExchangeStage) -> None:
        self.facts, self.fx, self.refund, self.exchange = facts, fx, refund, exchange

    def time_left(self) -> timedelta:
        """Until the end of the goods deadline's day (at least a second)."""
        assert self.facts.goods_due is not None
        deadline = datetime.combine(self.facts.goods_due, time(23, 59, 59), tzinfo=UTC)
        return max(deadline - workflow.now(), timedelta(seconds=1))

    def arrived_or_cancelled(self) -> bool:
        """The parcel is being booked, or the return was cancelled meanwhile."""
        return self.facts.receipt_started or self.facts.stage == "cancelled"

    async def expire(self) -> bool:
        """No goods by the deadline: the return expires (True), unless they are being booked or it was cancelled."""
        facts = self.facts
        if facts.receipt_started or facts.stage == "cancelled":
            return False
        reason = f"no goods by {facts.goods_due}" + (" (refunded before arrival)" if facts.refund else "")
        await self.fx.to("expired", f"nothing ({reason})", closed_reason=reason)
        return True

    def check_receive(self, req: ReceiptRequest) -> None:
        """Goods only while awaiting them, and only what the RMA lists."""
        facts = self.facts
        if facts.receipt_started or facts.stage != "awaiting_goods":
            raise refusal(CONFLICT, f"the return is {facts.stage}; it takes goods only while awaiting them")
        problem = check_receipt(facts.rma, req)
        if problem is not None:
            raise problem

    async def receive(self, req: ReceiptRequest) -> None:
        """The parcel arrived and was inspected: book each part by disposition, then refund and close."""
        self.facts.receipt_started = True
        await self.fx.to("inspection", "goods booking")
        result = await self.book(req)
        await self.after_receipt(result)

    async def book(self, req: ReceiptRequest) -> ReceiptResult:
        """Post the parts (numbered across the RMA so every key is stable on retries)."""
        facts = self.facts
        receipt = GoodsReceipt(
            rma_number=facts.rma.rma_number,
            received_on=workflow.now().date(),
            received_by=req.received_by,
            first_part_no=facts.parts + 1,
            parts=req.parts,
        )
        facts.parts += len(req.parts)
        result = await self.fx.act(ReturnsActivities.receive, receipt)
        for line_no, qty in result.received.items():
            facts.received[line_no] = facts.received.get(line_no, ZERO) + qty
        for part in req.parts:
            facts.dispositions.setdefault(part.line_no, []).append(f"{part.qty} {part.disposition}")
        return result

    async def after_receipt(self, result: ReceiptResult) -> None:
        """Spike check, the exchange's replacement order, the refund of what came back, then close."""
        facts = self.facts
        await self.fx.act(
            ReturnsActivities.check_spike,
            SpikeCheck(rma_number=facts.rma.rma_number, today=workflow.now().date()),
        )
        if self.exchange.wanted():
            await self.exchange.start()
        if facts.refund is None and any(q > 0 for q in facts.received.values()):
            await self.refund.refund_now(dict(facts.received), early=False)
        if self.refund.failed_pending():
            if facts.stage != "refunded":  # refunded early, and that refund failed
                await self.fx.to("refunded", FAILED_PENDING)
            return  # closes once sales ops decide the failed refund
        reason = "refunded" if facts.refund else "nothing received to refund"
        await self.fx.to("closed", "nothing", closed_reason=reason)
