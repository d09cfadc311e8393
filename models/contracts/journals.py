"""Contracts of manual journals (what crosses the Temporal boundary): the keyed entry, its posting, its reversal."""

from datetime import date
from decimal import Decimal

from models.contracts.base import Contract


class JournalLineInput(Contract):
    """One validated line: an account code of the entity and a signed amount (debit > 0, credit < 0)."""

    account: str
    amount: Decimal
    memo: str = ""


class JournalInput(Contract):
    """A validated manual journal; the workflow persists it, asks a controller, then posts it."""

    number: str
    workflow_id: str
    entity_id: int
    currency: str
    posting_date: date
    memo: str
    lines: list[JournalLineInput]
    maker: str
    reversal_date: date | None = None
    template_id: int | None = None


class JournalStep(Contract):
    """Post, reverse or reject a journal (the activities' argument)."""

    number: str
    actor: str
    comment: str | None = None


class JournalPosted(Contract):
    """What a posting produced: the ledger entry and the date it was posted on (None: nothing posted)."""

    number: str
    entry_id: int | None
    posting_date: date | None
    note: str = ""


class JournalOutcome(Contract):
    """How a journal's workflow ended: rejected, posted, reversed (or its reversal blocked)."""

    number: str
    stage: str
    entry_id: int | None = None
    reversal_entry_id: int | None = None
    reversal_posted_on: date | None = None


class IntercompanyInput(Contract):
    """A validated intercompany charge: the seller's receivable and the buyer's payable, posted together."""

    reference: str
    workflow_id: str
    seller_entity_id: int
    buyer_entity_id: int
    posting_date: date
    currency: str
    amount: Decimal
    seller_account: str
    buyer_account: str
    memo: str
    actor: str


class IntercompanyPosted(Contract):
    """The two ledger entries of an intercompany charge."""

    reference: str
    seller_entry_id: int
    buyer_entry_id: int
