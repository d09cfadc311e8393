"""Bulk import of master data and opening stock: each row is created once by its key; a row whose key
exists with the same values is left alone (importing a file twice changes nothing); a row whose key
exists with other values is refused (changes go through PATCH, where they are audited one by one)."""

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

from rules.accounts import AccountRole
from rules.errors import RuleViolation
from rules.import_rows import differing_fields
from services.core import stock
from services.core.audit_log import audit_change
from services.core.auth import Principal
from services.core.errors import Conflict, NotFound
from services.core.stock import MoveIn

OPENING_SOURCE = "opening_balance"


def import_record(
    session: Session, who: Principal, table: type[SQLModel], key: str, values: dict[str, Any]
) -> tuple[str, int]:
    """Create the record unless its key exists: ("created" | "unchanged", id); Conflict on other values."""
    name = table.__name__
    column = getattr(table, key)
    existing = session.exec(select(table).where(column == values[key])).first()
    if existing is not None:
        differ = differing_fields(existing.model_dump(), values)
        if differ:
            raise Conflict(
                differ[0],
                f"{name} {values[key]} exists with other values for {', '.join(differ)};"
                " change it with PATCH, not an import",
            )
        return "unchanged", int(existing.id)  # type: ignore[attr-defined]
    data = dict(values)
    if "created_by" in table.model_fields:
        data["created_by"] = who.username
    obj = table(**data)
    session.add(obj)
    session.flush()
    record_id = int(obj.id)  # type: ignore[attr-defined]
    audit_change(session, who, f"{name}.import", name, str(record_id), None, obj.model_dump())
    return "created", record_id


def opening_key(sku: str, location_code: str, lot: str | None) -> str:
    """The stock move's idempotency key (the demo seed's opening balances use the same)."""
    return f"opening:{sku}:{location_code}" + (f":{lot}" if lot else "")


def _item_and_location(session: Session, who: Principal, sku: str, location_code: str) -> tuple[Any, Any]:
    conn = session.connection()
    item = conn.execute(
        text("SELECT id, tracking FROM item WHERE sku = :s AND NOT archived"), {"s": sku}
    ).first()
    if item is None:
        raise NotFound("sku", f"no item with SKU {sku}")
    loc = conn.execute(
        text("SELECT id, entity_id FROM location WHERE code = :c AND NOT archived"), {"c": location_code}
    ).first()
    # Another entity's location is reported as missing, so codes cannot be probed.
    if loc is None or not who.sees(int(loc.entity_id)):
        raise NotFound("location_code", f"no location {location_code} in your entities")
    return item, loc


def import_opening_stock(
    session: Session,
    who: Principal,
    *,
    sku: str,
    location_code: str,
    qty: Decimal,
    unit_cost: Decimal,
    posting_date: date,
    lot: str | None,
) -> tuple[str, int]:
    """Post an opening balance through the stock service (Dr inventory, Cr equity): ("created" | "unchanged", move id)."""
    item, loc = _item_and_location(session, who, sku, location_code)
    _check_tracking(sku, str(item.tracking), lot)
    key = opening_key(sku, location_code, lot)
    done = stock.move_by_key(session, key, "id, qty, unit_cost")
    if done is not None:
        if Decimal(done.qty) != qty or Decimal(done.unit_cost) != unit_cost:
            raise Conflict(
                "qty", f"an opening balance of {done.qty} at {done.unit_cost} is already posted for {key}"
            )
        return "unchanged", int(done.id)
    _require_no_moves(session, sku, location_code, int(item.id), int(loc.id))
    moved = stock.move(
        session,
        MoveIn(
            item_id=int(item.id),
            location_id=int(loc.id),
            qty=qty,
            unit_cost=unit_cost,
            reason="opening",
            source_type=OPENING_SOURCE,
            source_id=sku,
            idempotency_key=key,
            posting_date=posting_date,
            offset_account=AccountRole.EQUITY,
            lot=lot,
            actor=who.username,
        ),
    )
    after = {"sku": sku, "location_code": location_code, "qty": str(qty), "unit_cost": str(unit_cost)}
    audit_change(
        session, who, "StockMove.import", "StockMove", str(moved.move_id), None, after, int(loc.entity_id)
    )
    return "created", moved.move_id


def _check_tracking(sku: str, tracking: str, lot: str | None) -> None:
    """Serial-tracked items are counted serial by serial; a lot-tracked item needs its lot, others none."""
    if tracking == "serial":
        raise RuleViolation("sku", f"{sku} is serial-tracked: its opening stock is counted serial by serial")
    if tracking == "lot" and lot is None:
        raise RuleViolation("lot", f"{sku} is lot-tracked: the opening stock needs its lot")
    if tracking != "lot" and lot is not None:
        raise RuleViolation("lot", f"{sku} is not lot-tracked")


def _require_no_moves(session: Session, sku: str, location_code: str, item_id: int, location_id: int) -> None:
    """An opening balance comes before any other move of the item at the location."""
    other = (
        session.connection()
        .execute(
            text(
                "SELECT count(*) FROM stock_move WHERE item_id = :i AND location_id = :l AND source_type <> :src"
            ),
            {"i": item_id, "l": location_id, "src": OPENING_SOURCE},
        )
        .scalar_one()
    )
    if other:
        raise Conflict(
            "location_code",
            f"{sku} has stock moves at {location_code} already: an opening balance comes before them"
            " (correct stock with a count)",
        )
