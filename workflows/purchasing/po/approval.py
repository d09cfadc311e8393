"""The approval stage: sequential levels per revision, reminders and escalation, revisions by the requester."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.purchasing import PurchasingActivities
    from activities.tasks import TaskActivities
    from models.contracts.purchasing import LevelSnapshot, SaveRevision, WindowQuery
    from models.contracts.tasks import DecisionRequest, TaskEscalation
    from rules.approval import ApprovalLevel, Document, escalation_role
    from workflows import search_attributes as sa
    from workflows.inbox import OpenTask
    from workflows.purchasing import checks
    from workflows.purchasing.po.effects import Effects
    from workflows.purchasing.po.facts import APPROVAL_OPTIONS, Decided, PoFacts
    from workflows.purchasing.policy import approval_chain, level_reasons, po_total
    from workflows.sla import wait_with_sla

KINDS = ("po_approval", "po_revision")


class ApprovalStage:
    """Approval levels and revisions; the decisions the `decide` update hands over wait here."""

    def __init__(self, facts: PoFacts, fx: Effects) -> None:
        self.facts, self.fx = facts, fx
        self.decided: dict[int, Decided] = {}

    async def run(self) -> str:
        """Sequential levels per revision; request_changes loops back through a revision task."""
        facts = self.facts
        while True:
            levels = approval_chain(
                facts.po.policy, list(facts.lines.values()), facts.total_func(), facts.po.entity_id
            )
            verdict = "approved"
            for i, level in enumerate(levels):
                decided = await self._level(i + 1, level)
                if decided is None:
                    return "cancelled"
                if decided.req.decision == "reject":
                    facts.reason = decided.req.comment or "rejected"
                    return "rejected"
                if decided.req.decision == "request_changes":
                    verdict = "changes"
                    break
            if verdict == "approved":
                return "approved"
            if not await self._revise():
                return "cancelled"

    async def _level(self, level_no: int, level: LevelSnapshot) -> Decided | None:
        """Open one level's task and wait for it, reminding and escalating on the SLA."""
        facts, po = self.facts, self.facts.po
        sla = timedelta(hours=po.policy.sla_hours)
        key = f"po:{po.number}:r{facts.revision}:approval:{level_no}"
        total = po_total(list(facts.lines.values()), po.currency)
        details: dict[str, Any] = {
            "amount": str(total),
            "amount_func": str(facts.total_func()),
            "currency": po.currency,
            "revision": facts.revision,
            "level": level_no,
        }
        title = f"Approve PO {po.number} ({total} {po.currency}), level {level_no}"
        reasons = level_reasons(po.policy, level)
        if reasons:
            # A level a policy flag added (failed score input, over budget): the approver sees why.
            details["why"] = "; ".join(reasons)
            title += f": {details['why']}"[:300]
        spec = self.fx.spec(
            key,
            "po_approval",
            title,
            APPROVAL_OPTIONS,
            role=level.role,
            user=level.user,
            due=workflow.now() + sla,
            details=details,
        )
        task = await self.fx.open(spec, revision=facts.revision)
        await self.fx.set_stage("approval", level.role or level.user)
        return await self._await_decision(task, sla)

    async def _await_decision(self, task: OpenTask, sla: timedelta) -> Decided | None:
        """Reminder at half the SLA, escalation to the next role at the SLA, repeated up the chain."""
        reminded = False
        nudges = 0
        while True:
            try:
                await workflow.wait_condition(
                    lambda: task.task_id in self.decided or self.facts.cancel_requested is not None,
                    timeout=sla / 2,
                )
            except TimeoutError:
                if task.task_id not in self.fx.book.tasks:
                    continue  # a decision is being recorded right now
                nudges += 1
                if not reminded:
                    reminded = True
                    await self.fx.audit(
                        f"task:{task.task_id}:reminder:{nudges}",
                        "task.reminder",
                        {"task_id": task.task_id, "waiting_on": task.candidate_role or task.candidate_user},
                    )
                    continue
                reminded = False
                await self._escalate(task, sla)
                continue
            if task.task_id in self.decided:
                return self.decided.pop(task.task_id)
            return None

    async def _escalate(self, task: OpenTask, sla: timedelta) -> None:
        """Move the task to the next role of the escalation chain (at its top: keep reminding)."""
        target = escalation_role(
            task.candidate_role or task.candidate_user or "", self.facts.po.policy.escalation
        )
        if target is None:
            return  # top of the chain: keep reminding
        task.escalation_level += 1
        task.candidate_role, task.candidate_user = target, None
        await self.fx.act(
            TaskActivities.escalate_task,
            TaskEscalation(
                task_id=task.task_id,
                candidate_role=target,
                escalation_level=task.escalation_level,
                due_at=workflow.now() + sla,
            ),
        )
        await self.fx.set_stage("approval", target)

    async def _revise(self) -> bool:
        """Back to the requester: a submitted revision restarts approval at level 1 (False: withdrawn)."""
        facts, po = self.facts, self.facts.po
        key = f"po:{po.number}:r{facts.revision}:revise"
        spec = self.fx.spec(
            key,
            "po_revision",
            f"Revise PO {po.number}",
            ["submit", "withdraw"],
            user=po.requested_by,
            details={"revision": facts.revision},
        )
        task = await self.fx.open(spec, revision=facts.revision)
        await self.fx.set_stage("draft", po.requested_by)
        # A revision nobody submits is reminded on its service level (POs snapshotting one).
        await wait_with_sla(
            lambda: task.task_id in self.decided or facts.cancel_requested is not None,
            self.fx.sla,
            self.fx.book,
            self.fx.subject,
            self.fx.act,
        )
        decided = self.decided.pop(task.task_id, None)
        if decided is None or decided.req.decision == "withdraw":
            if decided is not None:  # a cancellation (decided None) keeps its own reason
                facts.reason = "withdrawn by the requester"
            return False
        await self._save_revision(decided.req)
        return True

    async def _save_revision(self, req: DecisionRequest) -> None:
        """The submitted lines and date become the next revision, which goes through approval again."""
        facts, po = self.facts, self.facts.po
        lines = checks.revised_lines(facts.lines, req.payload, po.landed_cost_pct)
        facts.lines = {line.line_no: line for line in lines}
        facts.revision += 1
        payload_date = req.payload.get("expected_date")
        if payload_date:
            facts.expected = date.fromisoformat(str(payload_date))
        total = po_total(lines, po.currency)
        await self.fx.act(
            PurchasingActivities.save_revision,
            SaveRevision(
                number=po.number,
                revision=facts.revision,
                lines=lines,
                total=total,
                total_func=facts.total_func(),
                expected_date=facts.expected,
            ),
        )
        workflow.upsert_search_attributes([sa.AMOUNT.value_set(float(facts.total_func()))])
        await self.fx.set_stage("approval", None)

    # ---- decisions -----------------------------------------------------------------------------

    def check(
        self, task: OpenTask, req: DecisionRequest, acting_for: str | None, *, limit_required: bool
    ) -> None:
        """SoD and limits for an approval; a submitted revision's payload must make valid lines."""
        facts, po = self.facts, self.facts.po
        if task.kind == "po_approval":
            amount = facts.total_func() if req.decision == "approve" else Decimal(0)
            checks.check_approver(
                checks.approver(req, acting_for, Decimal(0)),
                ApprovalLevel(role=task.candidate_role, user=task.candidate_user),
                Document(po.requested_by, amount, supplier_created_by=po.supplier_created_by),
                limit_required=limit_required,
            )
        elif req.decision == "submit":
            checks.revised_lines(facts.lines, req.payload, po.landed_cost_pct)

    async def check_window(
        self, task: OpenTask, req: DecisionRequest, acting_for: str | None, *, limit_required: bool
    ) -> None:
        """The anti-splitting cap needs the approver's recent approvals, read from the database."""
        po = self.facts.po
        used = await self.fx.act(
            PurchasingActivities.approved_in_window,
            WindowQuery(username=acting_for or req.actor, days=po.policy.window_days, as_of=workflow.now()),
        )
        level = ApprovalLevel(role=task.candidate_role, user=task.candidate_user)
        checks.check_approver(
            checks.approver(req, acting_for, used),
            level,
            Document(po.requested_by, self.facts.total_func(), supplier_created_by=po.supplier_created_by),
            po.policy.window_cap,
            limit_required=limit_required,
        )

    def hand_over(self, task: OpenTask, req: DecisionRequest, acting_for: str | None) -> None:
        """The decision is closed in the inbox: the waiting level or revision takes it from here."""
        self.decided[task.task_id] = Decided(req, acting_for)
