"""An admin of one entity administers users: grants and removes only their own entities, cannot lock
themselves out; a token is refused with the reason its holder needs (deactivated, revoked, expired)."""

from datetime import UTC, datetime, timedelta

import pytest

from rules.errors import RuleViolation
from rules.user_admin import check_not_self_lockout, entities_after_change, token_refusal

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_an_admin_changes_only_their_own_entities_of_a_user() -> None:
    # The user is in 1 (admin's) and 7 (not the admin's): setting [2] keeps 7, swaps 1 for 2.
    assert entities_after_change([1, 7], [2], admin_scope={1, 2}) == [2, 7]
    assert entities_after_change([1], [1, 2], admin_scope={1, 2}) == [1, 2]


def test_granting_an_entity_the_admin_does_not_have_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        entities_after_change([1], [1, 9], admin_scope={1})
    assert refused.value.field == "entity_ids" and "9" in refused.value.reason


def test_an_admin_cannot_lock_themselves_out_but_can_change_others() -> None:
    with pytest.raises(RuleViolation):
        check_not_self_lockout("ann", "ann", deactivating=True)
    with pytest.raises(RuleViolation) as refused:
        check_not_self_lockout("ann", "ann", roles=["buyer"])
    assert refused.value.field == "roles"
    check_not_self_lockout("ann", "ann", roles=["admin", "buyer"])
    check_not_self_lockout("ann", "bob", deactivating=True, roles=["buyer"])


def test_a_token_is_refused_with_its_reason() -> None:
    later = NOW + timedelta(days=1)
    assert token_refusal(active=True, revoked_at=None, expires_at=later, now=NOW) is None
    assert (
        token_refusal(active=False, revoked_at=None, expires_at=later, now=NOW)
        == "the account is deactivated"
    )
    revoked = token_refusal(active=True, revoked_at=NOW, expires_at=later, now=NOW)
    assert revoked is not None and "revoked" in revoked
    expired = token_refusal(active=True, revoked_at=None, expires_at=NOW, now=NOW)
    assert expired is not None and expired.startswith("the token expired at 2026-06-01T12:00:00")
