"""The tasks of an import's lines (a bank statement, a PSP payout): one task per line a person decides, the
line each task is about, and the wait until every one is decided. Workflow code: the same commands in the
same order as each workflow issued them before (open_task per line; on a decision the resolving activity,
then close_task), so recorded histories replay."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.tasks import TaskActivities
    from models.contracts.tasks import DecisionRequest, DecisionResult, TaskSpec
    from workflows import retry
    from workflows.inbox import OpenTask, TaskBook, close_decided, decided

ACT: dict[str, Any] = {"start_to_close_timeout": timedelta(seconds=30), "retry_policy": retry.TRANSIENT}

Imported = TypeVar("Imported", bound=BaseModel)


@dataclass
class LineTasks(Generic[Imported]):
    """Open tasks by id, the line number each is about, and what the import answered (with its open tasks)."""

    book: TaskBook = field(default_factory=TaskBook)
    lines: dict[int, int] = field(default_factory=dict)
    result: Imported | None = None

    async def open(self, spec: TaskSpec, line_no: int) -> None:
        """Open the task of one line (once per task key) and remember it."""
        opened = await workflow.execute_activity_method(TaskActivities.open_task, spec, **ACT)
        self.book.add(
            OpenTask(
                task_id=opened.task_id,
                kind=spec.kind,
                options=spec.options,
                candidate_role=spec.candidate_role,
            )
        )
        self.lines[opened.task_id] = line_no

    async def wait_all_decided(self, imported: Imported, details: str) -> Imported:
        """Show the import with its open tasks, say what it waits on, and end with it once every line is decided."""
        self.result = self.with_open_ids(imported)
        workflow.set_current_details(details)
        await self.all_decided()
        return self.result

    async def imported(self) -> Imported:
        """What the import answered, once every line's task is open (the API answers the import with it)."""
        await workflow.wait_condition(lambda: self.result is not None)
        assert self.result is not None
        return self.result

    def answered(self) -> Imported:
        """What the import answered; a decision comes only after it."""
        assert self.result is not None
        return self.result

    def with_open_ids(self, imported: Imported) -> Imported:
        """The import's answer with the tasks open now."""
        return imported.model_copy(update={"open_tasks": self.open_ids})

    def check(self, req: DecisionRequest) -> None:
        """The validator's refusal of a wrong actor or a decided task; a task being opened passes for now."""
        if self.book.not_yet_seen(req.task_id):
            return  # possibly a task being opened: `decide` checks it once it is in the book
        self.book.authorize(req)

    async def decide(self, req: DecisionRequest, resolve: Callable[[int], Awaitable[None]]) -> DecisionResult:
        """Take the decided task, resolve its line (the workflow's own activity), close the task in the inbox."""
        await self.book.seen(req.task_id)
        task, acting_for, line_no = self.take(req)
        await resolve(line_no)
        await self.close(task, req, acting_for)
        self.result = self.with_open_ids(self.answered())
        return decided(task, req, acting_for, self.stage)

    def take(self, req: DecisionRequest) -> tuple[OpenTask, str | None, int]:
        """The decided task (forgotten now, so a second decision meanwhile is refused), whom the actor acts
        for, and its line."""
        task, acting_for = self.book.authorize(req)
        self.book.pop(task.task_id)
        return task, acting_for, self.lines[task.task_id]

    async def close(self, task: OpenTask, req: DecisionRequest, acting_for: str | None) -> None:
        """Close the decided task in the inbox."""
        await close_decided(self.book, task, req, acting_for, **ACT)

    async def all_decided(self) -> None:
        """Wait until no task is open and no handler runs."""
        await workflow.wait_condition(lambda: not self.book.tasks and workflow.all_handlers_finished())

    @property
    def open_ids(self) -> list[int]:
        """The open tasks' ids, in order."""
        return sorted(self.book.tasks)

    @property
    def stage(self) -> str:
        """`exception` while a line waits, else `posted`."""
        return "exception" if self.book.tasks else "posted"
