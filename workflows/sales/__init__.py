"""Order-to-fulfill workflows: one per sales order, one per marketplace payout report."""
