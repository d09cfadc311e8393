"""The admin of a new company decides how long its tasks may wait: backorders get 12 hours and go to the
controller, close sign-offs keep the default. The API shows which levels are the company's own, refuses a
kind or role that does not exist, keeps other companies out, and tasks opened afterwards use the new level."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from services.core.task_sla import load_task_slas
from tests.factories import Factory


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_admin_sets_and_resets_a_task_service_level(
    api: TestClient, engine: Engine, factory: Factory
) -> None:
    entity, other = factory.entity(), factory.entity()
    _, admin = factory.user("admin", entities=(entity,))
    _, buyer = factory.user("buyer", entities=(entity,))
    _, stranger = factory.user("admin", entities=(other,))
    assert entity.id is not None and other.id is not None
    levels = api.get("/task-service-levels", params={"entity_id": entity.id}, headers=_bearer(admin))
    assert levels.status_code == 200, levels.text
    backorder = next(x for x in levels.json() if x["kind"] == "backorder")
    assert (backorder["sla_hours"], backorder["source"]) == (48, "default")

    url = f"/task-service-levels/{entity.id}/backorder"
    body = {"sla_hours": 12, "remind_pct": 25, "escalate_to": "controller"}
    assert api.put(url, json=body, headers=_bearer(buyer)).status_code == 403
    assert api.put(url, json=body, headers=_bearer(stranger)).status_code == 404
    unknown_kind = api.put(f"/task-service-levels/{entity.id}/coffee", json=body, headers=_bearer(admin))
    assert unknown_kind.status_code == 422 and "kind" in unknown_kind.text
    bad_role = api.put(url, json={**body, "escalate_to": "ceo"}, headers=_bearer(admin))
    assert bad_role.status_code == 422 and "escalate_to" in bad_role.text
    assert api.put(url, json={**body, "sla_hours": 0}, headers=_bearer(admin)).status_code == 422

    changed = api.put(url, json=body, headers=_bearer(admin))
    assert changed.status_code == 200, changed.text
    shown = {
        x["kind"]: x
        for x in api.get(
            "/task-service-levels", params={"entity_id": entity.id}, headers=_bearer(admin)
        ).json()
    }
    assert (shown["backorder"]["sla_hours"], shown["backorder"]["source"]) == (12, "entity")
    assert shown["close_signoff"]["source"] == "default"
    with Session(engine) as s:
        sla = load_task_slas(s, entity.id, ("backorder",))["backorder"]  # what a task opened now gets
        assert (sla.hours, sla.remind_pct, sla.escalate_to) == (12, 25, "controller")
        assert load_task_slas(s, other.id, ("backorder",))["backorder"].hours == 48  # the other company's

    row_id = str(changed.json()["id"])
    audit = api.get(
        "/audit", params={"subject_type": "TaskSlaSetting", "subject_id": row_id}, headers=_bearer(admin)
    )
    assert [e["action"] for e in audit.json()] == ["TaskSlaSetting.set"], audit.text

    assert api.delete(url, headers=_bearer(admin)).status_code == 200
    with Session(engine) as s:
        assert load_task_slas(s, entity.id, ("backorder",))["backorder"].hours == 48
