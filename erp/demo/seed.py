"""The demo retailer: two entities, a warehouse and three stores, channels, a catalogue, suppliers,
users for every role, approval bands, opening stock posted through the real stock and ledger services,
and a year of sales history (erp/demo/seed_history.py)."""

import logging
import random
import time
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from erp.demo.seed_history import demand_by_place, history_window, plan_sales, write_history
from erp.demo.seed_policy import seed_approval_policy, seed_channel_prices
from models.master import Channel, Customer, FxRate, Item, Location, Supplier, SupplierPrice, TaxRate
from rules.accounts import AccountRole
from services.core import stock
from services.core.auth import add_user
from services.core.chart import create_entity
from services.core.stock import MoveIn

D = Decimal
log = logging.getLogger(__name__)
CATEGORIES = {
    # category: (count, tracking, valuation, cost range)
    "apparel": (80, "none", "moving_average", (4, 30)),
    "footwear": (40, "none", "moving_average", (15, 60)),
    "accessories": (40, "none", "fifo", (2, 20)),
    "electronics": (30, "serial", "fifo", (20, 250)),
    "beauty": (30, "lot", "fifo", (2, 15)),
    "home": (20, "none", "moving_average", (5, 80)),
}
SUPPLIERS = [
    # code, name, currency, terms, lead time days
    ("NORDTEX", "Nordtex Garments", "EUR", "NET30", 14),
    ("BALTWEAR", "Baltic Wear", "EUR", "NET45", 21),
    ("ALPSHOE", "Alpine Shoe Works", "EUR", "NET30", 10),
    ("PORTOSTEP", "Porto Step", "EUR", "EOM30", 18),
    ("ACCENTO", "Accento Accessori", "EUR", "NET30", 7),
    ("SHENTECH", "Shenzhen Tech Trading", "USD", "NET60", 30),
    ("VOLTEDGE", "Voltedge Electronics", "USD", "NET30", 25),
    ("GLOWLAB", "Glowlab Cosmetics", "EUR", "NET14", 5),
    ("PUREBEAU", "Pure Beauty", "GBP", "NET30", 9),
    ("CASADOM", "Casa Domestica", "EUR", "NET30", 12),
    ("HOMEKRAFT", "Homekraft", "EUR", "EOM0", 16),
    ("RAPIDTEX", "Rapid Textiles", "EUR", "NET30", 4),
]
# VAT number, IBAN, BIC per supplier (valid check digits; the Asian and US suppliers are paid by wire
# outside SEPA and have neither a VAT number nor an IBAN).
SUPPLIER_BANKS: dict[str, tuple[str, str, str]] = {
    "NORDTEX": ("DE342366712", "DE32370400440483311296", "COBADEFFXXX"),
    "BALTWEAR": ("LT326793814", "LT777044000316446180", "CBVILT2XXXX"),
    "ALPSHOE": ("ATU67342075", "AT421200000058310482", "BKAUATWWXXX"),
    "PORTOSTEP": ("PT873200080", "PT50003300000043692707847", "BCOMPTPL"),
    "ACCENTO": ("IT20002010195", "IT48R0306909606000215009839", "BCITITMM"),
    "GLOWLAB": ("NL899059582B01", "NL23ABNA0933005995", "ABNANL2A"),
    "PUREBEAU": ("GB244643114", "GB33BUKB20201555555555", "BUKBGB22"),
    "CASADOM": ("ESB10483238", "ES3521000418490374884944", "CAIXESBB"),
    "HOMEKRAFT": ("DK92327523", "DK4200400971756315", "NDEADKKK"),
    "RAPIDTEX": ("PL9051877203", "PL73109010140000000772144324", "WBKPPLPPXXX"),
}
SUPPLIERS_BY_CATEGORY = {
    "apparel": ["NORDTEX", "BALTWEAR", "RAPIDTEX"],
    "footwear": ["ALPSHOE", "PORTOSTEP"],
    "accessories": ["ACCENTO"],
    "electronics": ["SHENTECH", "VOLTEDGE"],
    "beauty": ["GLOWLAB", "PUREBEAU"],
    "home": ["CASADOM", "HOMEKRAFT"],
}
USERS = [
    # username, roles, approval limit
    ("admin", ["admin"], None),
    ("bea.buyer", ["buyer"], None),
    ("ali.approver", ["approver"], D("5000")),
    ("fin.manager", ["approver"], D("50000")),
    ("cfo", ["approver", "controller"], D("1000000")),
    ("wes.warehouse", ["warehouse"], None),
    ("ada.ap", ["ap_clerk"], None),
    ("sam.sales", ["sales_ops"], None),
    # Escalated approvals land with the controllers: without a limit carla could approve nothing.
    ("carla.controller", ["controller"], D("50000")),
]


def is_empty(session: Session) -> bool:
    """True when no entity exists yet."""
    return session.connection().execute(text("SELECT NOT EXISTS (SELECT 1 FROM entity)")).scalar_one() is True


def seed_demo(session: Session) -> list[tuple[str, list[str], str]]:
    """Seed once; returns (username, roles, token) of the demo users, or [] when data exists."""
    if not is_empty(session):
        return []
    started = time.monotonic()
    rnd = random.Random(42)  # the same demo retailer on every machine
    eu = create_entity(
        session, code="EU01", name="Nordwind Retail GmbH", currency="EUR", time_zone="Europe/Berlin"
    )
    uk = create_entity(
        session, code="UK01", name="Nordwind Retail Ltd", currency="GBP", time_zone="Europe/London"
    )
    assert eu.id is not None and uk.id is not None
    locs = _locations(eu.id, uk.id)
    session.add_all(locs.values())
    suppliers = {c: _supplier(c, n, cur, t, lt) for c, n, cur, t, lt in SUPPLIERS}
    session.add_all(suppliers.values())
    session.flush()
    # The order of the random draws below is the demo: items, supplier prices, customers, opening stock.
    items = _items(session, rnd)
    _supplier_prices(session, rnd, items, suppliers)
    channels = _channels(eu.id, uk.id, locs)
    session.add_all(channels)
    session.add_all(_customers(rnd))
    _tax_and_fx_rates(session)
    session.flush()
    seed_approval_policy(session, [eu.id, uk.id])
    seed_channel_prices(session, channels, [item for item, _ in items], date(2020, 1, 1))
    # History is planned first so the opening stock covers it: balances end where the demo wants them.
    today = date.today()
    opening_date, _ = history_window(today)
    costed = [(item, cost, _gbp_cost(cost)) for item, cost in items]
    sales = plan_sales(random.Random(4242), costed, locs, today)
    lot = f"OPEN-{opening_date:%Y}"
    _opening_stock(session, rnd, items, locs, demand_by_place(sales), opening_date, lot)
    moves = write_history(session, sales, {eu.id: "EU01", uk.id: "UK01"}, lot)
    log.info("seeded %d items and %d history sales since %s", len(items), moves, opening_date)
    users = _users(session, [eu.id, uk.id])
    log.info("seed took %.1fs", time.monotonic() - started)
    return users


def _locations(eu_id: int, uk_id: int) -> dict[str, Location]:
    """Warehouses, stores, transit, refurbishment and quarantine locations of both entities, by code."""
    return {
        code: Location(entity_id=ent, code=code, name=name, kind=kind)
        for code, name, kind, ent in [
            ("WH-CENTRAL", "Central warehouse Kassel", "warehouse", eu_id),
            ("ST-BERLIN", "Store Berlin Mitte", "store", eu_id),
            ("ST-HAMBURG", "Store Hamburg", "store", eu_id),
            ("ST-MUNICH", "Store Munich", "store", eu_id),
            ("TRANSIT-EU", "In transit (EU)", "in_transit", eu_id),
            ("REFURB-EU", "Refurbishment bench", "refurbish", eu_id),
            ("QUAR-EU", "Quarantine", "quarantine", eu_id),
            ("WH-LONDON", "London warehouse", "warehouse", uk_id),
            ("TRANSIT-UK", "In transit (UK)", "in_transit", uk_id),
        ]
    }


def _items(session: Session, rnd: random.Random) -> list[tuple[Item, Decimal]]:
    """The catalogue per category, each item with its purchase cost (list price and floor follow from it)."""
    items: list[tuple[Item, Decimal]] = []
    for category, (count, tracking, method, (lo, hi)) in CATEGORIES.items():
        for n in range(1, count + 1):
            cost = D(rnd.randint(lo * 100, hi * 100)) / 100
            item = Item(
                sku=f"{category[:3].upper()}-{n:04d}",
                name=f"{category.title()} item {n}",
                category=category,
                tracking=tracking,
                valuation_method=method,
                pack_size=D(rnd.choice([1, 1, 2, 6, 12])),
                weight_kg=D(rnd.randint(1, 40)) / 10,
                tax_class="reduced" if category == "beauty" else "standard",
                list_price=(cost * D("2.4")).quantize(D("0.01")),
                price_floor=(cost * D("1.1")).quantize(D("0.01")),
            )
            session.add(item)
            items.append((item, cost))
    session.flush()
    return items


def _supplier_prices(
    session: Session, rnd: random.Random, items: list[tuple[Item, Decimal]], suppliers: dict[str, Supplier]
) -> None:
    """One or two of the category's suppliers price each item (non-EUR suppliers 8 % above cost)."""
    for item, cost in items:
        for code in SUPPLIERS_BY_CATEGORY[item.category][: rnd.randint(1, 2)]:
            sup = suppliers[code]
            assert sup.id is not None and item.id is not None
            price = cost if sup.currency == "EUR" else (cost * D("1.08")).quantize(D("0.01"))
            session.add(
                SupplierPrice(
                    supplier_id=sup.id,
                    item_id=item.id,
                    price=price,
                    currency=sup.currency,
                    valid_from=date(2026, 1, 1),
                    valid_to=date(2027, 12, 31),
                )
            )


def _channels(eu_id: int, uk_id: int, locs: dict[str, Location]) -> list[Channel]:
    """Web shops, the marketplace (capped share) and a till per store."""
    return [
        Channel(
            entity_id=eu_id,
            code="WEB-EU",
            name="Web shop EU",
            kind="web",
            currency="EUR",
            allocation_priority=10,
            safety_buffer=D(2),
        ),
        Channel(
            entity_id=eu_id,
            code="MKT-EU",
            name="Marketplace EU",
            kind="marketplace",
            currency="EUR",
            allocation_priority=20,
            safety_buffer=D(5),
            max_share_pct=D(30),
        ),
        *[
            Channel(
                entity_id=eu_id,
                code=f"POS-{city}",
                name=f"Till {city.title()}",
                kind="pos",
                currency="EUR",
                allocation_priority=5,
                store_location_id=locs[f"ST-{city}"].id,
            )
            for city in ("BERLIN", "HAMBURG", "MUNICH")
        ],
        Channel(
            entity_id=uk_id,
            code="WEB-UK",
            name="Web shop UK",
            kind="web",
            currency="GBP",
            allocation_priority=10,
            safety_buffer=D(1),
        ),
    ]


def _customers(rnd: random.Random) -> list[Customer]:
    """Fifty customers, most in Germany."""
    return [
        Customer(
            code=f"CUST-{n:04d}",
            name=f"Customer {n}",
            currency="EUR",
            tax_region=rnd.choice(["DE", "DE", "DE", "FR", "AT", "NL"]),
        )
        for n in range(1, 51)
    ]


def _tax_and_fx_rates(session: Session) -> None:
    """Sales tax rates per region x class, and the opening FX rates."""
    session.add_all(
        [
            TaxRate(region=r, tax_class=c, rate=D(v), valid_from=date(2020, 1, 1))
            for r, c, v in [
                ("DE", "standard", "0.19"),
                ("DE", "reduced", "0.07"),
                ("FR", "standard", "0.20"),
                ("FR", "reduced", "0.055"),
                ("AT", "standard", "0.20"),
                ("AT", "reduced", "0.10"),
                ("NL", "standard", "0.21"),
                ("NL", "reduced", "0.09"),
                ("GB", "standard", "0.20"),
                ("GB", "reduced", "0.05"),
            ]
        ]
    )
    session.add_all(
        [
            FxRate(from_currency=f, to_currency=t, rate_date=date(2026, 1, 1), rate=D(r))
            for f, t, r in [("USD", "EUR", "0.9200"), ("GBP", "EUR", "1.1700"), ("USD", "GBP", "0.7900")]
        ]
    )


def _users(session: Session, entity_ids: list[int]) -> list[tuple[str, list[str], str]]:
    """The demo users with their predictable tokens."""
    users = []
    for username, roles, limit in USERS:
        # Demo tokens are predictable on purpose so the README can show them; `erp users add` makes real ones.
        add_user(
            session,
            username=username,
            roles=roles,
            entity_ids=entity_ids,
            approval_limit=limit,
            token=f"demo-{username}",
        )
        users.append((username, roles, f"demo-{username}"))
    return users


def _supplier(code: str, name: str, currency: str, terms: str, lead_time: int) -> Supplier:
    """A demo supplier with its VAT number and bank account where it has them."""
    vat, iban, bic = SUPPLIER_BANKS.get(code, (None, None, None))
    return Supplier(
        code=code,
        name=name,
        currency=currency,
        payment_terms=terms,
        lead_time_days=lead_time,
        created_by="admin",
        tax_id=vat,
        iban=iban,
        bic=bic,
        account_holder=name if iban else None,
    )


def _gbp_cost(cost: Decimal) -> Decimal:
    """The UK entity buys the same goods for less in GBP."""
    return (cost * D("0.86")).quantize(D("0.01"))


def _opening_stock(
    session: Session,
    rnd: random.Random,
    items: list[tuple[Item, Decimal]],
    locs: dict[str, Location],
    history: dict[tuple[int, int], int],
    opening_date: date,
    lot: str,
) -> None:
    """Opening balances through the stock service: Dr inventory, Cr equity, one entry per move."""
    for item, cost in items:
        for code, qty_range in (
            ("WH-CENTRAL", (20, 200)),
            ("ST-BERLIN", (0, 15)),
            ("ST-HAMBURG", (0, 10)),
            ("ST-MUNICH", (0, 10)),
            ("WH-LONDON", (0, 40)),
        ):
            loc = locs[code]
            assert item.id is not None and loc.id is not None
            # Today's stock plus what the year of history sold from here.
            qty = rnd.randint(*qty_range) + history.get((item.id, loc.id), 0)
            if qty == 0:
                continue
            unit_cost = cost if code != "WH-LONDON" else _gbp_cost(cost)
            stock.move(
                session,
                MoveIn(
                    item_id=item.id,
                    location_id=loc.id,
                    qty=D(qty),
                    unit_cost=unit_cost,
                    reason="opening",
                    source_type="opening_balance",
                    source_id=item.sku,
                    idempotency_key=f"opening:{item.sku}:{code}",
                    posting_date=opening_date,
                    offset_account=AccountRole.EQUITY,
                    lot=lot if item.tracking == "lot" else None,
                ),
            )
