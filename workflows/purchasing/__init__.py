"""Procure-to-pay: one workflow per purchase order, from requisition to payment."""
