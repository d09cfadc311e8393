"""Master-data quality rules: what each check looks for, who owns the fix, and which problems are new."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rules.errors import RuleViolation
from rules.payment_terms import due_date


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A data-quality rule: the record type it inspects, the role that fixes it, and what it means."""

    name: str
    record_type: str
    owner_role: str
    description: str


RULES: dict[str, RuleSpec] = {
    r.name: r
    for r in (
        RuleSpec("item_without_cost", "item", "buyer", "no contract price valid today and no stock value"),
        RuleSpec("item_without_category", "item", "buyer", "the category is empty"),
        RuleSpec("supplier_without_terms", "supplier", "buyer", "payment terms missing or unreadable"),
        RuleSpec("supplier_without_lead_time", "supplier", "buyer", "lead time missing or not positive"),
        RuleSpec("price_without_validity", "supplier_price", "buyer", "the contract price has no end date"),
        RuleSpec("duplicate_supplier", "supplier", "buyer", "another supplier has the same tax id or name"),
        RuleSpec("customer_without_tax_region", "customer", "sales_ops", "no tax region"),
        RuleSpec("account_without_role", "account", "controller", "postings cannot find the account"),
    )
}

# Any date works: terms are only checked for being parseable.
_PROBE = date(2000, 1, 31)
# Legal-form words do not tell two suppliers apart ("Acme GmbH" and "ACME" are the same company).
_LEGAL_FORMS = frozenset(
    {"gmbh", "ag", "kg", "ltd", "limited", "inc", "llc", "plc", "sa", "sarl", "bv", "co"}
)


@dataclass(frozen=True, slots=True)
class SupplierRecord:
    """The supplier fields the checks read."""

    supplier_id: int
    code: str
    name: str
    tax_id: str | None
    payment_terms: str | None
    lead_time_days: int | None


def problem_key(entity_code: str, rule: str, record_id: str) -> str:
    """One problem per entity, rule and record: the same finding on the next day is not new."""
    if rule not in RULES:
        raise RuleViolation("rule", f"unknown data-quality rule {rule!r}")
    return f"dq:{entity_code}:{rule}:{record_id}"


def terms_problem(terms: str | None) -> str | None:
    """Why payment terms are unusable, or None when a due date can be worked out from them."""
    if terms is None or not terms.strip():
        return "no payment terms"
    try:
        due_date(_PROBE, terms)
    except RuleViolation as exc:
        return exc.reason
    return None


def lead_time_problem(days: int | None) -> str | None:
    """Why a lead time is unusable for expected dates and reorder points, or None."""
    if days is None:
        return "no lead time"
    if days <= 0:
        return f"lead time {days} days is not positive"
    return None


def normalized_name(name: str) -> str:
    """A supplier name reduced to what identifies the company: letters and digits, no legal form."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    words = [w for w in re.split(r"[^a-z0-9]+", plain) if w and w not in _LEGAL_FORMS]
    return " ".join(words)


def duplicate_suppliers(suppliers: Iterable[SupplierRecord]) -> dict[int, list[str]]:
    """Supplier id -> codes of the other suppliers sharing its tax id or normalized name."""
    groups: dict[str, set[int]] = {}
    by_id = {s.supplier_id: s for s in suppliers}
    for s in by_id.values():
        if s.tax_id and s.tax_id.strip():
            groups.setdefault("tax:" + s.tax_id.replace(" ", "").upper(), set()).add(s.supplier_id)
        name = normalized_name(s.name)
        if name:
            groups.setdefault("name:" + name, set()).add(s.supplier_id)
    twins: dict[int, set[int]] = {}
    for members in groups.values():
        if len(members) > 1:
            for m in members:
                twins.setdefault(m, set()).update(members - {m})
    return {sid: sorted(by_id[o].code for o in others) for sid, others in sorted(twins.items())}
