"""A year of shipped sales for the demo retailer, written set-based so `make run` stays fast.

Through the real services a year of sales would be ~50,000 stock moves with a journal entry each
(minutes on two cores). Instead each sale is a stock_move issue row (reason 'sale', source_type
'sales_order', negative qty, valued at the item's cost, which is the opening cost because history has
no receipts), and each month of each entity gets summarised entries through services.core.ledger_bulk.post_many:
Dr COGS / Cr inventory for exactly the sum of that month's move values, and Dr bank / Cr revenue and
sales tax for the takings. Balances and FIFO layers are reduced by the same quantities and values, so
stock ledger == stock balances == inventory GL holds (services.core.invariants.check_books)."""

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.master import Item, Location
from rules.accounts import AccountRole
from services.core import ledger
from services.core.ledger import LineIn
from services.core.ledger_bulk import post_many

D = Decimal
# Where history ships from, with a demand multiplier: web and marketplace ship from the warehouses.
SELLING = {"WH-CENTRAL": 1.0, "ST-BERLIN": 0.35, "ST-HAMBURG": 0.25, "ST-MUNICH": 0.25, "WH-LONDON": 0.3}
SOURCE = {"WH-CENTRAL": "WEB-EU", "WH-LONDON": "WEB-UK"}
# Retail seasonality by month (Nov/Dec peak, January sales lull).
SEASON = {
    1: 0.7,
    2: 0.75,
    3: 0.9,
    4: 0.95,
    5: 1.0,
    6: 0.95,
    7: 0.9,
    8: 0.9,
    9: 1.0,
    10: 1.05,
    11: 1.3,
    12: 1.6,
}
TAX = {("EU", "standard"): D("0.19"), ("EU", "reduced"): D("0.07")}
TAX_UK = {"standard": D("0.20"), "reduced": D("0.05")}


@dataclass(frozen=True, slots=True)
class Sale:
    """One day's shipped units of an item from a location."""

    item: Item
    location: Location
    day: date
    qty: int
    unit_cost: Decimal


def history_window(today: date) -> tuple[date, date]:
    """From the first day of the month a year ago up to yesterday: every month in it is complete but this one."""
    start = date(today.year - 1, today.month, 1)
    return start, today - timedelta(days=1)


def plan_sales(
    rnd: random.Random, items: list[tuple[Item, Decimal, Decimal]], locs: dict[str, Location], today: date
) -> list[Sale]:
    """Daily sales per item and selling location; (item, EUR cost, GBP cost) in, deterministic by `rnd`."""
    start, end = history_window(today)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    sales: list[Sale] = []
    for item, cost_eur, cost_gbp in items:
        # Cheap items sell more; a few items are slow movers for the stock-turns report.
        base = (
            rnd.uniform(0.05, 0.9) * (1.5 if cost_eur < 15 else 1.0) * (0.1 if rnd.random() < 0.08 else 1.0)
        )
        for code, share in SELLING.items():
            rate = base * share
            cost = cost_gbp if code == "WH-LONDON" else cost_eur
            for day in days:
                expected = rate * SEASON[day.month] * (1.3 if day.weekday() == 5 else 1.0)
                qty = int(expected) + (1 if rnd.random() < expected - int(expected) else 0)
                if qty:
                    sales.append(Sale(item, locs[code], day, qty, cost))
    return sales


def demand_by_place(sales: list[Sale]) -> dict[tuple[int, int], int]:
    """Units sold per (item id, location id): the opening stock must cover them."""
    total: dict[tuple[int, int], int] = defaultdict(int)
    for s in sales:
        assert s.item.id is not None and s.location.id is not None
        total[(s.item.id, s.location.id)] += s.qty
    return total


def write_history(session: Session, sales: list[Sale], entity_codes: dict[int, str], lot: str) -> int:
    """Post the monthly summaries, insert the move rows and reduce balances and layers; returns rows."""
    by_month: dict[tuple[int, date], list[Sale]] = defaultdict(list)
    for s in sales:
        by_month[(s.location.entity_id, date(s.day.year, s.day.month, 1))].append(s)
    months = sorted(by_month.items(), key=lambda kv: (kv[0][0], kv[0][1]))
    requests = [
        req
        for (entity_id, month), month_sales in months
        for req in _month_entries(entity_id, entity_codes[entity_id], month, month_sales)
    ]
    # Every month's two summaries in one set-based posting; the COGS entry is the first of each pair.
    posted = post_many(session, requests)
    rows = [
        _move_row(entity_id, s, lot, cogs.entry_id)
        for ((entity_id, _month), month_sales), cogs in zip(months, posted[::2], strict=True)
        for s in month_sales
    ]
    _insert_and_apply(session, rows, sorted(entity_codes))
    return len(rows)


def _move_row(entity_id: int, s: Sale, lot: str, entry_id: int) -> dict[str, object]:
    """The stock_move row of one history sale, pointing at its month's COGS entry."""
    return {
        "e": entity_id,
        "i": s.item.id,
        "l": s.location.id,
        "lot": lot if s.item.tracking == "lot" else None,
        "q": -s.qty,
        "c": s.unit_cost,
        "v": -(s.qty * s.unit_cost),
        "si": f"HIST-{SOURCE.get(s.location.code, 'POS-' + s.location.code[3:])}-{s.day:%Y%m%d}",
        "k": f"history:{s.item.sku}:{s.location.code}:{s.day:%Y-%m-%d}",
        "d": s.day,
        "je": entry_id,
    }


def _insert_and_apply(session: Session, rows: list[dict[str, object]], entity_ids: list[int]) -> None:
    """Insert the history moves, then take what they issued off the balances and FIFO layers."""
    conn = session.connection()
    conn.execute(
        text(
            """
            INSERT INTO stock_move (entity_id, item_id, location_id, lot, qty, unit_cost, value, reason,
                                    source_type, source_id, idempotency_key, posting_date, journal_entry_id)
            VALUES (:e, :i, :l, :lot, :q, :c, :v, 'sale', 'sales_order', :si, :k, :d, :je)
            """
        ),
        rows,
    )
    # One set-based update per table: balances and FIFO layers lose exactly what the rows issued
    # (the demo entities are new, so their 'sale' moves are exactly the history).
    keys = {"ents": entity_ids}
    conn.execute(
        text(
            """
            UPDATE stock_balance b SET on_hand = b.on_hand + m.q, value = b.value + m.v
              FROM (SELECT item_id, location_id, sum(qty) AS q, sum(value) AS v FROM stock_move
                     WHERE entity_id = ANY(:ents) AND reason = 'sale' GROUP BY item_id, location_id) m
             WHERE b.item_id = m.item_id AND b.location_id = m.location_id
            """
        ),
        keys,
    )
    # Each FIFO place has exactly one layer before history (the opening receipt), at the same unit cost.
    conn.execute(
        text(
            """
            UPDATE fifo_layer f SET qty_remaining = f.qty_remaining + m.q
              FROM (SELECT item_id, location_id, sum(qty) AS q FROM stock_move
                     WHERE entity_id = ANY(:ents) AND reason = 'sale' GROUP BY item_id, location_id) m
             WHERE f.item_id = m.item_id AND f.location_id = m.location_id
            """
        ),
        keys,
    )


def _month_entries(
    entity_id: int, entity_code: str, month: date, sales: list[Sale]
) -> tuple[ledger.PostingRequest, ledger.PostingRequest]:
    """Cost of sales and takings of one month as summarised entries (COGS first)."""
    last = min(_month_end(month), max(s.day for s in sales))
    currency = "GBP" if entity_code == "UK01" else "EUR"
    cost = sum((s.qty * s.unit_cost for s in sales), D(0))
    net = sum((s.qty * (s.item.list_price or s.unit_cost) for s in sales), D(0)).quantize(D("0.01"))
    tax = sum(
        (
            s.qty * (s.item.list_price or s.unit_cost) * _tax_rate(entity_code, s.item.tax_class)
            for s in sales
        ),
        D(0),
    ).quantize(D("0.01"))
    key = f"history:{entity_code}:{month:%Y-%m}"
    source = f"HIST-{entity_code}-{month:%Y-%m}"
    memo = f"historical sales {month:%Y-%m} (summarised)"
    return (
        ledger.PostingRequest(
            entity_id=entity_id,
            idempotency_key=f"{key}:cogs",
            posting_date=last,
            source_type="sales_order",
            source_id=source,
            currency=currency,
            lines=[LineIn(AccountRole.COGS, cost, "sale"), LineIn(AccountRole.INVENTORY, -cost, "sale")],
            memo=memo,
        ),
        ledger.PostingRequest(
            entity_id=entity_id,
            idempotency_key=f"{key}:revenue",
            posting_date=last,
            source_type="sales_order",
            source_id=source,
            currency=currency,
            lines=[
                LineIn(AccountRole.BANK, net + tax, "takings"),
                LineIn(AccountRole.REVENUE, -net, "sales"),
                LineIn(AccountRole.SALES_TAX_PAYABLE, -tax, "output tax"),
            ],
            memo=memo,
        ),
    )


def _tax_rate(entity_code: str, tax_class: str) -> Decimal:
    return TAX_UK[tax_class] if entity_code == "UK01" else TAX[("EU", tax_class)]


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
