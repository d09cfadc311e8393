"""The warehouse: picked and packed move the stage, a shipment ships a location's holds and captures what is
due, a short pick or damage writes the lost units off and re-allocates (or asks sales ops)."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.sales import SalesActivities
    from models.contracts.errors import CONFLICT, INVALID
    from models.contracts.sales import ShipLine, ShipRequest, ShipResult, StockLoss, WarehouseEvent
    from rules.tracking_numbers import tracking_problem
    from workflows.inbox import refusal
    from workflows.sales.so.allocation import AllocationStage
    from workflows.sales.so.backorders import BackorderDesk
    from workflows.sales.so.effects import Effects
    from workflows.sales.so.facts import ZERO, OrderFacts
    from workflows.sales.so.payment import PaymentStage


class FulfilmentStage:
    """Warehouse events on the order: how many shipments and losses it had so far (their keys count them)."""

    def __init__(
        self,
        facts: OrderFacts,
        fx: Effects,
        stock: AllocationStage,
        desk: BackorderDesk,
        payment: PaymentStage,
    ) -> None:
        self.facts, self.fx, self.stock, self.desk, self.payment = facts, fx, stock, desk, payment
        self.shipments = 0
        self.losses = 0

    def check_event(self, event: WarehouseEvent) -> None:
        """Refuse events on a finished or unpaid order, at a location holding nothing, or out of bounds."""
        facts = self.facts
        if facts.cancelled or facts.finished():
            raise refusal(CONFLICT, f"the order is {facts.stage}")
        if not facts.paid:
            raise refusal(CONFLICT, "the order is waiting for payment; do not pick it yet")
        holds = [h for ls in facts.lines.values() for h in ls.holds_at(event.location_id)]
        if not holds:
            raise refusal(CONFLICT, f"nothing of this order is reserved at location {event.location_id}")
        if event.kind in ("short_pick", "damaged"):
            self._check_loss(event)
        if event.kind == "shipped" and event.tracking is not None:
            if not event.carrier:
                raise refusal(INVALID, "carrier: a tracking number needs its carrier")
            problem = tracking_problem(event.carrier, event.tracking)
            if problem is not None:
                raise refusal(INVALID, f"tracking: {problem}")

    def _check_loss(self, event: WarehouseEvent) -> None:
        """A loss names a line held at the location and at most what is held there."""
        line = self.facts.lines.get(event.line_no or -1)
        if line is None or not line.holds_at(event.location_id):
            raise refusal(
                INVALID, f"line {event.line_no} has nothing reserved at location {event.location_id}"
            )
        held = sum((h.qty for h in line.holds_at(event.location_id)), ZERO)
        if event.qty is None or not ZERO < event.qty <= held:
            raise refusal(INVALID, f"qty must be between 0 and the {held} reserved there")

    async def on_event(self, event: WarehouseEvent) -> None:
        """Picked/packed move the stage; shipped ships the location's holds; short pick/damage re-allocate."""
        facts = self.facts
        if event.kind in ("picked", "packed"):
            facts.picking = True
        elif event.kind == "shipped":
            await self.payment.renew_lapsed_authorisation()
            if not facts.paid:
                await self.fx.sync_stage()
                raise refusal(
                    CONFLICT,
                    f"the card authorisation lapsed and its renewal was declined ({facts.declined}):"
                    " nothing shipped; the order waits for a new payment",
                )
            await self.ship_location(
                event.location_id, event.carrier or "unknown", event.tracking, event.service
            )
        else:
            await self.lost_in_picking(event)
        await self.fx.sync_stage()

    async def ship_location(
        self, location_id: int, carrier: str, tracking: str | None, service: str | None = None
    ) -> None:
        """Ship everything held at the location, then capture what the customer now owes."""
        facts = self.facts
        ship_lines = [
            ShipLine(line_no=ls.line.line_no, item_id=ls.line.item_id, qty=h.qty, reservation_key=h.key)
            for ls in facts.lines.values()
            for h in ls.holds_at(location_id)
        ]
        self.shipments += 1
        key = f"{facts.key}:ship:{self.shipments}"
        result: ShipResult = await self.fx.act(
            SalesActivities.ship,
            ShipRequest(
                order_number=facts.order.order_number,
                shipment_key=key,
                location_id=location_id,
                carrier=carrier,
                tracking=tracking,
                shipped_on=workflow.now().date(),
                lines=ship_lines,
                service=service,
            ),
        )
        for sl in ship_lines:
            line = facts.lines[sl.line_no]
            line.holds.pop(sl.reservation_key)
            line.shipped += sl.qty
        await self.payment.capture(key, result.due)

    async def lost_in_picking(self, event: WarehouseEvent) -> None:
        """Release the line's holds at the location, write the lost units off, re-allocate the rest."""
        facts = self.facts
        line = facts.lines[event.line_no or -1]
        holds = line.holds_at(event.location_id)
        await self.fx.act(SalesActivities.release, [h.key for h in holds])
        for h in holds:
            line.holds.pop(h.key)
        self.losses += 1
        assert event.qty is not None
        await self.fx.act(
            SalesActivities.write_off_loss,
            StockLoss(
                order_number=facts.order.order_number,
                key=f"{facts.key}:loss:{self.losses}",
                item_id=line.line.item_id,
                location_id=event.location_id,
                qty=event.qty,
                reason="damaged" if event.kind == "damaged" else "short_pick",
                posting_date=workflow.now().date(),
            ),
        )
        again = sum((h.qty for h in holds), ZERO)
        result = await self.stock.allocate([facts.need(line, again)])
        left = result.backordered.get(line.line.line_no, ZERO)
        if left > 0:
            await self.stock.backorder(line, line.backordered + left)
            line.deadline = None  # a person decides now, not at the deadline
            await self.desk.open_line_task(
                line,
                "fulfillment_exception",
                f"{event.kind.replace('_', ' ')}: {left} x {line.line.sku} not in stock",
            )
