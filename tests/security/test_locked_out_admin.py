"""The last admin's token has expired (or was lost): the operator, on the server, prints a new one with
`erp users rotate-token`; the old token stays refused, the new one works, and the rotation is audited."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from erp.cli.main import app
from tests.factories import Factory


def test_an_operator_lets_a_locked_out_admin_back_in(
    api: TestClient, factory: Factory, engine: Engine
) -> None:
    entity = factory.entity()
    admin, old_token = factory.user("admin", entities=(entity,))
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE app_user SET token_expires_at = now() - interval '1 day' WHERE id = :i"),
            {"i": admin.id},
        )
    assert api.get("/me", headers={"Authorization": f"Bearer {old_token}"}).status_code == 401

    result = CliRunner().invoke(app, ["users", "rotate-token", admin.username, "--days", "7"])
    assert result.exit_code == 0, result.output
    new_token = result.output.strip().splitlines()[-1]

    assert (
        api.get("/me", headers={"Authorization": f"Bearer {new_token}"}).json()["username"] == admin.username
    )
    assert api.get("/me", headers={"Authorization": f"Bearer {old_token}"}).status_code == 401
    with engine.connect() as conn:
        actors = conn.execute(
            text("SELECT actor FROM audit_event WHERE action = 'user.token_rotate' AND subject_id = :s"),
            {"s": str(admin.id)},
        ).all()
    assert [a for (a,) in actors] == ["erp-cli"]
    unknown = CliRunner().invoke(app, ["users", "rotate-token", "nobody-of-that-name"])
    assert unknown.exit_code == 2 and "does not exist" in unknown.output
