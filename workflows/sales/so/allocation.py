"""Stock for the order's lines: allocation rounds, backorders promised a date and waiting for the goods, and
the inbound notices that move a promise or fill a backorder."""

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from decimal import Decimal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.inbound import InboundActivities
    from activities.sales import SalesActivities
    from models.contracts.inbound import InboundNotice, WaitFor
    from models.contracts.sales import (
        AllocateRequest,
        AllocateResult,
        BackorderRequest,
        BackorderResult,
        LineNeed,
        LineUpdate,
    )
    from workflows.sales.lines import Hold, LineState
    from workflows.sales.so.effects import Effects
    from workflows.sales.so.facts import WORKFLOW_TYPE, ZERO, OrderFacts


class AllocationStage:
    """Allocation rounds, backorders and their decision deadlines, and the inbound news waiting to be read."""

    def __init__(self, facts: OrderFacts, fx: Effects) -> None:
        self.facts, self.fx = facts, fx
        self.round = 0
        self.notices: list[InboundNotice] = []

    async def allocate(self, needs: Sequence[LineNeed], exclude: Sequence[int] = ()) -> AllocateResult:
        """One allocation round (its key makes a retried activity reserve once)."""
        facts = self.facts
        self.round += 1
        req = AllocateRequest(
            order_number=facts.order.order_number,
            round_key=f"{facts.key}:alloc:{self.round}",
            lines=list(needs),
            exclude_location_ids=list(exclude),
        )
        result: AllocateResult = await self.fx.act(SalesActivities.allocate, req)
        for r in result.reserved:
            facts.lines[r.line_no].holds[r.key] = Hold(key=r.key, location_id=r.location_id, qty=r.qty)
        return result

    async def backorder(self, line: LineState, qty: Decimal) -> None:
        """Promise a date (inbound PO or lead time), watch for the goods, and set the decision deadline."""
        facts = self.facts
        line.backordered = qty
        found: BackorderResult = await self.fx.act(
            SalesActivities.backorder,
            BackorderRequest(
                order_number=facts.order.order_number,
                line_no=line.line.line_no,
                item_id=line.line.item_id,
                qty=qty,
                today=workflow.now().date(),
            ),
        )
        line.promised, line.po_number = found.promised_date, found.po_number
        for location_id in found.location_ids:
            if location_id in line.watched_locations:
                continue
            key = f"{facts.key}:line:{line.line.line_no}:wait:loc:{location_id}"
            await self.fx.act(
                InboundActivities.wait_for,
                WaitFor(
                    waiter_key=key,
                    workflow_id=workflow.info().workflow_id,
                    workflow_type=WORKFLOW_TYPE,
                    item_id=line.line.item_id,
                    location_id=location_id,
                    qty=qty,
                    po_number=found.po_number,
                ),
            )
            line.waiters.append(key)
            line.watched_locations.append(location_id)
        self.set_deadline(line)

    def set_deadline(self, line: LineState) -> None:
        """The decision is due `grace` days after the promised date."""
        assert line.promised is not None
        due = line.promised + timedelta(days=self.facts.order.backorder_grace_days)
        line.deadline = datetime.combine(due, time(0), tzinfo=workflow.now().tzinfo)
        self.facts.wake = True

    async def stop_waiting(self, line: LineState) -> None:
        """Stop watching for the line's goods."""
        for key in line.waiters:
            await self.fx.act(InboundActivities.stop_waiting, key)
        line.waiters, line.watched_locations, line.deadline = [], [], None

    def next_deadline(self) -> timedelta | None:
        """Time to the earliest backorder deadline that has no task yet (None: wait for news only)."""
        due = [
            ls.deadline
            for ls in self.facts.lines.values()
            if ls.backordered > 0 and ls.task_id is None and ls.deadline is not None
        ]
        sla_moment = self.fx.sla.next_moment(self.fx.book.tasks)  # a task's reminder or escalation
        if sla_moment is not None:
            due.append(sla_moment)
        if not due:
            return None
        return max(min(due) - workflow.now(), timedelta(seconds=1))

    async def process_notices(self) -> None:
        """Move promised dates on revisions; retry reservations of backordered lines when goods arrive."""
        facts = self.facts
        notices, self.notices = self.notices, []
        for notice in notices:
            items = {ln.item_id for ln in notice.lines}
            waiting = [
                ls
                for ls in facts.lines.values()
                if ls.backordered > 0
                and (ls.line.item_id in items or (notice.po_number and ls.po_number == notice.po_number))
            ]
            for line in waiting:
                if notice.kind == "revised" and notice.expected_date is not None:
                    line.promised = notice.expected_date
                    self.set_deadline(line)
                    await self.fx.act(
                        SalesActivities.update_line,
                        LineUpdate(
                            order_number=facts.order.order_number,
                            line_no=line.line.line_no,
                            promised_date=line.promised,
                        ),
                    )
                elif notice.kind == "arrived":
                    await self.retry_backorder(line)
        await self.fx.sync_stage()

    async def retry_backorder(self, line: LineState) -> None:
        """Goods arrived: reserve what the line still lacks; stop waiting once nothing is left."""
        result = await self.allocate([self.facts.need(line, line.backordered)])
        left = result.backordered.get(line.line.line_no, ZERO)
        line.backordered = left
        if left == 0:
            await self.stop_waiting(line)
        await self.fx.act(
            SalesActivities.update_line,
            LineUpdate(
                order_number=self.facts.order.order_number,
                line_no=line.line.line_no,
                qty_backordered=left,
                status="backordered" if left else "allocated",
            ),
        )
