"""The October close of the worked month, end to end on the time-skipping server: cut-off, a bill to
receive accrued and reversed on 1 November, the landed-cost difference between stock ledger and inventory
GL routed to the controller with its documents, the CHF payable revalued, sign-off, the lock, the
statements — and a second run of the same period that changes nothing."""

from datetime import date
from decimal import Decimal as D

from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

from models.contracts.close import CloseResult
from services.close import runs as close_runs
from tests.close import worked_month
from tests.close.closing import at_sign_off, checklist, count, decide, refusal, start_close
from tests.close.worked_month import PERIOD
from tests.factories import Factory
from worker import build_worker


async def test_october_closes_with_the_difference_routed_accrual_reversed_and_fx_revalued(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    month = worked_month.build(engine, factory)
    entity = month.entity
    assert entity.id is not None
    with Session(engine) as s:
        n = close_runs.request_accrual(
            s,
            entity_id=entity.id,
            period=PERIOD,
            description="October electricity, bill due in November",
            expense_role="accrued_expense",
            amount=D("250.00"),
            requested_by="carla.controller",
        )
        s.commit()
    assert n == 1

    async with build_worker(time_skipping.client, engine, task_queue):
        handle = await start_close(time_skipping.client, entity.code, PERIOD, task_queue)
        view = await at_sign_off(handle)
        assert view.stage == "sign_off"
        assert [(t.kind, t.check_name) for t in view.tasks] == [
            ("close_difference", "stock_vs_inventory_gl"),
            ("close_signoff", None),
        ]
        diff_task, signoff_task = (t.task_id for t in view.tasks)

        # The difference task names the document behind it: PO1's landed-cost bill put 18.00 on stock.
        with engine.connect() as c:
            details = c.execute(text("SELECT details FROM task WHERE id = :t"), {"t": diff_task}).scalar_one()
        assert (details["subledger"], details["control"], details["difference"]) == (
            "874.66",
            "892.66",
            "-18.00",
        )
        [doc] = details["documents"]
        assert (doc["source_type"], doc["source_id"], doc["difference"]) == (
            "purchase_order",
            month.po1,
            "-18.00",
        )
        assert len(doc["journal_entries"]) == 2

        # Nobody may post into October any more except closers (the cut-off is in place).
        assert (
            count(
                engine,
                "SELECT count(*) FROM fiscal_period WHERE entity_id = :e AND period = :p"
                " AND status = 'soft_closed'",
                e=entity.id,
                p=PERIOD,
            )
            == 1
        )
        assert await refusal(decide(handle, signoff_task, "approve")) == (
            "decide the 1 open reconciliation difference(s) first"
        )
        assert (
            await refusal(decide(handle, diff_task, "accept"))
            == "comment: say why the difference is accepted"
        )
        await decide(handle, diff_task, "accept", "landed cost revaluation of stock: fixed in November")
        await decide(handle, signoff_task, "approve", "October is fine")
        result: CloseResult = await handle.result()

    assert result.status == "closed" and result.signed_off_by == "carla.controller"
    assert [d.check_name for d in result.differences] == ["stock_vs_inventory_gl"]
    # 865.16 before the close - 250.00 electricity accrued - 30.00 FX loss (CHF 600 from 0.90 to 0.95).
    assert result.net_income == D("585.16")
    assert result.total_assets == D("11851.03") and result.balanced is True
    assert result.duration_seconds is not None and result.duration_seconds >= 0
    assert checklist(engine, entity.id, PERIOD) == [
        (1, 1, "soft_close", "ok"),
        (1, 2, "accruals", "ok"),
        (1, 3, "reconciliations", "differences"),
        (1, 4, "fx_revaluation", "ok"),
        (1, 5, "trial_balance", "ok"),
        (1, 6, "sign_off", "approved"),
        (1, 7, "hard_close", "ok"),
        (1, 8, "statements", "ok"),
    ]
    with engine.connect() as c:
        accrued = c.execute(
            text(
                "SELECT e.posting_date, sum(l.amount_func) FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id"
                " JOIN account a ON a.id = l.account_id WHERE l.entity_id = :e AND a.role = 'accrued_liabilities'"
                " GROUP BY e.posting_date ORDER BY 1"
            ),
            {"e": entity.id},
        ).all()
        stored = c.execute(
            text("SELECT statements FROM close_run WHERE entity_id = :e AND period = :p"),
            {"e": entity.id, "p": PERIOD},
        ).scalar_one()
        status = c.execute(
            text("SELECT status FROM fiscal_period WHERE entity_id = :e AND period = :p"),
            {"e": entity.id, "p": PERIOD},
        ).scalar_one()
    assert accrued == [(date(2031, 10, 31), D("-250.00")), (date(2031, 11, 1), D("250.00"))]
    assert status == "closed"
    assert stored["profit_and_loss"]["operating_expenses"] == "280.00"
    assert (stored["balance_sheet"]["total_liabilities"], stored["balance_sheet"]["total_equity"]) == (
        "1265.87",
        "10585.16",
    )

    # Running the same period again is idempotent: same answer, no new postings or tasks.
    entries = count(engine, "SELECT count(*) FROM journal_entry WHERE entity_id = :e", e=entity.id)
    tasks = count(engine, "SELECT count(*) FROM task WHERE entity_id = :e", e=entity.id)
    async with build_worker(time_skipping.client, engine, task_queue):
        again: CloseResult = await (
            await start_close(time_skipping.client, entity.code, PERIOD, task_queue)
        ).result()
    assert again == result
    assert count(engine, "SELECT count(*) FROM journal_entry WHERE entity_id = :e", e=entity.id) == entries
    assert count(engine, "SELECT count(*) FROM task WHERE entity_id = :e", e=entity.id) == tasks
