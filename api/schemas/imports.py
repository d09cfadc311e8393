"""Bulk import bodies: rows as JSON or a CSV text, the mode, and the opening-stock row."""

from datetime import date
from typing import Any, Literal

from pydantic import Field, model_validator

from api.schemas.base import Body, examples
from models.contracts.bounds import Code, EventDate, Quantity, Serial, Sku, UnitCost

MAX_IMPORT_ROWS = 10_000
# 10,000 rows of a few hundred characters each.
MAX_CSV_CHARS = 5_000_000
ImportKind = Literal["items", "suppliers", "customers", "opening-stock"]


class ImportRequest(Body):
    """One file's rows: `rows` (JSON objects) or `csv` (the text of a CSV file with a header row).

    mode `all_or_nothing` (the default) writes nothing when any row is refused; `valid_rows` writes the
    rows that pass and reports the others. Rows whose key (SKU, code, SKU + location) exists with the same
    values are `unchanged`, so importing a file again changes nothing."""

    model_config = examples(
        {
            "mode": "all_or_nothing",
            "rows": [
                {"sku": "APP-0901", "name": "Merino crew neck, navy, M", "category": "apparel"},
                {"sku": "APP-0902", "name": "Merino crew neck, navy, L", "category": "apparel"},
            ],
        },
        {"mode": "valid_rows", "csv": "code,name,currency\nCUST-0901,Jana Keller,EUR\n"},
    )

    mode: Literal["all_or_nothing", "valid_rows"] = "all_or_nothing"
    rows: list[dict[str, Any]] | None = Field(default=None, min_length=1, max_length=MAX_IMPORT_ROWS)
    csv: str | None = Field(default=None, min_length=1, max_length=MAX_CSV_CHARS)

    @model_validator(mode="after")
    def _one_source(self) -> "ImportRequest":
        if (self.rows is None) == (self.csv is None):
            raise ValueError("send either rows (JSON objects) or csv (a CSV text), not both or neither")
        return self


class OpeningStockRow(Body):
    """An opening balance of an item at a location: Dr inventory, Cr opening-balance equity."""

    model_config = examples(
        {"sku": "APP-0901", "location_code": "WH-CENTRAL", "qty": "120", "unit_cost": "18.40"}
    )

    sku: Sku
    location_code: Code
    qty: Quantity
    unit_cost: UnitCost
    posting_date: EventDate | None = Field(default=None, description="default: today")
    lot: Serial | None = Field(default=None, description="required for lot-tracked items")

    def day(self) -> date:
        """The posting date, today when none was given."""
        return self.posting_date or date.today()


class ImportRowResult(Body):
    """One row's outcome: created, unchanged, refused (with the field at fault and why), or not_written
    (valid, but the all_or_nothing import was refused as a whole)."""

    row: int = Field(description="1-based position among the data rows")
    line: int | None = Field(default=None, description="the CSV file's line (the header is line 1)")
    key: str | None = None
    status: Literal["created", "unchanged", "refused", "not_written"]
    id: int | str | None = None
    field: str | None = None
    reason: str | None = None


class ImportReport(Body):
    """What an import did: counts, whether anything was written, and every row's outcome."""

    kind: ImportKind
    mode: Literal["all_or_nothing", "valid_rows"]
    committed: bool
    created: int
    unchanged: int
    refused: int
    rows: list[ImportRowResult]
