"""The one place where the tools meet the story parser: read a file, parse it, list files.

Only the parser's public API is used: `news_reader.decode.read_text`,
`news_reader.parse.parse_story` and the `Story` value with its documented fields.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = ROOT / "plugins"

if str(PLUGINS) not in sys.path:
    sys.path.insert(0, str(PLUGINS))

from news_reader.decode import read_text  # noqa: E402
from news_reader.parse import parse_story  # noqa: E402
from news_reader.story import Story, StoryError  # noqa: E402

__all__ = ["ROOT", "Story", "StoryError", "display_path", "find_story_files", "load_story"]


def display_path(path: str | os.PathLike) -> str:
    """The path as a curator would type it: relative to the working folder when inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def find_story_files(path: str | os.PathLike) -> list[Path]:
    """A file as given, or every `*.txt` (or `*.TXT`) under a folder, recursively, sorted by path."""
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".txt", ".TXT") and p.is_file())
    if path.exists():
        return [path]
    raise FileNotFoundError(f"{path}: no such file or folder")


def load_story(filename: str | os.PathLike, display: str, settings: dict | None = None) -> tuple[Story, list[str]]:
    """Read and parse one story file: (story, warnings from decoding and parsing).

    Raises StoryError for a file the parser refuses (its message reads "path:line: reason");
    an unexpected exception inside the parser is turned into a StoryError naming the file,
    so one bad file never stops a run over a folder.
    """
    try:
        text, decode_warnings = read_text(str(filename), display)
    except OSError as error:
        raise StoryError(display, None, f"cannot read the file: {error.strerror or error}") from error
    try:
        story = parse_story(text, path=display, settings=dict(settings or {}))
    except StoryError:
        raise
    except Exception as error:  # a parser bug: report it against the file, keep going
        raise StoryError(display, None, f"parser crashed: {error.__class__.__name__}: {error}") from error
    return story, [*decode_warnings, *story.warnings]
