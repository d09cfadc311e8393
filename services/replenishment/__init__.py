"""Replenishment: plans, budgets, rebalancing, transfers and cycle counts."""
