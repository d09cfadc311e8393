"""An operator follows docs/operations.md's runbook on a system `erp up` started: finds stuck work, cancels,
terminates (then reconciles) and resets POs waiting for approval, replays a waiting PO's history before a
deploy, rotates a token and a webhook secret, then backs the system up, makes a PO, restores the backup,
and finds both databases back at the same moment: the later PO gone, the waiting one approvable."""

import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from erp.demo.simulate import Simulator
from erp.settings import PROJECT_ROOT
from tests.e2e.test_make_run import _env, _free_port, _start, _stop, _wait_ready

pytestmark = pytest.mark.slow

DOC = PROJECT_ROOT / "docs" / "operations.md"
BLOCK = re.compile(
    r"<!-- (runbook|runbook: backup|runbook: restore|illustrative) -->\s*```bash\n(.*?)```", re.S
)
BUYER = {"Authorization": "Bearer demo-bea.buyer"}


def blocks(mark: str) -> list[str]:
    """The runbook's shell blocks with this mark, in reading order."""
    return [body for found, body in BLOCK.findall(DOC.read_text()) if found == mark]


def test_every_shell_block_is_run_or_marked_illustrative() -> None:
    every = re.findall(r"```bash\n", DOC.read_text())
    assert len(every) == len(BLOCK.findall(DOC.read_text()))
    assert len(blocks("runbook")) >= 5 and blocks("runbook: backup") and blocks("runbook: restore")


def _run(block: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", block],
        cwd=PROJECT_ROOT,
        env={**env, "PATH": f"{PROJECT_ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, (
        f"{block}\n--- stdout\n{done.stdout[-2000:]}\n--- stderr\n{done.stderr[-2000:]}"
    )
    return done.stdout


def _new_po(api: str) -> str:
    """A small NORDTEX PO for EU01 that waits for Ali's approval."""
    cat = Simulator(api, 1).catalogue()
    supplier = cat.suppliers["NORDTEX"]["id"]
    body: dict[str, Any] = {
        "entity_id": cat.entities["EU01"],
        "supplier_id": supplier,
        "lines": [
            {"item_id": cat.prices[supplier][0][0], "location_id": cat.locations["WH-CENTRAL"], "qty": "5"}
        ],
    }
    created = httpx.post(f"{api}/purchase-orders", json=body, headers=BUYER, timeout=60)
    assert created.status_code == 201, created.text
    return str(created.json()["number"])


def _stage(api: str, number: str) -> str | None:
    answer = httpx.get(f"{api}/purchase-orders/{number}", headers=BUYER, timeout=30)
    return None if answer.status_code == 404 else str(answer.json()["stage"])


def _wait_stage(api: str, number: str, wanted: set[str], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while (stage := _stage(api, number)) not in wanted:
        assert time.monotonic() < deadline, f"PO {number} stays {stage}, not {wanted}"
        time.sleep(0.5)
    assert stage is not None
    return stage


def _approve(api: str, number: str) -> None:
    ali = {"Authorization": "Bearer demo-ali.approver"}
    tasks = httpx.get(f"{api}/tasks", headers=ali, timeout=30).json()
    [task] = [t for t in tasks if t["kind"] == "po_approval" and t["subject_id"] == number]
    decided = httpx.post(
        f"{api}/tasks/{task['id']}/decision", json={"decision": "approve"}, headers=ali, timeout=60
    )
    assert decided.status_code == 200, decided.text


def test_the_runbook_works_as_written(tmp_path: Path) -> None:
    api_port, temporal, ui = _free_port(), _free_port(), _free_port()
    data, log = tmp_path / "data", tmp_path / "up.log"
    env = _env(data, api_port, temporal, ui)
    api = f"http://127.0.0.1:{api_port}"
    shell = {k: v for k, v in env.items() if k not in ("ERP_TOKEN", "ERP_API_URL")}
    shell.update(
        ERP_API=api,
        ERP_TEMPORAL=f"127.0.0.1:{temporal}",
        ERP_CONFIG=str(tmp_path / "no-config.json"),
        ERP_BACKUP=str(tmp_path / "backup" / "erp.tar.gz"),
    )

    proc = _start(env, log)
    try:
        _wait_ready(api_port, proc, log, timeout=900)  # the first start seeds a year of history
        pos = {name: _new_po(api) for name in ("WAITING_PO", "CANCEL_PO", "TERMINATE_PO", "RESET_PO")}
        for number in pos.values():
            _wait_stage(api, number, {"approval"})
        shell.update(pos)
        out = "".join(_run(block, shell) for block in blocks("runbook"))
        assert f"PO-{pos['WAITING_PO']}" in out  # found by ErpSupplier="NORDTEX", and its history replays
        assert "replays:" in out and "1 repaired" in out
        assert (
            _stage(api, pos["CANCEL_PO"]) == "cancelled" and _stage(api, pos["TERMINATE_PO"]) == "cancelled"
        )
        # The reset PO's approval reached the new run: it is issued to the supplier.
        assert _wait_stage(api, pos["RESET_PO"], {"issued", "confirmed"}) != "approval"
        assert _stage(api, pos["WAITING_PO"]) == "approval"
    finally:
        assert _stop(proc) == 0, log.read_text()[-3000:]

    _run(blocks("runbook: backup")[0], shell)
    proc = _start(env, log)
    try:
        _wait_ready(api_port, proc, log)
        later = _new_po(api)
        _wait_stage(api, later, {"approval"})
    finally:
        assert _stop(proc) == 0

    _run(blocks("runbook: restore")[0], shell)
    proc = _start(env, log)
    try:
        _wait_ready(api_port, proc, log)
        assert _stage(api, later) is None  # made after the backup: gone from PostgreSQL ...
        listed = httpx.get(f"{api}/tasks", headers={"Authorization": "Bearer demo-ali.approver"}, timeout=30)
        assert all(t["subject_id"] != later for t in listed.json())
        # ... and the PO waiting at the backup still waits in both databases: its approval issues it.
        assert _stage(api, pos["WAITING_PO"]) == "approval"
        _approve(api, pos["WAITING_PO"])
        _wait_stage(api, pos["WAITING_PO"], {"issued", "confirmed"})
    finally:
        assert _stop(proc) == 0
