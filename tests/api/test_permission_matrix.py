"""Security review, second pass: the permission matrix. Every write operation x every role: the roles
the business expects get past authorisation (any answer but 403), every other role gets 403. Then
object-level checks: a user of entity B cannot read or act on entity A's documents, even by guessing ids
(404, never the document)."""

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from models.auth import ROLES
from tests.factories import Factory

# Who may do what, as a retailer would set it up. Admin may do everything.
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("POST", "/entities"): {"admin"},
    ("POST", "/locations"): {"admin"},
    ("POST", "/channels"): {"admin"},
    ("POST", "/items"): {"buyer"},
    ("POST", "/items/batch"): {"buyer"},
    ("POST", "/suppliers"): {"buyer"},
    ("POST", "/supplier-prices"): {"buyer"},
    ("POST", "/customers"): {"sales_ops"},
    ("POST", "/accounts"): {"controller"},
    ("POST", "/tax-rates"): {"controller"},
    ("POST", "/fx-rates"): {"controller"},
    ("POST", "/fiscal-periods"): {"controller"},
    ("POST", "/users"): {"admin"},
    ("POST", "/purchase-orders"): {"buyer"},
    ("POST", "/purchase-orders/{number}/cancel"): {"buyer"},
    ("POST", "/purchase-orders/{number}/receipts"): {"warehouse"},
    ("POST", "/supplier-invoices"): {"ap_clerk"},
    ("POST", "/orders"): {"sales_ops"},
    ("POST", "/orders/{number}/cancel"): {"sales_ops"},
    ("POST", "/orders/{number}/warehouse-events"): {"warehouse"},
    ("POST", "/returns"): {"sales_ops"},
    ("POST", "/returns/{rma_number}/receipt"): {"warehouse"},
    ("PUT", "/returns/policies/channels/{code}"): {"controller"},
    ("POST", "/close/runs"): {"controller"},
    ("POST", "/close/accruals"): {"controller"},
    ("POST", "/integration/subscriptions"): {"admin"},
    # Controls on buyers and approvers are set by those above them.
    ("PUT", "/replenishment/budgets"): {"controller"},
    ("POST", "/approval-bands"): {"admin"},
    ("POST", "/match-tolerances"): {"admin"},
    ("POST", "/delegations"): {"admin"},
    ("PUT", "/task-service-levels/{entity_id}/{kind}"): {"admin"},
    # Treasury: the house bank and statements are the controller's; AP clerks propose payment runs.
    ("PUT", "/payment-settings/{entity_id}"): {"controller"},
    ("POST", "/payment-runs"): {"ap_clerk", "controller"},
    ("POST", "/bank-statements"): {"controller"},
}
READ_FINANCE: dict[tuple[str, str], set[str]] = {
    ("GET", "/entities/{entity_id}/trial-balance"): {"controller", "ap_clerk"},
    ("GET", "/journal-entries"): {"controller", "ap_clerk"},
    ("GET", "/integration/subscriptions"): {"admin"},
}


def _path(template: str, entity_id: int) -> str:
    out = template
    for name in (
        "{number}",
        "{rma_number}",
        "{code}",
        "{record_id}",
        "{subscription_id}",
        "{task_id}",
        "{kind}",
    ):
        out = out.replace(name, "1")
    return out.replace("{entity_id}", str(entity_id))


@pytest.fixture(scope="module")
def staff(engine: Engine) -> dict[str, Any]:
    """One user per role in entity A, plus the entity itself."""
    factory = Factory(engine)
    entity = factory.entity()
    tokens = {role: factory.user(role, entities=(entity,), limit=Decimal("1000000"))[1] for role in ROLES}
    return {"entity": entity, "tokens": tokens}


def test_every_expected_operation_exists(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    published = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert set(EXPECTED) | set(READ_FINANCE) <= published


@pytest.mark.parametrize("operation", sorted(EXPECTED | READ_FINANCE), ids=lambda op: f"{op[0]} {op[1]}")
def test_only_the_expected_roles_get_past_authorisation(
    api: TestClient, staff: dict[str, Any], operation: tuple[str, str]
) -> None:
    method, template = operation
    allowed = (EXPECTED | READ_FINANCE)[operation] | {"admin"}
    wrong: list[str] = []
    for role, token in staff["tokens"].items():
        kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {token}"}}
        if method != "GET":
            kwargs["json"] = {}  # an empty body: authorisation must refuse before validation looks at it
        answer = api.request(method, _path(template, staff["entity"].id), **kwargs)
        refused = answer.status_code == 403
        if refused == (role in allowed):
            wrong.append(f"{role}: {answer.status_code}")
    assert wrong == []


def test_documents_of_another_entity_are_invisible(api: TestClient, factory: Factory, engine: Engine) -> None:
    mine, theirs = factory.entity(), factory.entity()
    _, admin_a = factory.user("admin", entities=(mine,))
    their_location = factory.location(theirs)
    their_channel = factory.channel(theirs)
    headers = {"Authorization": f"Bearer {admin_a}"}
    # Guessing ids of entity B's records: 404 for reads and for writes, never the record.
    assert api.get(f"/locations/{their_location.id}", headers=headers).status_code == 404
    assert api.get(f"/channels/{their_channel.id}", headers=headers).status_code == 404
    assert (
        api.patch(f"/locations/{their_location.id}", json={"name": "mine now"}, headers=headers).status_code
        == 404
    )
    assert api.post(f"/channels/{their_channel.id}/archive", headers=headers).status_code == 404
    assert api.get(f"/entities/{theirs.id}/trial-balance", headers=headers).status_code == 404
    assert api.get("/stock/balances", params={"entity_id": theirs.id}, headers=headers).status_code == 404
    listed = api.get("/channels", headers=headers).json()
    assert their_channel.id not in [c["id"] for c in listed]
