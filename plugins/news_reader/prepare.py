"""Parse and render every story once, on all cores, while Pelican reads them one by one.

Pelican reads files in one process; parsing and typography are most of a build's time. When
the article generator starts, `prepare_all` hands every `.txt` file to a process pool, in the
order Pelican will read them, and returns; the reader then takes each prepared result (waiting
for it if need be, and checked against the file's size and modification time) instead of
parsing again, so Pelican's own work on a story overlaps the parsing of the next ones. The
result is the same either way: the reader calls the same `prepare_story` itself for any file
that was not prepared.

With `BROADSHEET_CACHE_PATH` set (see cache.py), prepared results are also kept on disk, keyed
by the file's bytes and a fingerprint of the reader's code and settings: a rebuild parses only
the stories that are new or changed (in the pool when there are many, here when few), and
entries of stories that are gone are removed.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

from . import render
from .cache import ParseCache, content_hash, fingerprint, open_memos
from .decode import decode_bytes
from .parse import parse_story
from .story import Story, StoryError
from .tagging import FoundTags, Tagging

logger = logging.getLogger(__name__)

#: The endings of story files (Pelican hands files by their ending to a reader).
STORY_EXTENSIONS = ("txt", "TXT")
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
    """The prepared result for `path` if the file is unchanged since, else a fresh one. A result
    still being made in the pool is waited for; one the pool failed to make is made here."""
    key = os.path.abspath(path)
    prepared = _PREPARED.pop(key, None)
    tagging = None
    if prepared is None and _POOL is not None and key in _POOL.waiting:
        try:
            prepared = _POOL.take(key)
        except Exception as error:  # noqa: BLE001 - a worker that died or failed: this process tries
            logger.warning("%s: preparing it in a worker failed (%s: %s); preparing it again",
                           display, type(error).__name__, error)
        tagging = _POOL.tagging
    if prepared is not None and prepared.stamp == _stamp(path):
        return prepared
    return prepare_story(path, display, parser_settings, tagging)


class _Pool:
    """Stories being prepared in a process pool (one worker per core) while Pelican reads the
    ones already done: `function(batch, *shared)` for batches of items in the order they are
    added, and each file's batch (a future of a list of results) and place there."""

    def __init__(self, function, shared: tuple, tagging: Tagging | None):
        self.executor = ProcessPoolExecutor(max_workers=os.cpu_count() or 1)
        self.function, self.shared, self.tagging = function, shared, tagging
        self.waiting: dict[str, tuple[Future, int]] = {}
        self._keys: list[str] = []
        self._items: list[tuple] = []

    def add(self, key: str, item: tuple) -> None:
        """Prepare `item`, the story of file `key`: handed to a worker with the next ones."""
        self._keys.append(key)
        self._items.append(item)
        if len(self._items) == _BATCH:
            self.flush()

    def flush(self) -> None:
        if self._items:
            future = self.executor.submit(self.function, self._items, *self.shared)
            for place, key in enumerate(self._keys):
                self.waiting[key] = (future, place)
            self._keys, self._items = [], []

    def take(self, key: str) -> Prepared:
        future, place = self.waiting.pop(key)
        return future.result()[place]

    def close(self) -> None:
        """Wait for every batch (each stores its results in the cache) and end the workers."""
        self.executor.shutdown(wait=True, cancel_futures=False)


_POOL: _Pool | None = None
#: Stories in one task of the pool.
_BATCH = 16


def _prepare_paths(work: list[tuple[str, str]], parser_settings, tagging) -> list[Prepared]:
    return [prepare_story(path, display, parser_settings, tagging) for path, display in work]


def _prepare_and_store_all(work: list[tuple], parser_settings, tagging, cache: ParseCache) -> list[Prepared]:
    return [_prepare_and_store(stamp, data, display, parser_settings, tagging, cache, digest)
            for stamp, data, display, digest in work]


def prepare_all(generator) -> None:
    """`article_generator_init`: prepare every story of the article generator, from the parse
    cache when it is on and holds the story, else in a process pool when there are many. The
    pool's work is handed out in the order Pelican reads the files, so that Pelican reads each
    story while the workers prepare the next ones (`take_prepared`); `finish_preparing` waits
    for what is left."""
    global _CACHE
    _PREPARED.clear()
    _close_pool()  # a pool left by a build that failed before it read every story
    _CACHE = None
    settings = generator.settings
    # Pelican reads the files in the order of this very call (a set: the order of its hashes)
    files = [name for name in generator.get_files(settings["ARTICLE_PATHS"], exclude=settings["ARTICLE_EXCLUDES"])
             if name.rpartition(".")[2] in STORY_EXTENSIONS]
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
    if not _worth_a_pool(len(files), settings):
        return
    pool = _open_pool(_prepare_paths, (parser_settings, tagging), tagging)
    for path, display in zip(paths, displays):
        pool.add(path, (path, display))
    pool.flush()


def _worth_a_pool(stories: int, settings) -> bool:
    """Whether this many stories to parse are worth a process pool."""
    return stories >= settings.get("BROADSHEET_PARALLEL_MIN_STORIES", PARALLEL_MIN_STORIES_DEFAULT) and (os.cpu_count() or 1) >= 2


def _open_pool(function, shared: tuple, tagging) -> _Pool:
    global _POOL
    _POOL = _Pool(function, shared, tagging)
    return _POOL


def _close_pool() -> None:
    global _POOL
    pool, _POOL = _POOL, None
    if pool is not None:
        pool.close()


def _prepare_cached(cache: ParseCache, paths, displays, parser_settings, tagging, settings) -> None:
    """Take every story from the cache; the ones it lacks are parsed (and stored) in the pool
    when there are many (handed to it as they are found), else here."""
    global _CACHE
    missing = []  # (path, (stamp, data, display, digest))
    pool = None
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
            continue
        missing.append((path, (stamp, data, display, digest)))
        if pool is not None:
            pool.add(*missing[-1])
        elif _worth_a_pool(len(missing), settings):
            pool = _open_pool(_prepare_and_store_all, (parser_settings, tagging, cache), tagging)
            for item in missing:
                pool.add(*item)
    _CACHE = (cache, displays, len(missing))
    if pool is not None:
        pool.flush()
        return
    for path, (stamp, data, display, digest) in missing:
        _PREPARED[path] = _prepare_and_store(stamp, data, display, parser_settings, tagging, cache, digest)


#: The parse cache of the build in progress, the stories it keeps and how many were parsed.
_CACHE: tuple[ParseCache, list[str], int] | None = None


def finish_preparing(*_args) -> None:
    """`article_generator_pretaxonomy` (first): every story is read; the pool's last results are
    stored, its workers end, and the cache keeps only the entries of the stories there are."""
    global _CACHE
    _close_pool()
    _PREPARED.clear()
    if _CACHE is None:
        return
    (cache, displays, parsed), _CACHE = _CACHE, None
    cache.prune(displays)
    logger.info("parse cache %s: %d stories from the cache, %d parsed, %d entries removed",
                cache.folder, cache.hits, parsed, cache.pruned)
