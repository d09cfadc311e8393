"""Planning defaults of an entity: its own replenishment_setting row, else the default row, else built-ins."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session


@dataclass(frozen=True, slots=True)
class PlanningSetting:
    """Defaults for item-locations without parameters, the buyer role, and the supplier-score policy."""

    service_level: Decimal = Decimal("0.95")
    review_days: int = 7
    history_days: int = 90
    lead_history_days: int = 365
    buyer_role: str = "buyer"
    score_threshold: Decimal = Decimal("60")
    score_role: str = "controller"
    score_window_days: int = 180


def load_setting(session: Session, entity_id: int) -> PlanningSetting:
    """The entity's setting row, or the default row (entity NULL), or the built-in defaults."""
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT service_level, review_days, history_days, lead_history_days, buyer_role,
                   score_threshold, score_role, score_window_days
              FROM replenishment_setting WHERE entity_id = :e OR entity_id IS NULL
             ORDER BY entity_id NULLS LAST LIMIT 1
            """
            ),
            {"e": entity_id},
        )
        .first()
    )
    if row is None:
        return PlanningSetting()
    return PlanningSetting(
        service_level=Decimal(row[0]),
        review_days=int(row[1]),
        history_days=int(row[2]),
        lead_history_days=int(row[3]),
        buyer_role=str(row[4]),
        score_threshold=Decimal(row[5]),
        score_role=str(row[6]),
        score_window_days=int(row[7]),
    )
