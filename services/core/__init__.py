"""The shared core every value stream uses: the ledger, open items, stock, tasks, access, commands and events."""
