"""The storefront's PIM sends its catalogue in one request: good items are created or updated by SKU,
a bad record is refused on its own and named, and the rest of the feed is kept."""

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.conftest import scalar
from tests.factories import Factory


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_feed_with_one_bad_record_keeps_the_others_and_names_the_bad_one(
    api: TestClient, engine: Engine, factory: Factory
) -> None:
    _, buyer = factory.user("buyer")
    tag = uuid.uuid4().hex[:6].upper()
    feed = [
        {"sku": f"TEE-{tag}", "name": "Organic tee", "category": "apparel", "list_price": "19.90"},
        {"sku": f"MUG-{tag}", "name": "Mug", "category": "home", "pack_size": "0"},  # pack size must be > 0
        {"sku": f"CAP-{tag}", "name": "Cap", "category": "apparel", "tracking": "lot"},
    ]
    answer = api.post("/items/batch", json={"records": feed}, headers=bearer(buyer))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["accepted"], body["rejected"]) == (2, 1)
    assert [(r["index"], r["status"]) for r in body["results"]] == [
        (0, "created"),
        (1, "rejected"),
        (2, "created"),
    ]
    assert body["results"][1]["error"]["field"] == "pack_size"
    assert "greater than 0" in body["results"][1]["error"]["reason"]
    assert scalar(engine, "SELECT count(*) FROM item WHERE sku LIKE :p", p=f"%-{tag}") == 2

    # The next night's feed: a new name, an unchanged item, and an attempt to change how stock is tracked.
    feed[0]["name"] = "Organic tee, washed"
    feed[2]["tracking"] = "serial"
    again = api.post(
        "/items/batch", json={"records": [feed[0], feed[2], {"sku": f"BAD {tag}"}]}, headers=bearer(buyer)
    )
    results = again.json()["results"]
    assert [(r["index"], r["status"]) for r in results] == [(0, "updated"), (1, "rejected"), (2, "rejected")]
    assert results[0]["id"] == body["results"][0]["id"]
    assert results[1]["error"]["field"] == "tracking"
    assert results[2]["error"]["field"] == "sku"  # a space is not allowed in a SKU
    assert scalar(engine, "SELECT name FROM item WHERE sku = :s", s=f"TEE-{tag}") == "Organic tee, washed"
    assert scalar(engine, "SELECT tracking FROM item WHERE sku = :s", s=f"CAP-{tag}") == "lot"
    unchanged = api.post("/items/batch", json={"records": [feed[0]]}, headers=bearer(buyer)).json()
    assert unchanged["results"][0]["status"] == "unchanged"


def test_only_catalogue_writers_may_send_the_feed(api: TestClient, factory: Factory) -> None:
    _, clerk = factory.user("warehouse")
    refused = api.post("/items/batch", json={"records": [{"sku": "X"}]}, headers=bearer(clerk))
    assert refused.status_code == 403
    _, buyer = factory.user("buyer")
    assert api.post("/items/batch", json={"records": []}, headers=bearer(buyer)).status_code == 422
