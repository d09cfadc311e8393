"""Security review, first pass: every operation in the published API refuses a caller without a
token (401) or with a revoked one, except liveness, readiness, metrics and the docs."""

import re

import pytest
from fastapi.testclient import TestClient

PUBLIC = {("GET", "/health"), ("GET", "/ready")}


def _operations(api: TestClient) -> list[tuple[str, str]]:
    spec = api.get("/openapi.json").json()
    return [
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _concrete(path: str) -> str:
    # Any id will do: authentication is checked before the id is looked up.
    return re.sub(r"\{[^}]+\}", "1", path)


def test_there_are_operations_to_check(api: TestClient) -> None:
    assert len(_operations(api)) > 20


@pytest.mark.parametrize("token", [None, "revoked-or-made-up"])
def test_no_valid_token_no_access(api: TestClient, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    open_doors = []
    for method, path in _operations(api):
        if (method, path) in PUBLIC:
            continue
        answer = api.request(method, _concrete(path), headers=headers, json={})
        if answer.status_code != 401:
            open_doors.append(f"{method} {path} -> {answer.status_code}")
    assert open_doors == []
