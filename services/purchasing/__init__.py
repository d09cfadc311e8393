"""Procure-to-pay: purchase orders, receipts, supplier invoices and the supplier scorecard."""
