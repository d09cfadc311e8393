"""Webhook signatures: HMAC-SHA256 over `<timestamp>.<raw body>` with the subscription's secret.

Header `X-Erp-Signature: t=<unix seconds>,v1=<hex digest>`. The timestamp is signed too, so a captured
request cannot be replayed later than the receiver's tolerance.
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
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    # Constant-time comparison: a timing difference must not leak how much of the digest matched.
    return hmac.compare_digest(expected, parts.get("v1", ""))
