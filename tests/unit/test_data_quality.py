"""Master-data quality rules: terms, lead times, duplicate suppliers, problem keys, new versus fixed."""

import pytest

from rules.data_quality import (
    RULES,
    SupplierRecord,
    duplicate_suppliers,
    lead_time_problem,
    normalized_name,
    problem_key,
    terms_problem,
)
from rules.errors import RuleViolation


def _s(sid: int, name: str, tax_id: str | None = None) -> SupplierRecord:
    return SupplierRecord(sid, f"S{sid}", name, tax_id, "NET30", 7)


def test_every_rule_has_an_owner_role() -> None:
    assert {r.owner_role for r in RULES.values()} == {"buyer", "sales_ops", "controller"}
    assert RULES["account_without_role"].owner_role == "controller"


def test_terms_and_lead_times() -> None:
    assert terms_problem("NET30") is None and terms_problem("eom 10") is None
    assert terms_problem(None) == "no payment terms" and terms_problem("  ") == "no payment terms"
    assert "unknown payment terms" in (terms_problem("NEXT WEEK") or "")
    assert lead_time_problem(7) is None
    assert lead_time_problem(None) == "no lead time"
    assert lead_time_problem(0) == "lead time 0 days is not positive"


def test_duplicates_share_a_tax_id_or_a_name_up_to_legal_form_and_accents() -> None:
    assert normalized_name("Müller Textil GmbH") == normalized_name("MULLER-TEXTIL")
    found = duplicate_suppliers(
        [
            _s(1, "Müller Textil GmbH"),
            _s(2, "Muller Textil"),
            _s(3, "Other", "DE 123"),
            _s(4, "Else", "de123"),
        ]
    )
    assert found == {1: ["S2"], 2: ["S1"], 3: ["S4"], 4: ["S3"]}
    assert duplicate_suppliers([_s(1, "A"), _s(2, "B")]) == {}


def test_problem_keys_name_entity_rule_and_record() -> None:
    assert problem_key("EU01", "duplicate_supplier", "7") == "dq:EU01:duplicate_supplier:7"
    with pytest.raises(RuleViolation):
        problem_key("EU01", "nonsense", "7")
