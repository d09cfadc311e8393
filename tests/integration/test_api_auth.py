"""Access control as a retailer's IT would check it: no token, wrong role, other entity."""

from decimal import Decimal

from fastapi.testclient import TestClient

from tests.factories import Factory


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_no_token_is_401_and_a_bad_token_is_401(api: TestClient) -> None:
    assert api.get("/me").status_code == 401
    assert api.get("/me", headers=bearer("nope")).status_code == 401
    assert api.get("/health").status_code == 200


def test_roles_gate_writes_and_entities_gate_reads(api: TestClient, factory: Factory) -> None:
    mine, other = factory.entity(), factory.entity()
    _, buyer = factory.user("buyer", entities=(mine,))
    _, admin = factory.user("admin", entities=(mine,))
    loc_other = factory.location(other)

    # A buyer may create items but not locations (admin only).
    item = api.post(
        "/items",
        json={"sku": f"SKU-{mine.code}", "name": "Tee", "category": "apparel"},
        headers=bearer(buyer),
    )
    assert item.status_code == 201, item.text
    loc = api.post(
        "/locations",
        json={"entity_id": mine.id, "code": f"WH-{mine.code}", "name": "Main"},
        headers=bearer(buyer),
    )
    assert loc.status_code == 403
    assert (
        api.post(
            "/locations",
            json={"entity_id": mine.id, "code": f"WH-{mine.code}", "name": "Main"},
            headers=bearer(admin),
        ).status_code
        == 201
    )

    # Another entity's records are invisible: 404, not 403, so ids cannot be probed.
    assert api.get(f"/locations/{loc_other.id}", headers=bearer(admin)).status_code == 404
    listed = api.get("/locations", headers=bearer(admin)).json()
    assert {row["entity_id"] for row in listed} == {mine.id}
    # Even an admin cannot create in an entity they do not belong to.
    assert (
        api.post(
            "/locations",
            json={"entity_id": other.id, "code": f"X-{other.code}", "name": "x"},
            headers=bearer(admin),
        ).status_code
        == 404
    )


def test_bad_input_names_the_field_and_changes_nothing(api: TestClient, factory: Factory) -> None:
    entity = factory.entity()
    _, admin = factory.user("admin", entities=(entity,))
    bad = api.post(
        "/items", json={"sku": "X1", "name": "Tee", "category": "a", "pack_size": "0"}, headers=bearer(admin)
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "pack_size"
    unknown = api.post(
        "/items", json={"sku": "X1", "name": "Tee", "category": "a", "archived": True}, headers=bearer(admin)
    )
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"][-1] == "archived"
    assert all(r["sku"] != "X1" for r in api.get("/items", headers=bearer(admin)).json())
    price = api.post(
        "/supplier-prices",
        json={
            "supplier_id": 999999,
            "item_id": 1,
            "price": "1.00",
            "currency": "EUR",
            "valid_from": "2026-01-01",
        },
        headers=bearer(admin),
    )
    assert price.status_code == 422 and price.json()["detail"][0]["loc"][-1] == "supplier_id"


def test_codes_are_unique_and_immutable(api: TestClient, factory: Factory) -> None:
    entity = factory.entity()
    _, admin = factory.user("admin", entities=(entity,))
    body = {"code": f"SUP-{entity.code}", "name": "Acme", "currency": "EUR"}
    first = api.post("/suppliers", json=body, headers=bearer(admin))
    assert first.status_code == 201
    assert api.post("/suppliers", json=body, headers=bearer(admin)).status_code == 409
    change = api.patch(f"/suppliers/{first.json()['id']}", json={"code": "NEW"}, headers=bearer(admin))
    assert change.status_code == 422
    archived = api.post(f"/suppliers/{first.json()['id']}/archive", headers=bearer(admin))
    assert archived.json()["archived"] is True
    trail = api.get(
        "/audit", params={"subject_type": "Supplier", "subject_id": first.json()["id"]}, headers=bearer(admin)
    ).json()
    assert [e["action"] for e in trail] == ["Supplier.create", "Supplier.archive"]


def test_an_idempotency_key_replays_the_first_answer(api: TestClient, factory: Factory) -> None:
    entity = factory.entity()
    _, admin = factory.user("admin", entities=(entity,), limit=Decimal("100"))
    headers = {**bearer(admin), "Idempotency-Key": f"k-{entity.code}"}
    body = {"sku": f"IDEM-{entity.code}", "name": "Cap", "category": "hats"}
    first = api.post("/items", json=body, headers=headers)
    again = api.post("/items", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again.headers.get("idempotent-replayed") == "true"
    other = api.post("/items", json={**body, "name": "Beanie"}, headers=headers)
    assert other.status_code == 422
