"""Sales ops on a line the order cannot fill: a backorder past its deadline (or goods lost in picking with
none elsewhere) opens a task; they keep waiting, substitute another SKU or cancel the line's rest."""

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.sales import SalesActivities
    from activities.tasks import TaskActivities
    from models.contracts.decisions import KeepWaitingPayload, SubstitutePayload
    from models.contracts.errors import INVALID
    from models.contracts.sales import LineUpdate, PricedLine, SubstituteRequest
    from models.contracts.tasks import DecisionRequest, TaskClose, TaskOpened, TaskSpec
    from workflows.inbox import OpenTask, parse_payload, refusal
    from workflows.sales.lines import LineState
    from workflows.sales.so.allocation import AllocationStage
    from workflows.sales.so.effects import Effects
    from workflows.sales.so.facts import LINE_OPTIONS, LINE_TASK_AGAIN, WORKFLOW_TYPE, ZERO, OrderFacts
    from workflows.sla import Subject as SlaSubject
    from workflows.sla import apply_due


class BackorderDesk:
    """The line tasks of sales ops: when they open, remind and escalate, and what each decision does."""

    def __init__(self, facts: OrderFacts, fx: Effects, stock: AllocationStage) -> None:
        self.facts, self.fx, self.stock = facts, fx, stock
        self.opened: dict[str, int] = {}  # task keys opened so far, with how often

    async def deadlines_passed(self) -> None:
        """Backorders past their deadline go to sales ops; their tasks remind and escalate when due."""
        facts = self.facts
        now = workflow.now()
        for line in facts.lines.values():
            if (
                line.backordered > 0
                and line.task_id is None
                and line.deadline is not None
                and line.deadline <= now
            ):
                line.deadline = None
                await self.open_line_task(
                    line, "backorder", f"Backorder of {line.backordered} x {line.line.sku} is overdue"
                )
        subject = SlaSubject("sales_order", facts.order.order_number, facts.order.entity_id)
        for due in self.fx.sla.due(self.fx.book.tasks, now):
            await apply_due(due, self.fx.book, subject, self.fx.run_inbox)
        await self.fx.sync_stage()

    async def open_line_task(self, line: LineState, kind: str, title: str) -> None:
        """A sales-ops task on one line (its key names the allocation round it came from)."""
        facts = self.facts
        order = facts.order
        key = f"{facts.key}:line:{line.line.line_no}:{kind}:{self.stock.round}"
        self.opened[key] = self.opened.get(key, 0) + 1
        if self.opened[key] > 1 and workflow.patched(LINE_TASK_AGAIN):
            key = f"{key}:{self.opened[key]}"
        spec = TaskSpec(
            task_key=key,
            kind=kind,
            workflow_id=workflow.info().workflow_id,
            workflow_type=WORKFLOW_TYPE,
            subject_type="sales_order",
            subject_id=order.order_number,
            entity_id=order.entity_id,
            title=title,
            candidate_role="sales_ops",
            options=LINE_OPTIONS,
            details={
                "line_no": line.line.line_no,
                "sku": line.line.sku,
                "qty": str(line.backordered),
                "promised_date": str(line.promised),
            },
        )
        opened: TaskOpened = await self.fx.act(TaskActivities.open_task, spec)
        line.task_id = opened.task_id
        self.fx.book.add(
            OpenTask(task_id=opened.task_id, kind=kind, options=LINE_OPTIONS, candidate_role="sales_ops")
        )
        self.fx.sla.watch_opened(opened.task_id, kind, "sales_ops", opened.sla)

    def check_decision(self, req: DecisionRequest) -> None:
        """The decision's payload parses (the handler parses it again and never refuses)."""
        if req.decision == "substitute":
            parse_payload(SubstitutePayload, req.payload)
        elif req.decision == "keep_waiting":
            parse_payload(KeepWaitingPayload, req.payload)

    async def decide(self, task: OpenTask, req: DecisionRequest, acting_for: str | None) -> None:
        """Keep waiting, substitute or cancel the line's rest; then close the task and let the loop look."""
        facts = self.facts
        line = next(ls for ls in facts.lines.values() if ls.task_id == task.task_id)
        # The validator parsed the same payload: these never refuse here.
        if req.decision == "substitute":
            await self.substitute(line, parse_payload(SubstitutePayload, req.payload).sku)
        elif req.decision == "cancel_line":
            await self.cancel_line_rest(line)
        else:
            days = parse_payload(KeepWaitingPayload, req.payload).days or facts.order.backorder_grace_days
            line.deadline = workflow.now() + timedelta(days=days)
        line.task_id = None
        self.fx.book.pop(task.task_id)
        await self.fx.act(
            TaskActivities.close_task,
            TaskClose(
                task_id=task.task_id,
                status="decided",
                decision=req.decision,
                decided_by=req.actor,
                acting_for=acting_for,
                comment=req.comment,
            ),
        )
        facts.wake = True
        await self.fx.sync_stage()

    async def substitute(self, line: LineState, sku: str) -> None:
        """Cancel the line's backordered rest and add a line of another SKU for it, then allocate that."""
        facts = self.facts
        qty = line.backordered
        new_no = max(facts.lines) + 1
        try:
            new_line: PricedLine = await self.fx.act(
                SalesActivities.substitute,
                SubstituteRequest(
                    order_number=facts.order.order_number,
                    line_no=line.line.line_no,
                    new_line_no=new_no,
                    sku=sku,
                    qty=qty,
                ),
                refuse_data=True,
            )
        except ActivityError as exc:
            cause = exc.cause
            raise refusal(
                INVALID, cause.message if isinstance(cause, ApplicationError) else str(exc)
            ) from exc
        await self.cancel_line_rest(line)
        state = LineState(line=new_line)
        facts.lines[new_no] = state
        result = await self.stock.allocate([facts.need(state, qty)])
        if result.backordered:
            await self.stock.backorder(state, result.backordered[new_no])

    async def cancel_line_rest(self, line: LineState) -> None:
        """Cancel the backordered rest of a line."""
        line.cancelled += line.backordered
        line.backordered = ZERO
        await self.stock.stop_waiting(line)
        await self.fx.act(
            SalesActivities.update_line,
            LineUpdate(
                order_number=self.facts.order.order_number,
                line_no=line.line.line_no,
                qty_backordered=ZERO,
                qty_cancelled=line.cancelled,
                status="cancelled" if line.open_qty == 0 else None,
            ),
        )
