"""Which multi-entity records a caller may see or change: only those whose entities are all theirs."""

from collections.abc import Collection

from rules.errors import RuleViolation


def covers(mine: Collection[int], entity_ids: Collection[int], every_entity: Collection[int]) -> bool:
    """True when every entity of the record is one of the caller's.

    An empty list (older subscriptions) means every entity, so only a caller of every entity sees it."""
    wanted = set(entity_ids) or set(every_entity)
    return bool(wanted) and wanted <= set(mine)


def check_entity_list(mine: Collection[int], entity_ids: Collection[int], field: str = "entity_ids") -> None:
    """Refuse an empty list (it would mean every entity) and any entity the caller does not belong to."""
    if not entity_ids:
        raise RuleViolation(field, "name at least one entity: an empty list would mean every entity")
    outside = sorted(set(entity_ids) - set(mine))
    if outside:
        raise RuleViolation(field, f"entities {outside} are not among yours")
