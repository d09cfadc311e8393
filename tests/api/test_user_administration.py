"""A retailer's admin runs its people through the API: hires a buyer, promotes her to approver with a
limit, moves her between the admin's own entities (never into or out of another admin's), rotates and
revokes her token, deactivates her when she leaves; a token expires after its lifetime. Every refusal is
a 401 that says why, takes effect at once, and every change is in the audit trail."""

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.factories import Factory


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def audit_actions(engine: Engine, user_id: int) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT action FROM audit_event WHERE subject_type = 'user' AND subject_id = :s ORDER BY id"
            ),
            {"s": str(user_id)},
        )
        return [r[0] for r in rows]


def refused(api: TestClient, token: str) -> str:
    """The reason a token is refused (asserting it is a 401)."""
    answer = api.get("/me", headers=bearer(token))
    assert answer.status_code == 401, answer.text
    assert answer.headers["www-authenticate"].startswith("Bearer")
    return str(answer.json()["detail"])


def test_an_admin_runs_a_buyer_from_hire_to_leaving(
    api: TestClient, factory: Factory, engine: Engine
) -> None:
    eu, uk, other = factory.entity(), factory.entity(), factory.entity()
    _, admin = factory.user("admin", entities=(eu, uk))
    _, stranger_admin = factory.user("admin", entities=(other,))
    _, colleague = factory.user("buyer", entities=(other,))
    username = f"ana.{eu.code.lower()}"

    hired = api.post(
        "/users",
        json={"username": username, "roles": ["buyer"], "entity_ids": [eu.id]},
        headers=bearer(admin),
    )
    assert hired.status_code == 201, hired.text
    ana: dict[str, Any] = hired.json()
    first_token = ana["token"]
    expires = datetime.fromisoformat(ana["token_expires_at"])
    assert timedelta(days=89) < expires - datetime.now(UTC) <= timedelta(days=90)
    assert api.get("/me", headers=bearer(first_token)).json()["roles"] == ["buyer"]

    # The admin lists the users of their entities; another entity's users stay invisible both ways.
    listed = {u["username"] for u in api.get("/users", headers=bearer(admin)).json()}
    assert username in listed and all(
        "token" not in u for u in api.get("/users", headers=bearer(admin)).json()
    )
    assert api.get(f"/users/{ana['id']}", headers=bearer(stranger_admin)).status_code == 404
    assert (
        api.patch(
            f"/users/{ana['id']}", json={"roles": ["admin"]}, headers=bearer(stranger_admin)
        ).status_code
        == 404
    )
    assert username not in {u["username"] for u in api.get("/users", headers=bearer(stranger_admin)).json()}
    assert api.get("/users", headers=bearer(first_token)).status_code == 403

    # Promotion: approver with a limit, moved to the UK entity as well.
    promoted = api.patch(
        f"/users/{ana['id']}",
        json={"roles": ["buyer", "approver"], "approval_limit": "2500", "entity_ids": [eu.id, uk.id]},
        headers=bearer(admin),
    )
    assert promoted.status_code == 200, promoted.text
    me = api.get("/me", headers=bearer(first_token)).json()
    assert me["roles"] == ["approver", "buyer"] and me["entity_ids"] == sorted(e.id for e in (eu, uk) if e.id)
    assert me["approval_limit"] == "2500.0000"

    # Granting an entity the admin does not have is refused and changes nothing.
    assert (
        api.patch(f"/users/{ana['id']}", json={"entity_ids": [other.id]}, headers=bearer(admin)).status_code
        == 404
    )
    assert (
        api.patch(f"/users/{ana['id']}", json={"roles": ["wizard"]}, headers=bearer(admin)).status_code == 422
    )
    assert api.get("/me", headers=bearer(first_token)).json()["entity_ids"] == sorted(
        e.id for e in (eu, uk) if e.id
    )
    # A null limit takes the limit away again.
    cleared = api.patch(f"/users/{ana['id']}", json={"approval_limit": None}, headers=bearer(admin))
    assert cleared.json()["approval_limit"] is None

    # Rotation: the new token works, the old one stops at once.
    rotated = api.post(f"/users/{ana['id']}/token", json={"days": 7}, headers=bearer(admin))
    assert rotated.status_code == 200, rotated.text
    second_token = rotated.json()["token"]
    assert second_token != first_token and api.get("/me", headers=bearer(second_token)).status_code == 200
    assert refused(api, first_token) == "invalid token"
    assert datetime.fromisoformat(rotated.json()["token_expires_at"]) - datetime.now(UTC) <= timedelta(days=7)

    # Revocation: 401 at once with the reason; a later rotation gives a working token again.
    assert api.delete(f"/users/{ana['id']}/token", headers=bearer(admin)).json()["token_revoked_at"]
    assert "revoked" in refused(api, second_token)
    third_token = api.post(f"/users/{ana['id']}/token", headers=bearer(admin)).json()["token"]
    assert api.get("/me", headers=bearer(third_token)).status_code == 200

    # She leaves: deactivated, her token answers 401 on the very next request (and to idempotent POSTs).
    assert api.post(f"/users/{ana['id']}/deactivate", headers=bearer(admin)).json()["active"] is False
    assert refused(api, third_token) == "the account is deactivated"
    post = api.post("/me/token", headers={**bearer(third_token), "Idempotency-Key": f"k-{username}"})
    assert post.status_code == 401
    assert api.post(f"/users/{ana['id']}/activate", headers=bearer(admin)).json()["active"] is True
    assert api.get("/me", headers=bearer(third_token)).status_code == 200

    assert audit_actions(engine, ana["id"]) == [
        "user.create",
        "user.update",
        "user.update",
        "user.token_rotate",
        "user.token_revoke",
        "user.token_rotate",
        "user.deactivate",
        "user.activate",
    ]
    with engine.connect() as conn:
        trail = conn.execute(
            text("SELECT before, after FROM audit_event WHERE subject_type = 'user' AND subject_id = :s"),
            {"s": str(ana["id"])},
        ).all()
    assert all(third_token not in str(row) and first_token not in str(row) for row in trail)
    assert any(
        row[0] and row[0]["roles"] == ["buyer"] and row[1]["roles"] == ["approver", "buyer"] for row in trail
    )
    # The trail is readable in the admin's entities, not by a user of another entity.
    assert (
        len(
            api.get(
                "/audit", params={"subject_type": "user", "subject_id": ana["id"]}, headers=bearer(admin)
            ).json()
        )
        == 8
    )
    assert (
        api.get(
            "/audit", params={"subject_type": "user", "subject_id": ana["id"]}, headers=bearer(colleague)
        ).json()
        == []
    )
    # The colleague of the other entity was never touched.
    assert api.get("/me", headers=bearer(colleague)).status_code == 200


def test_an_admin_changes_only_their_own_entities_of_a_shared_user(api: TestClient, factory: Factory) -> None:
    eu, uk, other = factory.entity(), factory.entity(), factory.entity()
    _, admin = factory.user("admin", entities=(eu, uk))
    shared, shared_token = factory.user("buyer", entities=(eu, other))

    moved = api.patch(f"/users/{shared.id}", json={"entity_ids": [uk.id]}, headers=bearer(admin))
    assert moved.status_code == 200, moved.text
    # The admin sees only the entities they share; the user keeps the one the admin cannot administer.
    assert moved.json()["entity_ids"] == [uk.id]
    assert api.get("/me", headers=bearer(shared_token)).json()["entity_ids"] == sorted(
        e.id for e in (uk, other) if e.id
    )


def test_an_admin_cannot_lock_themselves_out(api: TestClient, factory: Factory) -> None:
    eu = factory.entity()
    me, admin = factory.user("admin", entities=(eu,))
    assert api.post(f"/users/{me.id}/deactivate", headers=bearer(admin)).status_code == 422
    assert api.delete(f"/users/{me.id}/token", headers=bearer(admin)).status_code == 422
    demoted = api.patch(f"/users/{me.id}", json={"roles": ["buyer"]}, headers=bearer(admin))
    assert demoted.status_code == 422 and demoted.json()["detail"][0]["loc"] == ["body", "roles"]
    assert api.get("/me", headers=bearer(admin)).json()["roles"] == ["admin"]


def test_a_token_expires_and_its_holder_is_told_so(api: TestClient, factory: Factory, engine: Engine) -> None:
    eu = factory.entity()
    user, token = factory.user("buyer", entities=(eu,))
    # Any user may replace their own token before it expires (an integration's scheduled rotation).
    renewed = api.post("/me/token", json={"days": 30}, headers=bearer(token))
    assert renewed.status_code == 200, renewed.text
    fresh = renewed.json()["token"]
    assert refused(api, token) == "invalid token"
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE app_user SET token_expires_at = now() - interval '1 minute' WHERE id = :i"),
            {"i": user.id},
        )
    reason = refused(api, fresh)
    assert reason.startswith("the token expired at ") and "ask an admin" in reason
    # An expired token cannot use an Idempotency-Key either (the middleware checks the same rule).
    post = api.post("/me/token", headers={**bearer(fresh), "Idempotency-Key": f"exp-{user.id}"})
    assert post.status_code == 401
