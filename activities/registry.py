"""Every activity the worker runs, bound to its dependencies (the composition root for activities)."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from activities.tasks import TaskActivities


def build_activities(engine: Engine) -> list[Callable[..., Any]]:
    """Instantiate the activity classes with the engine and list their activity methods."""
    task_acts = TaskActivities(engine)
    return [task_acts.open_task, task_acts.close_task, task_acts.escalate_task, task_acts.record_audit]
