"""Procure-to-pay scenarios: real PostgreSQL, real Temporal, the real API."""
