"""Logs as JSON lines on standard error: one per request, and one per application error."""

from __future__ import annotations

import collections
import json
import logging
import os
import sys
import threading
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


class BatchedLines(logging.Handler):
    """Formats each record where it is logged, and writes the lines to standard error in
    batches from a background thread, every FLUSH_SECONDS: under sixteen clients, threads
    queueing on a stream handler's lock for one write per request took a fifth of a
    worker's time. Warnings and worse are written at once; whatever is queued is written
    when the process exits (logging.shutdown flushes every handler)."""

    FLUSH_SECONDS = 0.1

    def __init__(self):
        super().__init__()
        self._lines: collections.deque[str] = collections.deque()
        self.stream = sys.stderr
        self._start()
        # A forked worker has no copy of the thread, and may have copied a held lock.
        os.register_at_fork(after_in_child=self._start)

    def _start(self) -> None:
        self._writing = threading.Lock()
        threading.Thread(target=self._flush_forever, name="dateline-log", daemon=True).start()

    def handle(self, record: logging.LogRecord) -> bool:
        # No handler lock: a deque's append is atomic, and flush() has its own.
        if not self.filter(record):
            return False
        self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._lines.append(self.format(record))
        except Exception:
            self.handleError(record)
            return
        if record.levelno >= logging.WARNING:
            self.flush()

    def flush(self) -> None:
        with self._writing:
            lines = []
            while self._lines:
                lines.append(self._lines.popleft())
            if lines:
                self.stream.write("\n".join(lines) + "\n")
                self.stream.flush()

    def _flush_forever(self) -> None:
        wake = threading.Event()
        while not wake.wait(self.FLUSH_SECONDS):
            try:
                self.flush()
            except Exception:  # noqa: S112 - a closed stderr must not end the thread
                continue


def configure_logging(level: str) -> None:
    """Give the 'dateline' loggers one JSON handler (once per process)."""
    logger = logging.getLogger("dateline")
    logger.setLevel(level)
    if not any(isinstance(handler.formatter, JSONLines) for handler in logger.handlers):
        handler = BatchedLines()
        handler.setFormatter(JSONLines())
        logger.addHandler(handler)
        logger.propagate = False
