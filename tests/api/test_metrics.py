"""An SRE's view: the API exports Prometheus metrics per route template and the business figures (open tasks
by kind, documents by stage), and logs can be JSON."""

import json
import logging
import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from erp.logs import JsonFormatter
from tests.factories import Factory
from tests.purchasing.buyer_desk import bearer, open_desk, po_body, wait_stage, wait_task


def test_requests_are_counted_by_route_template(api: TestClient) -> None:
    api.get("/health")
    api.get("/items/12345")  # 401 without a token, counted under its template, not the raw id
    text = api.get("/metrics").text
    assert 'erp_http_requests_total{method="GET",route="/health",status="200"}' in text
    assert 'route="/items/{record_id}",status="401"' in text
    assert "/items/12345" not in text


def test_json_log_lines_carry_workflow_and_document_fields() -> None:
    record = logging.LogRecord("erp.worker", logging.INFO, __file__, 1, "receipt posted", (), None)
    record.workflow_id = "PO-1001"
    record.document_number = "1001"
    line = json.loads(JsonFormatter().format(record))
    assert (
        line["msg"] == "receipt posted"
        and line["workflow_id"] == "PO-1001"
        and line["document_number"] == "1001"
    )
    assert line["level"] == "info" and line["logger"] == "erp.worker"


def test_business_figures_show_open_tasks_and_documents_by_stage(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    # An operator's dashboard: a PO waits for its approver; the scrape says so by kind and by stage.
    desk = open_desk(factory, price="10.00")
    created = api.post("/purchase-orders", json=po_body(desk, "3"), headers=bearer(desk.token("buyer")))
    assert created.status_code == 201, created.text
    wait_task(engine, created.json()["number"], "po_approval")
    wait_stage(engine, created.json()["number"], "approval")
    text = api.get("/metrics").text
    code = desk.entity.code
    assert f'erp_documents{{entity="{code}",stage="approval",type="purchase_order"}} 1.0' in text, text[
        -3000:
    ]
    open_approvals = re.search(r'^erp_open_tasks\{kind="po_approval"\} (\d+)', text, re.M)
    assert open_approvals is not None and int(open_approvals.group(1)) >= 1
    assert 'erp_open_tasks_oldest_seconds{kind="po_approval"}' in text
