"""Rolling supplier scorecard (the period report lives in services.close.analytics; this reuses its statistics)
and the score input of the PO approval policy."""

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from rules.supplier_score import score
from services.close.analytics import SupplierLine, supplier_stats
from services.replenishment.settings import load_setting

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScoreInput:
    """What the approval policy needs: the supplier's score (None = no delivered history) and the rule.

    `unavailable` says why the score could not be computed (a failed query): the policy then adds the
    extra level instead of taking the supplier for one without history.
    """

    supplier_score: Decimal | None
    threshold: Decimal
    role: str
    unavailable: str | None = None


def _window(session: Session, entity_id: int, as_of: date) -> tuple[list[SupplierLine], int, str]:
    """Statistics over the entity's score window ending on as_of (only orders that were due), and why
    they are unavailable ("" when they are)."""
    setting = load_setting(session, entity_id)
    start = as_of - timedelta(days=setting.score_window_days)
    lines, reason = supplier_stats(session, entity_id, start, as_of, due_by=as_of)
    return lines, setting.score_window_days, reason


def score_input(session: Session, entity_id: int, supplier_id: int, as_of: date) -> ScoreInput:
    """The supplier's current score and the entity's threshold and extra approval role."""
    setting = load_setting(session, entity_id)
    lines, _, reason = _window(session, entity_id, as_of)
    if reason:
        # The report may say "not available"; the approval control may not skip its level on that.
        log.warning("supplier score unavailable", extra={"supplier_id": supplier_id, "reason": reason})
        return ScoreInput(None, setting.score_threshold, setting.score_role, f"supplier score {reason}")
    found = next((ln for ln in lines if ln.supplier_id == supplier_id and ln.delivered > 0), None)
    return ScoreInput(
        supplier_score=None if found is None else score(found.stats),
        threshold=setting.score_threshold,
        role=setting.score_role,
    )


def rolling_scorecard(session: Session, entity_id: int, as_of: date) -> dict[str, Any]:
    """Every supplier's statistics and score over the window, flagged when below the threshold."""
    setting = load_setting(session, entity_id)
    lines, days, reason = _window(session, entity_id, as_of)
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
        # Not available: every PO meanwhile gets the extra approval level (the control fails closed).
        "available": not reason,
        "reason": reason or None,
        "suppliers": suppliers,
    }
