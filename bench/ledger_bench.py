"""Posting throughput through the posting service vs a raw multi-row insert into the same tables."""

from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, text
from sqlmodel import Session

from bench.harness import Result, timed
from services.core import ledger
from services.core.chart import create_entity
from services.core.ledger import LineIn, PostingRequest
from services.core.ledger_bulk import post_many


def _entity(engine: Engine, code: str) -> int:
    with Session(engine) as s:
        e = create_entity(s, code=code, name=code, currency="EUR")
        s.commit()
        assert e.id is not None
        return e.id


def posting_throughput(engine: Engine, entries: int = 2000, lines_per_entry: int = 4) -> Result:
    """Journal lines per second through `ledger.post` (one transaction per entry, as activities do)."""
    entity = _entity(engine, "BENCHPOST")
    half = lines_per_entry // 2

    def service() -> None:
        for n in range(entries):
            lines = [LineIn("inventory", Decimal("10.00")) for _ in range(half)]
            lines += [LineIn("grni", Decimal("-10.00")) for _ in range(half)]
            with Session(engine) as s:
                ledger.post(
                    s,
                    PostingRequest(
                        entity_id=entity,
                        idempotency_key=f"bench:svc:{n}",
                        posting_date=date(2026, 10, 1),
                        source_type="bench",
                        source_id=str(n),
                        currency="EUR",
                        lines=lines,
                    ),
                )
                s.commit()

    raw_entity = _entity(engine, "BENCHRAW")

    def raw() -> None:
        # The baseline: the same rows in the same tables (same triggers), one transaction per entry,
        # written with two plain INSERT statements and no checks in Python.
        with engine.connect() as c:
            accounts: dict[str, int] = dict(
                c.execute(text("SELECT role, id FROM account WHERE entity_id = :e"), {"e": raw_entity}).all()
            )
        for n in range(entries):
            with engine.begin() as c:
                entry = c.execute(
                    text(
                        "INSERT INTO journal_entry (entity_id, idempotency_key, posting_date, period, memo, source_type,"
                        " source_id, created_by) VALUES (:e, :k, '2026-10-01', '2026-10', '', 'bench', :s, 'bench')"
                        " RETURNING id"
                    ),
                    {"e": raw_entity, "k": f"bench:raw:{n}", "s": str(n)},
                ).scalar_one()
                rows = [
                    {"x": entry, "e": raw_entity, "a": accounts["inventory"], "v": Decimal("10.00")}
                ] * half
                rows += [{"x": entry, "e": raw_entity, "a": accounts["grni"], "v": Decimal("-10.00")}] * half
                c.execute(
                    text(
                        "INSERT INTO journal_line (entry_id, entity_id, account_id, currency, amount,"
                        " amount_func, fx_rate, memo, period) VALUES (:x, :e, :a, 'EUR', :v, :v, 1, '', '2026-10')"
                    ),
                    rows,
                )

    t_service = timed(service)
    t_raw = timed(raw)
    total_lines = entries * lines_per_entry
    return Result(
        "posting service: journal lines/s",
        total_lines / t_service,
        "lines/s",
        baseline=total_lines / t_raw,
        baseline_name="raw INSERT, same tables",
        extra={"entries": entries, "lines_per_entry": lines_per_entry},
    )


def _bulk_requests(
    entity: int, tag: str, first: int, count: int, lines_per_entry: int
) -> list[PostingRequest]:
    """Opening-balance style entries: half the lines debit inventory, half credit equity."""
    half = lines_per_entry // 2
    return [
        PostingRequest(
            entity_id=entity,
            idempotency_key=f"bench:{tag}:{n}",
            posting_date=date(2026, 9, 1 + n % 28),
            source_type="bench",
            source_id=str(n),
            currency="EUR",
            lines=[LineIn("inventory", Decimal("10.00"))] * half
            + [LineIn("equity", Decimal("-10.00"))] * half,
        )
        for n in range(first, first + count)
    ]


def bulk_posting_throughput(
    engine: Engine, entries: int = 25_000, lines_per_entry: int = 4, batch: int = 5_000
) -> Result:
    """Journal lines per second through `post_many` vs psycopg COPY of the same rows (same tables, triggers)."""
    entity = _entity(engine, "BENCHBULK")

    def bulk() -> None:
        for first in range(0, entries, batch):
            with Session(engine) as s:
                post_many(
                    s, _bulk_requests(entity, "bulk", first, min(batch, entries - first), lines_per_entry)
                )
                s.commit()

    copy_entity = _entity(engine, "BENCHCOPY")

    def copy() -> None:
        # The floor: rows already shaped, ids drawn from the sequence, two COPY streams per batch, no checks
        # in Python; the database triggers (period lock, balance, period balances) run as for any insert.
        with engine.connect() as c:
            accounts: dict[str, int] = dict(
                c.execute(text("SELECT role, id FROM account WHERE entity_id = :e"), {"e": copy_entity}).all()
            )
        half = lines_per_entry // 2
        for first in range(0, entries, batch):
            count = min(batch, entries - first)
            raw = engine.raw_connection()
            try:
                conn = raw.driver_connection
                assert conn is not None
                with conn.cursor() as cur:
                    cur.execute(
                        "SELECT nextval('journal_entry_id_seq') FROM generate_series(1, %s)", (count,)
                    )
                    ids = [int(r[0]) for r in cur.fetchall()]
                    with cur.copy(
                        "COPY journal_entry (id, entity_id, idempotency_key, posting_date, period, memo,"
                        " source_type, source_id, created_by) FROM STDIN"
                    ) as cp:
                        for i, n in zip(ids, range(first, first + count), strict=True):
                            day = date(2026, 9, 1 + n % 28)
                            cp.write_row(
                                (i, copy_entity, f"bench:copy:{n}", day, "2026-09", "", "bench", str(n), "b")
                            )
                    with cur.copy(
                        "COPY journal_line (entry_id, entity_id, account_id, currency, amount, amount_func,"
                        " fx_rate, memo, period) FROM STDIN"
                    ) as cp:
                        for i in ids:
                            for _ in range(half):
                                cp.write_row(
                                    (
                                        i,
                                        copy_entity,
                                        accounts["inventory"],
                                        "EUR",
                                        "10.00",
                                        "10.00",
                                        1,
                                        "",
                                        "2026-09",
                                    )
                                )
                            for _ in range(half):
                                cp.write_row(
                                    (
                                        i,
                                        copy_entity,
                                        accounts["equity"],
                                        "EUR",
                                        "-10.00",
                                        "-10.00",
                                        1,
                                        "",
                                        "2026-09",
                                    )
                                )
                conn.commit()
            finally:
                raw.close()

    t_bulk = timed(bulk)
    t_copy = timed(copy)
    total_lines = entries * lines_per_entry
    return Result(
        "bulk posting (post_many): journal lines/s",
        total_lines / t_bulk,
        "lines/s",
        baseline=total_lines / t_copy,
        baseline_name="psycopg COPY, same tables and triggers",
        extra={"entries": entries, "lines_per_entry": lines_per_entry, "batch": batch},
    )
