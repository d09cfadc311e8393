"""The controllers' side of a close: a task per reconciliation difference, the sign-off task of each round
(reminded and escalated on its service level), and their decisions: accept, approve or send back."""

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.close import CloseActivities
    from activities.tasks import TaskActivities
    from models.contracts.close import CloseContext, DifferenceOut, DifferenceTask, OpenTaskView, RecordStep
    from models.contracts.errors import CONFLICT, INVALID
    from models.contracts.tasks import DecisionRequest, TaskClose, TaskOpened, TaskSpec
    from workflows.close.options import ACT, WORKFLOW_TYPE
    from workflows.inbox import OpenTask, TaskBook, refusal
    from workflows.sla import SlaWatch, Subject, wait_with_sla

A = TypeVar("A")
R = TypeVar("R")
CONTROLLER = "controller"
SIGNOFF = "close_signoff"
DIFFERENCE = "close_difference"
SIGNOFF_OPTIONS = ["approve", "send_back"]
DIFFERENCE_OPTIONS = ["accept", "send_back"]


def _controller_task(
    ctx: CloseContext, key: str, kind: str, title: str, options: list[str], details: dict[str, Any]
) -> TaskSpec:
    """A task of this close for the controllers, keyed within the entity's period."""
    return TaskSpec(
        task_key=f"close:{ctx.entity_code}:{ctx.period}:{key}",
        kind=kind,
        workflow_id=workflow.info().workflow_id,
        workflow_type=WORKFLOW_TYPE,
        subject_type="period_close",
        subject_id=f"{ctx.entity_code}-{ctx.period}",
        entity_id=ctx.entity_id,
        title=title,
        candidate_role=CONTROLLER,
        options=options,
        details=details,
    )


async def _run(fn: Callable[[Any, A], R], arg: A) -> R:
    """An inbox activity on the close's retry policy (reminders and escalations)."""
    result: R = await workflow.execute_activity_method(fn, arg, **ACT)
    return result


class SignOffStage:
    """The controllers' open tasks, the round waiting for sign-off, and who approved or sent it back."""

    def __init__(self) -> None:
        self.tasks = TaskBook()
        self.sla = SlaWatch({})
        self.approved_by: str | None = None
        self.sent_back_by: str | None = None
        self.accepted: dict[str, str] = {}
        self.task_checks: dict[int, str] = {}
        self.round = 0
        self.awaiting = False

    async def _open(self, spec: TaskSpec) -> TaskOpened:
        """Open a controller task; the caller adds it to the book."""
        opened: TaskOpened = await workflow.execute_activity_method(TaskActivities.open_task, spec, **ACT)
        return opened

    async def route_difference(self, ctx: CloseContext, round_no: int, diff: DifferenceOut) -> DifferenceOut:
        """A difference never passes silently: it becomes a controller task listing its documents."""
        opened = await self._open(
            _controller_task(
                ctx,
                f"r{round_no}:diff:{diff.check_name}",
                DIFFERENCE,
                f"{ctx.period}: {diff.check_name} differs by {diff.difference:.2f} {ctx.currency}",
                DIFFERENCE_OPTIONS,
                diff.model_dump(mode="json"),
            )
        )
        self.tasks.add(
            OpenTask(
                task_id=opened.task_id, kind=DIFFERENCE, options=DIFFERENCE_OPTIONS, candidate_role=CONTROLLER
            )
        )
        self.sla.watch_opened(opened.task_id, DIFFERENCE, CONTROLLER, opened.sla)
        self.task_checks[opened.task_id] = diff.check_name
        await workflow.execute_activity_method(
            CloseActivities.link_difference_task,
            DifferenceTask(
                run_id=ctx.run_id, round=round_no, check_name=diff.check_name, task_id=opened.task_id
            ),
            **ACT,
        )
        return diff.model_copy(update={"task_id": opened.task_id})

    async def open(self, ctx: CloseContext, round_no: int, differences: list[DifferenceOut]) -> datetime:
        """A new round: forget the last one's decisions and open its sign-off task; returns when it opened."""
        self.approved_by = self.sent_back_by = None
        self.accepted = {}
        opened_at = workflow.now()
        await self._open_signoff_task(ctx, round_no, differences)
        return opened_at

    async def wait(self, ctx: CloseContext, round_no: int) -> bool:
        """Until approved (True) or sent back (False); then the round's remaining tasks are moot and close."""
        self.round, self.awaiting = round_no, True
        # Differences and the sign-off remind (and escalate, if the entity names a role) on their service level.
        await wait_with_sla(
            lambda: self.approved_by is not None or self.sent_back_by is not None,
            self.sla,
            self.tasks,
            Subject("period_close", f"{ctx.entity_code}-{ctx.period}", ctx.entity_id),
            _run,
        )
        self.awaiting = False
        approved = self.approved_by is not None
        for task in list(self.tasks.tasks.values()):
            # Tasks of a round sent back are moot: the next round opens fresh ones.
            self.tasks.pop(task.task_id)
            await workflow.execute_activity_method(
                TaskActivities.close_task,
                TaskClose(task_id=task.task_id, status="cancelled", decided_by=self.sent_back_by),
                **ACT,
            )
        return approved

    async def _open_signoff_task(
        self, ctx: CloseContext, round_no: int, differences: list[DifferenceOut]
    ) -> None:
        """The controller's sign-off task of this round, listing every difference."""
        opened = await self._open(
            _controller_task(
                ctx,
                f"r{round_no}:signoff",
                SIGNOFF,
                f"Sign off the {ctx.period} close of {ctx.entity_code}"
                + (f" ({len(differences)} reconciliation differences)" if differences else ""),
                SIGNOFF_OPTIONS,
                {"round": round_no, "differences": [d.model_dump(mode="json") for d in differences]},
            )
        )
        self.tasks.add(
            OpenTask(task_id=opened.task_id, kind=SIGNOFF, options=SIGNOFF_OPTIONS, candidate_role=CONTROLLER)
        )
        self.sla.watch_opened(opened.task_id, SIGNOFF, CONTROLLER, opened.sla)

    async def record(
        self,
        ctx: CloseContext,
        round_no: int,
        opened_at: datetime,
        approved: bool,
        differences: list[DifferenceOut],
    ) -> None:
        """The sign-off step of the run: who decided, and the differences they accepted."""
        await workflow.execute_activity_method(
            CloseActivities.record_step,
            RecordStep(
                run_id=ctx.run_id,
                round=round_no,
                seq=6,
                step="sign_off",
                started_at=opened_at,
                finished_at=workflow.now(),
                outcome="approved" if approved else "sent_back",
                details={
                    "by": self.approved_by or self.sent_back_by,
                    "accepted_differences": self.accepted,
                    "differences": [d.model_dump(mode="json") for d in differences],
                },
            ),
            **ACT,
        )

    def open_tasks(self) -> list[OpenTaskView]:
        """The round's open tasks in id order, with the check each difference came from."""
        return [
            OpenTaskView(task_id=t.task_id, kind=t.kind, check_name=self.task_checks.get(t.task_id))
            for t in sorted(self.tasks.tasks.values(), key=lambda t: t.task_id)
        ]

    def decided(self, task: OpenTask, req: DecisionRequest) -> None:
        """Send back, approve the close, or accept a difference (with its reason)."""
        if req.decision == "send_back":
            self.sent_back_by = req.actor
        elif task.kind == SIGNOFF:
            self.approved_by = req.actor
        else:
            self.accepted[self.task_checks[task.task_id]] = req.comment or ""

    def check_decision(self, req: DecisionRequest) -> None:
        """Differences are decided before the sign-off; an accepted difference says why."""
        if self.tasks.not_yet_seen(req.task_id):
            return  # possibly the task being opened: the handler checks once it is in the book
        task, _ = self.tasks.authorize(req)
        open_diffs = self.tasks.of_kind(DIFFERENCE)
        if task.kind == SIGNOFF and req.decision == "approve" and open_diffs:
            raise refusal(CONFLICT, f"decide the {len(open_diffs)} open reconciliation difference(s) first")
        if task.kind == DIFFERENCE and req.decision == "accept" and not (req.comment or "").strip():
            raise refusal(INVALID, "comment: say why the difference is accepted")
