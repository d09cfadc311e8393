"""Budget check of draft POs: open commitments plus the new POs against each category's monthly budget."""

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.purchasing import PurchaseOrderInput
from models.contracts.replenishment import BudgetLine
from rules.money import convert, quantize
from rules.periods import period_bounds

# Approved and not yet fully invoiced: the money is promised but not on an invoice yet.
_COMMITTED_STAGES = ("issued", "delayed", "receiving", "matching", "exception")

_COMMITMENTS = """
SELECT i.category,
       COALESCE(sum(GREATEST(pl.qty - pl.cancelled_qty - pl.invoiced_qty, 0) * pl.price * p.fx_rate), 0)
  FROM purchase_order p JOIN purchase_order_line pl ON pl.po_id = p.id JOIN item i ON i.id = pl.item_id
 WHERE p.entity_id = :e AND p.stage = ANY(CAST(:stages AS text[])) AND p.order_date BETWEEN :s AND :d
 GROUP BY i.category
"""


def _new_by_category(po: PurchaseOrderInput) -> dict[str, Decimal]:
    """Value of a PO's lines per category in the entity's currency."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    for line in po.lines:
        out[line.category] += convert(
            quantize(line.qty * line.price, po.currency), po.fx_rate, po.entity_currency
        )
    return out


def check(
    session: Session, entity_id: int, currency: str, period: str, pos: Sequence[PurchaseOrderInput]
) -> list[list[BudgetLine]]:
    """Per PO, its categories against budget; a category is over when commitments + all new POs exceed it.

    All POs of a run count together: splitting one run's demand over suppliers must not dodge a budget.
    A category without a budget row has no limit.
    """
    start, end = period_bounds(period)
    conn = session.connection()
    budgets = {
        str(r[0]): Decimal(r[1])
        for r in conn.execute(
            text("SELECT category, amount FROM category_budget WHERE entity_id = :e AND period = :p"),
            {"e": entity_id, "p": period},
        )
    }
    committed = {
        str(r[0]): Decimal(r[1])
        for r in conn.execute(
            text(_COMMITMENTS),
            {"e": entity_id, "s": start, "d": end, "stages": list(_COMMITTED_STAGES)},
        )
    }
    per_po = [_new_by_category(po) for po in pos]
    new_total: dict[str, Decimal] = defaultdict(Decimal)
    for values in per_po:
        for category, value in values.items():
            new_total[category] += value
    verdicts: list[list[BudgetLine]] = []
    for values in per_po:
        lines = []
        for category in sorted(values):
            budget = budgets.get(category)
            spent = quantize(committed.get(category, Decimal(0)), currency)
            over = budget is not None and spent + new_total[category] > budget
            lines.append(
                BudgetLine(category=category, budget=budget, committed=spent, new=values[category], over=over)
            )
        verdicts.append(lines)
    return verdicts
