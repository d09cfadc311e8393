"""Apparel has a 1,000 budget this month with 500 committed; shoes have none. Which new POs are over?"""

from decimal import Decimal as D

from rules.budget import over_budget_reason, verdicts

BUDGETS = {"apparel": D(1000)}
COMMITTED = {"apparel": D(500), "shoes": D(9000)}


def test_within_budget_up_to_the_last_cent() -> None:
    [[line]] = verdicts(BUDGETS, COMMITTED, [{"apparel": D(500)}])
    assert (line.category, line.committed, line.new, line.over) == ("apparel", D(500), D(500), False)
    assert over_budget_reason([line], "2026-11") is None


def test_over_budget_names_the_category_and_the_amounts() -> None:
    [[line]] = verdicts(BUDGETS, COMMITTED, [{"apparel": D("500.01")}])
    assert line.over
    assert over_budget_reason([line], "2026-11") == (
        "apparel over its 2026-11 budget: 500 committed + 500.01 on this PO > 1000"
    )


def test_a_category_without_budget_has_no_limit() -> None:
    [[line]] = verdicts(BUDGETS, COMMITTED, [{"shoes": D(100000)}])
    assert line.budget is None and not line.over


def test_pos_checked_together_count_together() -> None:
    # Two suppliers' 300 each: neither alone is over, together they are: both are flagged.
    both = verdicts(BUDGETS, COMMITTED, [{"apparel": D(300)}, {"apparel": D(300)}])
    assert [line.over for po in both for line in po] == [True, True]
    assert [line.new for po in both for line in po] == [D(300), D(300)]
