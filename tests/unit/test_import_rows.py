"""A bulk import reads a spreadsheet's CSV export: blank cells fall back to the schema's defaults,
surplus cells are named so the row is refused, and an existing record is compared field by field."""

from decimal import Decimal

import pytest

from rules.errors import RuleViolation
from rules.import_rows import EXTRA_CELLS, csv_line, differing_fields, parse_csv


def test_a_csv_with_a_header_becomes_records_without_empty_cells() -> None:
    text = '\ufeffsku,name,list_price\nAPP-1,"Tee, navy",19.90\nAPP-2, Beanie ,\n'
    assert parse_csv(text) == [
        {"sku": "APP-1", "name": "Tee, navy", "list_price": "19.90"},
        {"sku": "APP-2", "name": "Beanie"},
    ]


def test_surplus_cells_are_kept_under_their_own_name_and_a_headless_file_has_no_rows() -> None:
    rows = parse_csv("sku,name\nAPP-1,Tee,oops\n")
    assert rows[0][EXTRA_CELLS] == ["oops"]
    assert parse_csv("") == []
    with pytest.raises(RuleViolation) as unnamed:
        parse_csv("sku,,name\nA,B,C\n")
    assert unnamed.value.field == "csv"


def test_a_broken_header_row_is_refused_naming_the_csv_not_a_server_error() -> None:
    """A header with a bare carriage return or an unclosed quote (the API fuzzer sent both) is bad input."""
    for text in ("sku\rname,price\n1,2\n", 'sku,"name\n'):
        with pytest.raises(RuleViolation) as broken:
            parse_csv(text)
        assert broken.value.field == "csv" and "header row" in broken.value.reason


def test_an_existing_record_differs_only_where_a_value_really_changes() -> None:
    existing = {"sku": "APP-1", "name": "Tee", "list_price": Decimal("19.9000"), "archived": False}
    assert differing_fields(existing, {"sku": "APP-1", "name": "Tee", "list_price": Decimal("19.90")}) == []
    assert differing_fields(existing, {"sku": "APP-1", "name": "Tee 2", "list_price": None}) == [
        "list_price",
        "name",
    ]
    assert csv_line(0) == 2
