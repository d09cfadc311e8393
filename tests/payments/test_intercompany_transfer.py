"""Money between two entities of the group: the buyer pays an intercompany charge and both banks show it.

Nordwind DE (EUR) charges Nordwind CA (CAD) EUR 1,000.00 for management services today, when the euro is
1.50 Canadian dollars: CA books a cost and an intercompany payable of CAD 1,500.00, DE an intercompany
receivable of EUR 1,000.00 (a pair no other scenario keys: EUR->CAD 1.50 today, 1.52 tomorrow). Tomorrow CA's
treasurer transfers the EUR 1,000.00 with the charge's reference. CA's bank statement first shows a transfer
of 999.00 naming it: not the charge, it stays unmatched and says why. Then the 1,000.00: it clears CA's
payable, at tomorrow's 1.52 = CAD 1,520.00 from the bank, a realised loss of 20.00, and the payable ends at
zero dollars. DE's statement shows the 1,000.00 arriving: its receivable ends at zero, no exchange
difference (the euro is its currency). The same statement again changes nothing; another statement naming the
charge finds nothing open."""

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.factories import Factory
from tests.payments.bank import Entry, balances, camt053, key_days
from tests.purchasing.buyer_desk import bearer, eventually

D = Decimal
IBAN = "DE02120300000000202051"


def _statement(
    api: TestClient, token: str, entity: int, ref: str, entries: list[Entry], on: date
) -> list[Any]:
    """Import a camt.053 statement; each line's match (or its status and description)."""
    content = camt053(ref, IBAN, entries, on)
    imported = api.post(
        "/bank-statements",
        json={"entity_id": entity, "format": "camt053", "content": content},
        headers=bearer(token),
    )
    assert imported.status_code in (200, 201), imported.text
    return [
        (ln["matched_to"], ln["matched_ref"]) if ln["matched_to"] else (ln["status"], ln["description"])
        for ln in imported.json()["lines"]
    ]


async def test_an_intercompany_charge_paid_by_transfer_clears_both_sides_and_realises_the_payers_fx(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    de, ca = factory.entity("EUR"), factory.entity("CAD")
    assert de.id is not None and ca.id is not None
    group = factory.user("controller", entities=(de, ca))[1]
    today, tomorrow = key_days(api, group, "EUR->CAD", ["1.50", "1.52"])
    reference = f"IC-{de.code}-{ca.code}"
    charge = {
        "reference": reference,
        "seller_entity_id": de.id,
        "buyer_entity_id": ca.id,
        "posting_date": today.isoformat(),
        "currency": "EUR",
        "amount": "1000.00",
        "seller_account": "4000",
        "buyer_account": "6200",
    }
    assert api.post("/intercompany/charges", json=charge, headers=bearer(group)).status_code == 201
    eventually(
        lambda: balances(engine, ca.id or 0).get("ic_payable") == D("-1500.00") or None, "CA's payable"
    )
    eventually(lambda: balances(engine, de.id or 0).get("ic_receivable") == D("1000.00") or None, "DE's side")

    wrong = _statement(
        api, group, ca.id, "ST-CA-1", [Entry("-999.00", text=f"Intercompany {reference}")], tomorrow
    )
    assert wrong == [
        (
            "unmatched",
            f"intercompany {reference} expects 1000.00 EUR, the line has 999.00 EUR; "
            f"Intercompany {reference}",
        )
    ]
    assert balances(engine, ca.id)["ic_payable"] == D("-1500.00")  # nothing moved

    paid = _statement(
        api, group, ca.id, "ST-CA-2", [Entry("-1000.00", text=f"Intercompany {reference}")], tomorrow
    )
    assert paid == [("intercompany", reference)]
    buyer = balances(engine, ca.id)
    assert "ic_payable" not in buyer, buyer  # zero dollars, not 20.00
    assert buyer["bank"] == D("-1520.00")  # EUR 1,000.00 at 1.52
    assert buyer["fx_gain_loss"] == D("20.00")  # a loss: 1,520.00 paid for 1,500.00 booked

    arrived = [Entry("1000.00", text=f"Intercompany {reference}")]
    assert _statement(api, group, de.id, "ST-DE-1", arrived, tomorrow) == [("intercompany", reference)]
    seller = balances(engine, de.id)
    assert "ic_receivable" not in seller and seller["bank"] == D("1000.00"), seller
    assert "fx_gain_loss" not in seller

    assert _statement(api, group, de.id, "ST-DE-1", arrived, tomorrow) == [("intercompany", reference)]
    again = _statement(api, group, de.id, "ST-DE-2", arrived, tomorrow)
    assert again[0][0] == "unmatched", again  # nothing of the charge is open any more
    assert balances(engine, de.id) == seller
