"""Budget check of POs (replenishment drafts and every PO the API creates): open commitments plus the new
POs against each category's monthly budget."""

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.purchasing import PurchaseOrderInput
from models.contracts.replenishment import BudgetLine
from models.purchasing import COMMITTED_PO_STAGES
from rules.budget import CategoryVerdict, verdicts
from rules.money import convert, quantize
from rules.periods import period_bounds

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


def category_verdicts(
    session: Session, entity_id: int, currency: str, period: str, pos: Sequence[PurchaseOrderInput]
) -> list[list[CategoryVerdict]]:
    """Per PO, its categories against the period's budgets (rules.budget.verdicts: POs checked together
    count together); a category without a budget row has no limit."""
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
        str(r[0]): quantize(Decimal(r[1]), currency)
        for r in conn.execute(
            text(_COMMITMENTS),
            {"e": entity_id, "s": start, "d": end, "stages": list(COMMITTED_PO_STAGES)},
        )
    }
    return verdicts(budgets, committed, [_new_by_category(po) for po in pos])


def check(
    session: Session, entity_id: int, currency: str, period: str, pos: Sequence[PurchaseOrderInput]
) -> list[list[BudgetLine]]:
    """category_verdicts as the replenishment drafts store them."""
    found = category_verdicts(session, entity_id, currency, period, pos)
    return [
        [
            BudgetLine(category=v.category, budget=v.budget, committed=v.committed, new=v.new, over=v.over)
            for v in po
        ]
        for po in found
    ]
