"""What a subscriber checks on each webhook: the HMAC over timestamp and raw body, and freshness."""

from rules.webhook_signature import sign, sign_rotating, verify

BODY = b'{"event_id":"5f0c","type":"purchase_order.issued"}'


def test_a_signed_body_verifies_with_the_same_secret_only() -> None:
    header = sign("s3cret-s3cret-16", 1_700_000_000, BODY)
    assert header.startswith("t=1700000000,v1=") and len(header.split("v1=")[1]) == 64
    assert verify("s3cret-s3cret-16", header, BODY, now=1_700_000_010)
    assert not verify("another-secret-16", header, BODY, now=1_700_000_010)


def test_a_changed_body_or_timestamp_fails() -> None:
    header = sign("k" * 32, 1_700_000_000, BODY)
    assert not verify("k" * 32, header, BODY.replace(b"issued", b"approved"), now=1_700_000_000)
    forged = header.replace("t=1700000000", "t=1700000100")
    assert not verify("k" * 32, forged, BODY, now=1_700_000_100)


def test_an_old_request_is_refused_as_a_replay() -> None:
    header = sign("k" * 32, 1_700_000_000, BODY)
    assert not verify("k" * 32, header, BODY, now=1_700_000_000 + 301)
    assert not verify("k" * 32, "v1=abc", BODY, now=1_700_000_000)


def test_during_a_rotation_both_secrets_verify_and_a_stranger_does_not() -> None:
    header = sign_rotating("new-secret-0000016", "old-secret-0000016", 1_700_000_000, BODY)
    assert header.count("v1=") == 2 and header.startswith(sign("new-secret-0000016", 1_700_000_000, BODY))
    assert verify("new-secret-0000016", header, BODY, now=1_700_000_001)
    assert verify("old-secret-0000016", header, BODY, now=1_700_000_001)
    assert not verify("other-secret-00016", header, BODY, now=1_700_000_001)
    # Without a previous secret (no rotation, or its window is over) only the current one signs.
    assert sign_rotating("new-secret-0000016", None, 1_700_000_000, BODY) == sign(
        "new-secret-0000016", 1_700_000_000, BODY
    )
