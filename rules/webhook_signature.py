"""Webhook signatures: HMAC-SHA256 over `<timestamp>.<raw body>` with the subscription's secret.

Header `X-Erp-Signature: t=<unix seconds>,v1=<hex digest>`. The timestamp is signed too, so a captured
request cannot be replayed later than the receiver's tolerance.

After a secret rotation, during the overlap window, the header carries one `v1=` per secret (new first):
`t=<unix seconds>,v1=<new>,v1=<old>`. A receiver accepts the request when any `v1` matches its secret, so
it can switch to the new secret at any time within the window.
"""

import hashlib
import hmac

SIGNATURE_HEADER = "X-Erp-Signature"
EVENT_ID_HEADER = "X-Erp-Event-Id"
EVENT_TYPE_HEADER = "X-Erp-Event-Type"
DEFAULT_TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for a body sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secret: str, header: str, body: bytes, now: int, tolerance: int = DEFAULT_TOLERANCE_SECONDS
) -> bool:
    """True when the header signs exactly this body with this secret, within the time tolerance."""
    pairs = [p.split("=", 1) for p in header.split(",") if "=" in p]
    parts = dict(pairs)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    # Constant-time comparison: a timing difference must not leak how much of the digest matched.
    return any(hmac.compare_digest(expected, value) for key, value in pairs if key == "v1")


def sign_rotating(secret: str, previous: str | None, timestamp: int, body: bytes) -> str:
    """The header signed with the current secret and, during a rotation's overlap, with the previous one."""
    header = sign(secret, timestamp, body)
    if previous:
        header += "," + sign(previous, timestamp, body).split(",", 1)[1]
    return header
