"""Pelican's writer, but pages are rendered on all cores, only when what they show changed, and
a page or feed whose bytes are already on disk is not written again.

- Pages: each page the generators ask for becomes a job, rendered by a worker on a spare core
  while they go on asking, or once they are all done (rendering.py); with the parse cache on, a
  page whose inputs are those of the last build is not even set up by Pelican (pages.py).
- Files: leaving a file with the same bytes alone saves the write and keeps its modification
  time, so `rsync` and browsers see only real changes. The bytes are compared in full (size
  first), so the output is the same as Pelican's own writer's (`BROADSHEET_WRITE_UNCHANGED = True`
  turns all of this off: Pelican's own writer, for comparison).
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass

import jinja2
from pelican import signals
from pelican.utils import sanitised_join
from pelican.writers import FileOverwriteFailedError, Writer

from .cache import memo, output_files
from . import forked, rendering
from .pages import PAGE_KEYS, PageMemo, gone, stamp

logger = logging.getLogger(__name__)


class _Pending(io.StringIO):
    """Text collected in memory. On close: a page is noted as a job to render (rendering.py); anything
    else (feeds) is written now when the file on disk differs."""

    def __init__(self, filename: str, encoding: str, writer: "SameBytesWriter"):
        super().__init__()
        self._filename, self._encoding, self._writer = filename, encoding, writer

    def close(self) -> None:
        if not self.closed:
            self._writer._closed(self._filename, self.getvalue(), self._encoding)
        super().close()


@dataclass(frozen=True)
class _Kept:
    """A page of a paginated listing left as the last build wrote it."""

    call: str | None
    page: str
    files: tuple


class _PageTemplate:
    """What Pelican's writer renders a page with: `render` returns a placeholder that stands for
    the page until it is rendered (rendering.py), or for a page of a paginated listing whose
    own key (pages.PageMemo.page_key) and file are those of the last build, for the file as it is.
    The job keeps the page's own entries, not a copy of the whole context (at 10,000 stories,
    50,000 copies of 250 entries)."""

    def __init__(self, template: jinja2.Template, writer: "SameBytesWriter", shared: dict, keys, call: str | None,
                 base: str | None):
        self._template, self._writer, self._shared, self._keys = template, writer, shared, keys
        self._call, self._base = call, base

    def render(self, context: dict) -> str:
        writer = self._writer
        page = writer.pages.page_key(self._base, self._template, context) if self._base else None
        placeholders = writer._placeholders
        placeholder = f"\0broadsheet page {len(placeholders)}\0"
        files = writer._unchanged(page)
        if files is not None and [path for path, _ in files] == [sanitised_join(writer.output_path, context["output_file"])]:
            placeholders[placeholder] = _Kept(self._call, page, files)
            return placeholder
        shared = self._shared
        own = {key: context[key] for key in self._keys if key in context}
        if len(context) != len(shared) + sum(key not in shared for key in own):
            own = dict(context)  # the writer added something else: keep it all
        placeholders[placeholder] = rendering.Job(self._template, own, shared, self._call, page)
        return placeholder

    def __getattr__(self, name):
        return getattr(self._template, name)


class SameBytesWriter(Writer):
    """Writes only files whose bytes changed and counts both kinds (`written`, `unchanged`).
    Pages are rendered on all cores, while the build goes on and at its end (rendering.py); with the
    parse cache on, a `write_file` or `write_feed` call whose inputs are those of the last build is
    skipped (pages.py). A skipped call sends none of Pelican's `content_written`, `feed_generated` and
    `feed_written` signals: nothing was written (a plugin that needs them for every file would
    need the cache off)."""

    def __init__(self, output_path, settings=None):
        super().__init__(output_path, settings=settings)
        self.written = self.unchanged = 0
        store = memo("pages")
        self.pages = PageMemo(store, store.fingerprint, self.settings) if store else None
        self.rendered = self.kept = self.removed = 0
        self._placeholders: dict[str, rendering.Job | _Kept] = {}
        self._jobs: dict[str, rendering.Job] = {}
        self._kept_pages: dict[str, _Kept] = {}  # pages of paginated listings left as they were
        self._early: list[rendering.Worker] = []  # workers rendering pages while the build goes on
        self._handed: set[str] = set()  # the files of the pages handed to them
        self._after: dict[str, rendering.Job] = {}  # pages written over a handed one: rendered last
        _WRITERS[:] = [self]

    def write_file(self, name, template, context, relative_urls=False, paginated=None, template_name=None,
                   override_output=False, url=None, **kwargs):
        arguments = {"relative_urls": relative_urls, "paginated": paginated, "template_name": template_name,
                     "override_output": override_output, "url": url}
        if name and isinstance(template, jinja2.Template):
            call, base = (self.pages.key(template, name, context, arguments, kwargs) if self.pages else None) or (None, None)
            if self._kept(call, override_output):
                return None
            template = _PageTemplate(template, self, context, (*PAGE_KEYS, *kwargs), call, base)
        return super().write_file(name, template, context, **arguments, **kwargs)

    def write_feed(self, elements, context, path=None, url=None, feed_type="atom", override_output=False,
                   feed_title=None):
        arguments = {"path": path, "url": url, "feed_type": feed_type, "override_output": override_output,
                     "feed_title": feed_title}
        call = self.pages.feed_key(elements, context, arguments) if self.pages and path else None
        if self._kept(call, override_output, pages=False):
            return None
        feed = super().write_feed(elements, context, **arguments)
        if call:
            written = sanitised_join(self.output_path, path)
            self.pages.remember(call, ((written, stamp(written)),))
        return feed

    def _kept(self, call: str | None, override: bool, pages: bool = True) -> bool:
        """Whether the call with this key is unchanged since the last build. If so its files
        (pages, or a feed) stay as they are, claimed as Pelican claims a file it writes (a later
        page may not write over them, unless it overrides)."""
        files = self._unchanged(call)
        if files is None:
            return False
        for path, _ in files:
            if self._claim(path, override):
                self._jobs.pop(path, None)  # an overriding page: the last one stands
                self.kept += pages
                self.unchanged += 1
        self.pages.remember(call, files)
        return True

    def _closed(self, filename: str, text: str, encoding: str) -> None:
        if text not in self._placeholders:
            written = write_changed(filename, text.encode(encoding))
            self.written += written
            self.unchanged += not written
            return
        self._jobs.pop(filename, None)  # a page written over (override_output): the last one stands
        self._kept_pages.pop(filename, None)
        job = self._placeholders.pop(text)
        if isinstance(job, _Kept):
            self._kept_pages[filename] = job
        elif filename in self._handed:
            self._after[filename] = job  # over a page a worker has: rendered once the worker is done
        else:
            self._jobs[filename] = job
            self._start_early()

    def _unchanged(self, key: str | None) -> tuple | None:
        """The files of the call or page with this key when they are as the last build left them
        (pages.PageMemo.unchanged) and no worker has one of them: a page to be saved over a file a
        worker is writing cannot keep that file."""
        files = self.pages.unchanged(key) if key else None
        if files is None or any(path in self._handed for path, _ in files):
            return None
        return files

    def _start_early(self) -> None:
        """Hand the pages noted so far to a worker, when there are enough and a core is spare."""
        if len(self._jobs) < (rendering.EARLY_MIN_PAGES if self._early else rendering.FIRST_EARLY_PAGES):
            return
        if sum(not worker.finished() for worker in self._early) >= rendering.spare_cores():
            return
        jobs, self._jobs = self._jobs, {}
        self._handed.update(jobs)
        self._early.append(rendering.start(list(jobs.items()), write_changed))

    def render_pages(self) -> None:
        """Render every page noted in this build, and remember the files of each call and of each
        page of a paginated listing under its key."""
        jobs, self._jobs = self._jobs, {}
        kept, self._kept_pages = self._kept_pages, {}
        calls: dict[str, tuple[list, list]] = {}  # call → its files, the keys of its pages
        pages: dict[str, tuple] = {}
        for kept_page in kept.values():
            self.kept += 1
            self.unchanged += 1
            pages[kept_page.page] = kept_page.files
            files, keys = calls.setdefault(kept_page.call, ([], []))
            files += kept_page.files
            keys.append(kept_page.page)
        early, after = self._early, self._after
        self._early, self._after, self._handed = [], {}, set()
        for worker in early:
            worker.stop()  # the pages it has not begun are shared out below
        try:
            finished = rendering.pages_of([worker.outcome() for worker in early])
            begun = {done.filename for done in finished}
            left = {name: job for worker in early for name, job in worker.jobs.items() if name not in begun}
            finished = [done for done in finished if done.filename not in after]
            # the workers are done: pages written over theirs (`after`) come last, and stand
            finished += rendering.run({**left, **jobs, **after}, write_changed)
        finally:
            forked.thaw()
        for done in finished:
            self.written += done.written
            self.unchanged += not done.written
            self.rendered += 1
            files, keys = calls.setdefault(done.call, ([], []))
            files.append((done.filename, done.stamp))
            if done.page:
                pages[done.page] = ((done.filename, done.stamp),)
                keys.append(done.page)
        if self.pages:
            for call, (files, keys) in calls.items():
                self.pages.remember(call, tuple(files), tuple(keys))
            for page, files in pages.items():
                self.pages.remember(page, files)

    def remove_gone(self) -> None:
        """Remove the files of the last build into this output that this one did not make
        (`pages.gone`), and the folders they leave empty: a rebuild leaves the site a build from
        scratch makes. Then list this build's files for the next one."""
        root = os.path.abspath(self.output_path)
        listed = output_files(root) if self.pages else None
        if listed is None:
            return
        for path in gone(listed.files, self.pages.files, self._written_files, root):
            try:
                os.remove(path)
            except OSError as error:
                logger.warning("could not remove %s, a page the site no longer has: %s", path, error)
                continue
            self.removed += 1
            folder = os.path.dirname(os.path.abspath(path))
            try:
                while folder.startswith(root + os.sep) and not os.listdir(folder):
                    os.rmdir(folder)
                    folder = os.path.dirname(folder)
            except OSError:
                pass  # a folder that cannot be listed or removed (a link, a mount) stays
        listed.save(self.pages.files)

    def _open_w(self, filename, encoding, override=False):
        if not self._claim(filename, override):
            return open(os.devnull, "w", encoding=encoding)
        return _Pending(filename, encoding, self)

    def _claim(self, filename: str, override: bool) -> bool:
        """Pelican's own checks against writing one file twice (pelican.writers.Writer._open_w):
        whether this page may write the file."""
        if filename in self._overridden_files:
            if override:
                raise FileOverwriteFailedError(
                    f'Failed to overwrite "{filename}" a second time (was previously overwritten)'
                )
            logger.info('Skipping "%s", not overwriting', filename)
            return False
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
        return True


def write_changed(filename: str, data: bytes) -> bool:
    """Write `data` unless the file already holds it; whether it was written. Every file the
    build makes goes through here (pages, feeds, sitemaps), so a rebuild changes the modification
    time only of files whose bytes changed."""
    try:
        if os.path.getsize(filename) == len(data):
            with open(filename, "rb") as handle:
                if handle.read() == data:
                    return False
    except OSError:
        pass  # not there yet (or unreadable): write it
    with open(filename, "wb") as handle:
        handle.write(data)
    return True


#: The writer of the build in progress, for its closing line (`report_writes`).
_WRITERS: list[SameBytesWriter] = []
#: (pages rendered, pages left as they were) in the last build with the page memo on.
LAST_PAGES: tuple[int, int] | None = None


def render_pages(*_args) -> None:
    """Pelican's `finalized` signal (first): render the pages noted during the build."""
    for writer in _WRITERS:
        writer.render_pages()


def remove_gone(*_args) -> None:
    """Pelican's `finalized` signal (after `render_pages`): remove the pages the site no longer has."""
    for writer in _WRITERS:
        writer.remove_gone()


def report_writes(*_args) -> None:
    """Pelican's `finalized` signal: how many pages were rendered and files written."""
    global LAST_PAGES
    LAST_PAGES = None
    for writer in _WRITERS:
        pages = ""
        if writer.pages:
            LAST_PAGES = (writer.rendered, writer.kept)
            pages = f"{writer.rendered} rendered, {writer.kept} with the inputs of the last build; "
        removed = f", {writer.removed} removed (pages the site no longer has)" if writer.removed else ""
        logger.info("Broadsheet pages: %sfiles: %d written, %d unchanged%s", pages, writer.written, writer.unchanged, removed)
    _WRITERS.clear()


def get_writer(pelican_object):
    """Pelican's `get_writer` signal: use SameBytesWriter unless BROADSHEET_WRITE_UNCHANGED is true."""
    if pelican_object.settings.get("BROADSHEET_WRITE_UNCHANGED", False):
        return None
    return SameBytesWriter


# --- Tag and category pages in linear time ---------------------------------------------------------


def _in_date_order(articles, position: dict[int, int]) -> list:
    """`[a for a in dates if a in articles]` (Pelican's way, identity comparison as stories have
    no `__eq__`) without reading every story for every tag: each story once, in `dates` order."""
    found = {id(a): a for a in articles if id(a) in position}
    return [found[key] for key in sorted(found, key=position.__getitem__)]


def _listing_pages(generator, write, kind: str, pairs) -> None:
    """Pelican 4.12's `generate_tags` / `generate_categories`, with the stories of each page in
    date order found through an index instead of a scan of every story."""
    template = generator.get_template(kind)
    position = {id(a): i for i, a in enumerate(generator.dates)}
    for wrapper, articles in pairs:
        try:
            write(
                wrapper.save_as,
                template,
                generator.context,
                **{kind: wrapper},
                url=wrapper.url,
                articles=articles,
                dates=_in_date_order(articles, position),
                template_name=kind,
                blog=True,
                page_name=wrapper.page_name,
                all_articles=generator.articles,
            )
        except FileOverwriteFailedError:
            if not wrapper.slug:
                logger.info(
                    '%s "%s" has an invalid slug; skipping writing %s page...', kind.capitalize(), wrapper, kind,
                    extra={"limit_msg": f"Further {kind} pages with invalid slugs."},
                )
                continue
            logger.error('Failed to write %s page for "%s".', kind.capitalize(), wrapper)
            raise


def pages_before_feeds(generator) -> None:
    """`article_generator_finalized`: this generator asks for its pages first, then writes its
    feeds (Pelican's order is the other way round). Pages are noted to be rendered by workers on
    the spare cores (rendering.py), feeds are written here: asked first, the feeds kept those cores
    idle for their whole time. Neither reads what the other writes: the same files."""

    def generate_output(writer):
        generator.generate_pages(writer)
        generator.generate_feeds(writer)
        signals.article_writer_finalized.send(generator, writer=writer)

    generator.generate_output = generate_output


def fast_listings(generator) -> None:
    """`article_generator_finalized`: this generator writes its tag, category and author pages in
    linear time. Pelican's own test every story against every story of each tag
    (`[a for a in self.dates if a in articles]`): with 24,000 tags at 10,000 stories that was 20 s
    of a warm build under cProfile, and the one author of every story 2 s (even with no author
    pages written). Same pages (tests/test_levers.py)."""
    generator.generate_tags = lambda write: _listing_pages(generator, write, "tag", generator.tags.items())
    generator.generate_categories = lambda write: _listing_pages(generator, write, "category", generator.categories)
    generator.generate_authors = lambda write: _listing_pages(generator, write, "author", generator.authors)
