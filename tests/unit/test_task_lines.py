"""An approver reads the task CLI's words: how old a task is, whether it is late, and what their decision
does next ("PO 100003 approved; it is being issued to NORDTEX.")."""

from datetime import UTC, datetime, timedelta

from erp.cli.task_lines import age_text, confirmation, document_label, is_overdue, parse_time

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_age_reads_in_minutes_hours_and_days() -> None:
    assert age_text(NOW - timedelta(minutes=45), NOW) == "45m"
    assert age_text(NOW - timedelta(hours=5, minutes=10), NOW) == "5h"
    assert age_text(NOW - timedelta(days=3, hours=4), NOW) == "3d 4h"
    assert age_text(NOW - timedelta(days=2), NOW) == "2d"
    assert age_text(None, NOW) == ""


def test_overdue_only_past_a_due_time() -> None:
    assert is_overdue(parse_time("2026-11-30T11:59:00Z"), NOW)
    assert not is_overdue(parse_time("2026-11-30T12:01:00Z"), NOW)
    assert not is_overdue(None, NOW)


def test_confirmations_say_what_happens_next() -> None:
    po = document_label("purchase_order", "100003")
    assert confirmation("po_approval", "approve", po, "issued", "NORDTEX") == (
        "PO 100003 approved; it is being issued to NORDTEX."
    )
    assert confirmation("po_approval", "approve", po, "approval", "NORDTEX") == (
        "PO 100003 approved; it waits for the next approval level."
    )
    assert confirmation("po_approval", "reject", po, "rejected", None).startswith("PO 100003 rejected;")
    assert confirmation("supplier_delay", "wait", po, "delayed", None) == (
        "PO 100003 decided: wait; the document is now delayed."
    )
    assert document_label("sales_order", "WEB-EU-1") == "order WEB-EU-1"
