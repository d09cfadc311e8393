"""Intercompany charges: one entity of the group sells to another; each side posts against its
intercompany account, tagged with the other entity, so consolidation can eliminate the pair."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from models.contracts.journals import IntercompanyInput
from models.contracts.tasks import AuditRecord
from rules.accounts import AccountRole
from rules.errors import RuleViolation
from rules.periods import check_posting_allowed, period_of
from services.core import fx, ledger
from services.core.errors import NotFound
from services.core.tasks import record_audit
from services.journals.manual import open_account_codes

SOURCE_TYPE = "intercompany"


@dataclass(frozen=True, slots=True)
class IntercompanyCharge:
    """A sale from `seller` to `buyer` in `currency`, booked on both sides on one date."""

    reference: str
    seller_entity_id: int
    buyer_entity_id: int
    posting_date: date
    currency: str
    amount: Decimal
    seller_account: str = AccountRole.REVENUE  # income of the seller (a role or an account code)
    buyer_account: str = AccountRole.FREIGHT_EXPENSE  # cost of the buyer (a role or an account code)
    memo: str = ""
    actor: str = "system"


def charge_of(inp: IntercompanyInput) -> IntercompanyCharge:
    """The charge an accepted request asks for."""
    # The same fields less the workflow id: a field the input gains and the charge lacks fails here.
    return IntercompanyCharge(**inp.model_dump(exclude={"workflow_id"}))


def check_charge(session: Session, charge: IntercompanyCharge) -> None:
    """Refuse, naming the field, a charge that could not post on both sides."""
    if charge.seller_entity_id == charge.buyer_entity_id:
        raise RuleViolation("buyer_entity_id", "an intercompany charge needs two different entities")
    for entity_id, field, code in (
        (charge.seller_entity_id, "seller_account", charge.seller_account),
        (charge.buyer_entity_id, "buyer_account", charge.buyer_account),
    ):
        if not open_account_codes(session, entity_id, [code]):
            raise RuleViolation(field, f"entity {entity_id} has no open account {code!r}")
        period = period_of(charge.posting_date)
        check_posting_allowed(period, ledger.period_status(session, entity_id, period), False)
        func = ledger.entity_currency(session, entity_id)
        try:
            fx.rate(session, charge.currency, func, charge.posting_date)
        except NotFound as exc:
            raise RuleViolation("currency", exc.reason) from exc


def _sides(charge: IntercompanyCharge, memo: str) -> tuple[tuple[int, str, list[ledger.LineIn]], ...]:
    """The seller's and the buyer's entry lines, each intercompany line tagged with the other entity."""
    return (
        (
            charge.seller_entity_id,
            "seller",
            [
                ledger.LineIn(
                    AccountRole.IC_RECEIVABLE, charge.amount, memo, "entity", str(charge.buyer_entity_id)
                ),
                ledger.LineIn(charge.seller_account, -charge.amount, memo),
            ],
        ),
        (
            charge.buyer_entity_id,
            "buyer",
            [
                ledger.LineIn(charge.buyer_account, charge.amount, memo),
                ledger.LineIn(
                    AccountRole.IC_PAYABLE, -charge.amount, memo, "entity", str(charge.seller_entity_id)
                ),
            ],
        ),
    )


def post_charge(session: Session, charge: IntercompanyCharge) -> tuple[int, int]:
    """Post the seller's receivable and the buyer's payable (once each, by the reference); their entry ids."""
    if charge.seller_entity_id == charge.buyer_entity_id:
        raise RuleViolation("buyer_entity_id", "an intercompany charge needs two different entities")
    if charge.amount <= 0:
        raise RuleViolation("amount", "must be positive")
    memo = charge.memo or f"intercompany {charge.reference}"
    ids: list[int] = []
    for entity_id, side, lines in _sides(charge, memo):
        posted = ledger.post(
            session,
            ledger.PostingRequest(
                entity_id=entity_id,
                idempotency_key=f"intercompany:{charge.seller_entity_id}:{charge.reference}:{side}",
                posting_date=charge.posting_date,
                source_type=SOURCE_TYPE,
                source_id=charge.reference,
                currency=charge.currency,
                lines=lines,
                memo=memo,
                actor=charge.actor,
            ),
        )
        ids.append(posted.entry_id)
    record_audit(
        session,
        AuditRecord(
            idempotency_key=f"intercompany:{charge.seller_entity_id}:{charge.reference}:posted",
            actor=charge.actor,
            action="intercompany.posted",
            subject_type=SOURCE_TYPE,
            subject_id=charge.reference,
            entity_id=charge.seller_entity_id,
            before=None,
            after={
                "buyer_entity_id": charge.buyer_entity_id,
                "currency": charge.currency,
                "amount": str(charge.amount),
                "seller_entry_id": ids[0],
                "buyer_entry_id": ids[1],
            },
        ),
    )
    return ids[0], ids[1]
