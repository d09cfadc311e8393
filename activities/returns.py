"""Activities of the returns value stream: one transaction each, idempotent through RMA and part keys."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from erp.db import session_scope
from models.contracts.errors import INVALID
from models.contracts.returns import (
    ExchangeRequest,
    GoodsReceipt,
    PersistResult,
    ReceiptResult,
    RefundRequest,
    RefundResult,
    ReturnInput,
    SpikeCheck,
    StageUpdate,
)
from models.contracts.sales import OrderInput
from rules.errors import RuleViolation
from services.returns import exchange as returns_exchange
from services.returns import goods as returns_goods
from services.returns import rates as returns_rates
from services.returns import refund as returns_refund
from services.returns import store as returns_store
from services.sales.payments import ChannelPaymentPort, PaymentPort


def _invalid(exc: RuleViolation) -> ApplicationError:
    """Data the rules refuse: retrying will not help; the workflow records the reason."""
    return ApplicationError(f"{exc.field}: {exc.reason}", type=INVALID, non_retryable=True)


class ReturnsActivities:
    """RMA persistence, goods in by disposition, refunds (through the payment port), exchanges, spike alerts."""

    def __init__(self, engine: Engine, port: PaymentPort | None = None) -> None:
        self.engine = engine
        self.port: PaymentPort = port or ChannelPaymentPort()

    @activity.defn(name="returns.persist")
    def persist(self, rma: ReturnInput) -> PersistResult:
        """Record the RMA and its lines (once per RMA number)."""
        with session_scope(self.engine) as s:
            return returns_store.persist(s, rma)

    @activity.defn(name="returns.set_stage")
    def set_stage(self, upd: StageUpdate) -> None:
        """Record the RMA's stage."""
        with session_scope(self.engine) as s:
            returns_store.set_stage(s, upd)

    @activity.defn(name="returns.receive")
    def receive(self, req: GoodsReceipt) -> ReceiptResult:
        """Book received goods by disposition (stock moves, postings, debit notes)."""
        try:
            with session_scope(self.engine) as s:
                return returns_goods.receive(s, req)
        except RuleViolation as exc:
            raise _invalid(exc) from exc

    @activity.defn(name="returns.refund")
    def refund(self, req: RefundRequest) -> RefundResult:
        """Credit note and money back (once per RMA)."""
        try:
            with session_scope(self.engine) as s:
                return returns_refund.refund(s, req, self.port)
        except RuleViolation as exc:
            raise _invalid(exc) from exc

    @activity.defn(name="returns.check_spike")
    def check_spike(self, req: SpikeCheck) -> list[str]:
        """Raise return-rate alerts for the RMA's SKUs; returns the SKUs alerted."""
        with session_scope(self.engine) as s:
            return returns_rates.check_spike(s, req)

    @activity.defn(name="returns.replacement_order")
    def replacement_order(self, req: ExchangeRequest) -> OrderInput:
        """Price the exchange's replacement order and link it to the RMA."""
        try:
            with session_scope(self.engine) as s:
                return returns_exchange.replacement_order(s, req)
        except RuleViolation as exc:
            raise _invalid(exc) from exc

    def all(self) -> list[Callable[..., Any]]:
        """Every activity method, for the registry."""
        return [
            self.persist,
            self.set_stage,
            self.receive,
            self.refund,
            self.check_spike,
            self.replacement_order,
        ]
