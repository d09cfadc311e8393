"""What an idempotent replay may keep of an answer: never a secret (a token, a webhook secret).

Secrets are shown once, in the first answer, and live only in their own table. The stored copy has each
secret value replaced by null (at any depth, including a validation error's echo of the request), and
a notice tells the client how to get a new one."""

from typing import Any

SECRET_FIELDS = frozenset({"token", "secret"})
REPLAY_NOTICE = (
    "This is a replay of an earlier answer. Secrets ({fields}) are shown only in the first answer and are "
    "not stored for replays: rotate to get a new one (POST /users/{{id}}/token, "
    "POST /integration/subscriptions/{{id}}/rotate-secret)."
)


def _withhold(value: Any, found: set[str]) -> Any:
    if isinstance(value, list):
        return [_withhold(v, found) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    # A validation error about a secret field echoes the value it refused as `input`.
    loc = value.get("loc")
    about_secret = isinstance(loc, list) and bool(loc) and loc[-1] in SECRET_FIELDS
    for key, item in value.items():
        if (key in SECRET_FIELDS or (about_secret and key == "input")) and item is not None:
            found.add(str(loc[-1]) if key == "input" and isinstance(loc, list) else key)
            out[key] = None
        else:
            out[key] = _withhold(item, found)
    return out


def withhold_secrets(payload: Any) -> tuple[Any, list[str]]:
    """A copy of the answer without secret values, and the names of the fields withheld (sorted)."""
    found: set[str] = set()
    cleaned = _withhold(payload, found)
    if found and isinstance(cleaned, dict):
        cleaned["replay_notice"] = REPLAY_NOTICE.format(fields=", ".join(sorted(found)))
    return cleaned, sorted(found)
