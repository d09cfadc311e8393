"""A client developer builds against /openapi.json: every answer names its fields, every operation says which
errors it gives (one error model) and what it does, and every tag is described."""

from typing import Any

from fastapi.testclient import TestClient

from tests.factories import Factory

# Operations anyone may call (no token); every other one can answer 401.
PUBLIC = {("get", "/health"), ("get", "/ready")}
ERROR_CODES = {"401", "403", "404", "409", "422", "503"}


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def names_fields(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    """True when the body's schema (or its list's items) is an object with named properties."""
    schema = _resolve(doc, schema)
    if schema.get("type") == "array":
        return names_fields(doc, schema.get("items", {}))
    variants = [s for s in schema.get("anyOf", schema.get("oneOf", [])) if s.get("type") != "null"]
    if variants:
        return all(names_fields(doc, s) for s in variants)
    return bool(schema.get("properties"))


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in doc["paths"].items() for method, op in ops.items()]


def test_success_answers_name_their_fields(api: TestClient) -> None:
    doc = api.get("/openapi.json").json()
    answers = [
        (f"{method.upper()} {path} {code}", media["schema"])
        for method, path, op in _operations(doc)
        for code, response in op["responses"].items()
        if code.startswith("2")
        for kind, media in response.get("content", {}).items()
        if kind == "application/json"
    ]
    bare = [where for where, schema in answers if not names_fields(doc, schema)]
    share = 1 - len(bare) / len(answers)
    assert len(answers) > 150, len(answers)
    assert share >= 0.95, f"{share:.1%} name their fields; bare: {bare}"


def test_every_operation_documents_its_errors_and_says_what_it_does(api: TestClient) -> None:
    doc = api.get("/openapi.json").json()
    tags = {t["name"]: t.get("description", "") for t in doc.get("tags", [])}
    missing: list[str] = []
    for method, path, op in _operations(doc):
        where = f"{method.upper()} {path}"
        errors = {code: r for code, r in op["responses"].items() if code in ERROR_CODES}
        if (method, path) not in PUBLIC and "401" not in errors:
            missing.append(f"{where}: no 401")
        for code, response in errors.items() if (method, path) not in PUBLIC else ():
            schema = response.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("$ref", "").rsplit("/", 1)[-1] != "ErrorBody":
                missing.append(f"{where}: {code} is not the ErrorBody model")
        if not op.get("description") or not op.get("summary"):
            missing.append(f"{where}: no description or summary")
        missing += [f"{where}: tag {t} is not described" for t in op.get("tags", []) if not tags.get(t)]
    assert not missing, "\n".join(missing)


def test_the_error_model_is_what_errors_look_like(api: TestClient, factory: Factory) -> None:
    """The documented ErrorBody matches real answers: a sentence for 401, a list naming the field for 422."""
    doc = api.get("/openapi.json").json()
    assert set(doc["components"]["schemas"]["ErrorBody"]["properties"]) == {"detail"}
    named = set(doc["components"]["schemas"]["ErrorItem"]["properties"])
    unauthenticated = api.get("/me")
    assert unauthenticated.status_code == 401 and isinstance(unauthenticated.json()["detail"], str)
    _, token = factory.user("buyer", entities=(factory.entity(),))
    invalid = api.get("/purchase-orders", params={"limit": 0}, headers={"Authorization": f"Bearer {token}"})
    assert invalid.status_code == 422, invalid.text
    for item in invalid.json()["detail"]:
        assert {"loc", "msg", "type"} <= set(item) and {"loc", "msg", "type"} <= named
        assert item["loc"] == ["query", "limit"]
