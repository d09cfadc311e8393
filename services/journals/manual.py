"""Manual journals on PostgreSQL: check what a person keyed, store it, post it, reverse it, audit each step."""

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import text
from sqlmodel import Session, col, select

from models.contracts.journals import JournalInput, JournalLineInput, JournalPosted, JournalStep
from models.contracts.tasks import AuditRecord
from models.journals import JournalTemplate, ManualJournal
from rules.errors import RuleViolation
from rules.journals import (
    KeyedLine,
    check_not_control_account,
    check_reversal_date,
    next_period_start,
    reversal_posting_date,
    signed_amounts,
)
from rules.money import quantize
from rules.periods import check_posting_allowed, period_of
from services.core import fx, ledger
from services.core.errors import Conflict, NotFound
from services.core.tasks import record_audit

SOURCE_TYPE = "manual_journal"


@dataclass(frozen=True, slots=True)
class JournalAsk:
    """A journal as a person keyed it, before any check."""

    entity_id: int
    posting_date: date
    memo: str
    lines: list[KeyedLine]
    line_memos: list[str]
    maker: str
    maker_is_closer: bool
    currency: str | None = None
    reversal_date: date | None = None
    template_id: int | None = None


class TemplateLine(BaseModel):
    """A template line as stored in its JSON: the account, debit and credit as keyed, and its memo."""

    model_config = ConfigDict(frozen=True)

    account: str
    debit: Decimal
    credit: Decimal
    memo: str = ""


def workflow_id_of(entity_id: int, number: str) -> str:
    """One workflow per journal, named by its entity and number."""
    return f"ManualJournal-{entity_id}-{number}"


def next_number(session: Session) -> str:
    """A new journal number from the database sequence."""
    n = int(session.connection().execute(text("SELECT nextval('manual_journal_number_seq')")).scalar_one())
    return f"MJ{n:07d}"


def open_account_codes(session: Session, entity_id: int, codes: list[str]) -> dict[str, str | None]:
    """Which of the codes are open (not archived) accounts of the entity, with their roles."""
    rows = session.connection().execute(
        text("SELECT code, role FROM account WHERE entity_id = :e AND code = ANY(:c) AND NOT archived"),
        {"e": entity_id, "c": codes},
    )
    return {str(code): role for code, role in rows}


def check_lines(session: Session, entity_id: int, lines: list[KeyedLine], currency: str) -> list[Decimal]:
    """Signed amounts of a balanced journal over open accounts of the entity; refusals name the line."""
    amounts = [quantize(a, currency) for a in signed_amounts(lines)]
    for i, (line, amount) in enumerate(zip(lines, amounts, strict=True)):
        if amount != line.debit - line.credit:
            raise RuleViolation(f"lines[{i}]", f"{currency} amounts have at most its minor unit's places")
    known = open_account_codes(session, entity_id, [line.account for line in lines])
    for i, line in enumerate(lines):
        if line.account not in known:
            raise RuleViolation(
                f"lines[{i}].account", f"entity {entity_id} has no open account {line.account!r}"
            )
        check_not_control_account(i, line.account, known[line.account])
    return amounts


def _currency(session: Session, entity_id: int, currency: str | None, on: date) -> str:
    func_currency = ledger.entity_currency(session, entity_id)
    if currency is None or currency == func_currency:
        return func_currency
    try:
        fx.rate(session, currency, func_currency, on)
    except NotFound as exc:
        raise RuleViolation("currency", exc.reason) from exc
    return currency


def build_input(session: Session, ask: JournalAsk, number: str) -> JournalInput:
    """The journal as the workflow gets it; refuses (naming the field) what could never post."""
    currency = _currency(session, ask.entity_id, ask.currency, ask.posting_date)
    amounts = check_lines(session, ask.entity_id, ask.lines, currency)
    period = period_of(ask.posting_date)
    check_posting_allowed(period, ledger.period_status(session, ask.entity_id, period), ask.maker_is_closer)
    check_reversal_date(ask.posting_date, ask.reversal_date)
    return JournalInput(
        number=number,
        workflow_id=workflow_id_of(ask.entity_id, number),
        entity_id=ask.entity_id,
        currency=currency,
        posting_date=ask.posting_date,
        memo=ask.memo,
        lines=[
            JournalLineInput(account=line.account, amount=amount, memo=memo)
            for line, amount, memo in zip(ask.lines, amounts, ask.line_memos, strict=True)
        ],
        maker=ask.maker,
        reversal_date=ask.reversal_date,
        template_id=ask.template_id,
    )


def _audit(
    session: Session,
    number: str,
    entity_id: int,
    before: str | None,
    action: str,
    actor: str,
    after: dict[str, Any],
) -> None:
    """The audit event of a step: the journal's status before it (None: it did not exist) and after."""
    record_audit(
        session,
        AuditRecord(
            idempotency_key=f"manual_journal:{number}:{action}",
            actor=actor,
            action=f"manual_journal.{action}",
            subject_type=SOURCE_TYPE,
            subject_id=number,
            entity_id=entity_id,
            before={"status": before},
            after=after,
        ),
    )


def persist(session: Session, inp: JournalInput) -> None:
    """Store the journal once per number, with its `submitted` audit event."""
    row = (
        session.connection()
        .execute(
            text(
                """
            INSERT INTO manual_journal (number, workflow_id, entity_id, currency, posting_date, reversal_date, memo,
                                        lines, status, maker, template_id)
            VALUES (:n, :w, :e, :c, :d, :r, :m, CAST(:lines AS jsonb), 'approval', :maker, :t)
            ON CONFLICT (number) DO NOTHING RETURNING id
            """
            ),
            {
                "n": inp.number,
                "w": inp.workflow_id,
                "e": inp.entity_id,
                "c": inp.currency,
                "d": inp.posting_date,
                "r": inp.reversal_date,
                "m": inp.memo,
                "lines": json.dumps([line.model_dump(mode="json") for line in inp.lines]),
                "maker": inp.maker,
                "t": inp.template_id,
            },
        )
        .first()
    )
    if row is not None:
        after = {"status": "approval", **inp.model_dump(mode="json")}
        _audit(session, inp.number, inp.entity_id, None, "submitted", inp.maker, after)


def detail(session: Session, number: str, *, lock: bool = False) -> ManualJournal | None:
    """A journal as stored (None when it does not exist yet); `lock` holds it for a step that changes it."""
    query = select(ManualJournal).where(col(ManualJournal.number) == number)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def _head(session: Session, number: str) -> ManualJournal:
    """The journal a step acts on, locked."""
    head = detail(session, number, lock=True)
    if head is None:
        raise NotFound("number", f"manual journal {number} does not exist")
    return head


def _audit_step(
    session: Session, head: ManualJournal, action: str, actor: str, after: dict[str, Any]
) -> None:
    """The audit event of a step on a stored journal."""
    _audit(session, head.number, head.entity_id, head.status, action, actor, after)


def post(session: Session, step: JournalStep) -> JournalPosted:
    """Post the approved journal through the ledger (once: its key), and mark it posted."""
    head = _head(session, step.number)
    if head.entry_id is not None:
        return JournalPosted(number=step.number, entry_id=head.entry_id, posting_date=head.posting_date)
    lines = [JournalLineInput.model_validate(line) for line in head.lines]
    posted = ledger.post(
        session,
        ledger.PostingRequest(
            entity_id=head.entity_id,
            idempotency_key=f"manual_journal:{step.number}:post",
            posting_date=head.posting_date,
            source_type=SOURCE_TYPE,
            source_id=step.number,
            currency=head.currency,
            lines=[ledger.LineIn(account=line.account, amount=line.amount, memo=line.memo) for line in lines],
            memo=head.memo,
            actor=step.actor,
            # The approver is a controller: adjusting a soft-closed period is what a close allows them.
            actor_is_closer=True,
        ),
    )
    session.connection().execute(
        text(
            "UPDATE manual_journal SET status = 'posted', approved_by = :a, entry_id = :e WHERE number = :n"
        ),
        {"a": step.actor, "e": posted.entry_id, "n": step.number},
    )
    _audit_step(session, head, "posted", step.actor, {"status": "posted", "entry_id": posted.entry_id})
    return JournalPosted(number=step.number, entry_id=posted.entry_id, posting_date=head.posting_date)


def reject(session: Session, step: JournalStep) -> None:
    """Mark the journal rejected (nothing was posted)."""
    head = _head(session, step.number)
    if head.status != "approval":
        return
    session.connection().execute(
        text("UPDATE manual_journal SET status = 'rejected' WHERE number = :n"), {"n": step.number}
    )
    _audit_step(session, head, "rejected", step.actor, {"status": "rejected", "comment": step.comment})


def reverse(session: Session, step: JournalStep) -> JournalPosted:
    """Post the mirror entry on the reversal date, or on the first day of the next open period."""
    head = _head(session, step.number)
    if head.reversal_entry_id is not None:
        return JournalPosted(
            number=step.number, entry_id=head.reversal_entry_id, posting_date=head.reversal_posted_on
        )
    if head.reversal_date is None or head.entry_id is None:
        # The workflow reverses only a posted journal with a date: anything else is bad data, not a retry.
        raise ValueError(f"manual journal {step.number} has no posted entry to reverse on a date")
    requested = head.reversal_date
    on = reversal_posting_date(requested, lambda p: ledger.period_status(session, head.entity_id, p))
    if on is None:
        session.connection().execute(
            text("UPDATE manual_journal SET status = 'reversal_blocked' WHERE number = :n"),
            {"n": step.number},
        )
        note = f"no open period within a year of {requested}: reverse it by hand"
        _audit_step(
            session, head, "reversal_blocked", step.actor, {"status": "reversal_blocked", "note": note}
        )
        return JournalPosted(number=step.number, entry_id=None, posting_date=None, note=note)
    reversed_entry = ledger.reverse(
        session,
        head.entry_id,
        idempotency_key=f"manual_journal:{step.number}:reverse",
        posting_date=on,
        actor=step.actor,
    )
    session.connection().execute(
        text(
            "UPDATE manual_journal SET status = 'reversed', reversal_entry_id = :e, reversal_posted_on = :d"
            " WHERE number = :n"
        ),
        {"e": reversed_entry.entry_id, "d": on, "n": step.number},
    )
    note = "" if on == requested else f"period of {requested} is closed: reversed on {on}"
    _audit_step(
        session,
        head,
        "reversed",
        step.actor,
        {
            "status": "reversed",
            "entry_id": reversed_entry.entry_id,
            "posted_on": on.isoformat(),
            "note": note,
        },
    )
    return JournalPosted(number=step.number, entry_id=reversed_entry.entry_id, posting_date=on, note=note)


def create_template(
    session: Session,
    *,
    entity_id: int,
    code: str,
    memo: str,
    lines: list[KeyedLine],
    line_memos: list[str],
    currency: str | None,
    auto_reverse: bool,
    created_by: str,
) -> JournalTemplate:
    """Store a template once its lines would post today (balanced, open accounts); a code is unique per entity."""
    currency = _currency(session, entity_id, currency, date.today())
    check_lines(session, entity_id, lines, currency)
    keyed = [
        {"account": line.account, "debit": str(line.debit), "credit": str(line.credit), "memo": memo_}
        for line, memo_ in zip(lines, line_memos, strict=True)
    ]
    row = (
        session.connection()
        .execute(
            text(
                """
            INSERT INTO journal_template (entity_id, code, memo, currency, lines, auto_reverse, created_by)
            VALUES (:e, :c, :m, :cur, CAST(:l AS jsonb), :r, :by)
            ON CONFLICT (entity_id, code) DO NOTHING RETURNING id
            """
            ),
            {
                "e": entity_id,
                "c": code,
                "m": memo,
                "cur": currency,
                "l": json.dumps(keyed),
                "r": auto_reverse,
                "by": created_by,
            },
        )
        .first()
    )
    if row is None:
        raise Conflict("code", f"entity {entity_id} already has a journal template {code!r}")
    found = template(session, int(row[0]))
    assert found is not None
    return found


def template(session: Session, template_id: int) -> JournalTemplate | None:
    """A stored template (None when it does not exist)."""
    return session.get(JournalTemplate, template_id)


def ask_from_template(
    tpl: JournalTemplate, posting_date: date, reversal_date: date | None, maker: str, maker_is_closer: bool
) -> JournalAsk:
    """The journal a template makes for a date; an accrual template reverses at the next period's start."""
    if reversal_date is None and tpl.auto_reverse:
        reversal_date = next_period_start(posting_date)
    lines = [TemplateLine.model_validate(ln) for ln in tpl.lines]
    return JournalAsk(
        entity_id=tpl.entity_id,
        posting_date=posting_date,
        memo=tpl.memo,
        lines=[KeyedLine(account=ln.account, debit=ln.debit, credit=ln.credit) for ln in lines],
        line_memos=[ln.memo for ln in lines],
        maker=maker,
        maker_is_closer=maker_is_closer,
        currency=tpl.currency,
        reversal_date=reversal_date,
        template_id=tpl.id,
    )
