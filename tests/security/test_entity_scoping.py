"""Security review, third pass: entity scoping over every operation. Retailer A runs its business (a PO
waiting for approval, a web order, stock, a webhook subscription, audited changes); retailer B shares the
installation. Every operation the API publishes is called as a user of B with each role, pointed at A's
records (A's ids, numbers and codes in the path, the query and the body). No answer may carry anything of
A: a refusal (4xx) or an answer without A's names, people and documents. The walk is built from the
OpenAPI schema, so a new route is covered the day it is added; a route that is global by design (the
catalogue every entity shares) must be listed below with its reason."""

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.worker import Worker

from api.main import create_app
from models.auth import ROLES, Delegation
from models.master import TaxRate
from models.sales import ChannelPrice
from services.integration import webhook_targets
from tests.factories import Factory
from tests.purchasing.buyer_desk import bearer, open_desk, po_body, wait_task
from tests.sales.shop import receive

# Global by design: every entity reads the same catalogue; A's catalogue records (item, supplier, price,
# customer) may appear here, and only here.
GLOBAL: dict[tuple[str, str], str] = {
    ("GET", "/items"): "the item catalogue is shared by every entity",
    ("GET", "/items/{record_id}"): "the item catalogue is shared by every entity",
    ("PATCH", "/items/{record_id}"): "buyers of any entity maintain the shared catalogue",
    ("POST", "/items/{record_id}/archive"): "buyers of any entity maintain the shared catalogue",
    ("GET", "/suppliers"): "suppliers are shared by every entity",
    ("GET", "/suppliers/{record_id}"): "suppliers are shared by every entity",
    ("PATCH", "/suppliers/{record_id}"): "buyers of any entity maintain the shared supplier list",
    ("POST", "/suppliers/{record_id}/archive"): "buyers of any entity maintain the shared supplier list",
    ("GET", "/supplier-prices"): "contract prices belong to the shared supplier",
    ("GET", "/supplier-prices/{record_id}"): "contract prices belong to the shared supplier",
    ("POST", "/supplier-prices"): "contract prices belong to the shared supplier",
    ("GET", "/customers"): "customers are shared by every entity (a person buys from any of them)",
    ("GET", "/customers/{record_id}"): "customers are shared by every entity",
    ("PATCH", "/customers/{record_id}"): "sales ops of any entity maintain the shared customer list",
    ("POST", "/customers/{record_id}/archive"): "sales ops of any entity maintain the shared customer list",
    ("PUT", "/returns/policies/customers/{code}"): "a customer's return terms follow the shared customer",
}


@dataclass
class Retailer:
    """Entity A's records the walk points at, and the strings that must not reach B."""

    ids: dict[str, Any]
    secret_words: set[str] = field(default_factory=set)  # A's names and people: never in any answer
    documents: set[str] = field(default_factory=set)  # A's document numbers: never in a 2xx answer
    catalogue: set[str] = field(default_factory=set)  # A's shared records: only in GLOBAL routes


def _public_dns(host: str, _port: int) -> list[str]:
    if host.endswith(".example.com"):
        return ["93.184.216.34"]
    raise OSError(f"{host}: not known")


@pytest.fixture(scope="module")
def retailer_a(erp_worker: Worker, engine: Engine) -> Iterator[Retailer]:
    """Entity A with a PO waiting for approval, a web order, stock and journal entries, an audited
    master-data change and a webhook subscription; every name carries a marker word."""
    factory = Factory(engine)
    with TestClient(create_app()) as api:
        yield _open_retailer_a(api, factory, engine)


def _open_retailer_a(api: TestClient, factory: Factory, engine: Engine) -> Retailer:
    desk = open_desk(factory)
    entity, warehouse, item = desk.entity, desk.warehouse, desk.item
    assert entity.id and warehouse.id and item.id and desk.supplier.id
    mark = f"zq{uuid.uuid4().hex[:10]}"
    _, admin = factory.user("admin", entities=(entity,))
    channel = factory.channel(entity, "web")
    region = f"R{uuid.uuid4().hex[:6]}"
    customer = factory.customer(region=region)
    with Session(engine) as s:
        s.add(TaxRate(region=region, tax_class="standard", rate=Decimal("0.19"), valid_from=date(2000, 1, 1)))
        assert channel.id is not None
        s.add(
            ChannelPrice(
                channel_id=channel.id, item_id=item.id, price=Decimal("25"), currency="EUR",
                valid_from=date(2000, 1, 1),
            )
        )  # fmt: skip
        s.commit()
    receive(engine, item, warehouse, "40", "10.00")  # stock and journal entries of A
    # Audited changes that give A's records their marked names.
    for path, name in (
        (f"/entities/{entity.id}", f"{mark} Retail Ltd"),
        (f"/locations/{warehouse.id}", f"{mark} main warehouse"),
        (f"/channels/{channel.id}", f"{mark} web shop"),
    ):
        changed = api.patch(path, json={"name": name}, headers=bearer(admin))
        assert changed.status_code == 200, changed.text
    po = api.post("/purchase-orders", json=po_body(desk, "300"), headers=bearer(desk.token("buyer")))
    assert po.status_code == 201, po.text
    po_number = str(po.json()["number"])
    task = wait_task(engine, po_number, "po_approval")
    order = api.post(
        "/orders",
        json={"channel": channel.code, "external_id": uuid.uuid4().hex[:10], "customer": customer.code,
              "lines": [{"sku": item.sku, "qty": "2"}]},
        headers=bearer(factory.user("sales_ops", entities=(entity,))[1]),
    )  # fmt: skip
    assert order.status_code in (201, 202), order.text
    order_number = str(order.json()["order_number"])
    # The subscription is created while DNS says its host is public, then the name stops resolving:
    # deliveries to it are refused and recorded (A's delivery and dead-letter rows).
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(webhook_targets, "system_resolve", _public_dns)
        sub = api.post(
            "/integration/subscriptions",
            json={
                "name": f"{mark}-wms",
                "url": f"https://{mark}.example.com/hooks",
                "entity_ids": [entity.id],
            },
            headers=bearer(admin),
        )
    assert sub.status_code == 201, sub.text
    lines = [{"account": "6200", "debit": "5.00"}, {"account": "2150", "credit": "5.00"}]
    journal = api.post(
        "/journals",
        json={
            "entity_id": entity.id,
            "posting_date": date.today().isoformat(),
            "memo": f"{mark} fix",
            "lines": lines,
        },
        headers=bearer(admin),
    )
    assert journal.status_code == 201, journal.text
    template = api.post(
        "/journal-templates",
        json={"entity_id": entity.id, "code": "RENT", "memo": f"{mark} rent", "lines": lines},
        headers=bearer(admin),
    )
    assert template.status_code == 201, template.text
    period = date.today().strftime("%Y-%m")
    with Session(engine) as s:
        lent = Delegation(
            delegator=desk.name("approver"), delegate=desk.name("buyer"),
            valid_from=date.today(), valid_to=date.today() + timedelta(days=7),
        )  # fmt: skip
        s.add(lent)
        s.commit()
        s.refresh(lent)
        delegation_id = lent.id
    with engine.connect() as c:
        band_id = c.execute(
            text("SELECT min(id) FROM approval_band WHERE entity_id = :e"), {"e": entity.id}
        ).scalar()
        admin_id = c.execute(
            text("SELECT u.id FROM app_user u JOIN user_entity ue ON ue.user_id = u.id WHERE ue.entity_id = :e"
                 " AND 'admin' = ANY(u.roles)"),
            {"e": entity.id},
        ).scalar()  # fmt: skip
        account_id = c.execute(
            text("SELECT min(id) FROM account WHERE entity_id = :e"), {"e": entity.id}
        ).scalar()
        users = (
            c.execute(
                text(
                    "SELECT u.username FROM app_user u JOIN user_entity ue ON ue.user_id = u.id WHERE ue.entity_id = :e"
                ),
                {"e": entity.id},
            )
            .scalars()
            .all()
        )
    ids = {
        "entity_id": entity.id,
        "location_id": warehouse.id,
        "item_id": item.id,
        "supplier_id": desk.supplier.id,
        "channel_id": channel.id,
        "channel": channel.code,
        "customer": customer.code,
        "account_id": account_id,
        "task_id": task["id"],
        "subscription_id": sub.json()["id"],
        "po_number": po_number,
        "order_number": order_number,
        "period": period,
        "sub_url": sub.json()["url"],
        "admin_token": admin,
        "band_id": band_id,
        "delegation_id": delegation_id,
        "user_id": admin_id,
        "journal_number": journal.json()["number"],
        "template_id": template.json()["id"],
    }
    return Retailer(
        ids,
        secret_words={mark, *users},
        documents={po_number, order_number, journal.json()["number"]},
        catalogue={item.sku, desk.supplier.code, customer.code},
    )


@pytest.fixture(scope="module")
def staff_b(engine: Engine) -> dict[str, str]:
    """Entity B's people: one user per role, and one holding every role, B only."""
    factory = Factory(engine)
    entity = factory.entity()
    staff = {role: factory.user(role, entities=(entity,), limit=Decimal("1000000"))[1] for role in ROLES}
    staff["every role"] = factory.user(*ROLES, entities=(entity,), limit=Decimal("1000000"))[1]
    return staff


def _record_for(path: str, a: dict[str, Any]) -> Any:
    """A's record id for a /{collection}/{record_id} path."""
    collection = path.strip("/").split("/")[0]
    by_collection = {
        "entities": a["entity_id"], "locations": a["location_id"], "items": a["item_id"],
        "suppliers": a["supplier_id"], "channels": a["channel_id"], "accounts": a["account_id"],
    }  # fmt: skip
    return by_collection.get(collection, a["entity_id"])


def _path_value(name: str, path: str, a: dict[str, Any]) -> Any:
    values: dict[str, Any] = {
        "record_id": _record_for(path, a),
        "entity_id": a["entity_id"],
        "task_id": a["task_id"],
        "subscription_id": a["subscription_id"],
        "number": a["order_number"] if path.startswith("/orders") else a["po_number"],
        "code": a["customer"] if "/customers/" in path else a["channel"],
        "period": a["period"],
        "rma_number": "RMA-000001",
        "settlement_id": 1,
        "run_id": 1,
        "statement_id": 1,
        "payout_id": 1,
        "chargeback_id": 1,
        "currency": "EUR",
        "command_id": str(uuid.uuid4()),
        # Policy administration, users and imports.
        "band_id": a["band_id"],
        "delegation_id": a["delegation_id"],
        "tolerance_id": 1,
        "user_id": a["user_id"],
        "kind": "backorder" if path.startswith("/task-service-levels") else "items",
        # Manual journals: A's journal number and template id (the walk needs A to have them).
        "journal_number": a["journal_number"],
        "template_id": a["template_id"],
    }
    if name not in values:
        raise AssertionError(f"teach this test which of A's records a path parameter '{name}' names ({path})")
    return values[name]


def _concrete(template: str, a: dict[str, Any]) -> str:
    """The path with A's record in every parameter."""
    path = template
    for name in re.findall(r"\{([^}]+)\}", template):
        path = path.replace(f"{{{name}}}", str(_path_value(name, template, a)))
    return path


def _query_values(a: dict[str, Any]) -> dict[str, Any]:
    today = date.today()
    return {
        "entity_id": a["entity_id"], "period": a["period"], "item_id": a["item_id"], "supplier_id": a["supplier_id"],
        "subscription_id": a["subscription_id"], "channel": a["channel"], "order_number": a["order_number"],
        "channel_id": a["channel_id"], "location_id": a["location_id"], "user_id": a["user_id"],
        "source_type": "purchase_order", "source_id": a["po_number"], "subject_type": "purchase_order",
        "subject_id": a["po_number"], "currency": "EUR", "as_of": today.isoformat(),
        "start": today.isoformat(), "end": (today + timedelta(days=90)).isoformat(),
        "include_replayed": "true", "include_archived": "true", "side": "ar",
    }  # fmt: skip


# Extra query sets for operations that take a subject: every kind of A's audited subjects.
def _variants(path: str, a: dict[str, Any]) -> list[dict[str, Any]]:
    if path == "/audit":
        return [
            {"subject_type": t, "subject_id": str(i)}
            for t, i in (
                ("purchase_order", a["po_number"]), ("webhook_subscription", a["subscription_id"]),
                ("Location", a["location_id"]), ("Entity", a["entity_id"]), ("Channel", a["channel_id"]),
                ("user", a["user_id"]), ("Delegation", a["delegation_id"]),
            )
        ]  # fmt: skip
    return [{}]


def _point_at_a(value: Any, a: dict[str, Any]) -> Any:
    """An example body with every reference replaced by one of A's records."""
    refs = {
        "entity_id": a["entity_id"], "location_id": a["location_id"], "from_location_id": a["location_id"],
        "to_location_id": a["location_id"], "item_id": a["item_id"], "supplier_id": a["supplier_id"],
        "channel_id": a["channel_id"], "channel": a["channel"], "customer": a["customer"],
        "order_number": a["order_number"], "po_number": a["po_number"], "purchase_order": a["po_number"],
        "subscription_id": a["subscription_id"], "account_id": a["account_id"],
    }  # fmt: skip
    if isinstance(value, dict):
        out = {k: refs[k] if k in refs else _point_at_a(v, a) for k, v in value.items()}
        if "entity_ids" in out:
            out["entity_ids"] = [a["entity_id"]]
        if "url" in out:
            out["url"] = "https://hooks.example.com/erp"
        return out
    if isinstance(value, list):
        return [_point_at_a(v, a) for v in value]
    return value


def _example_body(spec: dict[str, Any], op: dict[str, Any]) -> Any:
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    schema = content.get("schema", {})
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    examples = [content["example"]] if "example" in content else []
    examples += [e.get("value") for e in content.get("examples", {}).values()]
    examples += list(schema.get("examples", []))
    return examples[0] if examples else {}


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _leaks(retailer: Retailer, method: str, path: str, status: int, body: str) -> list[str]:
    words = set(retailer.secret_words)
    if 200 <= status < 300:
        words |= retailer.documents
        if (method, path) not in GLOBAL:
            words |= retailer.catalogue
    return sorted(w for w in words if w and re.search(re.escape(w), body, flags=re.IGNORECASE))


def test_no_operation_shows_or_changes_another_entitys_data(
    api: TestClient, retailer_a: Retailer, staff_b: dict[str, str], engine: Engine
) -> None:
    spec = api.get("/openapi.json").json()
    a = retailer_a.ids
    queries = _query_values(a)
    problems: list[str] = []
    calls = 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(webhook_targets, "system_resolve", _public_dns)
        for method, template, op in _operations(spec):
            path = _concrete(template, a)
            params = {
                p["name"]: queries[p["name"]]
                for p in op.get("parameters", [])
                if p["in"] == "query" and p["name"] in queries
            }
            missing = [
                p["name"] for p in op.get("parameters", [])
                if p["in"] == "query" and p.get("required") and p["name"] not in queries
            ]  # fmt: skip
            assert not missing, f"teach this test a value of A for {missing} ({method} {template})"
            body = _point_at_a(_example_body(spec, op), a)
            for variant in _variants(template, a):
                for role, token in staff_b.items():
                    kwargs: dict[str, Any] = {"params": {**params, **variant}, "headers": bearer(token)}
                    if body is not None:
                        kwargs["json"] = body
                    answer = api.request(method, path, **kwargs)
                    calls += 1
                    where = f"{method} {template} {variant or ''} as B's {role}: {answer.status_code}"
                    if answer.status_code >= 500:
                        problems.append(f"{where} {answer.text[:200]}")
                        continue
                    leaked = _leaks(retailer_a, method, template, answer.status_code, answer.text)
                    if leaked:
                        problems.append(f"{where} shows {leaked}: {answer.text[:300]}")
    assert calls > 100 * len(staff_b) // 2
    assert not problems, "\n".join(problems)
    # Nothing of A changed either.
    with engine.connect() as c:
        sub = c.execute(
            text("SELECT active, url, entity_ids FROM webhook_subscription WHERE id = :s"),
            {"s": a["subscription_id"]},
        ).one()
        stage = c.execute(
            text("SELECT stage FROM purchase_order WHERE number = :n"), {"n": a["po_number"]}
        ).scalar()
        location = c.execute(
            text("SELECT name FROM location WHERE id = :l"), {"l": a["location_id"]}
        ).scalar()
    assert (sub[0], sub[1], list(sub[2])) == (True, a["sub_url"], [a["entity_id"]])
    assert stage not in ("cancelled", "rejected")
    assert any(w in str(location) for w in retailer_a.secret_words)


def test_the_global_allow_list_names_real_operations(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    published = {(m, p) for m, p, _ in _operations(spec)}
    assert set(GLOBAL) <= published, sorted(set(GLOBAL) - published)
    assert all(reason for reason in GLOBAL.values())


def test_the_walk_sees_a_leak_when_there_is_one(api: TestClient, retailer_a: Retailer) -> None:
    # A's own admin gets A's records from the same calls: the markers are where the walk looks for them.
    a = retailer_a.ids
    own = bearer(a["admin_token"])
    for method, template, params in (
        ("GET", "/purchase-orders/{number}", {}),
        ("GET", "/locations/{record_id}", {}),
        ("GET", "/tasks/{task_id}", {}),
        ("GET", "/integration/subscriptions", {}),
        ("GET", "/audit", {"subject_type": "Location", "subject_id": str(a["location_id"])}),
    ):
        path = _concrete(template, a)
        answer = api.request(method, path, params=params, headers=own)
        assert answer.status_code == 200, (template, answer.text)
        assert _leaks(retailer_a, method, template, answer.status_code, answer.text), template
