"""A retailer's open documents on Monday 3 November 2031, with the 13-week forecast worked out by hand.

Weeks run from the as-of day: W1 = 3-9 Nov, W2 = 10-16 Nov, W3 = 17-23 Nov, W4 = 24-30 Nov, W5 = 1-7 Dec.

  supplier invoices (matched)  INV-1 1,000 + 190 tax due 10 Nov                 -1,190.00  W2
                               INV-2   500 +  95 tax due 28 Oct (overdue)          -595.00  W1 (day 1)
                               INV-3 paid, INV-4 in exception, INV-5 due 1 Mar 2032 (past the horizon): none
  approved open POs            PO-A EUR 6 x 20.00 + 4 x 8.50 uninvoiced, expected 5 Nov, NET30
                                    -> billed 5 Nov, paid 5 Dec                      -154.00  W5
                               PO-B USD 100 x 2.50, expected 20 Oct (late), NET14
                                    -> billed today, paid 17 Nov                 USD -250.00  W3
                               PO-C draft, PO-D closed: none
  receivables (AR ledger)      SO-M marketplace, 238.00 shipped 25 Oct + 14 days  +238.00  W1 (8 Nov)
                               SO-W web (30-day cycle), 119.00 shipped 31 Oct      +119.00  W4 (30 Nov)
                               SO-P marketplace, 500.00 less 200.00 paid, shipped 1 Oct (overdue)
                                                                                   +300.00  W1 (day 1)
                               SO-Z settled in full: none
  refunds pending              RMA-1 awaiting goods due 20 Nov                      -59.50  W3
                               RMA-2 in inspection (goods back)                     -23.80  W1 (day 1)
                               RMA-3 store credit, RMA-4 closed: none
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal as D

from sqlalchemy import Engine, text
from sqlmodel import Session

from models.master import Channel, Entity
from models.purchasing import PurchaseOrder, PurchaseOrderLine, SupplierInvoice
from models.returns import ReturnAuthorisation
from models.sales import SalesOrder, Shipment
from services.core import ledger
from services.core.ledger import LineIn, PostingRequest
from tests.factories import Factory

AS_OF = date(2031, 11, 3)
W = [date(2031, 11, 3), date(2031, 11, 10), date(2031, 11, 17), date(2031, 11, 24), date(2031, 12, 1)]
_Z = D("0.00")


def _week(sp: str = "0.00", cs: str = "0.00", cr: str = "0.00", rf: str = "0.00") -> dict[str, D]:
    return {
        "supplier_payments": D(sp),
        "committed_spend": D(cs),
        "customer_receipts": D(cr),
        "refunds": D(rf),
    }


# Per currency, the totals of the first five weeks (weeks 6 to 13 are empty).
EXPECTED_WEEKS = {
    "EUR": [
        _week(sp="-595.00", cr="538.00", rf="-23.80"),
        _week(sp="-1190.00"),
        _week(rf="-59.50"),
        _week(cr="119.00"),
        _week(cs="-154.00"),
    ],
    "USD": [_week(), _week(), _week(cs="-250.00"), _week(), _week()],
}
EXPECTED_NET = {"EUR": D("-1365.30"), "USD": D("-250.00")}
EXPECTED_CUMULATIVE_EUR = [D("-80.80"), D("-1270.80"), D("-1330.30"), D("-1211.30"), D("-1365.30")]
# Day 1 holds everything overdue plus what falls due today.
EXPECTED_DAY_ONE_EUR = D("-318.80")


@dataclass(frozen=True)
class WorkedForecast:
    """The entity and its channels."""

    entity: Entity
    marketplace: Channel
    web: Channel


def _po(
    s: Session, e: Entity, supplier_id: int, item_id: int, loc_id: int, number: str, stage: str,
    currency: str, expected: date, terms: str, lines: list[tuple[str, str, str, str]],
) -> PurchaseOrder:  # fmt: skip
    assert e.id is not None
    po = PurchaseOrder(
        number=number, workflow_id=f"PO-{number}", entity_id=e.id, supplier_id=supplier_id, currency=currency,
        stage=stage, requested_by="bea", order_date=date(2031, 10, 1), expected_date=expected, payment_terms=terms,
    )  # fmt: skip
    s.add(po)
    s.flush()
    assert po.id is not None
    for n, (qty, price, invoiced, cancelled) in enumerate(lines, 1):
        s.add(
            PurchaseOrderLine(
                po_id=po.id, line_no=n, item_id=item_id, location_id=loc_id, qty=D(qty), price=D(price),
                invoiced_qty=D(invoiced), cancelled_qty=D(cancelled),
            )
        )  # fmt: skip
    return po


def _invoice(s: Session, po: PurchaseOrder, number: str, net: str, tax: str, status: str, due: date) -> None:
    s.add(
        SupplierInvoice(
            supplier_id=po.supplier_id, invoice_number=number, po_id=po.id or 0, entity_id=po.entity_id,
            invoice_date=date(2031, 10, 1), currency=po.currency, net=D(net), tax=D(tax), status=status,
            due_date=due, entered_by="ada", paid_on=date(2031, 10, 30) if status == "paid" else None,
        )
    )  # fmt: skip


def _order(
    s: Session, e: Entity, ch: Channel, customer_id: int, loc_id: int, number: str, shipped: date
) -> int:
    assert e.id is not None and ch.id is not None
    o = SalesOrder(
        number=number, workflow_id=f"SO-{number}", entity_id=e.id, channel_id=ch.id, customer_id=customer_id,
        external_id=number, ship_to_region="DE", currency="EUR", payment_method="marketplace",
        order_date=shipped, status="shipped", created_by="sam",
    )  # fmt: skip
    s.add(o)
    s.flush()
    assert o.id is not None
    s.add(
        Shipment(
            order_id=o.id,
            shipment_key=f"{number}:ship",
            location_id=loc_id,
            carrier="dhl",
            shipped_on=shipped,
        )
    )
    return o.id


def _ar(s: Session, e: Entity, number: str, amount: str, day: date, n: int = 1) -> None:
    """Dr receivable (partnered to the order) against revenue, or a payment when negative."""
    assert e.id is not None
    other = "revenue" if D(amount) > 0 else "bank"
    ledger.post(
        s,
        PostingRequest(
            entity_id=e.id, idempotency_key=f"{number}:ar:{n}", posting_date=day, source_type="sales_order",
            source_id=number, currency="EUR",
            lines=[LineIn("ar", D(amount), "", "order", number), LineIn(other, -D(amount))],
        ),
    )  # fmt: skip


def _rma(s: Session, e: Entity, order_id: int, ch: Channel, cust: int, number: str, stage: str, value: str,
         due: date | None, method: str = "original") -> None:  # fmt: skip
    assert e.id is not None and ch.id is not None
    s.add(
        ReturnAuthorisation(
            rma_number=number, workflow_id=f"Return-{number}", entity_id=e.id, order_id=order_id, channel_id=ch.id,
            customer_id=cust, currency="EUR", refund_method=method, stage=stage, requested_by="sam",
            requested_on=date(2031, 10, 30), goods_due=due, value=D(value),
        )
    )  # fmt: skip


def build(engine: Engine, factory: Factory) -> WorkedForecast:
    """Plant the open documents of the worked example for a fresh entity."""
    e = factory.entity()
    k = e.code
    loc = factory.location(e)
    item = factory.item()
    s1, s2 = factory.supplier(), factory.supplier("USD")
    cust = factory.customer()
    market = factory.channel(e, "marketplace")
    web = factory.channel(e, "web")
    assert loc.id and item.id and s1.id and s2.id and cust.id and web.id
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO foresight_channel_setting (channel_id, settlement_days, updated_by) VALUES (:c, 30, 't')"
            ),
            {"c": web.id},
        )
    with Session(engine) as s:
        po_a = _po(s, e, s1.id, item.id, loc.id, f"{k}-A", "issued", "EUR", date(2031, 11, 5), "NET30",
                   [("10", "20.00", "4", "0"), ("5", "8.50", "0", "1")])  # fmt: skip
        _po(
            s,
            e,
            s2.id,
            item.id,
            loc.id,
            f"{k}-B",
            "delayed",
            "USD",
            date(2031, 10, 20),
            "NET14",
            [("100", "2.50", "0", "0")],
        )
        _po(
            s,
            e,
            s1.id,
            item.id,
            loc.id,
            f"{k}-C",
            "draft",
            "EUR",
            date(2031, 11, 5),
            "NET30",
            [("1", "99", "0", "0")],
        )
        _po(
            s,
            e,
            s1.id,
            item.id,
            loc.id,
            f"{k}-D",
            "closed",
            "EUR",
            date(2031, 11, 5),
            "NET30",
            [("1", "99", "0", "0")],
        )
        _invoice(s, po_a, f"{k}-INV-1", "1000.00", "190.00", "matched", date(2031, 11, 10))
        _invoice(s, po_a, f"{k}-INV-2", "500.00", "95.00", "matched", date(2031, 10, 28))
        _invoice(s, po_a, f"{k}-INV-3", "70.00", "0.00", "paid", date(2031, 11, 12))
        _invoice(s, po_a, f"{k}-INV-4", "80.00", "0.00", "exception", date(2031, 11, 12))
        _invoice(s, po_a, f"{k}-INV-5", "90.00", "0.00", "matched", date(2032, 3, 1))
        m = _order(s, e, market, cust.id, loc.id, f"{k}-SO-M", date(2031, 10, 25))
        _order(s, e, web, cust.id, loc.id, f"{k}-SO-W", date(2031, 10, 31))
        _order(s, e, market, cust.id, loc.id, f"{k}-SO-P", date(2031, 10, 1))
        _order(s, e, market, cust.id, loc.id, f"{k}-SO-Z", date(2031, 10, 2))
        _ar(s, e, f"{k}-SO-M", "238.00", date(2031, 10, 25))
        _ar(s, e, f"{k}-SO-W", "119.00", date(2031, 10, 31))
        _ar(s, e, f"{k}-SO-P", "500.00", date(2031, 10, 1))
        _ar(s, e, f"{k}-SO-P", "-200.00", date(2031, 10, 20), 2)
        _ar(s, e, f"{k}-SO-Z", "100.00", date(2031, 10, 2))
        _ar(s, e, f"{k}-SO-Z", "-100.00", date(2031, 10, 16), 2)
        _rma(s, e, m, market, cust.id, f"{k}-RMA-1", "awaiting_goods", "59.50", date(2031, 11, 20))
        _rma(s, e, m, market, cust.id, f"{k}-RMA-2", "inspection", "23.80", date(2031, 11, 20))
        _rma(
            s,
            e,
            m,
            market,
            cust.id,
            f"{k}-RMA-3",
            "awaiting_goods",
            "11.90",
            date(2031, 11, 20),
            "store_credit",
        )
        _rma(s, e, m, market, cust.id, f"{k}-RMA-4", "closed", "5.95", date(2031, 11, 20))
        s.commit()
    return WorkedForecast(e, market, web)
