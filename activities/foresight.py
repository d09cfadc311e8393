"""Activities of the master-data quality check: scan the rules, open the data owners' tasks."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from temporalio import activity

from erp.db import session_scope
from models.contracts.foresight import OpenProblemTasks, ProblemTasksOpened, ScanRequest, ScanResult
from services.foresight import data_quality


class ForesightActivities:
    """Foresight I/O; idempotent through problem keys (one per entity, rule, record) and task keys."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn(name="foresight.scan_master_data")
    def scan_master_data(self, req: ScanRequest) -> ScanResult:
        """Run every rule, record problems, mark fixed ones (closing their tasks); list those without a task."""
        with session_scope(self.engine) as s:
            return data_quality.scan(s, req)

    @activity.defn(name="foresight.open_problem_tasks")
    def open_problem_tasks(self, req: OpenProblemTasks) -> ProblemTasksOpened:
        """Open one task per new problem for its owner role and link it to the problem."""
        with session_scope(self.engine) as s:
            return ProblemTasksOpened(tasks=data_quality.open_problem_tasks(s, req))

    def all(self) -> list[Callable[..., Any]]:
        """Every activity method, for the registry."""
        return [self.scan_master_data, self.open_problem_tasks]
