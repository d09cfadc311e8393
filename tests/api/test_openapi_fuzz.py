"""A hostile client: schemathesis throws generated requests at every operation of the OpenAPI schema
(as an admin). No answer may be a server error or break the schema the API publishes."""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no stubs installed
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from tests.factories import Factory

# The decision endpoint waits on a workflow update; webhook subscriptions to random URLs would
# receive (and retry) every later event of the session; a token rotation would replace the fuzzing
# admin's own token and leave every later operation a 401. Each has its own end-to-end tests.
SKIP = {
    ("POST", "/tasks/{task_id}/decision"),
    ("POST", "/integration/subscriptions"),
    ("PATCH", "/integration/subscriptions/{subscription_id}"),
    ("POST", "/me/token"),
    ("POST", "/users/{user_id}/token"),
}


@pytest.fixture(scope="module")
def admin_headers(engine: Any) -> dict[str, str]:
    """An admin of two entities: the widest reach a caller can have."""
    factory = Factory(engine)
    first, second = factory.entity(), factory.entity()
    _, token = factory.user("admin", entities=(first, second))
    return {"Authorization": f"Bearer {token}"}


def test_no_server_errors_and_responses_match_the_schema(
    temporal_dev: WorkflowEnvironment, admin_headers: dict[str, str]
) -> None:
    # Temporal is up (temporal_dev), so workflow-backed endpoints never answer 503 here.
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid schema raises here, failing the test
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case: Any) -> None:
            case.call_and_validate(
                headers=admin_headers, checks=[not_a_server_error, response_schema_conformance]
            )

        try:
            fuzz()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:400]}")
    assert operations > 10
    assert not failures, "\n".join(failures)


def test_the_schema_documents_every_request_body() -> None:
    # The published schema needs no database: build it straight from the app.
    spec = create_app().openapi()
    bodies = [
        (path, method)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if "requestBody" in op
    ]
    assert bodies, "no operation with a request body found"
    undocumented = []
    for path, method in bodies:
        for media, content in spec["paths"][path][method]["requestBody"]["content"].items():
            found = _examples(spec, content)
            if not found:
                undocumented.append(f"{method.upper()} {path} ({media}): no example")
            for example in found:
                # An example must be a body the API accepts: valid against the very schema it documents.
                schema = {**content["schema"], "components": spec["components"]}
                for error in Draft202012Validator(schema).iter_errors(example):
                    undocumented.append(
                        f"{method.upper()} {path}: example invalid at {list(error.path)}: {error.message}"
                    )
    assert not undocumented, "\n".join(undocumented)


def _examples(spec: dict[str, Any], content: dict[str, Any]) -> list[Any]:
    """Examples of a media type: on the media type itself, or on its (referenced) schema."""
    found = [content["example"]] if "example" in content else []
    found += [e.get("value") for e in content.get("examples", {}).values()]
    schema = content.get("schema", {})
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    found += [schema["example"]] if "example" in schema else []
    return found + list(schema.get("examples", []))
