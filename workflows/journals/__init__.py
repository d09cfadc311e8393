"""Manual journals: keyed by a person, approved by another, posted and maybe reversed on a date."""
