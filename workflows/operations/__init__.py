"""Operations: keeping Temporal and PostgreSQL in agreement (the reconciliation)."""
