"""Foresight: the scheduled master-data quality check."""
