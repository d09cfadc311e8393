"""Demo and simulation: seed data, a year of history, default policy and the business simulator."""
