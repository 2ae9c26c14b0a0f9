"""Logs as JSON lines on standard error: one per request, and one per application error."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime


class JSONLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, UTC)
                .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "level": record.levelname.lower(), "logger": record.name,
                "message": record.getMessage()}
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: str) -> None:
    """Give the 'dateline' loggers one JSON handler (once per process)."""
    logger = logging.getLogger("dateline")
    logger.setLevel(level)
    if not any(isinstance(handler.formatter, JSONLines) for handler in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JSONLines())
        logger.addHandler(handler)
        logger.propagate = False
