"""Record-to-report: close runs, close postings, reconciliations and financial reports."""
