"""Pages rendered at the end of the build, on all cores.

Pelican renders each page the moment a generator asks for it, in one process. Broadsheet's writer
(writer.py) instead notes each page to render (a `Job`: its template, its context, its file) and
renders them all once every generator is done: with many pages, in forked worker processes that
each take every n-th page, the build's own process taking its share. A forked worker sees the
site as it is at that moment, which is the site the pages were asked for with: Pelican changes
nothing but `localsiteurl` in the shared context between pages, and each job sets it as Pelican
would before rendering. Workers write the files (only those whose bytes changed) and send back
what they wrote; an error in a worker fails the build with the page's name, as it would serially.
"""

from __future__ import annotations

import os
import pickle
import traceback
from dataclasses import dataclass

from .pages import stamp

#: Below this many pages to render, forking costs more than it saves.
PARALLEL_MIN_PAGES = 40


@dataclass
class Job:
    """One page to render: Pelican's `_write_file` arguments, its context as the shared context
    with the page's own entries over it."""

    template: object
    own: dict  # the page's own entries (its URLs, story, listing, pagination)
    shared: dict  # the context every page shares (stories read `localsiteurl` from it)
    call: str | None = None  # the key of its `write_file` call in the page memo (pages.py)
    page: str | None = None  # for a page of a paginated listing, its own key there

    def context(self) -> dict:
        return {**self.shared, **self.own}


@dataclass(frozen=True)
class Done:
    """A page rendered: its file, the keys of its call and of the page, whether its file was
    written (its bytes changed) and the file's stamp (pages.stamp) once settled."""

    filename: str
    call: str | None
    page: str | None
    written: bool
    stamp: tuple | None


def render(job: Job, context: dict) -> bytes:
    """The page's bytes, rendered as Pelican's writer renders it."""
    job.shared["localsiteurl"] = context["localsiteurl"]
    return job.template.render(context).encode("utf-8")


def run(jobs: dict[str, Job], settle) -> list[Done]:
    """Render and settle (`settle(filename, data) -> written`) every job; in worker processes
    when there are many."""
    items = list(jobs.items())
    workers = min(os.cpu_count() or 1, max(1, len(items) // (PARALLEL_MIN_PAGES // 2)))
    if workers < 2 or not hasattr(os, "fork"):
        return _share(items, settle)
    children = [_fork(items[index::workers], settle) for index in range(1, workers)]
    try:
        done = _share(items[0::workers], settle)
    finally:
        outcomes = [_collect(pid, reader) for pid, reader in children]  # never leave a worker behind
    for outcome in outcomes:
        if isinstance(outcome, str):
            raise RuntimeError(f"rendering pages in a worker process failed:\n{outcome}")
        done += outcome
    return done


def _collect(pid: int, reader: int):
    """What a worker sent: its pages, or the traceback of its error."""
    with os.fdopen(reader, "rb") as stream:
        try:
            outcome = pickle.load(stream)
        except EOFError:
            outcome = "the worker ended without a word"
    os.waitpid(pid, 0)
    return outcome


def _share(items, settle) -> list[Done]:
    done = []
    for filename, job in items:
        try:
            data = render(job, job.context())
        except Exception as error:
            raise RuntimeError(f"could not render {filename}: {type(error).__name__}: {error}") from error
        written = settle(filename, data)
        done.append(Done(filename, job.call, job.page, written, stamp(filename)))
    return done


def _fork(items, settle) -> tuple[int, int]:
    reader, writer = os.pipe()
    pid = os.fork()
    if pid:
        os.close(writer)
        return pid, reader
    os.close(reader)
    code = 0
    try:
        try:
            outcome = _share(items, settle)
        except BaseException:  # noqa: BLE001 - the parent reports it, naming the page
            outcome, code = traceback.format_exc(), 1
        with os.fdopen(writer, "wb") as stream:
            pickle.dump(outcome, stream, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        os._exit(code)
