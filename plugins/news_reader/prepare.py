"""Parse and render every story once, on all cores, before Pelican reads them one by one.

Pelican reads files in one process; parsing and typography are most of a build's time. When
the article generator starts, `prepare_all` runs `prepare_story` for every `.txt` file in a
process pool; the reader then takes each prepared result (checked against the file's size and
modification time) instead of parsing again. The result is the same either way: the reader
calls the same `prepare_story` itself for any file that was not prepared.

With `BROADSHEET_CACHE_PATH` set (see cache.py), prepared results are also kept on disk, keyed
by the file's bytes and a fingerprint of the reader's code and settings: a rebuild parses only
the stories that are new or changed (in the pool when there are many, here when few), and
entries of stories that are gone are removed.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from . import render
from .cache import ParseCache, content_hash, fingerprint, open_memos
from .decode import decode_bytes
from .parse import parse_story
from .story import Story, StoryError
from .tagging import FoundTags, Tagging

logger = logging.getLogger(__name__)

#: Below this many stories a pool costs more than it saves.
PARALLEL_MIN_STORIES_DEFAULT = 64


@dataclass(frozen=True)
class Prepared:
    """A story file parsed and its body rendered, or the error that stops it."""

    stamp: tuple[int, int]  # (size, mtime_ns) of the file when it was read
    story: Story | None = None  # without its blocks: the body is `body_html`
    body_html: str = ""
    decode_warnings: tuple[str, ...] = ()
    error: StoryError | None = None
    typeset: dict = field(default_factory=dict)  # the metadata's text with typography (see `typeset`)
    found_tags: FoundTags | None = None  # names found in the text (entities.py), with what they excluded


_PREPARED: dict[str, Prepared] = {}


def _stamp(path: str) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


def typeset(story: Story) -> dict:
    """The story's metadata text with typography, as the reader hands it to Pelican: the costly
    part of the metadata, computed once with the parse (and cached with it)."""
    header = story.header
    pieces = {
        "title": render.plain(story.title),
        "title_html": render.headline_html(story.title),
        "bullets": [render.rich(b) for b in story.bullets],
        "summary": render.render_key_points(story.bullets),
    }
    if story.headline:
        pieces["headline"] = render.headline_html(story.headline)
    byline = story.byline or header.get("author")
    if byline:
        pieces["byline"] = render.plain(byline)
    if story.dateline:
        pieces["dateline"] = render.plain(story.dateline)
    source = header.get("source") or story.source
    if source:
        pieces["source"] = render.plain(source)
    if "note" in header:
        pieces["note"] = render.plain(header["note"])
    if "summary" in header:
        pieces["header_summary"] = f"<p>{render.plain(header['summary'])}</p>"
    return pieces


def _prepare_data(stamp: tuple[int, int], data: bytes, display: str, parser_settings: dict | None,
                  tagging: Tagging | None = None) -> Prepared:
    try:
        text, decode_warnings = decode_bytes(data, display)
        story = parse_story(text, path=display, settings=parser_settings)
    except StoryError as error:
        return Prepared(stamp, error=error)
    pieces, body_html = typeset(story), render.render_body(story)
    found = tagging.find(story, pieces, body_html, display) if tagging else None
    # the body is in body_html now: its blocks would be most of what is pickled (to the parent
    # process, to the cache) and unpickled again, for nothing
    story = dataclasses.replace(story, blocks=())
    return Prepared(stamp, story, body_html, tuple(decode_warnings), typeset=pieces, found_tags=found)


def _prepare_and_store(stamp, data: bytes, display: str, parser_settings, tagging, cache: ParseCache,
                       digest: str) -> Prepared:
    """`_prepare_data`, and the result stored in the cache by the process that made it (in a
    worker, its pickling and writing are done on all cores)."""
    prepared = _prepare_data(stamp, data, display, parser_settings, tagging)
    cache.store(display, digest, prepared)
    return prepared


def prepare_story(path: str, display: str, parser_settings: dict | None, tagging: Tagging | None = None) -> Prepared:
    """Read, parse and render one story file (and find its tags, given `tagging`)."""
    stamp = _stamp(path)
    with open(path, "rb") as handle:
        data = handle.read()
    return _prepare_data(stamp, data, display, parser_settings, tagging)


def take_prepared(path: str, display: str, parser_settings: dict | None) -> Prepared:
    """The prepared result for `path` if the file is unchanged since, else a fresh one."""
    prepared = _PREPARED.pop(os.path.abspath(path), None)
    if prepared is not None and prepared.stamp == _stamp(path):
        return prepared
    return prepare_story(path, display, parser_settings)


def prepare_all(generator) -> None:
    """Prepare every story of the article generator: from the parse cache when it is on and
    holds the story, else in a process pool (one worker per core) when there are many."""
    _PREPARED.clear()
    settings = generator.settings
    files = sorted(
        generator.get_files(settings["ARTICLE_PATHS"], exclude=settings["ARTICLE_EXCLUDES"], extensions=("txt", "TXT"))
    )
    paths = [os.path.abspath(os.path.join(generator.path, name)) for name in files]
    displays = [os.path.relpath(path, settings.get("PATH", ".")) for path in paths]
    parser_settings = settings.get("BROADSHEET_PARSER", {})
    tagging = Tagging.of(settings)
    cache_path = settings.get("BROADSHEET_CACHE_PATH")
    open_memos(None, "")
    if cache_path:
        key = fingerprint(settings)
        open_memos(cache_path, key)
        _prepare_cached(ParseCache(cache_path, key), paths, displays, parser_settings, tagging, settings)
        return
    if len(files) < _parallel_minimum(settings) or (os.cpu_count() or 1) < 2:
        return
    _PREPARED.update(zip(paths, _prepare_many(paths, displays, parser_settings, tagging)))


def _parallel_minimum(settings) -> int:
    return settings.get("BROADSHEET_PARALLEL_MIN_STORIES", PARALLEL_MIN_STORIES_DEFAULT)


def _prepare_many(paths, displays, parser_settings, tagging) -> list[Prepared]:
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return list(pool.map(prepare_story, paths, displays, [parser_settings] * len(paths), [tagging] * len(paths),
                             chunksize=16))


def _prepare_cached(cache: ParseCache, paths, displays, parser_settings, tagging, settings) -> None:
    """Take every story from the cache, parse the ones it lacks, store them, prune the rest."""
    missing = []  # (path, display, stamp, data, digest)
    for path, display in zip(paths, displays):
        try:
            stamp = _stamp(path)
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            continue  # gone since it was listed: the reader will say so
        digest = content_hash(data)
        cached = cache.load(display, digest)
        if isinstance(cached, Prepared):
            _PREPARED[path] = dataclasses.replace(cached, stamp=stamp)
        else:
            missing.append((path, display, stamp, data, digest))
    work = [(stamp, data, display, parser_settings, tagging, cache, digest) for _, display, stamp, data, digest in missing]
    if len(missing) >= _parallel_minimum(settings) and (os.cpu_count() or 1) >= 2:
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            fresh = list(pool.map(_prepare_and_store, *zip(*work), chunksize=16))
    else:
        fresh = [_prepare_and_store(*item) for item in work]
    for (path, *_), prepared in zip(missing, fresh):
        _PREPARED[path] = prepared
    cache.prune(displays)
    logger.info("parse cache %s: %d stories from the cache, %d parsed, %d entries removed",
                cache.folder, cache.hits, len(missing), cache.pruned)
