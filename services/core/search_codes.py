"""The business codes a workflow's search attributes carry (entity UK01, supplier NORDTEX), looked up at start."""

from typing import Literal

from sqlalchemy import Connection, Engine, text
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from workflows import search_attributes as sa

_BY_FIELD: tuple[tuple[str, Literal["entity", "supplier"], SearchAttributeKey[str]], ...] = (
    ("entity_id", "entity", sa.ENTITY),
    ("supplier_id", "supplier", sa.SUPPLIER),
)


def _code(conn: Connection, table: Literal["entity", "supplier"], row_id: int) -> str | None:
    code = conn.execute(text(f"SELECT code FROM {table} WHERE id = :i"), {"i": row_id}).scalar()
    return None if code is None else str(code)


def start_attributes(engine: Engine, arg: object) -> TypedSearchAttributes | None:
    """ErpEntity and ErpSupplier as codes for a workflow input with `entity_id`/`supplier_id`; None without."""
    wanted = [(i, table, key) for f, table, key in _BY_FIELD if isinstance(i := getattr(arg, f, None), int)]
    if not wanted:
        return None
    pairs: list[SearchAttributePair[str]] = []
    with engine.connect() as conn:
        for row_id, table, key in wanted:
            code = _code(conn, table, row_id)
            if code is not None:
                pairs.append(SearchAttributePair(key, code))
    return TypedSearchAttributes(pairs) if pairs else None


def entity_code(engine: Engine, entity_id: int) -> str | None:
    """The entity's code (what ErpEntity holds), None for an unknown id."""
    with engine.connect() as conn:
        return _code(conn, "entity", entity_id)
