"""Activities of payment runs: each one transaction, idempotent through business keys."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from temporalio import activity

from activities.purchasing import business_errors
from erp.db import session_scope
from models.contracts.payments import (
    CloseRun,
    PaidRun,
    PaymentRunInput,
    PayRun,
    ResolveLine,
    RunProposal,
    StatementImported,
    StatementInput,
)
from services import bank_statements, payment_runs


class PaymentActivities:
    """Payment-run I/O on PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn(name="payments.propose")
    def propose(self, run: PaymentRunInput) -> RunProposal:
        """Claim the invoices due by the run date (a retry returns the same proposal)."""
        with business_errors(), session_scope(self.engine) as s:
            return payment_runs.propose(s, run)

    @activity.defn(name="payments.pay")
    def pay(self, req: PayRun) -> PaidRun:
        """Post the approved run's payments and stamp it paid (once)."""
        with business_errors(), session_scope(self.engine) as s:
            return payment_runs.pay(s, req)

    @activity.defn(name="payments.close")
    def close(self, req: CloseRun) -> None:
        """End a rejected or empty run."""
        with session_scope(self.engine) as s:
            payment_runs.close(s, req)

    @activity.defn(name="payments.import_statement")
    def import_statement(self, inp: StatementInput) -> StatementImported:
        """Store, match and post a bank statement (once per entity and statement id)."""
        with business_errors(), session_scope(self.engine) as s:
            return bank_statements.import_statement(s, inp)

    @activity.defn(name="payments.resolve_line")
    def resolve_line(self, req: ResolveLine) -> None:
        """Book an unmatched statement line as a person decided (once)."""
        with session_scope(self.engine) as s:
            bank_statements.resolve_line(s, req)

    def all(self) -> list[Callable[..., Any]]:
        """Every activity method of this class, for the worker."""
        return [self.propose, self.pay, self.close, self.import_statement, self.resolve_line]
