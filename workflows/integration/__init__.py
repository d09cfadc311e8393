"""Outbound integration: the outbox dispatcher and one delivery workflow per (subscription, event)."""
