"""An entity's admin manages its purchasing policy through the API: a band change is audited with before and
after and applies to new POs only (a PO already in approval keeps the chain it was created with); dated
bands and settings take over on their date; tolerances are per entity; nobody else may read or change them."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.worker import Worker

from services.purchasing.invoice_matching import tolerance_for
from tests.factories import Factory
from tests.onboarding.company import Company

D = Decimal


def _field(answer: Any) -> str:
    """The field a 4xx answer names."""
    return str(answer.json()["detail"][0]["loc"][-1])


def test_a_band_change_is_audited_and_applies_to_new_pos_only(
    api: TestClient, erp_worker: Worker, factory: Factory
) -> None:
    co = Company(api, factory.user("admin")[1])
    e = co.new_entity()["id"]
    co.hire("buyer", e)
    co.hire("approver", e, approval_limit="100000")
    co.hire("controller", e)
    setup = co.buying(e)
    first = co.order(e, setup, "100")  # 1,000.00: the default band wants one approver
    waiting = co.task("approver", "po_approval", first)

    low = next(
        b
        for b in co.call("admin", "GET", "/approval-bands", params={"entity_id": e})
        if b["min_amount"] == "0.0000"
    )
    two = [{"role": "approver"}, {"role": "controller"}]
    changed = co.call("admin", "PATCH", f"/approval-bands/{low['id']}", json={"levels": two})
    assert changed["levels"] == two
    audit = co.call(
        "admin", "GET", "/audit", params={"subject_type": "ApprovalBand", "subject_id": low["id"]}
    )
    assert [(a["action"], a["actor"], a["before"]["levels"], a["after"]["levels"]) for a in audit] == [
        ("ApprovalBand.update", co.call("admin", "GET", "/me")["username"], [{"role": "approver"}], two)
    ]

    # The PO in approval kept its snapshot: one approval issues it.
    co.call("approver", "POST", f"/tasks/{waiting['id']}/decision", json={"decision": "approve"})
    issued = co.until(
        "buyer", f"/purchase-orders/{first}", lambda p: p["stage"] == "issued", "first PO issued"
    )
    assert [t["kind"] for t in issued["tasks"]] == ["po_approval"]

    # A new PO follows the new chain: the approver, then a controller.
    second = co.order(e, setup, "100")
    co.call(
        "approver",
        "POST",
        f"/tasks/{co.task('approver', 'po_approval', second)['id']}/decision",
        json={"decision": "approve"},
    )
    controller_task = co.task("controller", "po_approval", second)
    assert controller_task["candidate_role"] == "controller"

    # A band dated from tomorrow may follow the current one once that one ends today; today's POs are unchanged.
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    dated = {
        "entity_id": e,
        "min_amount": "0",
        "max_amount": "5000",
        "levels": [{"role": "controller"}],
        "effective_from": tomorrow,
    }
    assert _field(api.post("/approval-bands", json=dated, headers=co.headers("admin"))) == "min_amount"
    co.call("admin", "PATCH", f"/approval-bands/{low['id']}", json={"effective_to": date.today().isoformat()})
    co.create("/approval-bands", dated)
    # Settings dated from today apply to today's new POs: an approval is due in 2 hours, not the default 24.
    co.call(
        "admin",
        "PUT",
        f"/approval-settings/{e}",
        json={"sla_hours": 2, "effective_from": date.today().isoformat()},
    )
    third = co.order(e, setup, "1")
    task = co.task("approver", "po_approval", third)
    assert task["candidate_role"] == "approver"
    due_in = datetime.fromisoformat(task["due_at"]) - datetime.fromisoformat(task["created_at"])
    assert timedelta(hours=1, minutes=59) < due_in <= timedelta(hours=2, minutes=1)

    retired = co.call("admin", "POST", f"/approval-bands/{low['id']}/retire")
    assert retired["active"] is False
    listed = co.call("admin", "GET", "/approval-bands", params={"entity_id": e})
    assert [(b["min_amount"], b["effective_from"]) for b in listed] == [
        ("0.0000", tomorrow),
        ("5000.0000", None),
    ]


def test_settings_tolerances_and_scoping(api: TestClient, engine: Engine, factory: Factory) -> None:
    co = Company(api, factory.user("admin")[1])
    e = co.new_entity()["id"]
    co.hire("buyer", e)
    stranger = Company(api, factory.user("admin")[1])
    stranger.new_entity()

    # Dated settings: today's default row stays, a stricter one starts next month.
    start = (date.today() + timedelta(days=31)).isoformat()
    co.call("admin", "PUT", f"/approval-settings/{e}", json={"window_cap": "250000", "effective_from": start})
    rows = co.call("admin", "GET", "/approval-settings", params={"entity_id": e})
    assert [(r["effective_from"], r["window_cap"], r["sla_hours"]) for r in rows] == [
        (None, None, 24),
        (start, "250000.0000", 24),
    ]
    bad = api.put(
        f"/approval-settings/{e}", json={"escalation": {"approver": "boss"}}, headers=co.headers("admin")
    )
    assert bad.status_code == 422 and _field(bad) == "escalation.approver"

    bad_band = {"entity_id": e, "min_amount": "100000", "levels": [{"role": "chief"}]}
    answer = api.post("/approval-bands", json=bad_band, headers=co.headers("admin"))
    assert answer.status_code == 422 and _field(answer) == "levels[0].role"

    # Tolerances: the entity default exists (a second one is a conflict); a supplier-specific one is added.
    default = co.call("admin", "GET", "/match-tolerances", params={"entity_id": e})
    assert [(t["supplier_id"], t["category"], t["price_pct"]) for t in default] == [(None, None, "2.0000")]
    again = api.post("/match-tolerances", json={"entity_id": e}, headers=co.headers("admin"))
    assert again.status_code == 409
    supplier = co.create("/suppliers", {"code": f"S{e}X", "name": "Supplier", "currency": "EUR"})
    own = co.create("/match-tolerances", {"entity_id": e, "supplier_id": supplier["id"], "price_pct": "5"})
    assert (
        co.call("admin", "PATCH", f"/match-tolerances/{own['id']}", json={"price_pct": "4"})["price_pct"]
        == "4.0000"
    )

    # Matching reads them most specific first: this supplier's 4 %, otherwise the entity's 2 %.
    with Session(engine) as session:
        assert tolerance_for(session, e, supplier["id"], "apparel").price_pct == D(4)
        assert tolerance_for(session, e, supplier["id"] + 1, "apparel").price_pct == D(2)
        co.call("admin", "PATCH", f"/match-tolerances/{default[0]['id']}", json={"price_pct": "0.5"})
        assert tolerance_for(session, e, supplier["id"] + 1, "apparel").price_pct == D("0.5")

    # Nobody but the entity's admins changes policy; another entity's admin does not even see it.
    band_id = co.call("admin", "GET", "/approval-bands", params={"entity_id": e})[0]["id"]
    assert api.get("/approval-bands", params={"entity_id": e}, headers=co.headers("buyer")).status_code == 403
    assert api.post(f"/approval-bands/{band_id}/retire", headers=co.headers("buyer")).status_code == 403
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/approval-bands?entity_id={e}", None),
        ("PATCH", f"/approval-bands/{band_id}", {"levels": []}),
        ("POST", f"/approval-bands/{band_id}/retire", None),
        ("PUT", f"/approval-settings/{e}", {"sla_hours": 1}),
        ("DELETE", f"/match-tolerances/{own['id']}", None),
        ("GET", f"/delegations?entity_id={e}", None),
    ]
    for method, path, body in calls:
        answer = api.request(method, path, json=body, headers=stranger.headers("admin"))
        assert answer.status_code == 404, (method, path, answer.text)
    assert co.call("admin", "DELETE", f"/match-tolerances/{own['id']}")["price_pct"] == "4.0000"
    assert len(co.call("admin", "GET", "/match-tolerances", params={"entity_id": e})) == 1
