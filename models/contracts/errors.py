"""ApplicationError types a workflow raises to refuse a message; the API maps them to HTTP codes."""

FORBIDDEN = "Forbidden"  # wrong actor, segregation of duties, over limit -> 403
CONFLICT = "Conflict"  # decided task, stale revision, wrong stage -> 409
INVALID = "Invalid"  # a field's value is wrong for this document -> 422
# An activity met data it cannot store or convert (constraint, overflow, bad value): retrying will not help.
DATA = "DataError"

HTTP_STATUS = {FORBIDDEN: 403, CONFLICT: 409, INVALID: 422}
