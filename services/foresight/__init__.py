"""Foresight: cash forecast, risk radar and data-quality checks."""
