"""The daily invariants of the streams the soak adds to `erp simulate`'s business, each one SQL pass:

- a settled order was settled once (one matched payout line, one settlement entry) and that entry cleared
  its receivable; every order an accepted payout report named is settled;
- a transfer conserves stock: per item its moves sum to zero, the source gave what the line says, the
  transit location holds it while shipped and the destination has it once received, and what the stores
  see in transit is exactly what open transfers carry;
- a posted cycle count moved and valued exactly the differences it records;
- a closed period is locked and nothing was posted into it after its sign-off."""

from sqlalchemy import Engine

from tests.chaos.soak_client import Accepted
from tests.chaos.sql_reads import pairs, rows


def settled_once(engine: Engine, accepted: list[Accepted]) -> list[str]:
    """One matched line and one entry per settled order, its receivable cleared by it; reported orders settled."""
    found = [
        f"order {n}: {m} matched payout line(s), {e} settlement entr(ies), receivable left {ar}"
        for n, m, e, ar in rows(
            engine,
            """
            WITH settled AS (
              SELECT o.id, o.number,
                     (SELECT count(*) FROM settlement_line l WHERE l.order_id = o.id AND l.status = 'matched') AS m,
                     (SELECT count(*) FROM journal_entry e WHERE e.source_type = 'sales_order'
                         AND e.source_id = o.number AND e.idempotency_key LIKE 'settlement:%') AS e,
                     (SELECT max(e.id) FROM journal_entry e WHERE e.source_type = 'sales_order'
                         AND e.source_id = o.number AND e.idempotency_key LIKE 'settlement:%') AS last_entry
                FROM sales_order o WHERE o.settled)
            SELECT s.number, s.m, s.e,
                   (SELECT COALESCE(sum(jl.amount_func), 0) FROM journal_line jl
                      JOIN journal_entry je ON je.id = jl.entry_id JOIN account a ON a.id = jl.account_id
                     WHERE je.source_type = 'sales_order' AND je.source_id = s.number AND a.role = 'ar'
                       AND je.id <= s.last_entry) AS ar
              FROM settled s
             WHERE s.m <> 1 OR s.e <> 1 OR (SELECT COALESCE(sum(jl.amount_func), 0) FROM journal_line jl
                      JOIN journal_entry je ON je.id = jl.entry_id JOIN account a ON a.id = jl.account_id
                     WHERE je.source_type = 'sales_order' AND je.source_id = s.number AND a.role = 'ar'
                       AND je.id <= s.last_entry) <> 0
            """,
        )
    ]
    # External ids are unique per channel only: read each report's orders on its own channel.
    reported = sorted(
        {
            f"{a.body['channel']}/{line['external_id']}"
            for a in accepted
            if a.path == "/settlements"
            for line in a.body["lines"]
            if not str(line["external_id"]).startswith("GHOST-")
        }
    )
    unsettled = rows(
        engine,
        "SELECT c.code || '/' || o.external_id FROM sales_order o JOIN channel c ON c.id = o.channel_id"
        " WHERE c.code || '/' || o.external_id = ANY(:x) AND NOT o.settled ORDER BY 1",
        x=reported,
    )
    found += [f"order {x} was in an accepted payout report but is not settled" for (x,) in unsettled]
    return found


def transfers_conserve(engine: Engine, accepted: list[Accepted]) -> list[str]:
    """Per transfer and item: moves sum to zero, and source, transit and destination hold what its status says."""
    found = [
        f"transfer {n} ({st}) item {i}: line {q}, moved net {net}, out of source {out}, in transit {tr},"
        f" arrived {arr}"
        for n, st, i, q, net, out, tr, arr in rows(
            engine,
            """
            SELECT t.number, t.status, l.item_id, l.qty,
                   COALESCE(sum(m.qty), 0) AS net,
                   COALESCE(-sum(m.qty) FILTER (WHERE m.location_id = t.from_location_id), 0) AS out,
                   COALESCE(sum(m.qty) FILTER (WHERE m.location_id = t.transit_location_id), 0) AS tr,
                   COALESCE(sum(m.qty) FILTER (WHERE m.location_id = t.to_location_id), 0) AS arr
              FROM transfer_order t JOIN transfer_order_line l ON l.transfer_id = t.id
              LEFT JOIN stock_move m ON m.source_type = 'transfer_order' AND m.source_id = t.number
                                    AND m.item_id = l.item_id
             GROUP BY t.number, t.status, l.item_id, l.qty
            HAVING COALESCE(sum(m.qty), 0) <> 0
                OR COALESCE(-sum(m.qty) FILTER (WHERE m.location_id = t.from_location_id), 0)
                   <> CASE WHEN t.status IN ('shipped', 'received') THEN l.qty ELSE 0 END
                OR COALESCE(sum(m.qty) FILTER (WHERE m.location_id = t.transit_location_id), 0)
                   <> CASE WHEN t.status = 'shipped' THEN l.qty ELSE 0 END
                OR COALESCE(sum(m.qty) FILTER (WHERE m.location_id = t.to_location_id), 0)
                   <> CASE WHEN t.status = 'received' THEN l.qty ELSE 0 END
            """,
        )
    ]
    # What the stores see coming is what shipped transfers carry (in transit counted once, never lost).
    found += [
        f"item {i} at location {loc}: balance shows {shown} in transit, open transfers carry {carried}"
        for i, loc, shown, carried in rows(
            engine,
            """
            WITH carried AS (
              SELECT l.item_id, t.to_location_id AS location_id, sum(l.qty) AS qty
                FROM transfer_order t JOIN transfer_order_line l ON l.transfer_id = t.id
               WHERE t.status = 'shipped' GROUP BY 1, 2)
            SELECT COALESCE(b.item_id, c.item_id), COALESCE(b.location_id, c.location_id),
                   COALESCE(b.in_transit, 0), COALESCE(c.qty, 0)
              FROM (SELECT item_id, location_id, in_transit FROM stock_balance WHERE in_transit <> 0) b
              FULL JOIN carried c ON c.item_id = b.item_id AND c.location_id = b.location_id
             WHERE COALESCE(b.in_transit, 0) <> COALESCE(c.qty, 0)
            """,
        )
    ]
    numbers = sorted({str(a.answer["number"]) for a in accepted if a.path == "/transfers"})
    shipped = {a.path.split("/")[2] for a in accepted if a.path.endswith("/ship")}
    received = {a.path.split("/")[2] for a in accepted if a.path.endswith("/receive")}
    stored = pairs(engine, "SELECT number, status FROM transfer_order WHERE number = ANY(:n)", n=numbers)
    for number in numbers:
        expected = "received" if number in received else "shipped" if number in shipped else "draft"
        if stored.get(number) != expected:
            found.append(f"transfer {number} accepted up to {expected}, stored {stored.get(number)}")
    return found


def counts_posted(engine: Engine, accepted: list[Accepted], counted: list[str]) -> list[str]:
    """A posted count moved and valued exactly its recorded differences; a submitted count is posted."""
    found = [
        f"count {n} item {i}: difference {d} value {v}, stock moved {q} worth {w}"
        for n, i, d, v, q, w in rows(
            engine,
            """
            SELECT c.number, l.item_id, l.difference, l.value,
                   COALESCE(sum(m.qty), 0), COALESCE(sum(m.value), 0)
              FROM cycle_count c JOIN cycle_count_line l ON l.count_id = c.id
              LEFT JOIN stock_move m ON m.source_type = 'cycle_count' AND m.source_id = c.number
                                    AND m.item_id = l.item_id
             WHERE c.status = 'posted'
             GROUP BY c.number, l.item_id, l.difference, l.value
            HAVING COALESCE(sum(m.qty), 0) <> COALESCE(l.difference, 0)
                OR COALESCE(sum(m.value), 0) <> COALESCE(l.value, 0)
            """,
        )
    ]
    numbers = sorted({str(a.answer["number"]) for a in accepted if a.path == "/cycle-counts"})
    stored = pairs(engine, "SELECT number, status FROM cycle_count WHERE number = ANY(:n)", n=numbers)
    for number in numbers:
        if number not in stored:
            found.append(f"count {number} accepted but not stored")
        elif number in counted and stored[number] != "posted":
            found.append(f"count {number} submitted but {stored[number]}")
    return found


def closed_periods_locked(engine: Engine) -> list[str]:
    """A signed-off close locked its period, and no entry was posted into it after the sign-off."""
    return [
        f"close of entity {e} {p}: period {st}, {late} entr(ies) posted into it after its close"
        for e, p, st, late in rows(
            engine,
            """
            SELECT r.entity_id, r.period, COALESCE(f.status, 'missing'),
                   (SELECT count(*) FROM journal_entry je WHERE je.entity_id = r.entity_id
                       AND je.period = r.period AND je.created_at > r.finished_at)
              FROM close_run r LEFT JOIN fiscal_period f ON f.entity_id = r.entity_id AND f.period = r.period
             WHERE r.status = 'closed'
               AND (COALESCE(f.status, 'missing') <> 'closed'
                    OR EXISTS (SELECT 1 FROM journal_entry je WHERE je.entity_id = r.entity_id
                                  AND je.period = r.period AND je.created_at > r.finished_at))
            """,
        )
    ]
