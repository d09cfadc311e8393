"""The finance team opens the 13-week cash forecast on Monday 3 November 2031: every weekly figure equals
the hand-worked example, the CSV says the same, and each figure drills down to its documents."""

import csv
import io
from decimal import Decimal as D

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from services.foresight.cash import cash_forecast
from tests.factories import Factory
from tests.foresight import worked_forecast as wf


def _headers(factory: Factory, e: object) -> dict[str, str]:
    _, token = factory.user("controller", entities=(e,))  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {token}"}


def test_weekly_and_daily_figures_equal_the_hand_computed_ones(engine: Engine, factory: Factory) -> None:
    built = wf.build(engine, factory)
    assert built.entity.id is not None
    with Session(engine) as s:
        body = cash_forecast(s, built.entity.id, wf.AS_OF, "week")
        days = cash_forecast(s, built.entity.id, wf.AS_OF, "day")
    assert body["horizon_end"] == "2032-02-01"
    by_currency = {c["currency"]: c for c in body["currencies"]}
    assert sorted(by_currency) == ["EUR", "USD"]
    for currency, weeks in wf.EXPECTED_WEEKS.items():
        buckets = by_currency[currency]["buckets"]
        assert len(buckets) == 13
        assert [b["start"] for b in buckets[:5]] == [w.isoformat() for w in wf.W]
        for got, want in zip(buckets, weeks + [wf._week()] * 8, strict=True):
            assert {k: D(got[k]) for k in want} == want, got["start"]
        assert D(by_currency[currency]["net"]) == wf.EXPECTED_NET[currency]
    eur = by_currency["EUR"]["buckets"]
    assert [D(b["cumulative"]) for b in eur[:5]] == wf.EXPECTED_CUMULATIVE_EUR
    # Documents behind week 1: the overdue invoice, two receivables (one overdue) and the refund in inspection.
    k = built.entity.code
    assert sorted((d["type"], d["amount"], d["overdue"]) for d in eur[0]["documents"]) == [
        ("return", "-23.80", False),
        ("sales_order", "238.00", False),
        ("sales_order", "300.00", True),
        ("supplier_invoice", "-595.00", True),
    ]
    assert {d["id"] for d in eur[4]["documents"]} == {f"{k}-A"}
    day_eur = next(c for c in days["currencies"] if c["currency"] == "EUR")["buckets"]
    assert len(day_eur) == 91 and D(day_eur[0]["net"]) == wf.EXPECTED_DAY_ONE_EUR
    assert D(day_eur[5]["customer_receipts"]) == D("238.00")  # 8 November


def test_the_api_serves_json_csv_and_drilldown(engine: Engine, factory: Factory, api: TestClient) -> None:
    built = wf.build(engine, factory)
    h = _headers(factory, built.entity)
    q = f"entity_id={built.entity.id}&as_of=2031-11-03"
    weekly = api.get(f"/foresight/cash?{q}&by=week", headers=h)
    assert weekly.status_code == 200, weekly.text
    text_csv = api.get(f"/foresight/cash.csv?{q}&by=week", headers=h)
    assert text_csv.status_code == 200 and text_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text_csv.text)))
    assert len(rows) == 26
    eur = [r for r in rows if r["currency"] == "EUR"]
    assert [D(r["net"]) for r in eur[:5]] == [
        D("-80.80"),
        D("-1190.00"),
        D("-59.50"),
        D("119.00"),
        D("-154.00"),
    ]
    assert eur[0]["documents"] == "4"
    drill = api.get(
        f"/foresight/cash/drilldown?{q}&currency=EUR&start=2031-11-03&end=2031-11-09&category=customer_receipts",
        headers=h,
    ).json()
    assert D(drill["total"]) == D("538.00")
    assert [(d["id"], d["date"]) for d in drill["documents"]] == [
        (f"{built.entity.code}-SO-P", "2031-11-03"),
        (f"{built.entity.code}-SO-M", "2031-11-08"),
    ]
    usd = api.get(
        f"/foresight/cash/drilldown?{q}&currency=USD&start=2031-11-03&end=2032-02-01", headers=h
    ).json()
    assert [(d["type"], d["amount"], d["date"]) for d in usd["documents"]] == [
        ("purchase_order", "-250.00", "2031-11-17")
    ]
    # Other entities' forecasts are invisible; non-finance roles may not read cash.
    other = factory.entity()
    assert api.get(f"/foresight/cash?entity_id={other.id}", headers=h).status_code == 404
    _, clerk = factory.user("warehouse", entities=(built.entity,))
    assert api.get(f"/foresight/cash?{q}", headers={"Authorization": f"Bearer {clerk}"}).status_code == 403
    assert (
        api.get(f"/foresight/cash?entity_id={built.entity.id}&as_of=9999-12-31", headers=h).status_code == 422
    )


def test_a_channel_settlement_cycle_change_moves_the_receipt_and_is_audited(
    engine: Engine, factory: Factory, api: TestClient
) -> None:
    built = wf.build(engine, factory)
    h = _headers(factory, built.entity)
    put = api.put(
        f"/foresight/channels/{built.marketplace.code}/settlement", json={"settlement_days": 7}, headers=h
    )
    assert put.status_code == 200, put.text
    q = f"entity_id={built.entity.id}&as_of=2031-11-03&currency=EUR&start=2031-11-03&end=2031-11-09"
    drill = api.get(f"/foresight/cash/drilldown?{q}&category=customer_receipts", headers=h).json()
    # 25 Oct + 7 days is overdue now: on day one.
    assert [d["date"] for d in drill["documents"]] == ["2031-11-03", "2031-11-03"]
    with Session(engine) as s:
        from sqlalchemy import text

        audit = (
            s.connection()
            .execute(
                text(
                    "SELECT action, before, after FROM audit_event WHERE subject_type = 'Channel' AND subject_id = :c"
                ),
                {"c": str(built.marketplace.id)},
            )
            .all()
        )
    assert [(a, b, c) for a, b, c in audit] == [("ChannelCashSetting.update", None, {"settlement_days": 7})]
