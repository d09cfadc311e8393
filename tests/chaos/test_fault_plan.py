"""The soak's fault schedule is a function of its seed: the same seed replays the same faults before the
same commands, every kind comes at least once when the count allows, and the faults spread over the days."""

import pytest

from tests.chaos.fault_plan import FAULT_KINDS, fault_plan, tally


def test_the_same_seed_gives_the_same_schedule_and_another_seed_another() -> None:
    assert fault_plan(5, days=10, faults=40) == fault_plan(5, days=10, faults=40)
    assert fault_plan(5, days=10, faults=40) != fault_plan(6, days=10, faults=40)


def test_every_kind_comes_at_least_once_and_the_count_is_exact() -> None:
    plan = fault_plan(1, days=2, faults=len(FAULT_KINDS))
    assert tally(plan) == dict.fromkeys(FAULT_KINDS, 1)
    assert sum(tally(fault_plan(1, days=60, faults=300)).values()) == 300


def test_faults_spread_over_every_day_in_order() -> None:
    plan = fault_plan(3, days=60, faults=300)
    assert {f.day for f in plan} == set(range(60))
    assert plan == sorted(plan, key=lambda f: (f.day, f.at))


def test_a_plan_needs_a_day() -> None:
    with pytest.raises(ValueError):
        fault_plan(1, days=0, faults=3)
