"""An approver who lives in the terminal: `erp tasks list`, `show`, `approve` against the real API
server, with clear messages when they may not act or are too late."""

import os
import subprocess
import sys
import uuid

from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from erp.settings import PROJECT_ROOT
from tests.factories import Factory
from tests.workflows.conftest import PROBE_QUEUE
from tests.workflows.signoff_probe import SignOffInput, SignOffWorkflow
from tests.workflows.test_task_inbox import _task_for


def _erp(url: str, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ERP_API_URL": url, "ERP_TOKEN": token, "ERP_CONFIG": "/nonexistent/erp.json"}
    return subprocess.run(
        [sys.executable, "-m", "erp.cli.main", "tasks", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_approve_from_the_terminal(
    temporal_dev: WorkflowEnvironment, engine: Engine, factory: Factory, api_server: str, probe_worker: None
) -> None:
    entity = factory.entity()
    assert entity.id is not None
    requester, requester_token = factory.user("approver", entities=(entity,))
    approver, approver_token = factory.user("approver", entities=(entity,))
    document = f"DOC-{uuid.uuid4().hex[:6]}"
    handle = await temporal_dev.client.start_workflow(
        SignOffWorkflow.run,
        SignOffInput(document=document, entity_id=entity.id, requested_by=requester.username),
        id=f"SignOff-{document}",
        task_queue=PROBE_QUEUE,
    )
    task = await _task_for(engine, document)

    listed = _erp(api_server, approver_token, "list")
    assert listed.returncode == 0 and f"Sign off {document}" in listed.stdout
    shown = _erp(api_server, approver_token, "show", str(task.id))
    decisions = next(line for line in shown.stdout.splitlines() if line.startswith("decisions"))
    assert decisions.split()[1:] == ["approve,", "reject"], shown.stdout
    own = _erp(api_server, requester_token, "approve", str(task.id))
    assert own.returncode == 1 and "You may not do this" in own.stderr
    done = _erp(api_server, approver_token, "approve", str(task.id), "--comment", "fine")
    assert done.returncode == 0, done.stderr
    # The confirmation says what happens next, not only that the decision was recorded.
    assert done.stdout.strip() == f"signoff {document} approved; the document is now approved.", done.stdout
    again = _erp(api_server, approver_token, "reject", str(task.id), "--reason", "changed my mind")
    assert again.returncode == 1 and "Too late" in again.stderr
    assert (await handle.result()).decided_by == approver.username
