"""A company's people calling the HTTP API by role: the onboarding tests drive everything through it."""

import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.purchasing.buyer_desk import eventually


class Company:
    """HTTP calls as one of the company's people (by role), failing loudly on an unexpected status."""

    def __init__(self, api: TestClient, admin_token: str) -> None:
        self.api = api
        self.tokens = {"admin": admin_token}
        self.names: dict[str, str] = {}

    def headers(self, role: str) -> dict[str, str]:
        """The Authorization header of one of the company's people."""
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def call(self, role: str, method: str, path: str, expect: int = 200, **kw: Any) -> Any:
        """One request as `role`; returns the JSON answer."""
        answer = self.api.request(
            method, path, headers={"Authorization": f"Bearer {self.tokens[role]}"}, **kw
        )
        assert answer.status_code == expect, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json()

    def create(self, path: str, body: dict[str, Any], role: str = "admin") -> dict[str, Any]:
        """POST a new record (201)."""
        created: dict[str, Any] = self.call(role, "POST", path, 201, json=body)
        return created

    def hire(self, role: str, entity_id: int, key: str | None = None, **kw: Any) -> str:
        """A user with one role in the entity, created by the admin; its token is kept under `key` (the role)."""
        name = f"{role.replace('_', '')}.{uuid.uuid4().hex[:6]}"
        user = self.create("/users", {"username": name, "roles": [role], "entity_ids": [entity_id], **kw})
        self.tokens[key or role], self.names[key or role] = user["token"], name
        return name

    def task(self, role: str, kind: str, subject: str) -> dict[str, Any]:
        """Wait for a task of a kind on a document to show in the role's inbox."""

        def probe() -> dict[str, Any] | None:
            inbox = self.call(role, "GET", "/tasks")
            return next((t for t in inbox if t["kind"] == kind and t["subject_id"] == subject), None)

        return eventually(probe, f"{kind} task on {subject} in the {role}'s inbox")

    def until(
        self, role: str, path: str, done: Callable[[dict[str, Any]], bool], what: str
    ) -> dict[str, Any]:
        """Wait until a GET answer satisfies `done`."""

        def probe() -> dict[str, Any] | None:
            answer: dict[str, Any] = self.call(role, "GET", path)
            return answer if done(answer) else None

        return eventually(probe, what)

    def new_entity(self, currency: str = "EUR") -> dict[str, Any]:
        """POST /entities as the admin (who joins it): chart of accounts and default policy come with it."""
        code = f"OWN{uuid.uuid4().hex[:8].upper()}"
        return self.create("/entities", {"code": code, "name": "Own Retail", "currency": currency})

    def buying(self, entity_id: int, price: str = "10.00") -> dict[str, int]:
        """A warehouse, an item and a supplier with a contract price, created through the API."""
        uid = uuid.uuid4().hex[:6].upper()
        wh = self.create("/locations", {"entity_id": entity_id, "code": f"WH{uid}", "name": "Warehouse"})
        item = self.create("/items", {"sku": f"SKU{uid}", "name": "Item", "category": "apparel"})
        supplier = self.create("/suppliers", {"code": f"S{uid}", "name": "Supplier", "currency": "EUR"})
        self.create(
            "/supplier-prices",
            {
                "supplier_id": supplier["id"],
                "item_id": item["id"],
                "price": price,
                "currency": "EUR",
                "valid_from": "2020-01-01",
            },
        )
        return {"location_id": wh["id"], "item_id": item["id"], "supplier_id": supplier["id"]}

    def order(self, entity_id: int, setup: dict[str, int], qty: str) -> str:
        """The buyer's PO for `qty` units at the contract price; returns its number."""
        line = {"item_id": setup["item_id"], "location_id": setup["location_id"], "qty": qty}
        body = {"entity_id": entity_id, "supplier_id": setup["supplier_id"], "lines": [line]}
        return str(self.create("/purchase-orders", body, role="buyer")["number"])
