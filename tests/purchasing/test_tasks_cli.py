"""Ali, the approver, works the inbox from the shell: `erp tasks list` shows each task's entity, document,
age and an overdue mark, filters by kind, entity and overdue, pages, and prints JSON for scripts;
`tasks show` lays out what the decision needs (supplier, lines, amounts, requester, workflow id) without
Python reprs; `tasks approve` says what happens next: the PO is being issued to its supplier."""

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker
from typer.testing import CliRunner

from api.main import create_app
from erp.cli import tasks as cli_tasks
from erp.cli.main import app
from tests.factories import Factory
from tests.purchasing.buyer_desk import bearer, create_po, open_desk, po_body, wait_stage, wait_task


def test_an_approver_lists_reads_and_approves_a_po_from_the_shell(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = open_desk(factory, price="12.50")
    numbers = [create_po(api, desk.token("buyer"), po_body(desk, qty)) for qty in ("8", "4")]
    tasks = [wait_task(engine, n, "po_approval") for n in numbers]
    monkeypatch.setattr(
        cli_tasks, "_client", lambda: TestClient(create_app(), headers=bearer(desk.token("approver")))
    )
    runner = CliRunner()
    code = desk.entity.code

    listed = runner.invoke(app, ["tasks", "list", "--kind", "po_approval", "--entity", code, "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert {r["document"] for r in rows} == {f"PO {n}" for n in numbers}
    assert all(r["entity"] == code and r["overdue"] is False and r["age"] for r in rows)
    assert {r["workflow_id"] for r in rows} == {f"PO-{n}" for n in numbers}

    paged = runner.invoke(app, ["tasks", "list", "--entity", code, "--limit", "1", "--json"])
    assert len(json.loads(paged.output)) == 1
    page_two = runner.invoke(
        app, ["tasks", "list", "--entity", code, "--limit", "1", "--page", "2", "--json"]
    )
    assert json.loads(page_two.output) != json.loads(paged.output)
    table = runner.invoke(app, ["tasks", "list", "--entity", code, "--limit", "1"])
    assert "page 1 of 2" in table.output and code in table.output
    assert runner.invoke(app, ["tasks", "list", "--entity", code, "--overdue"]).output.strip() == (
        "No open tasks match."
    )
    assert (
        runner.invoke(app, ["tasks", "list", "--kind", "no_such_kind"]).output.strip()
        == "No open tasks match."
    )

    shown = runner.invoke(app, ["tasks", "show", str(tasks[0]["id"])])
    assert shown.exit_code == 0, shown.output
    for expected in (
        f"PO {numbers[0]}",
        desk.supplier.code,
        desk.item.sku,
        "100.00",  # 8 x 12.50, the line and the total
        desk.name("buyer"),
        f"PO-{numbers[0]}",
        "approve, reject",
    ):
        assert expected in shown.output, (expected, shown.output)
    assert "{'" not in shown.output and "Decimal(" not in shown.output

    approved = runner.invoke(app, ["tasks", "approve", str(tasks[0]["id"]), "--comment", "fine"])
    assert approved.exit_code == 0, approved.output
    assert approved.output.strip() == f"PO {numbers[0]} approved; it is being issued to {desk.supplier.code}."
    wait_stage(engine, numbers[0], "issued")
