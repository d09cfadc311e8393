"""The `erp` command line: one module per command group."""
