"""Foresight: the 13-week cash forecast, the exception radar, master-data quality."""
