"""A freight bill booked straight to the AP account without naming the supplier makes the AP subledger
(the open items) disagree with its control account. The controller sees it, sends the close back, the AP
clerk (a closer) reclassifies it to the supplier inside the soft-closed month, and round two closes cleanly."""

from datetime import date
from decimal import Decimal as D

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

from services.core import ledger, open_items
from services.core.ledger import LineIn, PostingRequest
from tests.close.closing import at_sign_off, checklist, decide, start_close
from tests.factories import Factory
from worker import build_worker

PERIOD = "2031-08"


def _post(engine: Engine, entity_id: int, key: str, lines: list[LineIn], closer: bool = False) -> None:
    with Session(engine) as s:
        posted = ledger.post(
            s,
            PostingRequest(
                entity_id=entity_id,
                idempotency_key=key,
                posting_date=date(2031, 8, 20),
                source_type="manual_journal",
                source_id=key,
                currency="EUR",
                lines=lines,
                actor="ada.ap",
                actor_is_closer=closer,
            ),
        )
        # A journal naming the supplier is the supplier's document (an open item); one naming nobody is not.
        open_items.record(s, posted.entry_id, "invoice", key)
        s.commit()


async def test_an_untagged_payable_is_sent_back_fixed_and_closed_in_round_two(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    entity = factory.entity()
    supplier = factory.supplier()
    assert entity.id is not None
    _post(engine, entity.id, f"{entity.code}:MJ-1", [LineIn("freight_expense", D(40)), LineIn("ap", D(-40))])

    async with build_worker(time_skipping.client, engine, task_queue):
        handle = await start_close(time_skipping.client, entity.code, PERIOD, task_queue)
        first = await at_sign_off(handle)
        assert [(t.kind, t.check_name) for t in first.tasks] == [
            ("close_difference", "ap_subledger_vs_control"),
            ("close_signoff", None),
        ]
        await decide(handle, first.tasks[0].task_id, "send_back", "book it to the forwarder")

        # Reclassify to the supplier: allowed in the soft-closed month for a closer only.
        _post(
            engine,
            entity.id,
            f"{entity.code}:MJ-2",
            [LineIn("ap", D(40)), LineIn("ap", D(-40), "", "supplier", str(supplier.id))],
            closer=True,
        )
        second = await at_sign_off(handle, round_no=2)
        assert [t.kind for t in second.tasks] == ["close_signoff"]
        await decide(handle, second.tasks[0].task_id, "approve")
        result = await handle.result()

    assert (result.status, result.rounds, result.differences) == ("closed", 2, [])
    assert result.net_income == D("-40.00")
    steps = checklist(engine, entity.id, PERIOD)
    assert [s for s in steps if s[0] == 1] == [
        (1, 1, "soft_close", "ok"),
        (1, 2, "accruals", "ok"),
        (1, 3, "reconciliations", "differences"),
        (1, 4, "fx_revaluation", "ok"),
        (1, 5, "trial_balance", "ok"),
        (1, 6, "sign_off", "sent_back"),
    ]
    assert [s[2:] for s in steps if s[0] == 2] == [
        ("accruals", "ok"),
        ("reconciliations", "ok"),
        ("fx_revaluation", "ok"),
        ("trial_balance", "ok"),
        ("sign_off", "approved"),
        ("hard_close", "ok"),
        ("statements", "ok"),
    ]
