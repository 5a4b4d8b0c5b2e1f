"""Parse and render every story once, on all cores, before Pelican reads them one by one.

Pelican reads files in one process; parsing and typography are most of a build's time. When
the article generator starts, `prepare_all` runs `prepare_story` for every `.txt` file in a
process pool; the reader then takes each prepared result (checked against the file's size and
modification time) instead of parsing again. The result is the same either way: the reader
calls the same `prepare_story` itself for any file that was not prepared.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from . import render
from .decode import read_text
from .parse import parse_story
from .story import Story, StoryError

#: Below this many stories a pool costs more than it saves.
PARALLEL_MIN_STORIES_DEFAULT = 64


@dataclass(frozen=True)
class Prepared:
    """A story file parsed and its body rendered, or the error that stops it."""

    stamp: tuple[int, int]  # (size, mtime_ns) of the file when it was read
    story: Story | None = None
    body_html: str = ""
    decode_warnings: tuple[str, ...] = ()
    error: StoryError | None = None


_PREPARED: dict[str, Prepared] = {}


def _stamp(path: str) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


def prepare_story(path: str, display: str, parser_settings: dict | None) -> Prepared:
    """Read, parse and render one story file."""
    stamp = _stamp(path)
    try:
        text, decode_warnings = read_text(path, display)
        story = parse_story(text, path=display, settings=parser_settings)
    except StoryError as error:
        return Prepared(stamp, error=error)
    return Prepared(stamp, story, render.render_body(story), tuple(decode_warnings))


def take_prepared(path: str, display: str, parser_settings: dict | None) -> Prepared:
    """The prepared result for `path` if the file is unchanged since, else a fresh one."""
    prepared = _PREPARED.pop(os.path.abspath(path), None)
    if prepared is not None and prepared.stamp == _stamp(path):
        return prepared
    return prepare_story(path, display, parser_settings)


def prepare_all(generator) -> None:
    """Prepare every story of the article generator in a process pool (one worker per core)."""
    _PREPARED.clear()
    settings = generator.settings
    files = sorted(
        generator.get_files(settings["ARTICLE_PATHS"], exclude=settings["ARTICLE_EXCLUDES"], extensions=("txt", "TXT"))
    )
    minimum = settings.get("BROADSHEET_PARALLEL_MIN_STORIES", PARALLEL_MIN_STORIES_DEFAULT)
    workers = os.cpu_count() or 1
    if len(files) < minimum or workers < 2:
        return
    paths = [os.path.abspath(os.path.join(generator.path, name)) for name in files]
    displays = [os.path.relpath(path, settings.get("PATH", ".")) for path in paths]
    parser_settings = [settings.get("BROADSHEET_PARSER", {})] * len(paths)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = pool.map(prepare_story, paths, displays, parser_settings, chunksize=16)
        _PREPARED.update(zip(paths, results))
