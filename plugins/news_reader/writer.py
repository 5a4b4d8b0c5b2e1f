"""Pelican's writer, but a page or feed whose bytes are already on disk is not written again.

A rebuild renders every page; most come out the same. Leaving those files alone saves the
writes (and keeps their modification times, so `rsync` and browsers see only real changes).
The bytes are compared in full (size first), so the output is the same as Pelican's own writer's.
"""

from __future__ import annotations

import functools
import io
import logging
import os

from pelican.writers import FileOverwriteFailedError, Writer

logger = logging.getLogger(__name__)


class _Pending(io.StringIO):
    """Text collected in memory; written on close only when the file on disk differs."""

    def __init__(self, filename: str, encoding: str, writer: "SameBytesWriter"):
        super().__init__()
        self._filename, self._encoding, self._writer = filename, encoding, writer

    def close(self) -> None:
        if not self.closed:
            data = self.getvalue().encode(self._encoding)
            self._writer._settle(self._filename, data)
        super().close()


class SameBytesWriter(Writer):
    """Writes only files whose bytes changed; counts both kinds (`written`, `unchanged`)."""

    def __init__(self, output_path, settings=None):
        super().__init__(output_path, settings=settings)
        self.written = self.unchanged = 0

    def _open_w(self, filename, encoding, override=False):
        # Pelican's own checks against writing one file twice (pelican.writers.Writer._open_w)
        if filename in self._overridden_files:
            if override:
                raise FileOverwriteFailedError(
                    f'Failed to overwrite "{filename}" a second time (was previously overwritten)'
                )
            logger.info('Skipping "%s", not overwriting', filename)
            return open(os.devnull, "w", encoding=encoding)
        if filename in self._written_files:
            if override:
                logger.info('Overwriting "%s"', filename)
            else:
                raise FileOverwriteFailedError(
                    f'Failed to overwrite "{filename}" as Pelican has already '
                    "written to it previously (set `override=True` if intended)"
                )
        if override:
            self._overridden_files.add(filename)
        self._written_files.add(filename)
        return _Pending(filename, encoding, self)

    def _settle(self, filename: str, data: bytes) -> None:
        try:
            if os.path.getsize(filename) == len(data):
                with open(filename, "rb") as handle:
                    if handle.read() == data:
                        self.unchanged += 1
                        return
        except OSError:
            pass  # not there yet (or unreadable): write it
        with open(filename, "wb") as handle:
            handle.write(data)
        self.written += 1


def get_writer(pelican_object):
    """Pelican's `get_writer` signal: use SameBytesWriter unless BROADSHEET_WRITE_UNCHANGED is true."""
    if pelican_object.settings.get("BROADSHEET_WRITE_UNCHANGED", False):
        return None
    return SameBytesWriter


# --- URLs worked out once --------------------------------------------------------------------------

#: Article class → its subclass whose `url` and `save_as` are computed once per article.
_FIXED_CLASSES: dict[type, type] = {}


def _fixed_class(cls: type) -> type:
    fixed = _FIXED_CLASSES.get(cls)
    if fixed is None:
        # the same name: Pelican reads settings by class name (ARTICLE_URL); isinstance still holds
        fixed = type(cls.__name__, (cls,), {
            "__module__": cls.__module__,
            "__doc__": cls.__doc__,
            "url": functools.cached_property(cls.url.fget),
            "save_as": functools.cached_property(cls.save_as.fget),
        })
        _FIXED_CLASSES[cls] = fixed
    return fixed


def fix_urls(generator) -> None:
    """`article_generator_finalized` (connected last): Pelican works out a story's URL anew, from
    its settings and metadata, every time a template reads `article.url`; tag, category, edition
    and archive pages read it tens of thousands of times at 1,000 stories. Slugs, dates and
    status are settled by now (site.py, at pretaxonomy), so each published story keeps the URL
    it has now; the pages are the same."""
    for article in generator.articles:
        cls = type(article)
        if isinstance(getattr(cls, "url", None), property) and isinstance(getattr(cls, "save_as", None), property):
            article.__class__ = _fixed_class(cls)


# --- Listings with constant-time membership ----------------------------------------------------


class _Listing(list):
    """A tag's or category's stories: a list whose `in` looks up a set of ids, not the whole list.

    Pelican writes each tag page with `[a for a in self.dates if a in articles]`: every story
    against every story of the tag, for every tag. With 27,000 tags at 10,000 stories that was
    20 s of a warm build; with this it is linear. Stories have no `__eq__` of their own, so `in`
    compares identities, as here. Any change to the list drops the id set."""

    _ids: frozenset | None = None

    def __contains__(self, item) -> bool:
        if self._ids is None:
            self._ids = frozenset(map(id, self))
        return id(item) in self._ids


def _drop_ids(name):
    method = getattr(list, name)

    def changed(self, *args, **kwargs):
        self._ids = None
        return method(self, *args, **kwargs)

    changed.__name__ = name
    return changed


for _name in ("append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse", "__setitem__",
              "__delitem__", "__iadd__", "__imul__"):
    setattr(_Listing, _name, _drop_ids(_name))


def fast_listings(generator) -> None:
    """`article_generator_finalized`: tag and category lists get a constant-time `in` (same order,
    same stories, so the same pages)."""
    for tag in list(generator.tags):
        generator.tags[tag] = _Listing(generator.tags[tag])
    if isinstance(generator.categories, list):
        generator.categories[:] = [(category, _Listing(stories)) for category, stories in generator.categories]
