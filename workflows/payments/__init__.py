"""Supplier payment runs."""
