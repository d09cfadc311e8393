"""Supplier scorecard: a good kettle supplier, a perfect one and a poor one."""

from dataclasses import replace
from decimal import Decimal as D

import pytest

from rules.errors import RuleViolation
from rules.supplier_score import ScoreWeights, SupplierStats, lead_time_component, score

GOOD = SupplierStats(
    on_time_pct=D(90),
    fill_rate=D(95),
    lead_time_mean=D(10),
    lead_time_var=D(4),
    price_variance_pct=D("1.5"),
    match_rate=D(80),
)


def test_worked_example() -> None:
    # Lead time: sd 2 / mean 10 = CV 0.2 -> 80. Price: 100 - 1.5 x 10 = 85.
    # (30 x 90 + 25 x 95 + 15 x 80 + 15 x 85 + 15 x 80) / 100 = (2700 + 2375 + 1200 + 1275 + 1200) / 100
    # = 8750 / 100 = 87.50
    assert score(GOOD) == D("87.50")


def test_perfect_and_worst_suppliers() -> None:
    perfect = SupplierStats(D(100), D(100), D(7), D(0), D(0), D(100))
    assert score(perfect) == D("100.00")
    # Lead-time sd 10 on a mean of 5 (CV 2) and 12 % price variance both clamp to 0.
    worst = SupplierStats(D(0), D(0), D(5), D(100), D(-12), D(0))
    assert score(worst) == D("0.00")


def test_custom_weights() -> None:
    only_on_time = ScoreWeights(D(1), D(0), D(0), D(0), D(0))
    assert score(GOOD, only_on_time) == D("90.00")


def test_lead_time_component_edges() -> None:
    assert lead_time_component(D(0), D(0)) == D(100)
    assert lead_time_component(D(0), D(1)) == D(0)
    assert lead_time_component(D(10), D(4)) == D(80)


def test_invalid_inputs() -> None:
    with pytest.raises(RuleViolation) as exc:
        score(replace(GOOD, fill_rate=D(120)))
    assert exc.value.field == "fill_rate"
    with pytest.raises(RuleViolation) as exc:
        score(replace(GOOD, lead_time_var=D(-1)))
    assert exc.value.field == "lead_time_var"
    with pytest.raises(RuleViolation) as exc:
        score(GOOD, ScoreWeights(D(0), D(0), D(0), D(0), D(0)))
    assert exc.value.field == "weights"
    with pytest.raises(RuleViolation) as exc:
        score(GOOD, ScoreWeights(D(-1), D(1), D(0), D(0), D(0)))
    assert exc.value.field == "weights"
