"""How the task CLI words a task: its age, whether it is overdue, and what happens after a decision."""

from datetime import datetime


def parse_time(value: str | None) -> datetime | None:
    """An ISO timestamp from the API (with `Z`), or None."""
    return None if not value else datetime.fromisoformat(value.replace("Z", "+00:00"))


def age_text(since: datetime | None, now: datetime) -> str:
    """`45m`, `5h`, `3d 4h`: how long a task has been open."""
    if since is None:
        return ""
    minutes = max(0, int((now - since).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    return f"{hours}h" if hours else f"{mins}m"


def is_overdue(due: datetime | None, now: datetime) -> bool:
    """Past its due time (a task without one is never overdue)."""
    return due is not None and due < now


def document_label(subject_type: str, subject_id: str) -> str:
    """`PO 100003`, `order WEB-EU-1001`, `return RMA-7`: the document as people say it."""
    names = {"purchase_order": "PO", "sales_order": "order", "return": "return", "settlement": "settlement"}
    return f"{names.get(subject_type, subject_type.replace('_', ' '))} {subject_id}"


def next_step(kind: str, decision: str, stage: str | None, supplier: str | None) -> str:
    """What the decision sets in motion, from the document's stage after it."""
    if kind == "po_approval":
        if decision == "approve" and stage == "approval":
            return "it waits for the next approval level"
        if decision == "approve":
            return f"it is being issued to {supplier or 'the supplier'}"
        if decision == "reject":
            return "it is rejected; the buyer sees why"
        if decision == "request_changes":
            return "it goes back to the buyer for changes"
    if decision == "retry":
        return "the failed step runs again"
    if stage:
        return f"the document is now {stage.replace('_', ' ')}"
    return "the workflow carries on"


PAST = {
    "approve": "approved",
    "reject": "rejected",
    "request_changes": "sent back for changes",
    "retry": "retried",
}


def confirmation(kind: str, decision: str, document: str, stage: str | None, supplier: str | None) -> str:
    """`PO 100003 approved; it is being issued to NORDTEX.`"""
    done = PAST.get(decision, f"decided: {decision}")
    return f"{document} {done}; {next_step(kind, decision, stage, supplier)}."
