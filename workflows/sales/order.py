"""One sales order from intake to shipment: allocate, hold for payment, backorder, ship, post, cancel."""

import asyncio
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.contracts.decisions import KeepWaitingPayload, SubstitutePayload
    from models.contracts.errors import CONFLICT, INVALID
    from models.contracts.inbound import InboundNotice, WaitFor
    from models.contracts.sales import (
        AllocateRequest,
        AllocateResult,
        BackorderRequest,
        BackorderResult,
        CancelRequest,
        LineNeed,
        LineUpdate,
        OrderInput,
        OrderStatus,
        PaymentCall,
        PaymentDone,
        PaymentReceived,
        PricedLine,
        ShipLine,
        ShipRequest,
        ShipResult,
        Stage,
        StageUpdate,
        StockLoss,
        SubstituteRequest,
        WarehouseEvent,
    )
    from models.contracts.tasks import (
        AuditRecord,
        DecisionRequest,
        DecisionResult,
        TaskClose,
        TaskOpened,
        TaskSpec,
    )
    from rules.tracking_numbers import tracking_problem
    from workflows import retry
    from workflows import search_attributes as sa
    from workflows.attention import Attention, Subject
    from workflows.inbox import OpenTask, TaskBook, parse_payload, refusal
    from workflows.sales.lines import Hold, LineState
    from workflows.sla import SlaWatch, apply_due
    from workflows.sla import Subject as SlaSubject

WORKFLOW_TYPE = "SalesOrder"
_ACT: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=10),
    "retry_policy": retry.TRANSIENT,
}
A = TypeVar("A")
R = TypeVar("R")
_LINE_OPTIONS = ["keep_waiting", "substitute", "cancel_line"]
_ZERO = Decimal(0)
FROM_TEMPORAL_ACTOR = "temporal"
FROM_TEMPORAL_REASON = "cancelled from Temporal"
# Patch: a declined authorisation leaves the order waiting for a new payment (or the hold timer), and a
# lapsed card authorisation is renewed before shipment (new commands only on these new paths).
PAYMENT_PATHS = "payment-decline-and-expiry"


@workflow.defn(name=WORKFLOW_TYPE)
class OrderWorkflow:
    """Workflow id `Order-{channel}-{external id}`; every side effect goes through a keyed activity."""

    @workflow.init
    def __init__(self, order: OrderInput) -> None:
        self._order = order
        self._lines = {line.line_no: LineState(line=line) for line in order.lines}
        self._tasks = TaskBook()
        self._sla = SlaWatch({})
        self._lock = asyncio.Lock()
        self._notices: list[InboundNotice] = []
        self._ready = False
        self._paid = False
        self._picking = False
        self._cancelled = False
        self._authorised = _ZERO
        self._captured = _ZERO
        self._auth_attempts = 0
        self._auth_expires: date | None = None
        self._card_reference = order.payment_reference
        self._declined: str | None = None
        self._round = 0
        self._shipments = 0
        self._losses = 0
        self._wake = False
        self._stage: Stage = "received"
        self._pending_on = "intake"
        self._attention = Attention(
            Subject(
                workflow_type=WORKFLOW_TYPE,
                subject_type="sales_order",
                subject_id=order.order_number,
                entity_id=order.entity_id,
                label=f"Order {order.order_number}",
                key=f"order:{order.order_number}",
            ),
            self._show_attention,
        )

    # ----- the main flow -----

    @workflow.run
    async def run(self, order: OrderInput) -> OrderStatus:
        """Persist, authorise, allocate, wait for payment/stock/warehouse until every line is done."""
        try:
            return await self._carry(order)
        except asyncio.CancelledError:
            # Cancelled from Temporal (Web UI, CLI): compensate like POST .../cancel, then end as Canceled.
            await self._cancelled_from_temporal()
            raise

    async def _carry(self, order: OrderInput) -> OrderStatus:
        """The main line: intake, payment hold, then news and deadlines until every line is done."""
        self._upsert_attributes()
        await self._act("sales.persist_order", order)
        async with self._lock:
            if order.channel_kind == "pos":
                await self._sell_at_counter()
            else:
                await self._intake()
        self._ready = True
        if not self._paid and not self._cancelled:
            try:
                await workflow.wait_condition(
                    lambda: self._paid or self._cancelled, timeout=timedelta(hours=order.hold_hours)
                )
            except TimeoutError:
                async with self._lock:
                    if not self._paid and not self._cancelled:
                        await self._cancel_all("payment hold expired", "system")
        while not self._finished():
            try:
                await workflow.wait_condition(
                    lambda: bool(self._notices) or self._wake or self._finished(),
                    timeout=self._next_deadline(),
                )
            except TimeoutError:
                async with self._lock:
                    await self._deadlines_passed()
                continue
            self._wake = False
            async with self._lock:
                await self._process_notices()
        await workflow.wait_condition(workflow.all_handlers_finished)
        async with self._lock:
            await self._close_payment()
            await self._sync_stage()
        return self._status()

    async def _intake(self) -> None:
        """Authorise a card, then allocate every line; marketplaces collect payment themselves."""
        order = self._o
        if order.payment_method == "card":
            await self._authorise(self._total_due(), order.payment_method, order.payment_reference)
        # A declined card waits for a new payment (POST .../payment) until the hold timer cancels the order.
        self._paid = order.payment_method in ("card", "marketplace") and self._declined is None
        result = await self._allocate([self._need(ls, ls.line.qty) for ls in self._lines.values()])
        for line_no, qty in result.backordered.items():
            await self._backorder(self._lines[line_no], qty)
        await self._sync_stage()

    async def _sell_at_counter(self) -> None:
        """POS: the customer holds the goods, so reserve, ship and capture at once."""
        result = await self._allocate([self._need(ls, ls.line.qty) for ls in self._lines.values()])
        if result.backordered:
            await self._cancel_all("not in stock at the store", "system")
            return
        store = {h.location_id for ls in self._lines.values() for h in ls.holds.values()}
        for location_id in sorted(store):
            await self._ship_location(location_id, "counter", None)
        self._paid = True
        await self._sync_stage()

    # ----- messages -----

    @workflow.signal
    def inbound_changed(self, notice: InboundNotice) -> None:
        """Goods arrived or an inbound PO's date moved (sent by purchasing through inbound.notify)."""
        self._notices.append(notice)

    @workflow.query
    def status(self) -> OrderStatus:
        """Stage, what the order waits on, and each line's progress."""
        return self._status()

    @workflow.update
    async def sync(self) -> OrderStatus:
        """Wait until intake is done and no news waits (or a step is stuck), then return the status."""
        await workflow.wait_condition(
            lambda: (self._ready and not self._notices and not self._lock.locked()) or self._attention.parked
        )
        return self._status()

    @workflow.update
    async def pay(self, payment: PaymentReceived) -> OrderStatus:
        """A payment for an order waiting for one (stops the hold timer)."""
        async with self._lock:
            await self._authorise(payment.amount, payment.method, payment.reference)
            if self._declined is not None:
                await self._sync_stage()
                raise refusal(
                    INVALID, f"reference: the payment was declined ({self._declined}); the order still waits"
                )
            self._paid = True
            await self._sync_stage()
        return self._status()

    @pay.validator
    def _check_pay(self, payment: PaymentReceived) -> None:
        if self._cancelled:
            raise refusal(CONFLICT, "the order is cancelled")
        if self._paid:
            raise refusal(CONFLICT, "the order is paid already")
        if payment.amount < self._total_due():
            raise refusal(INVALID, f"amount {payment.amount} is less than the {self._total_due()} due")

    @workflow.update
    async def cancel(self, req: CancelRequest) -> OrderStatus:
        """Cancel before shipment: release stock, void the payment, close open tasks."""
        await self._cancel(req)
        return self._status()

    @cancel.validator
    def _check_cancel(self, req: CancelRequest) -> None:
        if any(ls.shipped > 0 for ls in self._lines.values()):
            raise refusal(CONFLICT, "goods have shipped: cancel through a return (POST /returns)")

    async def _cancel(self, req: CancelRequest) -> None:
        """The cancellation itself, shared by the update and a cancellation from Temporal."""
        async with self._lock:
            if not self._cancelled:
                await self._cancel_all(req.reason, req.actor)

    async def _cancelled_from_temporal(self) -> None:
        """Release, void and close tasks through the API's cancellation; the stage becomes cancelled."""
        if self._stage in ("closed", "cancelled"):
            return  # the order had finished; only the wait for handlers was interrupted
        shipped = any(ls.shipped > 0 for ls in self._lines.values())
        if self._finished() and not self._cancelled:
            async with self._lock:  # everything shipped: only the closing steps were interrupted
                await self._close_payment()
                await self._sync_stage()
            return
        if shipped:
            # POST .../cancel refuses too: close the tasks, keep the stage, the reconciliation reports it.
            async with self._lock:
                for task_id in sorted(self._tasks.tasks):
                    self._tasks.pop(task_id)
                    await self._act(
                        "tasks.close",
                        TaskClose(
                            task_id=task_id,
                            status="cancelled",
                            decided_by=FROM_TEMPORAL_ACTOR,
                            comment=FROM_TEMPORAL_REASON,
                        ),
                    )
        else:
            await self._cancel(CancelRequest(actor=FROM_TEMPORAL_ACTOR, reason=FROM_TEMPORAL_REASON))
        await self._act(
            "audit.record",
            AuditRecord(
                idempotency_key=f"{self._key}:cancelled_from_temporal",
                actor=FROM_TEMPORAL_ACTOR,
                action="order.cancelled_from_temporal",
                subject_type="sales_order",
                subject_id=self._o.order_number,
                entity_id=self._o.entity_id,
                after={"reason": FROM_TEMPORAL_REASON, "stage": self._stage, "compensated": not shipped},
            ),
        )

    @workflow.update
    async def warehouse_event(self, event: WarehouseEvent) -> OrderStatus:
        """Picked/packed move the stage; shipped ships the location's holds; short pick/damage re-allocate."""
        async with self._lock:
            if event.kind in ("picked", "packed"):
                self._picking = True
            elif event.kind == "shipped":
                await self._renew_lapsed_authorisation()
                if not self._paid:
                    await self._sync_stage()
                    raise refusal(
                        CONFLICT,
                        f"the card authorisation lapsed and its renewal was declined ({self._declined}):"
                        " nothing shipped; the order waits for a new payment",
                    )
                await self._ship_location(
                    event.location_id, event.carrier or "unknown", event.tracking, event.service
                )
            else:
                await self._lost_in_picking(event)
            await self._sync_stage()
        return self._status()

    @warehouse_event.validator
    def _check_event(self, event: WarehouseEvent) -> None:
        if self._cancelled or self._finished():
            raise refusal(CONFLICT, f"the order is {self._stage}")
        if not self._paid:
            raise refusal(CONFLICT, "the order is waiting for payment; do not pick it yet")
        holds = [h for ls in self._lines.values() for h in ls.holds_at(event.location_id)]
        if not holds:
            raise refusal(CONFLICT, f"nothing of this order is reserved at location {event.location_id}")
        if event.kind in ("short_pick", "damaged"):
            line = self._lines.get(event.line_no or -1)
            if line is None or not line.holds_at(event.location_id):
                raise refusal(
                    INVALID, f"line {event.line_no} has nothing reserved at location {event.location_id}"
                )
            held = sum((h.qty for h in line.holds_at(event.location_id)), _ZERO)
            if event.qty is None or not _ZERO < event.qty <= held:
                raise refusal(INVALID, f"qty must be between 0 and the {held} reserved there")
        if event.kind == "shipped" and event.tracking is not None:
            if not event.carrier:
                raise refusal(INVALID, "carrier: a tracking number needs its carrier")
            problem = tracking_problem(event.carrier, event.tracking)
            if problem is not None:
                raise refusal(INVALID, f"tracking: {problem}")

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        """A sales-ops decision on a backordered line: keep waiting, substitute, or cancel the line."""
        if self._attention.opening:
            await workflow.wait_condition(lambda: self._attention.opening == 0)
        if self._attention.owns(req.task_id):
            # Not under the lock: the stuck step may be holding it.
            return await self._attention.decide(req, lambda: self._stage)
        async with self._lock:
            task, acting_for = self._tasks.authorize(req)
            line = next(ls for ls in self._lines.values() if ls.task_id == task.task_id)
            # The validator parsed the same payload: these never refuse here.
            if req.decision == "substitute":
                await self._substitute(line, parse_payload(SubstitutePayload, req.payload).sku)
            elif req.decision == "cancel_line":
                await self._cancel_line_rest(line)
            else:
                days = parse_payload(KeepWaitingPayload, req.payload).days or self._o.backorder_grace_days
                line.deadline = workflow.now() + timedelta(days=days)
            line.task_id = None
            self._tasks.pop(task.task_id)
            await self._act(
                "tasks.close",
                TaskClose(
                    task_id=task.task_id,
                    status="decided",
                    decision=req.decision,
                    decided_by=req.actor,
                    acting_for=acting_for,
                    comment=req.comment,
                ),
            )
            self._wake = True
            await self._sync_stage()
        return DecisionResult(
            task_id=task.task_id,
            decision=req.decision,
            decided_by=req.actor,
            acting_for=acting_for,
            stage=self._stage,
        )

    @decide.validator
    def _check_decide(self, req: DecisionRequest) -> None:
        if self._attention.owns(req.task_id):
            self._attention.authorize(req)
            return
        if self._attention.opening and req.task_id not in self._tasks.tasks:
            return  # possibly the needs-attention task being opened: the handler checks it
        self._tasks.authorize(req)
        if req.decision == "substitute":
            parse_payload(SubstitutePayload, req.payload)
        elif req.decision == "keep_waiting":
            parse_payload(KeepWaitingPayload, req.payload)

    # ----- steps -----

    async def _allocate(self, needs: Sequence[LineNeed], exclude: Sequence[int] = ()) -> AllocateResult:
        """One allocation round (its key makes a retried activity reserve once)."""
        self._round += 1
        req = AllocateRequest(
            order_number=self._o.order_number,
            round_key=f"{self._key}:alloc:{self._round}",
            lines=list(needs),
            exclude_location_ids=list(exclude),
        )
        result: AllocateResult = await self._act("sales.allocate", req, AllocateResult)
        for r in result.reserved:
            self._lines[r.line_no].holds[r.key] = Hold(key=r.key, location_id=r.location_id, qty=r.qty)
        return result

    async def _backorder(self, line: LineState, qty: Decimal) -> None:
        """Promise a date (inbound PO or lead time), watch for the goods, and set the decision deadline."""
        line.backordered = qty
        found: BackorderResult = await self._act(
            "sales.backorder",
            BackorderRequest(
                order_number=self._o.order_number,
                line_no=line.line.line_no,
                item_id=line.line.item_id,
                qty=qty,
                today=workflow.now().date(),
            ),
            BackorderResult,
        )
        line.promised, line.po_number = found.promised_date, found.po_number
        for location_id in found.location_ids:
            if location_id in line.watched_locations:
                continue
            key = f"{self._key}:line:{line.line.line_no}:wait:loc:{location_id}"
            await self._act(
                "inbound.wait_for",
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
        self._set_deadline(line)

    def _set_deadline(self, line: LineState) -> None:
        """The decision is due `grace` days after the promised date."""
        assert line.promised is not None
        due = line.promised + timedelta(days=self._o.backorder_grace_days)
        line.deadline = datetime.combine(due, time(0), tzinfo=workflow.now().tzinfo)
        self._wake = True

    async def _stop_waiting(self, line: LineState) -> None:
        for key in line.waiters:
            await self._act("inbound.stop_waiting", key)
        line.waiters, line.watched_locations, line.deadline = [], [], None

    async def _process_notices(self) -> None:
        """Move promised dates on revisions; retry reservations of backordered lines when goods arrive."""
        notices, self._notices = self._notices, []
        for notice in notices:
            items = {ln.item_id for ln in notice.lines}
            waiting = [
                ls
                for ls in self._lines.values()
                if ls.backordered > 0
                and (ls.line.item_id in items or (notice.po_number and ls.po_number == notice.po_number))
            ]
            for line in waiting:
                if notice.kind == "revised" and notice.expected_date is not None:
                    line.promised = notice.expected_date
                    self._set_deadline(line)
                    await self._act(
                        "sales.update_line",
                        LineUpdate(
                            order_number=self._o.order_number,
                            line_no=line.line.line_no,
                            promised_date=line.promised,
                        ),
                    )
                elif notice.kind == "arrived":
                    await self._retry_backorder(line)
        await self._sync_stage()

    async def _retry_backorder(self, line: LineState) -> None:
        result = await self._allocate([self._need(line, line.backordered)])
        left = result.backordered.get(line.line.line_no, _ZERO)
        line.backordered = left
        if left == 0:
            await self._stop_waiting(line)
        await self._act(
            "sales.update_line",
            LineUpdate(
                order_number=self._o.order_number,
                line_no=line.line.line_no,
                qty_backordered=left,
                status="backordered" if left else "allocated",
            ),
        )

    async def _deadlines_passed(self) -> None:
        """Backorders past their deadline go to sales ops."""
        now = workflow.now()
        for line in self._lines.values():
            if (
                line.backordered > 0
                and line.task_id is None
                and line.deadline is not None
                and line.deadline <= now
            ):
                line.deadline = None
                await self._open_line_task(
                    line, "backorder", f"Backorder of {line.backordered} x {line.line.sku} is overdue"
                )
        subject = SlaSubject("sales_order", self._o.order_number, self._o.entity_id)
        for due in self._sla.due(self._tasks.tasks, now):
            await apply_due(due, self._tasks, subject, self._run)
        await self._sync_stage()

    async def _open_line_task(self, line: LineState, kind: str, title: str) -> None:
        order = self._o
        spec = TaskSpec(
            task_key=f"{self._key}:line:{line.line.line_no}:{kind}:{self._round}",
            kind=kind,
            workflow_id=workflow.info().workflow_id,
            workflow_type=WORKFLOW_TYPE,
            subject_type="sales_order",
            subject_id=order.order_number,
            entity_id=order.entity_id,
            title=title,
            candidate_role="sales_ops",
            options=_LINE_OPTIONS,
            details={
                "line_no": line.line.line_no,
                "sku": line.line.sku,
                "qty": str(line.backordered),
                "promised_date": str(line.promised),
            },
        )
        opened: TaskOpened = await self._act("tasks.open", spec, TaskOpened)
        line.task_id = opened.task_id
        self._tasks.add(
            OpenTask(task_id=opened.task_id, kind=kind, options=_LINE_OPTIONS, candidate_role="sales_ops")
        )
        self._sla.watch_opened(opened.task_id, kind, "sales_ops", opened.sla)

    async def _substitute(self, line: LineState, sku: str) -> None:
        """Cancel the line's backordered rest and add a line of another SKU for it, then allocate that."""
        qty = line.backordered
        new_no = max(self._lines) + 1
        try:
            new_line: PricedLine = await self._act(
                "sales.substitute",
                SubstituteRequest(
                    order_number=self._o.order_number,
                    line_no=line.line.line_no,
                    new_line_no=new_no,
                    sku=sku,
                    qty=qty,
                ),
                PricedLine,
                refuse_data=True,
            )
        except ActivityError as exc:
            cause = exc.cause
            raise refusal(
                INVALID, cause.message if isinstance(cause, ApplicationError) else str(exc)
            ) from exc
        await self._cancel_line_rest(line)
        state = LineState(line=new_line)
        self._lines[new_no] = state
        result = await self._allocate([self._need(state, qty)])
        if result.backordered:
            await self._backorder(state, result.backordered[new_no])

    async def _cancel_line_rest(self, line: LineState) -> None:
        """Cancel the backordered rest of a line."""
        line.cancelled += line.backordered
        line.backordered = _ZERO
        await self._stop_waiting(line)
        await self._act(
            "sales.update_line",
            LineUpdate(
                order_number=self._o.order_number,
                line_no=line.line.line_no,
                qty_backordered=_ZERO,
                qty_cancelled=line.cancelled,
                status="cancelled" if line.open_qty == 0 else None,
            ),
        )

    async def _ship_location(
        self, location_id: int, carrier: str, tracking: str | None, service: str | None = None
    ) -> None:
        """Ship everything held at the location, then capture what the customer now owes."""
        ship_lines = [
            ShipLine(line_no=ls.line.line_no, item_id=ls.line.item_id, qty=h.qty, reservation_key=h.key)
            for ls in self._lines.values()
            for h in ls.holds_at(location_id)
        ]
        self._shipments += 1
        key = f"{self._key}:ship:{self._shipments}"
        result: ShipResult = await self._act(
            "sales.ship",
            ShipRequest(
                order_number=self._o.order_number,
                shipment_key=key,
                location_id=location_id,
                carrier=carrier,
                tracking=tracking,
                shipped_on=workflow.now().date(),
                lines=ship_lines,
                service=service,
            ),
            ShipResult,
        )
        for sl in ship_lines:
            line = self._lines[sl.line_no]
            line.holds.pop(sl.reservation_key)
            line.shipped += sl.qty
        if self._o.payment_method != "marketplace":
            await self._payment("capture", f"{key}:capture", result.due, None)
            self._captured += result.due

    async def _lost_in_picking(self, event: WarehouseEvent) -> None:
        """Release the line's holds at the location, write the lost units off, re-allocate the rest."""
        line = self._lines[event.line_no or -1]
        holds = line.holds_at(event.location_id)
        await self._act("sales.release", [h.key for h in holds])
        for h in holds:
            line.holds.pop(h.key)
        self._losses += 1
        assert event.qty is not None
        await self._act(
            "sales.write_off_loss",
            StockLoss(
                order_number=self._o.order_number,
                key=f"{self._key}:loss:{self._losses}",
                item_id=line.line.item_id,
                location_id=event.location_id,
                qty=event.qty,
                reason="damaged" if event.kind == "damaged" else "short_pick",
                posting_date=workflow.now().date(),
            ),
        )
        again = sum((h.qty for h in holds), _ZERO)
        result = await self._allocate([self._need(line, again)])
        left = result.backordered.get(line.line.line_no, _ZERO)
        if left > 0:
            await self._backorder(line, line.backordered + left)
            line.deadline = None  # a person decides now, not at the deadline
            await self._open_line_task(
                line,
                "fulfillment_exception",
                f"{event.kind.replace('_', ' ')}: {left} x {line.line.sku} not in stock",
            )

    async def _cancel_all(self, reason: str, actor: str) -> None:
        """Release every hold, stop waiting, close tasks, cancel open quantities, void the payment."""
        keys = [k for ls in self._lines.values() for k in ls.holds]
        if keys:
            await self._act("sales.release", keys)
        for line in self._lines.values():
            line.holds.clear()
            line.backordered = _ZERO
            await self._stop_waiting(line)
            line.cancelled = line.line.qty - line.shipped
            line.task_id = None
            await self._act(
                "sales.update_line",
                LineUpdate(
                    order_number=self._o.order_number,
                    line_no=line.line.line_no,
                    qty_backordered=_ZERO,
                    qty_cancelled=line.cancelled,
                    status="cancelled",
                ),
            )
        for task_id in list(self._tasks.tasks):
            self._tasks.pop(task_id)
            await self._act(
                "tasks.close",
                TaskClose(task_id=task_id, status="cancelled", decided_by=actor, comment=reason),
            )
        self._cancelled = True
        self._pending_on = f"nothing ({reason})"
        await self._close_payment()
        await self._sync_stage()

    async def _close_payment(self) -> None:
        """Void whatever was authorised and will not be captured."""
        rest = self._authorised - self._captured
        if rest > 0 and self._finished():
            await self._payment("void", f"{self._key}:payment:void", rest, None)
            self._authorised = self._captured

    async def _authorise(
        self, amount: Decimal, method: str, reference: str | None, renew: bool = False
    ) -> None:
        """Authorise `amount` on top of what was captured; a declined one is remembered with its reason."""
        self._auth_attempts += 1
        # The first authorisation keeps its key (recorded histories); each later one is a new payment event.
        key = f"{self._key}:payment:authorise"
        if self._auth_attempts > 1:
            key += f":{'reauth' if renew else 'attempt'}:{self._auth_attempts}"
        done = await self._payment("authorise", key, amount, reference, method)
        if done.status != "approved" and workflow.patched(PAYMENT_PATHS):
            self._declined = done.reason or done.status
            self._paid = False
            return
        self._declined = None
        self._authorised = self._captured + amount
        self._auth_expires = done.expires_on
        if method == "card":
            self._card_reference = reference

    async def _renew_lapsed_authorisation(self) -> None:
        """A card authorisation that lapsed before shipment is renewed for the amount not yet captured."""
        lapsed = self._auth_expires is not None and workflow.now().date() > self._auth_expires
        if not lapsed or self._o.payment_method != "card" or not workflow.patched(PAYMENT_PATHS):
            return
        await self._authorise(self._authorised - self._captured, "card", self._card_reference, renew=True)

    async def _payment(
        self, verb: str, key: str, amount: Decimal, reference: str | None, method: str | None = None
    ) -> PaymentDone:
        order = self._o
        call = PaymentCall(
            order_number=order.order_number,
            key=key,
            method=method or order.payment_method,
            amount=amount,
            currency=order.currency,
            posting_date=workflow.now().date(),
            reference=reference,
        )
        done: PaymentDone = await self._act(f"payments.{verb}", call, PaymentDone)
        return done

    # ----- derived state -----

    @property
    def _o(self) -> OrderInput:
        return self._order

    @property
    def _key(self) -> str:
        return f"order:{self._o.order_number}"

    def _need(self, line: LineState, qty: Decimal) -> LineNeed:
        return LineNeed(line_no=line.line.line_no, item_id=line.line.item_id, qty=qty)

    def _total_due(self) -> Decimal:
        return sum((ls.line.gross - ls.line.discount + ls.line.tax for ls in self._lines.values()), _ZERO)

    def _finished(self) -> bool:
        return self._cancelled or all(ls.open_qty == 0 for ls in self._lines.values())

    def _next_deadline(self) -> timedelta | None:
        """Time to the earliest backorder deadline that has no task yet (None: wait for news only)."""
        due = [
            ls.deadline
            for ls in self._lines.values()
            if ls.backordered > 0 and ls.task_id is None and ls.deadline is not None
        ]
        sla_moment = self._sla.next_moment(self._tasks.tasks)  # a task's reminder or escalation
        if sla_moment is not None:
            due.append(sla_moment)
        if not due:
            return None
        return max(min(due) - workflow.now(), timedelta(seconds=1))

    def _derive(self) -> tuple[Stage, str]:
        """Stage and what the order waits on, from the lines and flags."""
        lines = list(self._lines.values())
        shipped = any(ls.shipped > 0 for ls in lines)
        if self._cancelled or (self._finished() and not shipped):
            return "cancelled", self._pending_on if self._cancelled else "nothing"
        if self._finished():
            return "closed", "settlement" if self._o.payment_method == "marketplace" else "nothing"
        if self._tasks.tasks:
            return "backordered", "sales_ops"
        if not self._paid:
            return (
                "awaiting_payment",
                "payment" if self._declined is None else f"payment (declined: {self._declined})",
            )
        if any(ls.backordered > 0 for ls in lines):
            dates = sorted(str(ls.promised) for ls in lines if ls.backordered > 0)
            pos = sorted({ls.po_number for ls in lines if ls.backordered > 0 and ls.po_number})
            return "backordered", f"stock {'/'.join(pos) or 'inbound'} by {dates[0]}"
        if shipped:
            return "shipped", "warehouse"
        return ("picking" if self._picking else "allocated"), "warehouse"

    async def _sync_stage(self) -> None:
        stage, pending = self._derive()
        changed = stage != self._stage
        self._stage, self._pending_on = stage, pending
        if self._attention.parked:
            return  # shown and recorded when the stuck step moves again
        self._upsert_attributes()
        if changed:
            await self._act("sales.set_stage", StageUpdate(order_number=self._o.order_number, stage=stage))

    def _upsert_attributes(self, stuck: str | None = None) -> None:
        order = self._o
        stage, pending = ("needs_attention", "admin") if stuck else (self._stage, self._pending_on)
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("sales_order"),
                sa.DOCUMENT_NUMBER.value_set(order.order_number),
                sa.code_or(sa.ENTITY, str(order.entity_id)),
                sa.CHANNEL.value_set(order.channel_code),
                sa.STAGE.value_set(stage),
                sa.PENDING_ON.value_set(pending[:100]),
                sa.AMOUNT.value_set(float(self._total_due())),
            ]
        )
        lines = ", ".join(
            f"{ls.line.sku} {ls.shipped}/{ls.line.qty} shipped"
            + (f", {ls.backordered} backordered until {ls.promised}" if ls.backordered else "")
            for ls in self._lines.values()
        )
        workflow.set_current_details(
            f"Order {order.order_number} ({order.channel_code}, {order.channel_kind}): {stage}, "
            f"waiting on {pending}. Lines: {lines}." + (f" {stuck}" if stuck else "")
        )

    async def _show_attention(self, stuck: str | None) -> None:
        """A step is stuck (why) or moves again (None): ErpStage, details and the order row show it."""
        self._upsert_attributes(stuck)
        stage: Stage = "needs_attention" if stuck else self._stage
        await workflow.execute_activity(
            "sales.set_stage",
            StageUpdate(order_number=self._o.order_number, stage=stage),
            start_to_close_timeout=_ACT["start_to_close_timeout"],
            retry_policy=retry.UNTIL_DONE,
        )

    def _status(self) -> OrderStatus:
        order = self._o
        parked = self._attention.parked
        return OrderStatus(
            order_number=order.order_number,
            stage="needs_attention" if parked else self._stage,
            pending_on="admin" if parked else self._pending_on,
            paid=self._paid,
            lines=[ls.status() for ls in self._lines.values()],
            open_tasks=sorted([*self._tasks.tasks, *self._attention.book.tasks]),
        )

    async def _run(self, fn: Callable[[Any, A], R], arg: A) -> R:
        """An inbox activity (reminders, escalations), parked on an admin task if it fails for good."""

        async def call() -> R:
            result: R = await workflow.execute_activity_method(fn, arg, **_ACT)
            return result

        return await self._attention.guarded(getattr(fn, "__qualname__", "activity"), call)

    async def _act(
        self, name: str, arg: Any, result_type: type[Any] | None = None, *, refuse_data: bool = False
    ) -> Any:
        """Run an activity by name; a step failing for good parks the order on an admin task."""
        return await self._attention.guarded(
            name,
            lambda: workflow.execute_activity(name, arg, result_type=result_type, **_ACT),
            refuse_data=refuse_data,
        )
