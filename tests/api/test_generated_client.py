"""A client developer generates a typed Python client from /openapi.json (openapi-python-client) and walks the
README's first hour with it: check the token, find the supplier, order, approve, receive, invoice, read the PO.
The generator must take the whole document without a warning (no endpoint or model left out)."""

import importlib
import json
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from fastapi.testclient import TestClient
from temporalio.worker import Worker

from tests.factories import Factory
from tests.purchasing.buyer_desk import Desk, open_desk, po_body

T = TypeVar("T")
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
OUTPUT = ("--output-path", "erp_client", "--config", "config.yaml")


def generate(doc: dict[str, Any], where: Path) -> tuple[str, str]:
    """Generate the client package `erp_client` under `where`; the generator's output."""
    (where / "openapi.json").write_text(json.dumps(doc))
    (where / "config.yaml").write_text("post_hooks: []\n")  # no formatter run: the code is imported, not read
    done = subprocess.run(
        [str(GENERATOR), "generate", "--path", "openapi.json", "--meta", "none", *OUTPUT],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, done.stderr


def op(package: str, module: str) -> ModuleType:
    """One generated operation module, e.g. ("users", "me_me_get")."""
    return importlib.import_module(f"erp_client.api.{package}.{module}")


def eventually(probe: Callable[[], T | None], what: str, seconds: float = 30) -> T:
    """Poll until probe answers something truthy."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_generated_client_walks_the_first_hour(
    api: TestClient, erp_worker: Worker, factory: Factory, tmp_path: Path
) -> None:
    out, err = generate(api.get("/openapi.json").json(), tmp_path)
    assert "Warning" not in out + err and "Unable" not in out + err, out + err
    sys.path.insert(0, str(tmp_path))
    try:
        for name in [m for m in sys.modules if m == "erp_client" or m.startswith("erp_client.")]:
            del sys.modules[name]
        walk_the_first_hour(api, open_desk(factory, price="10.00"))
    finally:
        sys.path.remove(str(tmp_path))


def walk_the_first_hour(api: TestClient, desk: Desk) -> None:
    """The README's steps through the typed client: every answer parses into its generated model."""
    client_mod = importlib.import_module("erp_client.client")
    models = importlib.import_module("erp_client.models")

    def person(who: str) -> Any:
        client = client_mod.AuthenticatedClient(base_url="http://testserver", token=desk.token(who))
        header = {client.auth_header_name: f"{client.prefix} {client.token}"}
        return client.set_httpx_client(TestClient(api.app, base_url="http://testserver", headers=header))

    buyer, approver, receiver, clerk = (
        person("buyer"),
        person("approver"),
        person("receiver"),
        person("clerk"),
    )

    me = op("users", "me_me_get").sync(client=buyer)
    assert isinstance(me, models.MeView) and me.roles == ["buyer"] and me.username == desk.name("buyer")

    # The list is paged by id (100 a page); the shared test database holds other tests' suppliers too.
    suppliers: list[Any] = []
    while True:
        page = op("master_data", "list_records_suppliers_get").sync(client=buyer, offset=len(suppliers))
        suppliers += page
        if len(page) < 100:
            break
    assert desk.supplier.code in [s.code for s in suppliers]
    assert all(isinstance(s, models.SupplierRecord) for s in suppliers)

    created = op("procure_to_pay", "create_po_purchase_orders_post").sync_detailed(
        client=buyer, body=models.PoCreate.from_dict(po_body(desk, "10"))
    )
    assert created.status_code == 201, created.content
    assert isinstance(created.parsed, models.PoCreated)
    number = created.parsed.number

    def approval() -> Any:
        tasks = op("tasks", "list_tasks_tasks_get").sync(client=approver)
        return next((t for t in tasks if t.subject_id == number and t.kind == "po_approval"), None)

    task = eventually(approval, f"the approval task of PO {number}")
    assert isinstance(task, models.TaskInboxItem)
    decided = op("tasks", "decide_tasks_task_id_decision_post").sync_detailed(
        task.id, client=approver, body=models.DecisionBody(decision="approve", comment="fine for the season")
    )
    assert decided.status_code == 200, decided.content
    assert isinstance(decided.parsed, models.DecisionResult) and decided.parsed.decision == "approve"

    read_po = op("procure_to_pay", "get_po_purchase_orders_number_get")
    eventually(lambda: read_po.sync(number, client=buyer).stage == "issued", f"PO {number} issued")

    received = op("procure_to_pay", "receive_purchase_orders_number_receipts_post").sync_detailed(
        number,
        client=receiver,
        body=models.PoReceiptBody.from_dict(
            {"delivery_note": f"DN-{number}", "lines": [{"line_no": 1, "qty": "10"}]}
        ),
    )
    assert received.status_code == 200, received.content
    assert isinstance(received.parsed, models.ReceiptResult) and Decimal(str(received.parsed.value)) == 100

    invoiced = op("procure_to_pay", "submit_invoice_supplier_invoices_post").sync_detailed(
        client=clerk,
        body=models.InvoiceBody.from_dict(
            {
                "po_number": number,
                "supplier_id": desk.supplier.id,
                "invoice_number": f"INV-{number}",
                "invoice_date": "2026-11-20",
                "currency": "EUR",
                "lines": [{"line_no": 1, "qty": "10", "price": "10.00"}],
            }
        ),
    )
    assert invoiced.status_code == 200, invoiced.content
    assert isinstance(invoiced.parsed, models.MatchOutcome) and invoiced.parsed.status == "matched"

    po = read_po.sync(number, client=buyer)
    assert isinstance(po, models.PoDetail)
    assert [Decimal(str(line.received_qty)) for line in po.lines] == [Decimal(10)]
    assert [r.delivery_note for r in po.receipts] == [f"DN-{number}"]
    assert [(t.kind, t.decision) for t in po.tasks] == [("po_approval", "approve")]

    # Errors parse into the one error model: a PO of another entity is simply not found.
    stranger = client_mod.AuthenticatedClient(base_url="http://testserver", token="tok-nobody")
    stranger.set_httpx_client(TestClient(api.app, base_url="http://testserver"))
    unknown = read_po.sync_detailed("999999999", client=buyer)
    assert unknown.status_code == 404 and isinstance(unknown.parsed, models.ErrorBody)
    anonymous = read_po.sync_detailed(number, client=stranger)
    assert anonymous.status_code == 401 and isinstance(anonymous.parsed, models.ErrorBody)
