"""An SRE's view: the API exports Prometheus metrics per route template, and logs can be JSON."""

import json
import logging

from fastapi.testclient import TestClient

from erp.logs import JsonFormatter


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
