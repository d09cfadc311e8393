"""Category budgets: open commitments plus new POs against each category's monthly budget (plain data)."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class CategoryVerdict:
    """One category of one PO: its budget (None: no budget, no limit), what is committed, what it adds."""

    category: str
    budget: Decimal | None
    committed: Decimal
    new: Decimal
    over: bool


def verdicts(
    budgets: Mapping[str, Decimal],
    committed: Mapping[str, Decimal],
    new_per_po: Sequence[Mapping[str, Decimal]],
) -> list[list[CategoryVerdict]]:
    """Per PO, its categories against budget; a category is over when commitments + all new POs exceed it.

    All POs checked together count together: splitting one demand over suppliers must not dodge a budget.
    A category without a budget has no limit.
    """
    new_total: dict[str, Decimal] = defaultdict(Decimal)
    for values in new_per_po:
        for category, value in values.items():
            new_total[category] += value
    out: list[list[CategoryVerdict]] = []
    for values in new_per_po:
        lines = []
        for category in sorted(values):
            budget = budgets.get(category)
            spent = committed.get(category, Decimal(0))
            over = budget is not None and spent + new_total[category] > budget
            lines.append(CategoryVerdict(category, budget, spent, values[category], over))
        out.append(lines)
    return out


def over_budget_reason(lines: Sequence[CategoryVerdict], period: str) -> str | None:
    """Why a PO needs the budget review (None when every category is within budget)."""
    over = [v for v in lines if v.over]
    if not over:
        return None
    return "; ".join(
        f"{v.category} over its {period} budget: {v.committed} committed + {v.new} on this PO > {v.budget}"
        for v in over
    )
