"""An idempotent replay never stores a secret: the stored answer keeps every other field, nulls the
token or webhook secret (also where a validation error echoes it) and says how to get a new one."""

from rules.replay_secrets import withhold_secrets


def test_a_new_users_token_is_withheld_and_the_rest_kept() -> None:
    stored, withheld = withhold_secrets({"id": 4, "username": "ana", "token": "erp_abc"})
    assert withheld == ["token"]
    assert stored["id"] == 4 and stored["username"] == "ana" and stored["token"] is None
    assert "token" in stored["replay_notice"] and "rotate" in stored["replay_notice"]


def test_an_answer_without_secrets_is_stored_as_is() -> None:
    answer = {"number": "PO-1", "lines": [{"qty": "2"}], "token_expires_at": "2026-09-01"}
    assert withhold_secrets(answer) == (answer, [])
    assert withhold_secrets([1, 2]) == ([1, 2], [])
    assert withhold_secrets(None) == (None, [])


def test_a_validation_error_does_not_keep_the_secret_it_echoes() -> None:
    error = {
        "detail": [
            {"loc": ["body", "secret"], "msg": "too short", "input": "short-secret"},
            {"loc": ["body", "name"], "msg": "missing", "input": {"url": "https://x", "secret": "s" * 20}},
        ]
    }
    stored, withheld = withhold_secrets(error)
    assert withheld == ["secret"]
    assert "short-secret" not in str(stored) and "s" * 20 not in str(stored)
    assert stored["detail"][1]["input"]["url"] == "https://x"
