"""Manual journals and intercompany charges."""
