"""Response models of transfer orders and cycle counts."""

from pydantic import Field

from api.schemas.base import Reply, record_model, reply_examples
from models.replenishment import CycleCount, CycleCountLine, TransferOrder, TransferOrderLine


class DocumentStarted(Reply):
    """A document whose workflow started (201), or whose start is stored (202, with the same names)."""

    model_config = reply_examples({"number": "000042", "workflow_id": "TO-000042", "status": "draft"})

    number: str
    workflow_id: str
    status: str = Field(description="the document's first status (draft, open)")


TransferLineView = record_model(
    TransferOrderLine, "TransferLineView", only=("line_no", "item_id", "qty", "unit_cost", "value")
)
TransferView = record_model(TransferOrder, "TransferView", lines=(list[TransferLineView], ...))  # type: ignore[valid-type]
CountLineView = record_model(
    CycleCountLine, "CountLineView", only=("item_id", "system_qty", "counted_qty", "difference", "value")
)
CountView = record_model(CycleCount, "CountView", lines=(list[CountLineView], ...))  # type: ignore[valid-type]
