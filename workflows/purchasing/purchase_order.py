"""One workflow per purchase order: approval, issue, receipts, delay, invoices and payment."""

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.purchasing import PurchasingActivities
    from activities.tasks import TaskActivities
    from models.contracts.errors import CONFLICT, DATA, INVALID
    from models.contracts.inbound import InboundLine, InboundNotice, NotifyResult
    from models.contracts.payments import PaidByRun
    from models.contracts.purchasing import (
        CancelRecord,
        CancelRequest,
        CloseRequest,
        ConfirmationRecord,
        ConfirmationRequest,
        DelayRaised,
        DelayResolved,
        InvoiceRecord,
        InvoiceRequest,
        IssuePo,
        LandedCostRecord,
        LevelSnapshot,
        LineStatus,
        MatchOutcome,
        MatchRequest,
        OpenTaskView,
        OutboxRecord,
        PaymentRequest,
        PoLine,
        PoStatus,
        PurchaseOrderInput,
        ReceiptRecord,
        ReceiptRequest,
        ReceiptResult,
        ResolveMatch,
        SaveRevision,
        StageChange,
        SubstituteRequest,
        WindowQuery,
    )
    from models.contracts.tasks import (
        AuditRecord,
        DecisionRequest,
        DecisionResult,
        TaskClose,
        TaskEscalation,
        TaskSpec,
    )
    from rules.approval import ApprovalLevel, Document, escalation_role
    from workflows import retry
    from workflows import search_attributes as sa
    from workflows.attention import NEEDS_ATTENTION, Attention, Subject
    from workflows.inbox import OpenTask, TaskBook, refusal
    from workflows.purchasing import checks
    from workflows.purchasing.policy import approval_chain, func_total, level_reasons, po_total
    from workflows.sla import SlaWatch, apply_due, wait_with_sla
    from workflows.sla import Subject as SlaSubject

WORKFLOW_TYPE = "PurchaseOrder"
APPROVAL_OPTIONS = ["approve", "reject", "request_changes"]
DELAY_OPTIONS = ["wait", "expedite", "cancel_remainder", "substitute"]
TERMINAL = ("closed", "cancelled", "rejected")
FROM_TEMPORAL_ACTOR = "temporal"
FROM_TEMPORAL_REASON = "cancelled from Temporal"
# Histories recorded before it replay as they ran: the stage was known only once its row was written.
STAGE_BEFORE_RECORD = "po-stage-known-before-recorded"
# Before it, an approver without a limit approved any amount; decisions recorded so then replay as they ran.
LIMIT_REQUIRED = "po-approver-needs-a-limit"
# Match-exception and delay tasks remind and escalate on their kind's service level (POs snapshotting one).
TASK_SLA = "po-task-service-levels"
# An entity paying by payment runs: the run pays the invoice and signals; the PO's due-date payment stands down.
PAID_BY_RUNS = "po-paid-by-payment-runs"
A = TypeVar("A")
R = TypeVar("R")


@dataclass
class Decided:
    """A decision the main coroutine consumes (approval and revision tasks)."""

    req: DecisionRequest
    acting_for: str | None


@dataclass
class InvoiceState:
    """What the workflow tracks of one supplier invoice."""

    invoice_id: int
    kind: str
    status: str  # approved | exception | waiting | rejected | paid
    net: Decimal
    due: date | None = None
    wait_until: datetime | None = None
    received_mark: Decimal = Decimal(0)
    attempt: int = 1
    invoiced: dict[int, Decimal] = field(default_factory=dict)


def _at(day: date) -> datetime:
    """Midnight UTC of a business date (timers fire at the start of the day)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@workflow.defn(name=WORKFLOW_TYPE)
class PurchaseOrderWorkflow:
    """Requisition -> approval -> issued -> received -> invoiced/matched -> paid -> closed."""

    @workflow.init
    def __init__(self, po: PurchaseOrderInput) -> None:
        self.po = po
        self.lines: dict[int, PoLine] = {line.line_no: line for line in po.lines}
        self.revision = 1
        self.stage = "draft"
        self.pending_on: str | None = None
        self.expected = po.expected_date
        self.book = TaskBook()
        self.decided: dict[int, Decided] = {}
        self.received: dict[int, Decimal] = {}
        self.cancelled: dict[int, Decimal] = {}
        self.invoiced: dict[int, Decimal] = {}
        self.receivers: set[str] = set()
        self.delivery_notes: set[str] = set()
        self.confirmations: set[str] = set()
        self.receipt_no = 0
        self.invoices: dict[int, InvoiceState] = {}
        self.invoice_numbers: set[str] = set()
        self.exception_tasks: dict[int, int] = {}
        self.delay_seq = 0
        self.delay_task: int | None = None
        self.children: list[str] = []
        self.cancel_requested: CancelRequest | None = None
        self.issued = False
        self.issuing = False  # the issue activity is running (see _carry)
        self.dirty = False
        self.lock = asyncio.Lock()
        self.stage_seq = 0
        self.reason: str | None = None
        # Tasks being opened: their row is visible in the inbox a moment before the activity returns.
        self.opening = 0
        self.sla = SlaWatch.of(po.policy.task_slas)
        self.subject = SlaSubject("purchase_order", po.number, po.entity_id)
        self.attention = Attention(
            Subject(
                workflow_type=WORKFLOW_TYPE,
                subject_type="purchase_order",
                subject_id=po.number,
                entity_id=po.entity_id,
                label=f"PO {po.number}",
                key=f"po:{po.number}",
            ),
            self._show_attention,
        )

    # ---- the main line -------------------------------------------------------------------------

    @workflow.run
    async def run(self, po: PurchaseOrderInput) -> str:
        """Carry the PO to closed, cancelled or rejected; returns the final stage."""
        try:
            return await self._carry(po)
        except asyncio.CancelledError:
            # Cancelled from Temporal (Web UI, CLI): compensate like POST .../cancel, then end as Canceled.
            await self._cancelled_from_temporal()
            raise

    async def _carry(self, po: PurchaseOrderInput) -> str:
        """The main line: persist, approve, issue, fulfil, finish."""
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("purchase_order"),
                sa.DOCUMENT_NUMBER.value_set(po.number),
                sa.code_or(sa.ENTITY, str(po.entity_id)),
                sa.code_or(sa.SUPPLIER, str(po.supplier_id)),
                sa.AMOUNT.value_set(float(self._total_func())),
                sa.DUE_DATE.value_set(_at(self.expected)),
            ]
        )
        await self._act(PurchasingActivities.persist, po)
        outcome = await self._approval()
        if outcome != "approved":
            return await self._finish(outcome)
        issue = IssuePo(number=po.number, revision=self.revision, issued_at=workflow.now())
        if workflow.patched(STAGE_BEFORE_RECORD):
            # The database says "issued" before this coroutine hears back from the activity, and an update
            # arriving with the activity's result is validated first: `issuing` lets the validators accept
            # it, and the lock makes its handler wait until the issue is known here as well.
            async with self.lock:
                self.issuing = True
                try:
                    await self._act(PurchasingActivities.issue, issue)
                finally:
                    self.issuing = False
                self.issued = True
        else:
            await self._act(PurchasingActivities.issue, issue)
            self.issued = True
        await self._refresh_stage()
        await self._fulfil()
        nothing_received = not any(self.received.values())
        return await self._finish("cancelled" if nothing_received else "closed")

    async def _finish(self, stage: str) -> str:
        """Cancel leftover tasks, close the PO row with its cycle time, and let handlers drain."""
        await self._close_tasks()
        now = workflow.now()
        cycle = int((now - workflow.info().start_time).total_seconds())
        await self._act(
            PurchasingActivities.close,
            CloseRequest(
                number=self.po.number,
                stage=stage,
                closed_at=now,
                cycle_time_seconds=cycle,
                reason=self.reason,
            ),
        )
        self._show(stage, None)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return stage

    async def _close_tasks(self) -> None:
        """Cancel every task still open in the book (the inbox stops showing them)."""
        for task_id in sorted(self.book.tasks):
            self.book.pop(task_id)
            await self._act(TaskActivities.close_task, TaskClose(task_id=task_id, status="cancelled"))

    # ---- approval ------------------------------------------------------------------------------

    async def _approval(self) -> str:
        """Sequential levels per revision; request_changes loops back through a revision task."""
        while True:
            levels = approval_chain(
                self.po.policy, list(self.lines.values()), self._total_func(), self.po.entity_id
            )
            verdict = "approved"
            for i, level in enumerate(levels):
                decided = await self._approval_task(i + 1, level)
                if decided is None:
                    return "cancelled"
                if decided.req.decision == "reject":
                    self.reason = decided.req.comment or "rejected"
                    return "rejected"
                if decided.req.decision == "request_changes":
                    verdict = "changes"
                    break
            if verdict == "approved":
                return "approved"
            if not await self._revise():
                return "cancelled"

    async def _approval_task(self, level_no: int, level: LevelSnapshot) -> Decided | None:
        """Open one level's task and wait for it, reminding and escalating on the SLA."""
        sla = timedelta(hours=self.po.policy.sla_hours)
        key = f"po:{self.po.number}:r{self.revision}:approval:{level_no}"
        total = po_total(list(self.lines.values()), self.po.currency)
        details: dict[str, Any] = {
            "amount": str(total),
            "amount_func": str(self._total_func()),
            "currency": self.po.currency,
            "revision": self.revision,
            "level": level_no,
        }
        title = f"Approve PO {self.po.number} ({total} {self.po.currency}), level {level_no}"
        reasons = level_reasons(self.po.policy, level)
        if reasons:
            # A level a policy flag added (failed score input, over budget): the approver sees why.
            details["why"] = "; ".join(reasons)
            title += f": {details['why']}"[:300]
        spec = self._spec(
            key,
            "po_approval",
            title,
            APPROVAL_OPTIONS,
            role=level.role,
            user=level.user,
            due=workflow.now() + sla,
            details=details,
        )
        task = await self._open(spec, revision=self.revision)
        await self._stage("approval", level.role or level.user)
        return await self._await_decision(task, sla)

    async def _await_decision(self, task: OpenTask, sla: timedelta) -> Decided | None:
        """Reminder at half the SLA, escalation to the next role at the SLA, repeated up the chain."""
        reminded = False
        nudges = 0
        while True:
            try:
                await workflow.wait_condition(
                    lambda: task.task_id in self.decided or self.cancel_requested is not None, timeout=sla / 2
                )
            except TimeoutError:
                if task.task_id not in self.book.tasks:
                    continue  # a decision is being recorded right now
                nudges += 1
                if not reminded:
                    reminded = True
                    await self._audit(
                        f"task:{task.task_id}:reminder:{nudges}",
                        "task.reminder",
                        {"task_id": task.task_id, "waiting_on": task.candidate_role or task.candidate_user},
                    )
                    continue
                reminded = False
                target = escalation_role(
                    task.candidate_role or task.candidate_user or "", self.po.policy.escalation
                )
                if target is None:
                    continue  # top of the chain: keep reminding
                task.escalation_level += 1
                task.candidate_role, task.candidate_user = target, None
                await self._act(
                    TaskActivities.escalate_task,
                    TaskEscalation(
                        task_id=task.task_id,
                        candidate_role=target,
                        escalation_level=task.escalation_level,
                        due_at=workflow.now() + sla,
                    ),
                )
                await self._stage("approval", target)
                continue
            if task.task_id in self.decided:
                return self.decided.pop(task.task_id)
            return None

    async def _revise(self) -> bool:
        """Back to the requester: a submitted revision restarts approval at level 1 (False: withdrawn)."""
        key = f"po:{self.po.number}:r{self.revision}:revise"
        spec = self._spec(
            key,
            "po_revision",
            f"Revise PO {self.po.number}",
            ["submit", "withdraw"],
            user=self.po.requested_by,
            details={"revision": self.revision},
        )
        task = await self._open(spec, revision=self.revision)
        await self._stage("draft", self.po.requested_by)
        # A revision nobody submits is reminded on its service level (POs snapshotting one).
        await wait_with_sla(
            lambda: task.task_id in self.decided or self.cancel_requested is not None,
            self.sla,
            self.book,
            self.subject,
            self._act,
        )
        decided = self.decided.pop(task.task_id, None)
        if decided is None or decided.req.decision == "withdraw":
            if decided is not None:  # a cancellation (decided None) keeps its own reason
                self.reason = "withdrawn by the requester"
            return False
        lines = checks.revised_lines(self.lines, decided.req.payload, self.po.landed_cost_pct)
        self.lines = {line.line_no: line for line in lines}
        self.revision += 1
        payload_date = decided.req.payload.get("expected_date")
        if payload_date:
            self.expected = date.fromisoformat(str(payload_date))
        total = po_total(lines, self.po.currency)
        await self._act(
            PurchasingActivities.save_revision,
            SaveRevision(
                number=self.po.number,
                revision=self.revision,
                lines=lines,
                total=total,
                total_func=self._total_func(),
                expected_date=self.expected,
            ),
        )
        workflow.upsert_search_attributes([sa.AMOUNT.value_set(float(self._total_func()))])
        await self._stage("approval", None)
        return True

    # ---- after issue ---------------------------------------------------------------------------

    async def _fulfil(self) -> None:
        """An event loop: messages change state, timers (delay, payment, wait deadlines) fire here."""
        while not self._complete():
            timeout = self._next_deadline()
            self.dirty = False
            if timeout is None or timeout > timedelta(0):
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(lambda: self.dirty, timeout=timeout)
            async with self.lock:
                await self._on_timers()
                await self._rematch_waiting()
                await self._refresh_stage()

    def _complete(self) -> bool:
        """Received (or cancelled), every received unit invoiced, every invoice paid or rejected."""
        if self.stage in TERMINAL:
            return True
        if not self._fully_received():
            return False
        if not any(self.received.values()):
            return True  # everything was cancelled before any receipt
        invoiced_ok = all(
            self.invoiced.get(n, Decimal(0)) >= self.received.get(n, Decimal(0)) for n in self.lines
        )
        settled = all(inv.status in ("paid", "rejected") for inv in self.invoices.values())
        return invoiced_ok and settled and not self.book.tasks

    def _next_deadline(self) -> timedelta | None:
        """Time until the earliest timer: late delivery, a payment due, or a wait-for-receipt deadline."""
        moments: list[datetime] = []
        if not self._fully_received() and self.delay_task is None:
            moments.append(_at(self.expected + timedelta(days=self.po.grace_days)))
        for inv in self.invoices.values():
            if inv.status == "approved" and inv.due is not None and not self._runs_pay():
                moments.append(_at(inv.due))
            if inv.status == "waiting" and inv.wait_until is not None:
                moments.append(inv.wait_until)
        sla_moment = self.sla.next_moment(self.book.tasks)
        if sla_moment is not None:
            moments.append(sla_moment)
        if not moments:
            return None
        return max(min(moments) - workflow.now(), timedelta(0))

    async def _on_timers(self) -> None:
        """Act on whatever timer is due."""
        now = workflow.now()
        late_at = _at(self.expected + timedelta(days=self.po.grace_days))
        if not self._fully_received() and self.delay_task is None and now >= late_at:
            await self._raise_delay()
        for inv_id in sorted(self.invoices):
            inv = self.invoices[inv_id]
            if (
                inv.status == "approved"
                and inv.due is not None
                and now >= _at(inv.due)
                and not self._runs_pay()
            ):
                await self._act(
                    PurchasingActivities.pay,
                    PaymentRequest(number=self.po.number, invoice_id=inv_id, paid_on=now.date()),
                )
                inv.status = "paid"
            elif inv.status == "waiting" and inv.wait_until is not None and now >= inv.wait_until:
                await self._open_exception(inv, ["receipt_deadline_passed"], allow_wait=False)
        for due in self.sla.due(self.book.tasks, now):
            await apply_due(due, self.book, self.subject, self._act)

    def _runs_pay(self) -> bool:
        """A payment run pays this PO's invoices (only POs of entities using runs ever ask the patch)."""
        return self.po.paid_by_runs and workflow.patched(PAID_BY_RUNS)

    @workflow.signal(name="paid_by_run")
    def paid_by_run(self, notice: PaidByRun) -> None:
        """A payment run paid an invoice of this PO (sent once per payment; a repeat changes nothing)."""
        inv = self.invoices.get(notice.invoice_id)
        if inv is not None and inv.status != "paid":
            inv.status = "paid"
            self.dirty = True

    async def _rematch_waiting(self) -> None:
        """An invoice waiting for its receipt is matched again once more goods have arrived."""
        total = sum(self.received.values(), Decimal(0))
        for inv_id in sorted(self.invoices):
            inv = self.invoices[inv_id]
            if inv.status != "waiting" or total <= inv.received_mark:
                continue
            inv.attempt += 1
            out = await self._act(
                PurchasingActivities.match,
                MatchRequest(
                    number=self.po.number,
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

    async def _raise_delay(self) -> None:
        """Goods late: inbound exception, revised availability for waiters, and a buyer task."""
        self.delay_seq += 1
        today = workflow.now().date()
        await self._act(
            PurchasingActivities.raise_delay,
            DelayRaised(
                number=self.po.number, seq=self.delay_seq, expected_date=self.expected, raised_on=today
            ),
        )
        await self._notify("revised", None, self._remaining_lines())
        spec = self._spec(
            f"po:{self.po.number}:delay:{self.delay_seq}",
            "supplier_delay",
            f"PO {self.po.number}: goods expected {self.expected} have not arrived",
            DELAY_OPTIONS,
            role="buyer",
            due=self.sla.first_due("supplier_delay", workflow.now()),
            details={
                "expected_date": self.expected.isoformat(),
                "remaining": {str(k): str(v) for k, v in self._remaining().items()},
            },
        )
        task = await self._open(spec)
        self.delay_task = task.task_id

    # ---- messages ------------------------------------------------------------------------------

    @workflow.update
    async def decide(self, req: DecisionRequest) -> DecisionResult:
        """A person's decision on one of this PO's tasks."""
        await workflow.wait_condition(lambda: self.opening == 0 and self.attention.opening == 0)
        if self.attention.owns(req.task_id):
            # Not under the lock: the stuck step may be holding it.
            return await self.attention.decide(req, lambda: self.stage)
        async with self.lock:
            task, acting_for = self.book.authorize(req)
            approving = task.kind == "po_approval" and req.decision == "approve"
            strict = workflow.patched(LIMIT_REQUIRED) if approving else True
            self._check_decision(task, req, acting_for, limit_required=strict)
            if approving and self.po.policy.window_cap is not None:
                await self._check_window(task, req, acting_for, limit_required=strict)
            if task.kind == "supplier_delay":
                await self._delay_decision(req)
            elif task.kind == "match_exception":
                await self._match_decision(task, req)
            self.book.pop(task.task_id)
            await self._act(
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
            if task.kind in ("po_approval", "po_revision"):
                self.decided[task.task_id] = Decided(req, acting_for)
            else:
                await self._refresh_stage()
            self.dirty = True
            return DecisionResult(
                task_id=task.task_id,
                decision=req.decision,
                decided_by=req.actor,
                acting_for=acting_for,
                stage=self.stage,
            )

    @decide.validator
    def _validate_decide(self, req: DecisionRequest) -> None:
        """Refuse a wrong actor, a stale revision, a decided task or a broken rule before history."""
        if self.attention.owns(req.task_id):
            self.attention.authorize(req)
            return
        if req.task_id not in self.book.tasks and (self.opening or self.attention.opening):
            return  # possibly the task being opened: the handler checks once it is in the book
        task, acting_for = self.book.authorize(req)
        self._check_decision(task, req, acting_for)

    def _check_decision(
        self, task: OpenTask, req: DecisionRequest, acting_for: str | None, *, limit_required: bool = True
    ) -> None:
        """Per-kind rules: SoD and limits for approvals and match exceptions, payloads for the rest."""
        who = checks.approver(req, acting_for, Decimal(0))
        level = ApprovalLevel(role=task.candidate_role, user=task.candidate_user)
        if task.kind == "po_approval":
            amount = self._total_func() if req.decision == "approve" else Decimal(0)
            checks.check_approver(
                who,
                level,
                Document(self.po.requested_by, amount, supplier_created_by=self.po.supplier_created_by),
                limit_required=limit_required,
            )
        elif task.kind == "po_revision" and req.decision == "submit":
            checks.revised_lines(self.lines, req.payload, self.po.landed_cost_pct)
        elif task.kind == "supplier_delay":
            today = workflow.now().date()
            if req.decision == "wait":
                checks.payload_date(req.payload, "new_date", today, required=True)
            elif req.decision == "expedite":
                checks.payload_date(req.payload, "new_date", today, required=False)
            elif req.decision == "substitute":
                supplier = checks.payload_int(req.payload, "supplier_id", None, 1, 2**31 - 1)
                if supplier == self.po.supplier_id:
                    raise refusal(INVALID, "payload.supplier_id: choose another supplier than this PO's")
        elif task.kind == "match_exception":
            inv = self.invoices[self.exception_tasks[task.task_id]]
            checks.check_approver(
                who,
                level,
                # Accepting an exception releases the invoice for payment: the supplier's creator may not.
                Document(
                    self.po.requested_by,
                    inv.net,
                    received_by=frozenset(self.receivers),
                    supplier_created_by=self.po.supplier_created_by,
                ),
                # AP clerks settle exceptions within the match tolerances; a limit, when set, still caps them.
                limit_required=False,
            )
            if req.decision == "wait_for_receipt":
                checks.payload_int(req.payload, "days", 14, 1, 90)

    async def _check_window(
        self, task: OpenTask, req: DecisionRequest, acting_for: str | None, *, limit_required: bool
    ) -> None:
        """The anti-splitting cap needs the approver's recent approvals, read from the database."""
        used = await self._act(
            PurchasingActivities.approved_in_window,
            WindowQuery(
                username=acting_for or req.actor, days=self.po.policy.window_days, as_of=workflow.now()
            ),
        )
        level = ApprovalLevel(role=task.candidate_role, user=task.candidate_user)
        checks.check_approver(
            checks.approver(req, acting_for, used),
            level,
            Document(
                self.po.requested_by, self._total_func(), supplier_created_by=self.po.supplier_created_by
            ),
            self.po.policy.window_cap,
            limit_required=limit_required,
        )

    async def _delay_decision(self, req: DecisionRequest) -> None:
        """wait / expedite move the date (and the timer); cancel_remainder or substitute end the wait."""
        today = workflow.now().date()
        seq, n = self.delay_seq, self.po.number
        new_date: date | None = None
        if req.decision == "substitute":
            supplier = checks.payload_int(req.payload, "supplier_id", None, 1, 2**31 - 1)
            child = await self._act_or_refuse(
                PurchasingActivities.prepare_substitute,
                SubstituteRequest(
                    number=n,
                    supplier_id=supplier,
                    remaining=self._remaining(),
                    requested_by=req.actor,
                    order_date=today,
                ),
            )
            await workflow.start_child_workflow(
                PurchaseOrderWorkflow.run,
                child,
                id=child.workflow_id,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
            self.children.append(child.number)
            await self._cancel_remaining(
                f"po:{n}:delay:{seq}:substitute", req.actor, f"sourced on PO {child.number}"
            )
        elif req.decision == "cancel_remainder":
            await self._cancel_remaining(f"po:{n}:delay:{seq}:cancel", req.actor, "supplier delay")
        else:
            new_date = checks.payload_date(req.payload, "new_date", today, required=req.decision == "wait")
            new_date = new_date or today + timedelta(days=max(self.po.grace_days, 1))
            if req.decision == "expedite":
                await self._act(
                    PurchasingActivities.outbox,
                    OutboxRecord(
                        number=n,
                        key=f"po:{n}:delay:{seq}:expedite",
                        kind="purchase_order.expedite",
                        payload={"requested_date": new_date.isoformat()},
                    ),
                )
            self.expected = new_date
            await self._notify("revised", new_date, self._remaining_lines())
        await self._act(
            PurchasingActivities.resolve_delay,
            DelayResolved(number=n, seq=seq, resolution=req.decision, new_date=new_date, actor=req.actor),
        )
        self.delay_task = None

    async def _match_decision(self, task: OpenTask, req: DecisionRequest) -> None:
        """accept posts and schedules payment; reject sends a debit note; wait_for_receipt waits."""
        inv = self.invoices[self.exception_tasks[task.task_id]]
        out = await self._act_or_refuse(
            PurchasingActivities.resolve_match,
            ResolveMatch(
                number=self.po.number,
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
            inv.received_mark = sum(self.received.values(), Decimal(0))

    @workflow.update
    async def receive(self, req: ReceiptRequest) -> ReceiptResult:
        """Goods arrived: stock in, GRNI posted, inbound reduced, waiters told."""
        async with self.lock:
            self._check_receive(req)
            self.receipt_no += 1
            result = await self._act_or_refuse(
                PurchasingActivities.receive,
                ReceiptRecord(number=self.po.number, receipt_no=self.receipt_no, request=req),
            )
            arrived: list[InboundLine] = []
            for line_no, qty in sorted(result.accepted.items()):
                self.received[line_no] = self.received.get(line_no, Decimal(0)) + qty
                line = self.lines[line_no]
                if qty > 0:
                    arrived.append(InboundLine(item_id=line.item_id, location_id=line.location_id, qty=qty))
            self.receivers.add(req.received_by)
            self.delivery_notes.add(req.delivery_note)
            if arrived:
                await self._notify("arrived", None, arrived)
            if self.delay_task is not None and self._fully_received():
                await self._drop_delay_task("arrived", req.received_by)
            await self._refresh_stage()
            self.dirty = True
            return result

    @receive.validator
    def _validate_receive(self, req: ReceiptRequest) -> None:
        """Refuse receipts before issue, duplicates, unknown lines and over-receipts."""
        self._check_receive(req)

    def _check_receive(self, req: ReceiptRequest) -> None:
        if not self._taking_goods():
            raise refusal(CONFLICT, f"PO {self.po.number} is {self.stage}: nothing can be received")
        if req.delivery_note in self.delivery_notes:
            raise refusal(CONFLICT, f"delivery_note: {req.delivery_note} was received already")
        checks.check_receipt(req, self.lines, self.received, self.cancelled, self.po.over_receipt_pct)

    def _taking_goods(self) -> bool:
        """Issued (or being issued: handlers wait on the lock for it) and not finished."""
        return (self.issued or self.issuing) and self.stage not in TERMINAL

    @workflow.update
    async def submit_invoice(self, req: InvoiceRequest) -> MatchOutcome:
        """A supplier invoice: goods invoices are matched, landed-cost invoices allocated."""
        async with self.lock:
            self._check_invoice(req)
            reg = await self._act_or_refuse(
                PurchasingActivities.register_invoice, InvoiceRecord(number=self.po.number, request=req)
            )
            self.invoice_numbers.add(req.invoice_number)
            inv = InvoiceState(invoice_id=reg.invoice_id, kind=req.kind, status="exception", net=reg.net)
            self.invoices[reg.invoice_id] = inv
            today = workflow.now().date()
            if req.kind == "landed_cost":
                out = await self._act(
                    PurchasingActivities.landed_cost,
                    LandedCostRecord(number=self.po.number, invoice_id=reg.invoice_id, posting_date=today),
                )
            else:
                out = await self._act(
                    PurchasingActivities.match,
                    MatchRequest(
                        number=self.po.number, invoice_id=reg.invoice_id, attempt=1, posting_date=today
                    ),
                )
            if out.status == "matched":
                self._approved(inv, out)
            else:
                await self._open_exception(inv, out.reasons, allow_wait=True)
            await self._refresh_stage()
            self.dirty = True
            return out

    @submit_invoice.validator
    def _validate_invoice(self, req: InvoiceRequest) -> None:
        """Refuse duplicates, invoices before issue and currency mismatches."""
        self._check_invoice(req)

    def _check_invoice(self, req: InvoiceRequest) -> None:
        if not self._taking_goods():
            raise refusal(CONFLICT, f"PO {self.po.number} is {self.stage}: it takes no invoices")
        if req.invoice_number in self.invoice_numbers:
            raise refusal(CONFLICT, f"invoice_number: {req.invoice_number} is registered on this PO already")
        if req.tax < 0:
            raise refusal(INVALID, "tax: must not be negative")
        if req.kind == "landed_cost":
            if req.currency != self.po.entity_currency:
                raise refusal(INVALID, f"currency: landed cost is invoiced in {self.po.entity_currency}")
            if req.amount <= 0:
                raise refusal(INVALID, "amount: must be positive")
            if not any(self.received.values()):
                raise refusal(CONFLICT, "landed cost needs at least one goods receipt to allocate to")
            return
        if req.currency != self.po.currency:
            raise refusal(INVALID, f"currency: the PO is in {self.po.currency}")
        if not req.lines:
            raise refusal(INVALID, "lines: an invoice needs at least one line")
        for i, line in enumerate(req.lines):
            if line.qty <= 0 or line.price < 0:
                raise refusal(INVALID, f"lines[{i}]: quantity must be positive and price not negative")

    @workflow.update
    async def confirm(self, req: ConfirmationRequest) -> PoStatus:
        """The supplier confirmed dates/quantities: the expected date (and the delay timer) move."""
        async with self.lock:
            self._check_confirm(req)
            await self._act(
                PurchasingActivities.confirm, ConfirmationRecord(number=self.po.number, request=req)
            )
            self.confirmations.add(req.reference)
            self.expected = req.confirmed_date
            await self._notify("revised", req.confirmed_date, self._remaining_lines())
            workflow.upsert_search_attributes([sa.DUE_DATE.value_set(_at(self.expected))])
            self.dirty = True
            return self.status()

    @confirm.validator
    def _validate_confirm(self, req: ConfirmationRequest) -> None:
        """Only an issued, not fully received PO can be confirmed."""
        self._check_confirm(req)

    def _check_confirm(self, req: ConfirmationRequest) -> None:
        if not self._taking_goods() or self._fully_received():
            raise refusal(CONFLICT, f"PO {self.po.number} is {self.stage}: nothing open to confirm")
        if req.reference in self.confirmations:
            raise refusal(CONFLICT, f"reference: confirmation {req.reference} was recorded already")
        unknown = sorted(set(req.lines) - set(self.lines))
        if unknown:
            raise refusal(INVALID, f"lines: the PO has no line {unknown[0]}")

    @workflow.update
    async def cancel(self, req: CancelRequest) -> PoStatus:
        """Before issue: cancel the PO. After: cancel the unreceived remainder (releasing inbound)."""
        async with self.lock:
            self._check_cancel()
            await self._cancel(req)
            self.dirty = True
            return self.status()

    async def _cancel(self, req: CancelRequest) -> None:
        """The cancellation itself, shared by the update and a cancellation from Temporal."""
        if not self.issued:
            self.cancel_requested = req
            self.reason = req.reason
        else:
            await self._cancel_remaining(f"po:{self.po.number}:cancel", req.actor, req.reason)
            if self.delay_task is not None:
                await self._drop_delay_task("cancelled", req.actor)
            self.reason = req.reason
            await self._refresh_stage()

    async def _cancelled_from_temporal(self) -> None:
        """Run the API's cancellation for the current stage, close every task, persist "cancelled"."""
        if self.stage in TERMINAL:
            return  # the PO had finished; only the wait for handlers was interrupted
        req = CancelRequest(actor=FROM_TEMPORAL_ACTOR, reason=FROM_TEMPORAL_REASON)
        async with self.lock:
            # Where POST .../cancel would refuse (everything received) there is nothing to compensate:
            # close the tasks, keep the stage, and let the reconciliation report the PO to an admin.
            cancellable = not (self.issued and self._fully_received())
            if cancellable and self.cancel_requested is None:  # a pending API cancel keeps its reason
                await self._cancel(req)
            await self._act(
                TaskActivities.record_audit,
                AuditRecord(
                    idempotency_key=f"po:{self.po.number}:cancelled_from_temporal",
                    actor=FROM_TEMPORAL_ACTOR,
                    action="po.cancelled_from_temporal",
                    subject_type="purchase_order",
                    subject_id=self.po.number,
                    entity_id=self.po.entity_id,
                    after={"reason": FROM_TEMPORAL_REASON, "issued": self.issued, "compensated": cancellable},
                ),
            )
            if not cancellable:
                await self._close_tasks()
                return
        await self._finish("cancelled")

    @cancel.validator
    def _validate_cancel(self, req: CancelRequest) -> None:
        """Nothing to cancel on a finished or fully received PO."""
        self._check_cancel()

    def _check_cancel(self) -> None:
        if self.stage in TERMINAL or self.cancel_requested is not None:
            raise refusal(CONFLICT, f"PO {self.po.number} is {self.stage} already")
        if self.issued and self._fully_received():
            raise refusal(CONFLICT, f"PO {self.po.number} has nothing left to cancel")

    @workflow.query
    def status(self) -> PoStatus:
        """Where the PO is and who it waits on."""
        return PoStatus(
            number=self.po.number,
            stage=self.attention.stage(self.stage),
            revision=self.revision,
            pending_on="admin" if self.attention.parked else self.pending_on,
            expected_date=self.expected,
            total=po_total(list(self.lines.values()), self.po.currency),
            lines=[
                LineStatus(
                    line_no=n,
                    qty=line.qty,
                    received=self.received.get(n, Decimal(0)),
                    cancelled=self.cancelled.get(n, Decimal(0)),
                    invoiced=self.invoiced.get(n, Decimal(0)),
                )
                for n, line in sorted(self.lines.items())
            ],
            open_tasks=[
                OpenTaskView(
                    task_id=t.task_id,
                    kind=t.kind,
                    candidate_role=t.candidate_role,
                    candidate_user=t.candidate_user,
                    revision=t.revision,
                )
                for t in [*self.book.tasks.values(), *self.attention.book.tasks.values()]
            ],
            invoices={i: inv.status for i, inv in self.invoices.items()},
            child_numbers=list(self.children),
        )

    # ---- helpers -------------------------------------------------------------------------------

    async def _act(self, fn: Callable[[Any, A], R], arg: A, *, refuse_data: bool = False) -> R:
        """Run an activity (bounded transient retries); a step failing for good parks the PO on an admin task."""

        async def call() -> R:
            # Each activity is one short transaction: 10 s bounds how long a crashed worker delays a retry.
            result: R = await workflow.execute_activity_method(
                fn, arg, start_to_close_timeout=timedelta(seconds=10), retry_policy=retry.TRANSIENT
            )
            return result

        step = getattr(fn, "__qualname__", "activity")
        return await self.attention.guarded(step, call, refuse_data=refuse_data)

    async def _act_or_refuse(self, fn: Callable[[Any, A], R], arg: A) -> R:
        """An activity checking an update's input: a refusal or bad data fails the update, not the workflow."""
        try:
            return await self._act(fn, arg, refuse_data=True)
        except ActivityError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.non_retryable:
                kind = INVALID if cause.type == DATA else cause.type or INVALID
                raise refusal(kind, cause.message) from exc
            raise

    def _spec(
        self,
        key: str,
        kind: str,
        title: str,
        options: list[str],
        *,
        role: str | None = None,
        user: str | None = None,
        due: datetime | None = None,
        details: dict[str, Any] | None = None,
    ) -> TaskSpec:
        return TaskSpec(
            task_key=key,
            kind=kind,
            workflow_id=workflow.info().workflow_id,
            workflow_type=WORKFLOW_TYPE,
            subject_type="purchase_order",
            subject_id=self.po.number,
            entity_id=self.po.entity_id,
            title=title,
            candidate_role=role,
            candidate_user=user,
            requested_by=self.po.requested_by,
            due_at=due,
            options=options,
            details=details or {},
        )

    async def _open(self, spec: TaskSpec, revision: int | None = None) -> OpenTask:
        """Open a task and remember it in the book."""
        self.opening += 1
        try:
            opened = await self._act(TaskActivities.open_task, spec)
        finally:
            self.opening -= 1
        task = OpenTask(
            task_id=opened.task_id,
            kind=spec.kind,
            options=list(spec.options),
            candidate_role=spec.candidate_role,
            candidate_user=spec.candidate_user,
            requested_by=spec.requested_by,
            revision=revision,
        )
        self.book.add(task)
        if spec.kind in self.sla.slas and workflow.patched(TASK_SLA):
            self.sla.watch(task.task_id, spec.kind, spec.candidate_role, workflow.now())
        return task

    async def _open_exception(self, inv: InvoiceState, reasons: list[str], allow_wait: bool) -> None:
        """Route a match exception to the AP clerks."""
        inv.status = "exception"
        options = ["accept", "reject", "wait_for_receipt"] if allow_wait else ["accept", "reject"]
        spec = self._spec(
            f"po:{self.po.number}:invoice:{inv.invoice_id}:exception:{inv.attempt}",
            "match_exception",
            f"PO {self.po.number}: invoice does not match ({', '.join(reasons)})",
            options,
            role="ap_clerk",
            due=self.sla.first_due("match_exception", workflow.now()),
            details={"invoice_id": inv.invoice_id, "reasons": reasons},
        )
        task = await self._open(spec)
        self.exception_tasks[task.task_id] = inv.invoice_id

    def _approved(self, inv: InvoiceState, out: MatchOutcome) -> None:
        """An invoice approved for payment: its quantities count as invoiced; the due date sets a timer."""
        inv.status = "approved"
        inv.due = out.due_date
        inv.invoiced = dict(out.invoiced)
        for line_no, qty in out.invoiced.items():
            self.invoiced[line_no] = self.invoiced.get(line_no, Decimal(0)) + qty

    async def _cancel_remaining(self, key: str, actor: str, reason: str) -> None:
        """Cancel the open remainder of every line and tell waiters that stock is not coming."""
        done = await self._act(
            PurchasingActivities.cancel_remaining,
            CancelRecord(number=self.po.number, key=key, actor=actor, reason=reason),
        )
        lines: list[InboundLine] = []
        for line_no, qty in sorted(done.items()):
            self.cancelled[line_no] = self.cancelled.get(line_no, Decimal(0)) + qty
            line = self.lines[line_no]
            lines.append(InboundLine(item_id=line.item_id, location_id=line.location_id, qty=qty))
        if lines:
            await self._notify("cancelled", None, lines)

    async def _drop_delay_task(self, resolution: str, actor: str) -> None:
        """The delay question became moot (goods arrived or the rest was cancelled)."""
        assert self.delay_task is not None
        self.book.pop(self.delay_task)
        await self._act(
            TaskActivities.close_task,
            TaskClose(task_id=self.delay_task, status="cancelled", comment=resolution),
        )
        await self._act(
            PurchasingActivities.resolve_delay,
            DelayResolved(number=self.po.number, seq=self.delay_seq, resolution=resolution, actor=actor),
        )
        self.delay_task = None

    async def _notify(self, kind: str, expected: date | None, lines: list[InboundLine]) -> None:
        """Tell workflows waiting on this stock (backordered orders) what changed."""
        if not lines:
            return
        notice = InboundNotice(kind=kind, po_number=self.po.number, expected_date=expected, lines=lines)
        # By name: activities.inbound imports the workflow registry, so importing it here would be circular.
        await self.attention.guarded(
            "inbound.notify",
            lambda: workflow.execute_activity(
                "inbound.notify",
                notice,
                result_type=NotifyResult,
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=retry.TRANSIENT,
            ),
        )

    async def _audit(self, key: str, action: str, after: dict[str, Any]) -> None:
        await self._act(
            TaskActivities.record_audit,
            AuditRecord(
                idempotency_key=key,
                actor="system",
                action=action,
                subject_type="purchase_order",
                subject_id=self.po.number,
                entity_id=self.po.entity_id,
                after=after,
            ),
        )

    async def _refresh_stage(self) -> None:
        """Derive the stage after issue from what has happened so far."""
        if self.stage in TERMINAL:
            return
        if self.exception_tasks:
            stage, pending = "exception", self._holder("match_exception", "ap_clerk")
        elif self.delay_task is not None:
            stage, pending = "delayed", self._holder("supplier_delay", "buyer")
        elif not self._fully_received():
            stage, pending = ("receiving" if any(self.received.values()) else "issued"), "supplier"
        elif any(self.invoiced.get(n, Decimal(0)) < q for n, q in self.received.items()) or any(
            inv.status == "waiting" for inv in self.invoices.values()
        ):
            stage, pending = "matching", "supplier"
        else:
            stage, pending = "awaiting_payment", "payment_run"
        await self._stage(stage, pending)
        dues = [inv.due for inv in self.invoices.values() if inv.status == "approved" and inv.due is not None]
        workflow.upsert_search_attributes([sa.DUE_DATE.value_set(_at(min(dues) if dues else self.expected))])

    async def _stage(self, stage: str, pending: str | None) -> None:
        """Persist a stage change (once per change) and show it to operators."""
        if (stage, pending) == (self.stage, self.pending_on):
            return
        if self.attention.parked:
            # Shown and recorded when the stuck step moves again (needs_attention stays on show till then).
            self.stage, self.pending_on = stage, pending
            return
        if workflow.patched(STAGE_BEFORE_RECORD):
            # Known here before the row says so: a message validated in the activation that carries the
            # activity's result must not see the stage the database has already left.
            self.stage, self.pending_on = stage, pending
        self.stage_seq += 1
        await self._act(
            PurchasingActivities.set_stage,
            StageChange(
                number=self.po.number,
                stage=stage,
                pending_on=pending,
                key=f"po:{self.po.number}:stage:{self.stage_seq}",
            ),
        )
        self._show(stage, pending)

    def _show(self, stage: str, pending: str | None, stuck: str | None = None) -> None:
        """Search attributes and current details: what stage, waiting on whom (or which step is stuck)."""
        self.stage, self.pending_on = stage, pending
        if stuck:
            stage, pending = NEEDS_ATTENTION, "admin"
        workflow.upsert_search_attributes(
            [
                sa.STAGE.value_set(stage),
                sa.PENDING_ON.value_set(pending) if pending else sa.PENDING_ON.value_unset(),
            ]
        )
        waiting = f", waiting on {pending}" if pending else ""
        workflow.set_current_details(
            f"PO {self.po.number} rev {self.revision}: {stage}{waiting}; expected {self.expected};"
            f" received {sum(self.received.values(), Decimal(0))} of {sum(ln.qty for ln in self.lines.values())}"
            + (f"; {stuck}" if stuck else "")
        )

    async def _show_attention(self, stuck: str | None) -> None:
        """A step is stuck (why) or moves again (None): ErpStage, details and the stage row show it."""
        self._show(self.stage, self.pending_on, stuck)
        stage, pending = (NEEDS_ATTENTION, "admin") if stuck else (self.stage, self.pending_on)
        self.stage_seq += 1
        await workflow.execute_activity_method(
            PurchasingActivities.set_stage,
            StageChange(
                number=self.po.number,
                stage=stage,
                pending_on=pending,
                key=f"po:{self.po.number}:stage:{self.stage_seq}",
                reason=stuck[:500] if stuck else None,
            ),
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=retry.UNTIL_DONE,
        )

    def _holder(self, kind: str, default: str) -> str:
        """Who the oldest open task of a kind waits on (its role moves up when it escalates)."""
        roles = [t.candidate_role for _, t in sorted(self.book.tasks.items()) if t.kind == kind]
        return next((r for r in roles if r), default)

    def _total_func(self) -> Decimal:
        total = po_total(list(self.lines.values()), self.po.currency)
        return func_total(total, self.po.fx_rate, self.po.entity_currency)

    def _remaining(self) -> dict[int, Decimal]:
        """Open quantity per line (ordered - received - cancelled)."""
        out: dict[int, Decimal] = {}
        for n, line in sorted(self.lines.items()):
            left = line.qty - self.received.get(n, Decimal(0)) - self.cancelled.get(n, Decimal(0))
            if left > 0:
                out[n] = left
        return out

    def _remaining_lines(self) -> list[InboundLine]:
        return [
            InboundLine(item_id=self.lines[n].item_id, location_id=self.lines[n].location_id, qty=q)
            for n, q in self._remaining().items()
        ]

    def _fully_received(self) -> bool:
        return not self._remaining()
