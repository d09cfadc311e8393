"""Operations: reconciling the database with Temporal and finding stuck work."""
