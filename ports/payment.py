"""The payment port: defined with the order flow in services.sales.payments (built-in: ledger clearing).

Re-exported here so every port is found in one place; the order-to-fulfill stream owns the code.
"""

from services.sales.payments import ChannelPaymentPort, LedgerPaymentPort, PaymentPort, SandboxPaymentPort

__all__ = ["ChannelPaymentPort", "LedgerPaymentPort", "PaymentPort", "SandboxPaymentPort"]
