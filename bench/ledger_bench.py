"""Posting throughput through the posting service vs a raw multi-row insert into the same tables."""

from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, text
from sqlmodel import Session

from bench.harness import Result, timed
from services import ledger
from services.chart import create_entity
from services.ledger import LineIn, PostingRequest


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
                        " amount_func, fx_rate, memo) VALUES (:x, :e, :a, 'EUR', :v, :v, 1, '')"
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
