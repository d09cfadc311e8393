"""Local dates for the close; imported passed-through because reading a zone's rules is file I/O."""

from datetime import date, datetime
from zoneinfo import ZoneInfo


def local_date(moment: datetime, zone: str) -> date:
    """The calendar date of an instant in a time zone (e.g. the schedule's fire time in Berlin)."""
    return moment.astimezone(ZoneInfo(zone)).date()
