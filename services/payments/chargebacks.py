"""PSP chargebacks: the provider took a card payment back; it waits in dispute clearing for a decision.

Recorded once per channel and chargeback id (`psp_chargeback_key`), posted payment clearing -> dispute
clearing (tagged with the order). Accepted or lost: dispute clearing -> chargeback loss; won: back to payment
clearing (`rules/chargebacks.py`). Every posting is keyed by the chargeback and the decision."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from models.contracts.payments import ChargebackInput, ChargebackRecorded, SettleChargeback
from models.master import Channel
from models.payments import PspChargeback
from rules.accounts import AccountRole
from rules.chargebacks import Outcome, chargeback_posting, check_amount, settle_posting
from rules.errors import RuleViolation
from rules.posting_rules import PostingDraft
from services.core.errors import Conflict, NotFound
from services.payments import posting, receipt_fx

SOURCE = "psp_chargeback"
# The decision on a chargeback, and the status it leaves.
_STATUS = {"accept": "accepted", "contest": "contested", "won": "won", "lost": "lost"}

_CARD_PAID = """
SELECT COALESCE(sum(CASE p.kind WHEN 'capture' THEN p.amount ELSE -p.amount END), 0)
  FROM sales_payment p
 WHERE p.order_id = :o AND p.status = 'approved' AND p.kind IN ('capture', 'refund') AND p.currency = :c
"""

_CHARGED_BACK = """
SELECT COALESCE(sum(amount), 0) FROM psp_chargeback
 WHERE channel_id = :ch AND order_number = :n AND status <> 'won' AND chargeback_ref <> :ref
"""


def existing(session: Session, channel_id: int, ref: str) -> int | None:
    """The id of a channel's chargeback already recorded under the provider's id."""
    found = (
        session.connection()
        .execute(
            text("SELECT id FROM psp_chargeback WHERE channel_id = :c AND chargeback_ref = :r"),
            {"c": channel_id, "r": ref},
        )
        .scalar()
    )
    return int(found) if found is not None else None


def check(session: Session, inp: ChargebackInput, *, lock: bool = False) -> None:
    """The order is the channel's, and the chargeback takes back at most what is left of its card payments."""
    conn = session.connection()
    order = conn.execute(
        text(
            "SELECT id FROM sales_order WHERE number = :n AND channel_id = :c"
            + (" FOR UPDATE" if lock else "")
        ),
        {"n": inp.order_number, "c": inp.channel_id},
    ).scalar()
    if order is None:
        raise RuleViolation("order_number", f"no order {inp.order_number} on this channel")
    paid = Decimal(conn.execute(text(_CARD_PAID), {"o": order, "c": inp.currency}).scalar_one())
    taken = Decimal(
        conn.execute(
            text(_CHARGED_BACK), {"ch": inp.channel_id, "n": inp.order_number, "ref": inp.chargeback_ref}
        ).scalar_one()
    )
    check_amount(inp.amount, paid - taken, inp.currency, inp.order_number)


@dataclass(frozen=True, slots=True)
class StoredChargeback:
    """A recorded chargeback with its channel's code, as the API shows it."""

    row: PspChargeback
    channel: str

    @property
    def entity_id(self) -> int:
        return self.row.entity_id

    def fields(self) -> dict[str, Any]:
        return {**self.row.model_dump(), "channel": self.channel}


def _post(session: Session, head: PspChargeback, on: date, key: str, draft: PostingDraft, memo: str) -> int:
    """Every line carries the order (what it holds in payment and dispute clearing); posted on `on`."""
    entry = posting.Entry(
        head.entity_id,
        key,
        on,
        SOURCE,
        head.chargeback_ref,
        head.currency,
        memo=memo,
        partner=("order", head.order_number),
        tagged=posting.EVERY_ROLE,
    )
    return posting.post(session, entry, draft)


def _realise(session: Session, head: PspChargeback, entry: int, role: AccountRole, on: date) -> None:
    """Realise the exchange difference of what the entry took out of the order's clearing (`role`)."""
    receipt_fx.realise(
        session,
        head.entity_id,
        entry,
        role,
        head.order_number,
        head.currency,
        on,
        (SOURCE, head.chargeback_ref),
    )


def record(session: Session, inp: ChargebackInput) -> ChargebackRecorded:
    """Store the chargeback and post it into dispute clearing (once: a retry finds it)."""
    found = existing(session, inp.channel_id, inp.chargeback_ref)
    if found is None:
        check(session, inp, lock=True)
        found = int(
            session.connection()
            .execute(
                text(
                    """
                INSERT INTO psp_chargeback (entity_id, channel_id, chargeback_ref, order_number, amount, currency,
                                            reason, received_on, status, workflow_id, imported_by)
                VALUES (:e, :ch, :ref, :n, :a, :c, :why, :on, 'disputed', :wf, :by) RETURNING id
                """
                ),
                {
                    "e": inp.entity_id,
                    "ch": inp.channel_id,
                    "ref": inp.chargeback_ref,
                    "n": inp.order_number,
                    "a": inp.amount,
                    "c": inp.currency,
                    "why": inp.reason,
                    "on": inp.received_on,
                    "wf": inp.workflow_id,
                    "by": inp.imported_by,
                },
            )
            .scalar_one()
        )
    head = _head(session, found)
    entry = _post(
        session,
        head,
        head.received_on,
        f"chargeback:{found}",
        chargeback_posting(head.amount),
        f"chargeback {inp.chargeback_ref} on order {inp.order_number}: {inp.reason}"[:200],
    )
    # A foreign-currency order's card money was captured at its day's rate; the provider takes it back at this one.
    _realise(session, head, entry, AccountRole.PAYMENT_CLEARING, head.received_on)
    session.connection().execute(
        text("UPDATE psp_chargeback SET entry_id = :je WHERE id = :i"), {"je": entry, "i": found}
    )
    return ChargebackRecorded(chargeback_id=found, entry_id=entry)


def _head(session: Session, chargeback_id: int) -> PspChargeback:
    """The chargeback a step acts on, locked."""
    # populate_existing: its status and entries change by SQL within the same session.
    query = (
        select(PspChargeback)
        .where(col(PspChargeback.id) == chargeback_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = session.exec(query).first()
    if found is None:
        raise NotFound("chargeback_id", f"chargeback {chargeback_id} does not exist")
    return found


def settle(session: Session, req: SettleChargeback) -> None:
    """Carry out a decision once: accept or lose (a loss), win (money back to clearing), or contest."""
    head = _head(session, req.chargeback_id)
    status = _STATUS.get(req.decision)
    if status is None:
        raise RuleViolation("decision", f"decision must be one of {sorted(_STATUS)}, not {req.decision!r}")
    if head.status == status:
        return  # a retried activity: done already
    allowed = ("disputed",) if req.decision in ("accept", "contest") else ("contested",)
    if head.status not in allowed:
        raise Conflict("decision", f"chargeback {head.chargeback_ref} is {head.status}")
    entry = None
    if req.decision != "contest":
        outcome: Outcome = "won" if req.decision == "won" else "lost" if req.decision == "lost" else "accept"
        entry = _post(
            session,
            head,
            req.on,
            f"chargeback:{head.id}:{req.decision}",
            settle_posting(outcome, head.amount),
            f"chargeback {head.chargeback_ref} {status} by {req.actor}"[:200],
        )
        _realise(session, head, entry, AccountRole.DISPUTE_CLEARING, req.on)
    session.connection().execute(
        text("UPDATE psp_chargeback SET status = :s, decided_by = :a, settled_entry_id = :je WHERE id = :i"),
        {"s": status, "a": req.actor, "je": entry, "i": head.id},
    )


_WITH_CHANNEL = select(PspChargeback, col(Channel.code)).join(
    Channel, col(Channel.id) == col(PspChargeback.channel_id)
)


def chargeback(session: Session, chargeback_id: int) -> StoredChargeback | None:
    """A recorded chargeback with its channel code."""
    found = session.exec(_WITH_CHANNEL.where(col(PspChargeback.id) == chargeback_id)).first()
    return None if found is None else StoredChargeback(*found)


def chargebacks_of(
    session: Session, entity_ids: list[int], status: str | None, limit: int, offset: int
) -> list[StoredChargeback]:
    """Chargebacks of the entities, newest received first (then newest recorded), optionally of one status."""
    query = _WITH_CHANNEL.where(col(PspChargeback.entity_id).in_(entity_ids))
    if status is not None:
        query = query.where(col(PspChargeback.status) == status)
    query = query.order_by(col(PspChargeback.received_on).desc(), col(PspChargeback.id).desc())
    return [StoredChargeback(*found) for found in session.exec(query.limit(limit).offset(offset))]
