"""Activities of payment runs: each one transaction, idempotent through business keys."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from temporalio import activity

from activities.purchasing import business_errors
from erp.db import session_scope
from models.contracts.payments import (
    ChargebackInput,
    ChargebackRecorded,
    CloseRun,
    FailedRefundDecision,
    FailedRefundOutcome,
    PaidRun,
    PaymentRunInput,
    PayoutImported,
    PayoutInput,
    PayRun,
    ResolveLine,
    ResolvePayoutLine,
    RunProposal,
    SettleChargeback,
    StatementImported,
    StatementInput,
)
from services.payments import bank_statements, chargebacks, failed_refunds, psp_payouts, run_payments
from services.payments import runs as payment_runs
from services.sales.payments import ChannelPaymentPort, PaymentPort


class PaymentActivities:
    """Payment-run I/O on PostgreSQL (and refunds decided again through the payment port)."""

    def __init__(self, engine: Engine, port: PaymentPort | None = None) -> None:
        self.engine = engine
        self.port: PaymentPort = port or ChannelPaymentPort()

    @activity.defn(name="payments.propose")
    def propose(self, run: PaymentRunInput) -> RunProposal:
        """Claim the invoices due by the run date (a retry returns the same proposal)."""
        with business_errors(), session_scope(self.engine) as s:
            return payment_runs.propose(s, run)

    @activity.defn(name="payments.pay")
    def pay(self, req: PayRun) -> PaidRun:
        """Post the approved run's payments and stamp it paid (once)."""
        with business_errors(), session_scope(self.engine) as s:
            return run_payments.pay(s, req)

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

    @activity.defn(name="payments.import_payout")
    def import_payout(self, inp: PayoutInput) -> PayoutImported:
        """Store a PSP payout and post its matching lines (once per channel and payout id)."""
        with business_errors(), session_scope(self.engine) as s:
            return psp_payouts.import_payout(s, inp)

    @activity.defn(name="payments.resolve_payout_line")
    def resolve_payout_line(self, req: ResolvePayoutLine) -> None:
        """Accept or dismiss a payout line as a person decided (once)."""
        with session_scope(self.engine) as s:
            psp_payouts.resolve_line(s, req)

    @activity.defn(name="payments.decide_failed_refund")
    def decide_failed_refund(self, req: FailedRefundDecision) -> FailedRefundOutcome:
        """Retry a refused refund, or settle the credit by bank transfer or write-off (once per attempt)."""
        with business_errors(), session_scope(self.engine) as s:
            return failed_refunds.decide(s, req, self.port)

    @activity.defn(name="payments.record_chargeback")
    def record_chargeback(self, inp: ChargebackInput) -> ChargebackRecorded:
        """Store a chargeback and post it into dispute clearing (once per channel and chargeback id)."""
        with business_errors(), session_scope(self.engine) as s:
            return chargebacks.record(s, inp)

    @activity.defn(name="payments.settle_chargeback")
    def settle_chargeback(self, req: SettleChargeback) -> None:
        """Accept, contest, win or lose a chargeback as a person decided (once)."""
        with business_errors(), session_scope(self.engine) as s:
            chargebacks.settle(s, req)

    def all(self) -> list[Callable[..., Any]]:
        """Every activity method of this class, for the worker."""
        return [
            self.propose,
            self.pay,
            self.close,
            self.import_statement,
            self.resolve_line,
            self.import_payout,
            self.resolve_payout_line,
            self.decide_failed_refund,
            self.record_chargeback,
            self.settle_chargeback,
        ]
