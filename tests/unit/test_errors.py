"""A rule violation names the field it refuses so the API can answer 422 pointing at it."""

import pickle

from rules.errors import RuleViolation


def test_rule_violation_carries_field_and_reason() -> None:
    err = RuleViolation("qty", "must be positive")
    assert isinstance(err, ValueError)
    assert err.field == "qty"
    assert err.reason == "must be positive"
    assert str(err) == "qty: must be positive"


def test_rule_violation_survives_pickling() -> None:
    # Errors may cross process boundaries (worker -> test harness); they must keep their fields.
    back = pickle.loads(pickle.dumps(RuleViolation("currency", "unknown")))
    assert (back.field, back.reason) == ("currency", "unknown")
