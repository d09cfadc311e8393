"""Record-to-report: month-end close, statements and reports."""
