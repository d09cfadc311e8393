"""The card payment provider's side of a scenario: its payout reports and the chargebacks it records."""

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.payments.bank import open_task
from tests.purchasing.buyer_desk import eventually
from tests.sales.shop import Shop, bearer


def payout_body(shop: Shop, payout_id: str, lines: list[dict[str, str]]) -> dict[str, Any]:
    """A payout report of the web shop's provider, dated today."""
    return {
        "channel": shop.web.code,
        "payout_id": payout_id,
        "payout_date": date.today().isoformat(),
        "lines": lines,
    }


def chargeback(
    api: TestClient, engine: Engine, shop: Shop, ref: str, order_number: str, decision: str
) -> dict[str, Any]:
    """The provider's chargeback of a whole one-lamp order (35.70), recorded; the controller's first decision."""
    body = {
        "channel": shop.web.code,
        "chargeback_id": ref,
        "order_number": order_number,
        "amount": "35.70",
        "reason": "fraudulent",
        "received_on": date.today().isoformat(),
    }
    recorded = api.post("/psp-chargebacks", json=body, headers=bearer(shop.controller))
    assert recorded.status_code == 201, recorded.text
    cb: dict[str, Any] = recorded.json()
    task = eventually(lambda: open_task(engine, cb["workflow_id"], "chargeback_dispute"), "dispute task")
    decided = api.post(
        f"/tasks/{task}/decision", json={"decision": decision}, headers=bearer(shop.controller)
    )
    assert decided.status_code == 200, decided.text
    return cb
