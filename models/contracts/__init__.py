"""Pydantic contracts that cross the Temporal boundary (workflow, activity, update inputs/results)."""
