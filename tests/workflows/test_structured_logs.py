"""An operator follows one purchase order through the JSON log lines (ERP_LOG_JSON=1): the API's access line
for the request names method, path, status, duration, actor and command id; the worker's lines name the
workflow id, run id, workflow type and document for each activity and each decision (start, update)."""

import json
import logging
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from erp.logs import JsonFormatter
from tests.factories import Factory
from tests.purchasing.buyer_desk import bearer, eventually, open_desk, po_body, stage, wait_stage


@pytest.fixture
def json_lines() -> Iterator[StringIO]:
    """Every log line of the process as JSON, as ERP_LOG_JSON=1 writes them."""
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _parsed(stream: StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


def _lines(stream: StringIO, **wanted: Any) -> list[dict[str, Any]]:
    return [d for d in _parsed(stream) if all(d.get(k) == v for k, v in wanted.items())]


def test_a_po_request_and_its_workflow_leave_structured_lines(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory, json_lines: StringIO
) -> None:
    desk = open_desk(factory, price="12.50")
    created = api.post("/purchase-orders", json=po_body(desk, "8"), headers=bearer(desk.token("buyer")))
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    workflow_id = f"PO-{number}"
    eventually(lambda: stage(engine, number), "the PO's row")
    cancelled = api.post(
        f"/purchase-orders/{number}/cancel",
        json={"reason": "season cancelled"},
        headers=bearer(desk.token("buyer")),
    )
    assert cancelled.status_code == 200, cancelled.text
    wait_stage(engine, number, "cancelled")

    [access] = _lines(json_lines, event="http_request", method="POST", path="/purchase-orders")
    assert access["status"] == 201 and access["actor"] == desk.name("buyer")
    assert access["route"] == "/purchase-orders" and access["duration_ms"] > 0
    assert access["command_id"] and access["workflow_id"] == workflow_id
    [cancel] = _lines(json_lines, event="http_request", path=f"/purchase-orders/{number}/cancel")
    assert cancel["status"] == 200 and cancel["command_id"] != access["command_id"]
    # No token or body in the access line.
    assert desk.token("buyer") not in json_lines.getvalue()

    def finished() -> list[dict[str, Any]] | None:
        done = _lines(json_lines, event="workflow_completed", workflow_id=workflow_id)
        return done or None

    [completed] = eventually(finished, "the PO workflow's completion line")
    run_id = completed["run_id"]
    assert completed["workflow_type"] == "PurchaseOrder" and completed["document"] == number

    [started] = _lines(json_lines, event="workflow_started", workflow_id=workflow_id)
    assert started["run_id"] == run_id and started["document"] == number
    assert started["actor"] == desk.name("buyer")

    activities = _lines(json_lines, event="activity_finished", workflow_id=workflow_id)
    assert activities, "no activity line for the PO"
    assert {a["run_id"] for a in activities} == {run_id}
    assert {a["workflow_type"] for a in activities} == {"PurchaseOrder"}
    assert all(a["activity"] and a["attempt"] >= 1 and a["duration_ms"] >= 0 for a in activities)
    assert any(a.get("document") == number for a in activities)
    assert _lines(json_lines, event="activity_scheduled", workflow_id=workflow_id, run_id=run_id)

    [update] = _lines(json_lines, event="update_applied", workflow_id=workflow_id, update="cancel")
    assert update["document"] == number and update["actor"] == desk.name("buyer")
