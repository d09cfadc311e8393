"""Activities of manual journals: one transaction each, idempotent by the journal's number and ledger keys."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from temporalio import activity

from activities.purchasing import business_errors
from erp.db import session_scope
from models.contracts.journals import (
    IntercompanyInput,
    IntercompanyPosted,
    JournalInput,
    JournalPosted,
    JournalStep,
)
from services.journals import intercompany
from services.journals import manual as manual_journals


class JournalActivities:
    """Manual journal I/O on PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn(name="journals.persist")
    def persist(self, inp: JournalInput) -> None:
        """Store the keyed journal (once per number) and audit its submission."""
        with business_errors(), session_scope(self.engine) as s:
            manual_journals.persist(s, inp)

    @activity.defn(name="journals.post")
    def post(self, step: JournalStep) -> JournalPosted:
        """Post the approved journal to the ledger (a closed period refuses it for good)."""
        with business_errors(), session_scope(self.engine) as s:
            return manual_journals.post(s, step)

    @activity.defn(name="journals.reject")
    def reject(self, step: JournalStep) -> None:
        """Mark the journal rejected."""
        with business_errors(), session_scope(self.engine) as s:
            manual_journals.reject(s, step)

    @activity.defn(name="journals.reverse")
    def reverse(self, step: JournalStep) -> JournalPosted:
        """Post the reversal in the first open period from its date."""
        with business_errors(), session_scope(self.engine) as s:
            return manual_journals.reverse(s, step)

    @activity.defn(name="journals.post_intercompany")
    def post_intercompany(self, inp: IntercompanyInput) -> IntercompanyPosted:
        """Post both sides of an intercompany charge in one transaction (once each, by the reference)."""
        with business_errors(), session_scope(self.engine) as s:
            seller, buyer = intercompany.post_charge(s, intercompany.charge_of(inp))
        return IntercompanyPosted(reference=inp.reference, seller_entry_id=seller, buyer_entry_id=buyer)

    def all(self) -> list[Callable[..., Any]]:
        """Every activity method of this class."""
        return [self.persist, self.post, self.reject, self.reverse, self.post_intercompany]
