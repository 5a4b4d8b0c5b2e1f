"""Helpers the build tests share: a real Pelican build with the project's settings, its log,
and its pages parsed once each."""

from __future__ import annotations

import logging
from pathlib import Path

from bs4 import BeautifulSoup
from pelican import Pelican
from pelican.settings import read_settings

SETTINGS = Path(__file__).resolve().parents[1] / "pelicanconf.py"


class LogRecords(logging.Handler):
    """Keeps every log record at `level` or above, for tests to read after a build."""

    def __init__(self, level: int = logging.WARNING):
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def run_pelican(content: Path, output: Path, level: int = logging.WARNING, **overrides) -> list[logging.LogRecord]:
    """Build `content` into `output` with pelicanconf.py (and `overrides`); the records logged."""
    settings = read_settings(str(SETTINGS), override={"PATH": str(content), "OUTPUT_PATH": str(output), **overrides})
    handler = LogRecords(level)
    logging.getLogger().addHandler(handler)
    try:
        Pelican(settings=settings).run()
    finally:
        logging.getLogger().removeHandler(handler)
    return handler.records


def write_stories(root: Path, stories: dict[str, str]) -> Path:
    """A content folder under `root` holding `stories` (file name → text)."""
    content = root / "content"
    content.mkdir()
    for name, body in stories.items():
        (content / name).write_text(body, encoding="utf-8")
    return content


class BuiltPages:
    """A built site's output folder, its pages, each parsed once."""

    def __init__(self, output: Path):
        self.output = output
        self._soups: dict[Path, BeautifulSoup] = {}

    def pages(self) -> list[Path]:
        return sorted(self.output.rglob("*.html"))

    def soup(self, path: Path | str) -> BeautifulSoup:
        path = self.output / path if isinstance(path, str) else path
        if path not in self._soups:
            self._soups[path] = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        return self._soups[path]
