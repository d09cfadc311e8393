"""Returns: intake, policy, receipt, goods disposition, refunds and exchanges."""
