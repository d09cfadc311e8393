"""The security review's findings, replayed as the people involved. EU01 buys: a PO waits for approval.
Its warehouse user may not read the approval task (with its amount) nor the PO's audit trail; the
approver, the requesting buyer and the controller may. Only a controller starts a data-quality check.
An admin of UK01 alone neither sees nor changes EU01's webhook subscription, its deliveries or its
audit rows, and cannot subscribe to "every entity" with an empty list."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.worker import Worker

from erp.settings import get_settings
from services.integration import webhook_targets
from tests.factories import Factory
from tests.purchasing.buyer_desk import bearer, open_desk, po_body, wait_task


@pytest.fixture()
def public_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """hooks.example.com is a public host; nothing is allow-listed."""
    monkeypatch.setattr(webhook_targets, "system_resolve", lambda _h, _p: ["93.184.216.34"])
    monkeypatch.setenv("ERP_WEBHOOK_ALLOWED_TARGETS", "")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_a_po_approval_is_read_by_its_approver_requester_and_controller_not_the_warehouse(
    api: TestClient, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    created = api.post("/purchase-orders", json=po_body(desk, "300"), headers=bearer(desk.token("buyer")))
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    task = wait_task(engine, number, "po_approval")
    _, other_buyer = factory.user("buyer", entities=(desk.entity,))

    def read(token: str) -> Any:
        return api.get(f"/tasks/{task['id']}", headers=bearer(token))

    for who in ("approver", "buyer", "controller"):
        answer = read(desk.token(who))
        assert answer.status_code == 200, (who, answer.text)
        assert answer.json()["subject_id"] == number
    for token in (desk.token("receiver"), desk.token("clerk"), other_buyer):
        answer = read(token)
        assert answer.status_code == 404 and number not in answer.text

    def trail(token: str) -> list[dict[str, Any]]:
        answer = api.get(
            "/audit", params={"subject_type": "purchase_order", "subject_id": number}, headers=bearer(token)
        )
        assert answer.status_code == 200
        return list(answer.json())

    everything = trail(desk.token("controller"))
    assert everything and {e["actor"] for e in everything} >= {desk.name("buyer")}
    assert trail(desk.token("receiver")) == []  # the warehouse did nothing to this PO
    assert {e["actor"] for e in trail(desk.token("buyer"))} == {desk.name("buyer")}  # own acts only


def test_only_a_controller_starts_a_data_quality_check(
    api: TestClient, erp_worker: Worker, factory: Factory
) -> None:
    desk = open_desk(factory)
    body = {"entity_id": desk.entity.id}
    for who in ("buyer", "receiver", "clerk", "approver"):
        assert (
            api.post("/foresight/data-quality/checks", json=body, headers=bearer(desk.token(who))).status_code
            == 403
        )
    started = api.post("/foresight/data-quality/checks", json=body, headers=bearer(desk.token("controller")))
    assert started.status_code in (200, 202), started.text


def test_an_admin_of_uk_cannot_touch_eus_subscription(
    api: TestClient, factory: Factory, public_dns: None
) -> None:
    eu, uk = factory.entity(), factory.entity()
    _, eu_admin = factory.user("admin", entities=(eu,))
    _, uk_admin = factory.user("admin", entities=(uk,))
    name = f"eu-wms-{uuid.uuid4().hex[:8]}"
    created = api.post(
        "/integration/subscriptions",
        json={"name": name, "url": "https://hooks.example.com/eu", "entity_ids": [eu.id]},
        headers=bearer(eu_admin),
    )
    assert created.status_code == 201, created.text
    sub_id = created.json()["id"]
    as_uk = bearer(uk_admin)
    assert name not in api.get("/integration/subscriptions", headers=as_uk).text
    assert api.get(f"/integration/subscriptions/{sub_id}", headers=as_uk).status_code == 404
    patched = api.patch(
        f"/integration/subscriptions/{sub_id}", json={"url": "https://hooks.example.com/uk"}, headers=as_uk
    )
    assert patched.status_code == 404
    assert api.delete(f"/integration/subscriptions/{sub_id}", headers=as_uk).status_code == 404
    replay = {"from_event_id": str(uuid.uuid4())}
    assert (
        api.post(f"/integration/subscriptions/{sub_id}/replay", json=replay, headers=as_uk).status_code == 404
    )
    assert (
        api.get("/integration/deliveries", params={"subscription_id": sub_id}, headers=as_uk).status_code
        == 404
    )
    assert (
        api.get("/integration/dead-letters", params={"subscription_id": sub_id}, headers=as_uk).status_code
        == 404
    )
    audit = api.get(
        "/audit", params={"subject_type": "webhook_subscription", "subject_id": sub_id}, headers=as_uk
    )
    assert audit.json() == []
    # Neither EU's nor "every entity" (an empty list) is UK's to subscribe to.
    for entity_ids in ([eu.id], [], [uk.id, eu.id]):
        body = {
            "name": f"uk-{uuid.uuid4().hex[:8]}",
            "url": "https://hooks.example.com/uk",
            "entity_ids": entity_ids,
        }
        refused = api.post("/integration/subscriptions", json=body, headers=as_uk)
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "entity_ids", (
            refused.text
        )
    # EU's admin still sees it unchanged, with its audit trail.
    mine = api.get(f"/integration/subscriptions/{sub_id}", headers=bearer(eu_admin)).json()
    assert mine["url"] == "https://hooks.example.com/eu" and mine["active"] is True
    trail = api.get(
        "/audit",
        params={"subject_type": "webhook_subscription", "subject_id": sub_id},
        headers=bearer(eu_admin),
    ).json()
    assert [e["action"] for e in trail] == ["webhook_subscription.create"]
