"""Rolling supplier scorecard (the period report lives in services.analytics; this reuses its statistics)
and the score input of the PO approval policy."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from rules.supplier_score import score
from services.analytics import SupplierLine, supplier_stats
from services.replenishment_settings import load_setting


@dataclass(frozen=True, slots=True)
class ScoreInput:
    """What the approval policy needs: the supplier's score (None = no delivered history) and the rule."""

    supplier_score: Decimal | None
    threshold: Decimal
    role: str


def _window(session: Session, entity_id: int, as_of: date) -> tuple[list[SupplierLine], int]:
    """Statistics over the entity's score window ending on as_of, counting only orders that were due."""
    setting = load_setting(session, entity_id)
    start = as_of - timedelta(days=setting.score_window_days)
    lines, _ = supplier_stats(session, entity_id, start, as_of, due_by=as_of)
    return lines, setting.score_window_days


def score_input(session: Session, entity_id: int, supplier_id: int, as_of: date) -> ScoreInput:
    """The supplier's current score and the entity's threshold and extra approval role."""
    setting = load_setting(session, entity_id)
    lines, _ = _window(session, entity_id, as_of)
    found = next((ln for ln in lines if ln.supplier_id == supplier_id and ln.delivered > 0), None)
    return ScoreInput(
        supplier_score=None if found is None else score(found.stats),
        threshold=setting.score_threshold,
        role=setting.score_role,
    )


def rolling_scorecard(session: Session, entity_id: int, as_of: date) -> dict[str, Any]:
    """Every supplier's statistics and score over the window, flagged when below the threshold."""
    setting = load_setting(session, entity_id)
    lines, days = _window(session, entity_id, as_of)
    suppliers = []
    for ln in lines:
        value = score(ln.stats) if ln.delivered > 0 else None
        suppliers.append(
            {
                "supplier_id": ln.supplier_id,
                "supplier": ln.code,
                "name": ln.name,
                "orders": ln.orders,
                "delivered": ln.delivered,
                "on_time_pct": ln.stats.on_time_pct,
                "fill_rate": ln.stats.fill_rate,
                "lead_time_mean_days": ln.stats.lead_time_mean,
                "lead_time_var_days": ln.stats.lead_time_var,
                "price_variance_pct": ln.stats.price_variance_pct,
                "match_rate": ln.stats.match_rate,
                "score": value,
                "extra_approval": value is not None and value < setting.score_threshold,
            }
        )
    return {
        "entity_id": entity_id,
        "as_of": as_of,
        "window_days": days,
        "threshold": setting.score_threshold,
        "extra_approval_role": setting.score_role,
        "suppliers": suppliers,
    }
