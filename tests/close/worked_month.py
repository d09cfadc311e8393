"""October 2031 at a small retailer, posted through the real posting and stock services with amounts
worked out by hand (the figures each close test checks are in the comments and in EXPECTED_*).

  1 Oct  owners pay in 10,000.00 capital
  2 Oct  100 x A received from S1 at 10.00 + 1.00 landed estimate        inventory 1,100.00
  5 Oct  S1 invoices 1,020.00 + 19% tax (PPV 20.00)                       AP 1,213.80
 10 Oct  50 x A received from S3 (CHF) at CHF 12.00, rate 0.90            inventory 540.00
 12 Oct  S3 invoices CHF 600.00 at 0.90                                   AP 540.00 (CHF 600.00 open)
 15 Oct  80 x A shipped: 2,000.00 less 100.00 discount + 361.00 tax       cost 874.67 (avg of 1,640/150)
 20 Oct  10 x A returned: refund 237.50 + 45.13 tax, restocked            at 10.933375 = 109.33
 22 Oct  freight forwarder S2 invoices 130.00 for the 100.00 accrued      +18.00 on stock held, +12.00 COGS
 25 Oct  the customer pays 1,000.00
 28 Oct  S1 is paid 1,213.80

The freight bill is keyed as a manual journal straight to the inventory account (as a clerk might do),
so its share on stock still held (18.00) reaches the inventory account but not the stock ledger (the
purchasing flow revalues the stock itself): exactly the kind of difference the close must find and route
to the controller.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal as D

from sqlalchemy import Engine, text
from sqlmodel import Session

from models.master import Entity
from rules.posting_rules import customer_return, invoice_matched, landed_cost_invoice, sale_shipped
from services.core import ledger, open_items, stock
from services.core.ledger import LineIn, PostingRequest
from tests.factories import Factory

PERIOD = "2031-10"
CHF_RATE = D("0.90")
CHF_CLOSING_RATE = D("0.95")


@dataclass(frozen=True)
class WorkedMonth:
    """The entity and the partners of the worked month."""

    entity: Entity
    po1: str
    po2: str


# Trial balance at 31 October before the close (closing balances, debit positive).
EXPECTED_TB = {
    "1000": D("9786.20"),  # bank: 10,000 + 1,000 - 1,213.80
    "1100": D("978.37"),  # AR: 2,261.00 - 282.63 - 1,000
    "1150": D("193.80"),  # input tax
    "1200": D("892.66"),  # inventory: 1,100 + 540 - 874.67 + 109.33 + 18
    "2000": D("-670.00"),  # AP: -1,213.80 - 540 - 130 + 1,213.80
    "2200": D("-315.87"),  # sales tax: -361.00 + 45.13
    "3000": D("-10000.00"),
    "4000": D("-2000.00"),
    "4100": D("100.00"),
    "4200": D("237.50"),
    "5000": D("777.34"),  # COGS: 874.67 - 109.33 + 12
    "5100": D("20.00"),  # price variance
}
# GRNI and the landed cost accrual moved and came back to zero.
EXPECTED_ZERO = {"2100": D("0.00"), "2110": D("0.00")}


def _day(n: int) -> date:
    return date(2031, 10, n)


def _rates(engine: Engine) -> None:
    with engine.begin() as c:
        for day, rate in ((_day(1), CHF_RATE), (_day(31), CHF_CLOSING_RATE)):
            c.execute(
                text(
                    "INSERT INTO fx_rate (from_currency, to_currency, rate_date, rate) VALUES ('CHF', 'EUR', :d, :r)"
                    " ON CONFLICT DO NOTHING"
                ),
                {"d": day, "r": rate},
            )


_DOCUMENTS = {"inv": "invoice", "revenue": "shipment", "return": "credit_note", "landed": "landed_cost"}


def _post(
    s: Session, entity_id: int, key: str, day: date, lines: list[LineIn], currency: str = "EUR"
) -> None:
    posted = ledger.post(
        s,
        PostingRequest(
            entity_id=entity_id,
            idempotency_key=key,
            posting_date=day,
            source_type=key.split(":")[1],
            source_id=key.split(":")[2],
            currency=currency,
            lines=lines,
            fx_rate=CHF_RATE if currency == "CHF" else None,
        ),
    )
    # As the posting services do: each AP/AR document of the month is an open item too.
    kind = key.split(":")[1]
    document = (
        "payment" if kind in ("payment", "receipt") else _DOCUMENTS.get(key.rsplit(":", 1)[-1], "invoice")
    )
    open_items.record(s, posted.entry_id, document, key)


def build(engine: Engine, factory: Factory) -> WorkedMonth:
    """Post the worked month for a fresh entity."""
    _rates(engine)
    entity = factory.entity()
    assert entity.id is not None
    e, k = entity.id, entity.code
    wh = factory.location(entity)
    item = factory.item()
    s1, s2, s3 = factory.supplier(), factory.supplier(), factory.supplier("CHF")
    customer = factory.customer()
    assert wh.id is not None and item.id is not None and customer.id is not None
    sup = {n: ("supplier", str(x.id)) for n, x in (("s1", s1), ("s2", s2), ("s3", s3))}
    cust = ("customer", str(customer.id))
    po1, po2, so = f"PO-{k}-1", f"PO-{k}-2", f"SO-{k}-1"
    with Session(engine) as s:
        _post(s, e, f"{k}:opening:{k}", _day(1), [LineIn("bank", D(10000)), LineIn("equity", D(-10000))])
        # Receipt at PO price + landed estimate: the inventory side comes from the stock move.
        stock.move(
            s,
            stock.MoveIn(
                item_id=item.id,
                location_id=wh.id,
                qty=D(100),
                reason="purchase_receipt",
                source_type="purchase_order",
                source_id=po1,
                idempotency_key=f"{k}:rcpt1",
                posting_date=_day(2),
                unit_cost=D("11.00"),
                offset_lines=[LineIn("grni", D(-1000)), LineIn("landed_cost_accrual", D(-100))],
            ),
        )
        draft = invoice_matched(D(1000), D(1020), D("193.80"), "EUR")
        _post(
            s,
            e,
            f"{k}:purchase_order:{po1}:inv",
            _day(5),
            [
                LineIn(d.role, d.amount, d.memo, *(sup["s1"] if d.role == "ap" else (None, None)))
                for d in draft.lines
            ],
        )
        stock.move(
            s,
            stock.MoveIn(
                item_id=item.id,
                location_id=wh.id,
                qty=D(50),
                reason="purchase_receipt",
                source_type="purchase_order",
                source_id=po2,
                idempotency_key=f"{k}:rcpt2",
                posting_date=_day(10),
                unit_cost=D("10.80"),
            ),
        )
        draft = invoice_matched(D(600), D(600), D(0), "CHF")
        _post(
            s,
            e,
            f"{k}:purchase_order:{po2}:inv",
            _day(12),
            [
                LineIn(d.role, d.amount, d.memo, *(sup["s3"] if d.role == "ap" else (None, None)))
                for d in draft.lines
            ],
            currency="CHF",
        )
        stock.move(
            s,
            stock.MoveIn(
                item_id=item.id,
                location_id=wh.id,
                qty=D(-80),
                reason="sale",
                source_type="sales_order",
                source_id=so,
                idempotency_key=f"{k}:ship1",
                posting_date=_day(15),
                offset_account="cogs",
            ),
        )
        draft = sale_shipped(D(2000), D(100), D(361), D(0), "EUR")
        _post(
            s,
            e,
            f"{k}:sales_order:{so}:revenue",
            _day(15),
            [
                LineIn(d.role, d.amount, d.memo, *(cust if d.role == "ar" else (None, None)))
                for d in draft.lines
            ],
        )
        stock.move(
            s,
            stock.MoveIn(
                item_id=item.id,
                location_id=wh.id,
                qty=D(10),
                reason="customer_return",
                source_type="sales_order",
                source_id=so,
                idempotency_key=f"{k}:return1",
                posting_date=_day(20),
                unit_cost=D("10.933375"),
                offset_account="cogs",
            ),
        )
        draft = customer_return(D("237.50"), D("45.13"), D(0), D(0), "EUR")
        _post(
            s,
            e,
            f"{k}:sales_order:{so}:return",
            _day(20),
            [
                LineIn(d.role, d.amount, d.memo, *(cust if d.role == "ar" else (None, None)))
                for d in draft.lines
            ],
        )
        # 60 of PO1's 100 units are still held when the freight bill arrives; posted as a manual journal.
        draft = landed_cost_invoice(D(100), D(130), D("0.6"), "EUR")
        _post(
            s,
            e,
            f"{k}:purchase_order:{po1}:landed",
            _day(22),
            [
                LineIn(d.role, d.amount, d.memo, *(sup["s2"] if d.role == "ap" else (None, None)))
                for d in draft.lines
            ],
        )
        _post(
            s, e, f"{k}:receipt:{so}", _day(25), [LineIn("bank", D(1000)), LineIn("ar", D(-1000), "", *cust)]
        )
        _post(
            s,
            e,
            f"{k}:payment:{po1}",
            _day(28),
            [LineIn("ap", D("1213.80"), "", *sup["s1"]), LineIn("bank", D("-1213.80"))],
        )
        s.commit()
    return WorkedMonth(entity=entity, po1=po1, po2=po2)
