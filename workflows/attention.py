"""Needs attention: a step that failed for good parks its document on an admin task instead of failing it.

A document workflow runs its activities through `Attention.guarded`. When a step fails with the worker's
"DataError" (erp.failures) or has used up its transient retries (workflows.retry), the helper shows the
document as "needs_attention" (the workflow's `show` callback: stage row, ErpStage, current details), opens
a task of kind "needs_attention" for the admin role with the step and the error in its title, and waits.
The workflow's `decide` update hands that task's decision here: "retry" runs the step again (after the
cause is fixed). Business refusals (any other non-retryable ApplicationError) are raised to the caller as
before, so updates keep answering 409/422.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, RetryState

with workflow.unsafe.imports_passed_through():
    from activities.tasks import TaskActivities
    from models.contracts.errors import DATA
    from models.contracts.tasks import DecisionRequest, DecisionResult, TaskSpec
    from workflows.inbox import OpenTask, TaskBook, close_decided, decided
    from workflows.retry import UNTIL_DONE
    from workflows.sla import SlaWatch, wait_with_sla
    from workflows.sla import Subject as SlaSubject

NEEDS_ATTENTION: Final = "needs_attention"
KIND = "needs_attention"
ROLE = "admin"
RETRY = "retry"
OPTIONS = [RETRY]
TITLE_REASON = 240
_TIMEOUT = timedelta(seconds=10)
T = TypeVar("T")
A = TypeVar("A")
R = TypeVar("R")

# Retries used up (attempts) or the schedule-to-close budget spent: the step is not coming back on its own.
_GAVE_UP = (RetryState.MAXIMUM_ATTEMPTS_REACHED, RetryState.TIMEOUT)


def stuck_reason(exc: ActivityError, *, refuse_data: bool = False) -> str | None:
    """Why a failed step needs a person, or None when the caller handles the failure (a business refusal).

    `refuse_data`: the step checks a request's own input (inside an update), so bad data refuses the
    request instead of parking the document."""
    cause = exc.cause
    if isinstance(cause, ApplicationError) and cause.type == DATA:
        return None if refuse_data else cause.message
    if isinstance(cause, ApplicationError) and cause.non_retryable:
        return None
    if exc.retry_state in _GAVE_UP:
        return f"still failing when its retries ran out: {cause or exc}"
    return None


@dataclass(frozen=True)
class Subject:
    """The document a workflow carries, as its inbox tasks name it."""

    workflow_type: str
    subject_type: str
    subject_id: str
    entity_id: int
    label: str  # e.g. "PO 100012"
    key: str  # business-key prefix of its task keys, e.g. "po:100012"


class Attention:
    """The stuck steps of one document workflow and their admin tasks (deterministic workflow state)."""

    def __init__(self, subject: Subject, show: Callable[[str | None], Awaitable[None]]) -> None:
        self.subject = subject
        # show(reason): the document is stuck (stage needs_attention); show(None): it moves again.
        self.show = show
        self.book = TaskBook()
        self.opening = 0
        self.stuck = 0
        self.seq = 0
        self.decided: set[int] = set()
        # Stage changes in order: a resume and a new failure must not race their stage rows.
        self.showing = asyncio.Lock()
        # Admin tasks nobody takes are reminded on their service level (task_sla kind needs_attention).
        self.sla = SlaWatch({})

    @property
    def parked(self) -> bool:
        """Is any step waiting for an admin?"""
        return self.stuck > 0

    def stage(self, stage: str) -> str:
        """The stage to show: needs_attention while a step is stuck, else the document's own."""
        return NEEDS_ATTENTION if self.parked else stage

    async def guarded(self, step: str, call: Callable[[], Awaitable[T]], *, refuse_data: bool = False) -> T:
        """Run a step; if it fails for good, park on an admin task and run it again on "retry"."""
        while True:
            try:
                return await call()
            except ActivityError as exc:
                reason = stuck_reason(exc, refuse_data=refuse_data)
                if reason is None:
                    raise
            await self._park(step, reason)

    async def _park(self, step: str, reason: str) -> None:
        """Show the document as stuck, open the admin task, and wait for its decision."""
        self.stuck += 1
        self.seq += 1
        self.opening += 1
        try:
            if self.stuck == 1:
                await self._show(f"{step} failed: {reason}")
            task = await self._open(step, reason)
        finally:
            self.opening -= 1
        subject = SlaSubject(self.subject.subject_type, self.subject.subject_id, self.subject.entity_id)
        await wait_with_sla(lambda: task.task_id in self.decided, self.sla, self.book, subject, self._run)
        self.decided.discard(task.task_id)

    async def _run(self, fn: Callable[[Any, A], R], arg: A) -> R:
        """A reminder's activity: like reporting the stuck step, it retries until the database is back."""
        result: R = await workflow.execute_activity_method(
            fn, arg, start_to_close_timeout=_TIMEOUT, retry_policy=UNTIL_DONE
        )
        return result

    async def _open(self, step: str, reason: str) -> OpenTask:
        subject = self.subject
        short = reason if len(reason) <= TITLE_REASON else reason[: TITLE_REASON - 1] + "…"
        spec = TaskSpec(
            task_key=f"{subject.key}:attention:{self.seq}"[:200],
            kind=KIND,
            workflow_id=workflow.info().workflow_id,
            workflow_type=subject.workflow_type,
            subject_type=subject.subject_type,
            subject_id=subject.subject_id,
            entity_id=subject.entity_id,
            title=f"{subject.label} needs attention: step {step} failed: {short}",
            candidate_role=ROLE,
            options=OPTIONS,
            details={"step": step, "error": reason[:2000], "failure": self.seq},
        )
        # Reporting a stuck step must get through: it retries for as long as the database is away.
        opened = await workflow.execute_activity_method(
            TaskActivities.open_task, spec, start_to_close_timeout=_TIMEOUT, retry_policy=UNTIL_DONE
        )
        task = OpenTask(task_id=opened.task_id, kind=KIND, options=list(OPTIONS), candidate_role=ROLE)
        self.book.add(task)
        self.sla.watch_opened(task.task_id, KIND, ROLE, opened.sla)
        return task

    # ---- the decide update -------------------------------------------------------------------------

    def owns(self, task_id: int) -> bool:
        """Is this one of the needs-attention tasks?"""
        return task_id in self.book.tasks

    def authorize(self, req: DecisionRequest) -> None:
        """Validator: the task is open, the option exists and the actor is an admin."""
        self.book.authorize(req)

    def screens(self, book: TaskBook, req: DecisionRequest) -> bool:
        """Validator, before the document's own checks: True when nothing more can be checked now: a
        needs-attention task (checked here), or a task being opened that neither book holds yet."""
        if self.owns(req.task_id):
            self.authorize(req)
            return True
        if self.opening and req.task_id not in book.tasks:
            return True  # possibly the needs-attention task being opened: the handler checks it
        return book.not_yet_seen(req.task_id) and req.task_id not in self.book.closed

    async def arrival(self, book: TaskBook, task_id: int) -> None:
        """Handler: wait until a task the inbox shows is in this book or the document's (bounded)."""
        if self.opening:
            await workflow.wait_condition(lambda: self.opening == 0)
        if not self.owns(task_id) and task_id not in self.book.closed:
            await book.seen(task_id)

    async def decide(self, req: DecisionRequest, stage: Callable[[], str]) -> DecisionResult:
        """Record the "retry", show the document's own `stage()` again, and let the stuck step run again."""
        task, acting_for = self.book.authorize(req)
        await close_decided(
            self.book, task, req, acting_for, start_to_close_timeout=_TIMEOUT, retry_policy=UNTIL_DONE
        )
        self.stuck -= 1
        if self.stuck == 0:
            await self._show(None)
        self.decided.add(task.task_id)
        return decided(task, req, acting_for, self.stage(stage()))

    async def _show(self, reason: str | None) -> None:
        """Record the stage through the workflow; a stage row that cannot be written must not hide the task."""
        async with self.showing:
            try:
                await self.show(reason)
            except ActivityError as exc:
                workflow.logger.warning("stage of %s not recorded: %s", self.subject.label, exc.cause or exc)
