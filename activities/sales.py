"""Activities of order-to-fulfill: one transaction each, idempotent through order/shipment/payment keys."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from erp.db import session_scope
from models.contracts.errors import INVALID
from models.contracts.sales import (
    AllocateRequest,
    AllocateResult,
    BackorderRequest,
    BackorderResult,
    LineUpdate,
    OrderInput,
    PaymentCall,
    PaymentDone,
    PricedLine,
    SettlementInput,
    SettlementLineResult,
    SettlementMatch,
    SettlementResult,
    ShipRequest,
    ShipResult,
    StageUpdate,
    StockLoss,
    SubstituteRequest,
)
from rules.errors import RuleViolation
from services.sales import allocation as sales_allocation
from services.sales import orders as sales_orders
from services.sales import settlements
from services.sales import shipping as sales_shipping
from services.sales.payments import ChannelPaymentPort, PaymentPort


def _invalid(exc: RuleViolation) -> ApplicationError:
    """A person's input the data refuses: not worth retrying; the workflow turns it into a 422."""
    return ApplicationError(f"{exc.field}: {exc.reason}", type=INVALID, non_retryable=True)


class SalesActivities:
    """Order persistence, allocation, shipment, payments (through the port) and settlements."""

    def __init__(self, engine: Engine, port: PaymentPort | None = None) -> None:
        self.engine = engine
        self.port: PaymentPort = port or ChannelPaymentPort()

    @activity.defn(name="sales.persist_order")
    def persist_order(self, order: OrderInput) -> int:
        """Write the order and its lines (once per order number)."""
        with session_scope(self.engine) as s:
            return sales_orders.persist_order(s, order)

    @activity.defn(name="sales.set_stage")
    def set_stage(self, upd: StageUpdate) -> None:
        """Record the order's stage."""
        with session_scope(self.engine) as s:
            sales_orders.set_stage(s, upd)

    @activity.defn(name="sales.update_line")
    def update_line(self, upd: LineUpdate) -> None:
        """Record a line's progress."""
        with session_scope(self.engine) as s:
            sales_orders.update_line(s, upd)

    @activity.defn(name="sales.allocate")
    def allocate(self, req: AllocateRequest) -> AllocateResult:
        """Allocate and reserve (once per round key)."""
        with session_scope(self.engine) as s:
            return sales_allocation.allocate(s, req)

    @activity.defn(name="sales.release")
    def release(self, keys: list[str]) -> Decimal:
        """Release reservations."""
        with session_scope(self.engine) as s:
            return sales_allocation.release(s, keys)

    @activity.defn(name="sales.backorder")
    def backorder(self, req: BackorderRequest) -> BackorderResult:
        """Record a backorder and its promised date."""
        with session_scope(self.engine) as s:
            return sales_orders.backorder(s, req)

    @activity.defn(name="sales.ship")
    def ship(self, req: ShipRequest) -> ShipResult:
        """Stock out and revenue posting of one shipment (a tracking number the carrier refuses: not retried)."""
        try:
            with session_scope(self.engine) as s:
                return sales_shipping.ship(s, req)
        except RuleViolation as exc:
            raise _invalid(exc) from exc

    @activity.defn(name="sales.write_off_loss")
    def write_off_loss(self, loss: StockLoss) -> Decimal:
        """Book units found missing or damaged while picking."""
        with session_scope(self.engine) as s:
            return sales_shipping.write_off_loss(s, loss)

    @activity.defn(name="sales.substitute")
    def substitute(self, req: SubstituteRequest) -> PricedLine:
        """Add a substitute line."""
        try:
            with session_scope(self.engine) as s:
                return sales_shipping.substitute(s, req)
        except RuleViolation as exc:
            raise _invalid(exc) from exc

    @activity.defn(name="payments.authorise")
    def authorise(self, call: PaymentCall) -> PaymentDone:
        """Authorise through the payment port."""
        with session_scope(self.engine) as s:
            return self.port.authorise(s, call)

    @activity.defn(name="payments.capture")
    def capture(self, call: PaymentCall) -> PaymentDone:
        """Capture through the payment port."""
        with session_scope(self.engine) as s:
            return self.port.capture(s, call)

    @activity.defn(name="payments.void")
    def void(self, call: PaymentCall) -> PaymentDone:
        """Void through the payment port."""
        with session_scope(self.engine) as s:
            return self.port.void(s, call)

    @activity.defn(name="payments.refund")
    def refund(self, call: PaymentCall) -> PaymentDone:
        """Refund through the payment port."""
        with session_scope(self.engine) as s:
            return self.port.refund(s, call)

    @activity.defn(name="sales.settle")
    def settle(self, report: SettlementInput) -> SettlementResult:
        """Match and post a marketplace payout report."""
        with session_scope(self.engine) as s:
            settlement_id, lines, duplicate = settlements.settle(s, report)
            return SettlementResult(settlement_id=settlement_id, lines=lines, duplicate_of=duplicate)

    @activity.defn(name="sales.match_settlement_line")
    def match_settlement_line(self, req: SettlementMatch) -> SettlementLineResult:
        """Post a line a person matched."""
        try:
            with session_scope(self.engine) as s:
                return settlements.match(s, req)
        except RuleViolation as exc:
            raise _invalid(exc) from exc

    @activity.defn(name="sales.dismiss_settlement_line")
    def dismiss_settlement_line(self, req: SettlementMatch) -> None:
        """Leave a line unposted."""
        with session_scope(self.engine) as s:
            settlements.dismiss(s, req.settlement_id, req.line_no)

    def all(self) -> list[Callable[..., Any]]:
        """Every activity method, for the registry."""
        return [
            self.persist_order,
            self.set_stage,
            self.update_line,
            self.allocate,
            self.release,
            self.backorder,
            self.ship,
            self.write_off_loss,
            self.substitute,
            self.authorise,
            self.capture,
            self.void,
            self.refund,
            self.settle,
            self.match_settlement_line,
            self.dismiss_settlement_line,
        ]
