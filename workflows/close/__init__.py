"""Record-to-report: the month-end close workflow."""
