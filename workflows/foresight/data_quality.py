"""The daily master-data quality check of one entity: scan the rules, give each new problem a task."""

from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.foresight import ForesightActivities
    from models.contracts.foresight import (
        DataQualityInput,
        DataQualityResult,
        NewProblem,
        OpenProblemTasks,
        ScanRequest,
    )
    from workflows import retry
    from workflows import search_attributes as sa

WORKFLOW_TYPE = "DataQualityCheck"
# Tasks are opened in batches so a first run over a messy catalogue stays a handful of activities.
BATCH = 100
_ACT: dict[str, Any] = {
    "start_to_close_timeout": timedelta(minutes=5),
    "retry_policy": retry.transient("NotFound"),
}


def data_quality_workflow_id(entity_code: str, day: str) -> str:
    """One manual check per entity and day (schedule runs get Temporal's fire-time suffix instead)."""
    return f"DataQuality-{entity_code}-{day}"


@workflow.defn(name=WORKFLOW_TYPE)
class DataQualityCheckWorkflow:
    """Checks items, suppliers, prices, customers and accounts; the next run closes what got fixed."""

    @workflow.run
    async def run(self, inp: DataQualityInput) -> DataQualityResult:
        """Scan, then open the owners' tasks for problems that have none yet."""
        nominal = sa.scheduled_or_now()
        day = inp.day or nominal.date()
        workflow.upsert_search_attributes(
            [
                sa.DOCUMENT_TYPE.value_set("data_quality_check"),
                sa.DOCUMENT_NUMBER.value_set(f"{inp.entity_code}-{day}"),
                sa.ENTITY.value_set(inp.entity_code),
            ]
        )
        scan = await workflow.execute_activity_method(
            ForesightActivities.scan_master_data, ScanRequest(entity_code=inp.entity_code, day=day), **_ACT
        )
        opened = 0
        for start in range(0, len(scan.new), BATCH):
            batch: list[NewProblem] = scan.new[start : start + BATCH]
            done = await workflow.execute_activity_method(
                ForesightActivities.open_problem_tasks,
                OpenProblemTasks(
                    entity_id=scan.entity_id,
                    workflow_id=workflow.info().workflow_id,
                    workflow_type=WORKFLOW_TYPE,
                    problems=batch,
                ),
                **_ACT,
            )
            opened += len(done.tasks)
        workflow.set_current_details(
            f"Data quality {inp.entity_code} {day}: {scan.open_problems} open problems,"
            f" {len(scan.new)} new, {scan.fixed} fixed, {opened} tasks opened"
        )
        return DataQualityResult(
            entity_code=inp.entity_code,
            day=day,
            open_problems=scan.open_problems,
            new_problems=len(scan.new),
            fixed=scan.fixed,
            tasks_opened=opened,
        )
