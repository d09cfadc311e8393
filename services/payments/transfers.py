"""Transfers a bank statement line may pay that no run, payout or settlement explains: a refund sales ops
decided to pay by transfer (`refund_transfers`) and money between entities of the group (`intercompany_transfers`)."""

from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session

from models.contracts.payments import StatementLineIn


@dataclass(frozen=True, slots=True)
class Transfer:
    """A matched transfer: what it paid (a credit note, an intercompany charge) and the entry that cleared it."""

    reference: str
    entry_id: int


class TransferKind(Protocol):
    """A module that books one kind of transfer: `book` clears what the line pays, or says why it does not
    match (None: the line names nothing of this kind)."""

    MATCHED_TO: str

    def book(
        self, session: Session, entity_id: int, statement_id: int, line: StatementLineIn
    ) -> Transfer | str | None: ...
