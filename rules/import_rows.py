"""Rows of a bulk import: CSV text into records, and what an existing record would have to change."""

import csv
import io
from collections.abc import Mapping
from typing import Any

from rules.errors import RuleViolation

# Cells beyond the header's columns land here, so the row's schema refuses them by name.
EXTRA_CELLS = "extra_cells"


def parse_csv(text: str) -> list[dict[str, Any]]:
    """Records of a CSV with a header row; empty cells are left out so the schema's defaults apply."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), restkey=EXTRA_CELLS, strict=True)
    try:
        # The header row is read here, and a broken one raises like any other row.
        header = reader.fieldnames
    except csv.Error as exc:
        raise RuleViolation("csv", f"the header row: {exc}") from exc
    if header is None:
        return []
    if any(not (name or "").strip() for name in header):
        raise RuleViolation("csv", "every column of the header row needs a name")
    rows: list[dict[str, Any]] = []
    try:
        for raw in reader:
            row: dict[str, Any] = {}
            for key, value in raw.items():
                if key == EXTRA_CELLS:
                    row[key] = value
                elif value is not None and value.strip() != "":
                    row[key.strip()] = value.strip()
            rows.append(row)
    except csv.Error as exc:
        raise RuleViolation("csv", f"line {reader.line_num}: {exc}") from exc
    return rows


def differing_fields(existing: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    """The fields whose wanted value differs from the existing record's (Decimal 1 equals 1.00)."""
    return sorted(field for field, value in wanted.items() if existing.get(field) != value)


def csv_line(index: int) -> int:
    """The line of a CSV file that holds data row `index` (0-based; line 1 is the header)."""
    return index + 2
