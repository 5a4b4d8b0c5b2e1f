"""Helpers the build tests share."""

from __future__ import annotations

import logging


class LogRecords(logging.Handler):
    """Keeps every log record at `level` or above, for tests to read after a build."""

    def __init__(self, level: int = logging.WARNING):
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)
