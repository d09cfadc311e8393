"""One workflow per sales order: the value stream stage by stage, and its messages (thin handlers)."""

import asyncio
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.sales import SalesActivities
    from models.contracts.inbound import InboundNotice
    from models.contracts.sales import CancelRequest, OrderInput, OrderStatus, PaymentReceived, WarehouseEvent
    from models.contracts.tasks import DecisionRequest, DecisionResult
    from workflows.inbox import decided
    from workflows.sales.so.allocation import AllocationStage
    from workflows.sales.so.backorders import BackorderDesk
    from workflows.sales.so.cancellation import CancellationStage
    from workflows.sales.so.effects import Effects
    from workflows.sales.so.facts import WORKFLOW_TYPE, OrderFacts
    from workflows.sales.so.fulfilment import FulfilmentStage
    from workflows.sales.so.payment import PaymentStage


@workflow.defn(name=WORKFLOW_TYPE)
class OrderWorkflow:
    """Workflow id `Order-{channel}-{external id}`; every side effect goes through a keyed activity."""

    # Message names are public (API, purchasing's inbound notices, recorded histories): each is named after
    # its method, so never rename one.

    @workflow.init
    def __init__(self, order: OrderInput) -> None:
        self.facts = OrderFacts.of(order)
        self.lock = asyncio.Lock()  # one lock: the main loop and every awaiting handler take turns
        self.fx = Effects(self.facts)
        # Every stage exists before the first message arrives.
        self.payment = PaymentStage(self.facts, self.fx)
        self.stock = AllocationStage(self.facts, self.fx)
        self.desk = BackorderDesk(self.facts, self.fx, self.stock)
        self.warehouse = FulfilmentStage(self.facts, self.fx, self.stock, self.desk, self.payment)
        self.cancellation = CancellationStage(self.facts, self.fx, self.stock, self.payment)

    # ---- the value stream ----------------------------------------------------------------------

    @workflow.run
    async def run(self, order: OrderInput) -> OrderStatus:
        """Persist, authorise, allocate, wait for payment/stock/warehouse until every line is done."""
        try:
            return await self._carry(order)
        except asyncio.CancelledError:
            # Cancelled from Temporal (Web UI, CLI): compensate like POST .../cancel, then end as Canceled.
            await self.cancellation.from_temporal(self.lock)
            raise

    async def _carry(self, order: OrderInput) -> OrderStatus:
        """The main line: intake, payment hold, then news and deadlines until every line is done."""
        self.fx.upsert_attributes()
        await self.fx.act(SalesActivities.persist_order, order)
        async with self.lock:
            if order.channel_kind == "pos":
                await self._sell_at_counter()
            else:
                await self._intake()
        self.facts.ready = True
        await self._hold_for_payment()
        await self._fulfil()
        await workflow.wait_condition(workflow.all_handlers_finished)
        async with self.lock:
            await self.payment.close()
            await self.fx.sync_stage()
        return self.fx.status()

    async def _intake(self) -> None:
        """Authorise a card, then allocate every line; marketplaces collect payment themselves."""
        facts = self.facts
        order = facts.order
        if order.payment_method == "card":
            await self.payment.authorise(facts.total_due(), order.payment_method, order.payment_reference)
        # A declined card waits for a new payment (POST .../payment) until the hold timer cancels the order.
        facts.paid = order.payment_method in ("card", "marketplace") and facts.declined is None
        result = await self.stock.allocate([facts.need(ls, ls.line.qty) for ls in facts.lines.values()])
        for line_no, qty in result.backordered.items():
            await self.stock.backorder(facts.lines[line_no], qty)
        await self.fx.sync_stage()

    async def _sell_at_counter(self) -> None:
        """POS: the customer holds the goods, so reserve, ship and capture at once."""
        facts = self.facts
        result = await self.stock.allocate([facts.need(ls, ls.line.qty) for ls in facts.lines.values()])
        if result.backordered:
            await self.cancellation.cancel_all("not in stock at the store", "system")
            return
        store = {h.location_id for ls in facts.lines.values() for h in ls.holds.values()}
        for location_id in sorted(store):
            await self.warehouse.ship_location(location_id, "counter", None)
        facts.paid = True
        await self.fx.sync_stage()

    async def _hold_for_payment(self) -> None:
        """An unpaid order holds its stock for the hold time, then is cancelled."""
        facts = self.facts
        if facts.paid or facts.cancelled:
            return
        try:
            await workflow.wait_condition(
                lambda: facts.paid or facts.cancelled, timeout=timedelta(hours=facts.order.hold_hours)
            )
        except TimeoutError:
            async with self.lock:
                if not facts.paid and not facts.cancelled:
                    await self.cancellation.cancel_all("payment hold expired", "system")

    async def _fulfil(self) -> None:
        """One loop, one timer: inbound news, decisions and warehouse events change state; deadlines fire here."""
        facts = self.facts
        while not facts.finished():
            try:
                await workflow.wait_condition(
                    lambda: bool(self.stock.notices) or facts.wake or facts.finished(),
                    timeout=self.stock.next_deadline(),
                )
            except TimeoutError:
                async with self.lock:
                    await self.desk.deadlines_passed()
                continue
            facts.wake = False
            async with self.lock:
                await self.stock.process_notices()

    # ---- messages ------------------------------------------------------------------------------

    @workflow.signal
    def inbound_changed(self, notice: InboundNotice) -> None:
        """Goods arrived or an inbound PO's date moved (sent by purchasing through inbound.notify)."""
        self.stock.notices.append(notice)

    @workflow.query
    def status(self) -> OrderStatus:
        """Stage, what the order waits on, and each line's progress."""
        return self.fx.status()

    @workflow.update
    async def sync(self) -> OrderStatus:
        """Wait until intake is done and no news waits (or a step is stuck), then return the status."""
        await workflow.wait_condition(
            lambda: (
                (self.facts.ready and not self.stock.notices and not self.lock.locked())
                or self.fx.attention.parked
            )
        )
        return self.fx.status()

    @workflow.update
    async def pay(self, payment: PaymentReceived) -> OrderStatus:
        """A payment for an order waiting for one (stops the hold timer)."""
        async with self.lock:
            await self.payment.pay(payment)
        return self.fx.status()

    @pay.validator
    def _check_pay(self, payment: PaymentReceived) -> None:
        """Refuse a payment on a cancelled or paid order, or one short of what is due."""
        self.payment.check_pay(payment)

    @workflow.update
    async def cancel(self, req: CancelRequest) -> OrderStatus:
        """Cancel before shipment: release stock, void the payment, close open tasks."""
        await self.cancellation.cancel(req, self.lock)
        return self.fx.status()

    @cancel.validator
    def _check_cancel(self, req: CancelRequest) -> None:
        """Refuse once goods have shipped (a return undoes those)."""
        self.cancellation.check_cancel()

    @workflow.update
    async def warehouse_event(self, event: WarehouseEvent) -> OrderStatus:
        """Picked/packed move the stage; shipped ships the location's holds; short pick/damage re-allocate."""
        async with self.lock:
            await self.warehouse.on_event(event)
        return self.fx.status()

    @warehouse_event.validator
    def _check_event(self, event: WarehouseEvent) -> None:
        """Refuse events on a finished or unpaid order, or where nothing of it is held."""
        self.warehouse.check_event(event)

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        """A sales-ops decision on a backordered line: keep waiting, substitute, or cancel the line."""
        attention = self.fx.attention
        await attention.arrival(self.fx.book, req.task_id)
        if attention.owns(req.task_id):
            # Not under the lock: the stuck step may be holding it.
            return await attention.decide(req, lambda: self.facts.stage)
        async with self.lock:
            task, acting_for = self.fx.book.authorize(req)
            self.desk.check_decision(req)  # again: the validator let a task being opened through unchecked
            await self.desk.decide(task, req, acting_for)
        return decided(task, req, acting_for, self.facts.stage)

    @decide.validator
    def _check_decide(self, req: DecisionRequest) -> None:
        """Refuse a wrong actor, a decided task or a payload that does not parse, before history."""
        if self.fx.attention.screens(self.fx.book, req):
            return
        self.fx.book.authorize(req)
        self.desk.check_decision(req)
