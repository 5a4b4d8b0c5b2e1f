"""Broadsheet's own parse cache: one file per story, so that a rebuild parses only what changed.

Not Pelican's content cache (`CACHE_CONTENT`): that one pickles the reader's output, is shared
by every site built with the same settings file, is never pruned and is not invalidated when
the parser's settings change (docs: /work/shared/FIELD-NOTES.md).

`BROADSHEET_CACHE_PATH` (a folder; None turns the cache off) holds one entry per story file,
named by a hash of the file's path relative to the content folder. An entry holds the
prepared result (the parsed `Story`, its body HTML, its typeset metadata) with two keys:
- the sha256 of the file's bytes;
- the *fingerprint*: a hash of the reader's code (every `plugins/news_reader/*.py`), the
  versions of Python and of the typography libraries, `BROADSHEET_PARSER` and the slug
  settings. Any change to those and every entry is stale.
A stale, unreadable or corrupt entry is ignored (with a warning when it cannot be read) and
written again. Entries of files no longer in the content folder are removed after each build.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import sys
from importlib import metadata
from pathlib import Path

import jinja2

logger = logging.getLogger(__name__)

#: Bumped when the layout of an entry changes.
FORMAT = 1
_SUFFIX = ".pickle"
_PACKAGE = Path(__file__).resolve().parent
#: Settings that change what the reader makes of a file.
FINGERPRINT_SETTINGS = ("BROADSHEET_PARSER", "SLUG_REGEX_SUBSTITUTIONS", "SLUGIFY_SOURCE", "SLUGIFY_USE_UNICODE",
                        "SLUGIFY_PRESERVE_CASE", "TAG_REGEX_SUBSTITUTIONS")  # the last: found tags' slugs (tagging.py)
_LIBRARIES = ("typogrify", "smartypants", "ftfy", "pelican", "jinja2")  # jinja2: the page memo (pages.py)


def _code_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def fingerprint(settings) -> str:
    """A hash of everything but the file's bytes that the prepared result depends on."""
    parts = {
        "format": FORMAT,
        "code": _code_hash(),
        "python": sys.version,
        "libraries": {name: _version(name) for name in _LIBRARIES},
        "settings": {key: settings.get(key) for key in FINGERPRINT_SETTINGS},
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=repr).encode()).hexdigest()


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _dump_atomically(path: Path, value) -> Exception | None:
    """Pickle `value` into `path` through a temporary file, so that a reader never sees half of
    it; the error when it could not (the temporary file is then removed)."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
        return None
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as error:
        try:
            temporary.unlink()
        except OSError:
            pass
        return error


#: Files of a cache folder unpickled ahead of the builds forked from this process (`read_ahead`),
#: each with the stamp its file had when read: path -> (stamp, what it held).
_AHEAD: dict[str, tuple[tuple[int, int, int], object]] = {}
#: The endings of the files `read_ahead` reads: parse entries, the memo, the lists of output files.
_READ_AHEAD_ENDINGS = (_SUFFIX, ".bin")


def _file_stamp(path: str | os.PathLike) -> tuple[int, int, int]:
    """A file's inode, size and modification time: a file written again (atomically: a new
    inode) has another stamp."""
    stat = os.stat(path)
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _load(path: str | os.PathLike):
    with open(path, "rb") as handle:
        return pickle.load(handle)


def _unpickle(path: Path):
    """What the file at `path` holds: as read ahead when it has the same stamp now, else read now."""
    ahead = _AHEAD.get(str(path))
    if ahead is not None and ahead[0] == _file_stamp(path):
        return ahead[1]
    return _load(path)


def read_ahead(folder: str | os.PathLike) -> None:
    """Unpickle the files of the cache folder `folder` that are new or changed since this process
    last did, and forget those that are gone: a build forked from this process then finds them
    read (livereload's builds, tools/prefork.py; unpickling 10,000 parse entries takes 1.2 s).
    A file that changes afterwards is read again by the build, by its stamp."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        names = []
    kept = {}
    for name in names:
        if not name.endswith(_READ_AHEAD_ENDINGS):
            continue
        path = str(Path(folder) / name)  # as `ParseCache._entry` and the others name it
        try:
            stamp = _file_stamp(path)  # before reading: a file replaced meanwhile is read again later
            ahead = _AHEAD.get(path)
            if ahead is None or ahead[0] != stamp:
                ahead = (stamp, _load(path))
        except Exception:  # noqa: BLE001 - gone or unreadable: the build reads it, and says so
            continue
        kept[path] = ahead
    _AHEAD.clear()
    _AHEAD.update(kept)


class ParseCache:
    """The entries under one folder, for one fingerprint."""

    def __init__(self, folder: str | os.PathLike, fingerprint: str):
        self.folder = Path(folder)
        self.fingerprint = fingerprint
        self.hits = self.misses = self.written = self.pruned = 0

    def _entry(self, display: str) -> Path:
        return self.folder / (hashlib.sha256(display.encode()).hexdigest()[:40] + _SUFFIX)

    def load(self, display: str, digest: str):
        """The cached value for story `display` with bytes hashing to `digest`, else None."""
        path = self._entry(display)
        try:
            fmt, fingerprint, name, cached_digest, value = _unpickle(path)
        except FileNotFoundError:
            self.misses += 1
            return None
        except Exception as error:  # noqa: BLE001 - any corrupt entry is only a miss
            logger.warning("parse cache: ignoring unreadable entry %s for %s (%s: %s)",
                           path, display, type(error).__name__, error)
            self.misses += 1
            return None
        if (fmt, fingerprint, name, cached_digest) != (FORMAT, self.fingerprint, display, digest):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def store(self, display: str, digest: str, value) -> None:
        """Write an entry (atomically: a reader never sees half of one); a failure is only warned."""
        path = self._entry(display)
        error = _dump_atomically(path, (FORMAT, self.fingerprint, display, digest, value))
        if error:
            logger.warning("parse cache: could not write %s for %s (%s)", path, display, error)
        else:
            self.written += 1

    def prune(self, displays) -> None:
        """Remove the entries of stories not in `displays` (and leftover temporary files)."""
        keep = {self._entry(d).name for d in displays}
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            return
        for name in names:
            if name in keep or not (name.endswith(_SUFFIX) or name.endswith(".tmp")):
                continue
            try:
                os.unlink(self.folder / name)
                self.pruned += 1
            except OSError as error:
                logger.warning("parse cache: could not remove %s (%s)", self.folder / name, error)


class Memo:
    """Results of a pure site-wide computation (pages.py: a hash of each page's bytes), keyed by a
    hash of its inputs, in one file of the cache folder. Only the entries used in a build are
    saved, so entries of pages that are gone or changed are dropped."""

    def __init__(self, path: Path, fingerprint: str):
        self.path, self.fingerprint = path, fingerprint
        self.loaded: dict[str, object] = {}
        self.used: dict[str, object] = {}
        try:
            fmt, cached_fingerprint, entries = _unpickle(path)
            if (fmt, cached_fingerprint) == (FORMAT, fingerprint) and isinstance(entries, dict):
                self.loaded = entries
        except FileNotFoundError:
            pass
        except Exception as error:  # noqa: BLE001 - a corrupt file is only a miss
            logger.warning("parse cache: ignoring unreadable entry %s (%s: %s)", path, type(error).__name__, error)

    @staticmethod
    def key(*inputs) -> str:
        return hashlib.sha256(json.dumps(inputs, ensure_ascii=False, default=repr).encode()).hexdigest()

    def get(self, key: str):
        value = self.loaded.get(key)
        if value is not None:
            self.used[key] = value
        return value

    def put(self, key: str, value) -> None:
        self.used[key] = value

    def save(self) -> None:
        if self.used == self.loaded:
            return
        error = _dump_atomically(self.path, (FORMAT, self.fingerprint, self.used))
        if error:
            logger.warning("parse cache: could not write %s (%s)", self.path, error)


#: Bumped when the layout of a list of files written changes (not with `FORMAT`: see below).
_OUTPUT_FILES_FORMAT = 1


class OutputFiles:
    """The pages and feeds the last build into one output folder wrote (those the page memo
    remembers; not sitemaps, static files or the search index), each with its stamp (size and
    modification time): the files a rebuild into that folder may remove when it no longer makes
    them (pages.gone). One file per output folder in the cache folder, apart from the memos,
    whose entries all go with any change to the code or the settings: a page the site no longer
    has is removed by the next build into its folder whatever changed in between, and builds
    into other folders neither read nor write this folder's list."""

    def __init__(self, cache_folder: Path, output_folder: str):
        name = hashlib.sha256(output_folder.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        self.path = cache_folder / f"output-files-{name}.bin"
        self.folder = output_folder
        self.files: dict[str, tuple[int, int] | None] = {}
        try:
            fmt, folder, files = _unpickle(self.path)
            if fmt == _OUTPUT_FILES_FORMAT and folder == output_folder and isinstance(files, dict):
                self.files = files
        except FileNotFoundError:
            pass
        except Exception as error:  # noqa: BLE001 - a corrupt list only means nothing is removed
            logger.warning("parse cache: ignoring unreadable %s (%s: %s)", self.path, type(error).__name__, error)

    def save(self, files: dict) -> None:
        """The files of the build just done into the folder, in place of its last ones."""
        error = _dump_atomically(self.path, (_OUTPUT_FILES_FORMAT, self.folder, files))
        if error:
            logger.warning("parse cache: could not write %s (%s)", self.path, error)


#: The memos of the build in progress (`open_memos` at the start, `save_memos` at the end); none
#: when the cache is off.
_MEMOS: dict[str, Memo] = {}
#: The cache folder of the build in progress, or None.
_FOLDER: list[Path | None] = [None]


def open_memos(folder, fingerprint: str) -> None:
    _MEMOS.clear()
    _FOLDER[0] = Path(folder) if folder else None
    if folder:
        _MEMOS["pages"] = Memo(Path(folder) / "memo-pages.bin", fingerprint)


def output_files(output_folder: str) -> OutputFiles | None:
    """The list of files the last build wrote into `output_folder` (`OutputFiles`), or None when
    the cache is off."""
    return OutputFiles(_FOLDER[0], output_folder) if _FOLDER[0] else None


def memo(name: str) -> Memo | None:
    """The memo `name` of this build, or None when the cache is off."""
    return _MEMOS.get(name)


def save_memos(*_args, **_kwargs) -> None:
    """Pelican's `finalized` signal: write the memos used in this build."""
    for item in _MEMOS.values():
        item.save()
    _MEMOS.clear()


def jinja_options(settings) -> str:
    """A hash of what decides how Jinja compiles and parses a template besides its source: the
    Jinja version, `JINJA_ENVIRONMENT` (delimiters, whitespace control, autoescape, extensions)
    and the names and code of the filters, tests and globals (how a filter takes its arguments is
    compiled in). Compiled templates and what a template reads are kept under it."""

    def named(functions) -> dict:
        return {name: f"{getattr(f, '__module__', '')}.{getattr(f, '__qualname__', type(f).__qualname__)}"
                for name, f in (functions or {}).items()}

    environment = {key: value for key, value in (settings.get("JINJA_ENVIRONMENT") or {}).items()
                   if key != "bytecode_cache"}
    parts = [_version("jinja2"), environment, named(settings.get("JINJA_FILTERS")), named(settings.get("JINJA_TESTS")),
             named(settings.get("JINJA_GLOBALS"))]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=repr).encode()).hexdigest()[:20]


def cache_templates(pelican) -> None:
    """Pelican's `initialized` signal: with the cache on, Jinja keeps each template compiled (in
    `jinja/<jinja_options>` in the cache folder) instead of compiling every template in every
    build and in every worker that renders pages. Jinja checks each template's source against
    what it compiled, so an edited template is compiled again; changed Jinja options use another
    folder."""
    folder = pelican.settings.get("BROADSHEET_CACHE_PATH")
    environment = pelican.settings.get("JINJA_ENVIRONMENT") or {}
    if not folder or "bytecode_cache" in environment:
        return
    path = Path(folder) / "jinja" / jinja_options(pelican.settings)
    path.mkdir(parents=True, exist_ok=True)
    pelican.settings["JINJA_ENVIRONMENT"] = {**environment, "bytecode_cache": jinja2.FileSystemBytecodeCache(str(path))}
