"""Plain reads for the soak's daily checks: rows as tuples, or a two-column result as a dict of strings."""

from sqlalchemy import Engine, text


def rows(engine: Engine, sql: str, **params: object) -> list[tuple[object, ...]]:
    """All rows of one query."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def pairs(engine: Engine, sql: str, **params: object) -> dict[str, str]:
    """A two-column query as {first: second}, both as text."""
    return {str(a): str(b) for a, b in rows(engine, sql, **params)}
