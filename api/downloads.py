"""Files the API hands out for people to open in a spreadsheet."""

import csv
import io
from collections.abc import Sequence
from typing import Any

from fastapi.responses import Response


def csv_download(rows: Sequence[dict[str, Any]], name: str) -> Response:
    """Rows as a CSV download `<name>.csv` (columns from the first row)."""
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
