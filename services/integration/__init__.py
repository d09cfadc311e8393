"""Integration: outbound webhooks, their targets and their scope."""
