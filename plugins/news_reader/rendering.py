"""Pages rendered on all cores: while the build goes on, and at its end.

Pelican renders each page the moment a generator asks for it, in one process. Broadsheet's writer
(writer.py) instead notes each page to render (a `Job`: its template, its context, its file). Once
`EARLY_MIN_PAGES` pages are noted (`FIRST_EARLY_PAGES` for the first worker) and a core is
spare, it hands them to a forked worker (`start`), which renders them while the build's own
process goes on asking for pages (a cold build spends seconds there with one core idle). At the
end such a worker is told to stop after the page in hand, and the pages it has not begun join
those left (`run`): forked workers each take every n-th page, the build's own process taking its
share.

A page can be rendered early because generators ask for pages only once every generator's
context is done: a forked worker sees the site as it is at that moment, which is the site the
pages were asked for with (Pelican changes nothing but `localsiteurl` in the shared context
between pages, and each job sets it as Pelican would before rendering). Workers write the files
(only those whose bytes changed) and leave a list of what they wrote in a temporary file; an
error in a worker fails the build with the page's name, as it would serially.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass

from .forked import Child, fork, made, spare_cores
from .pages import stamp

#: Below this many pages to render, forking costs more than it saves.
PARALLEL_MIN_PAGES = 40
#: A worker starts on the pages noted so far once there are this many and a core is spare.
EARLY_MIN_PAGES = 200
#: The first worker starts sooner: until then the spare cores have nothing to do.
FIRST_EARLY_PAGES = 40


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
    workers = min(spare_cores() + 1, max(1, len(items) // (PARALLEL_MIN_PAGES // 2)))
    if workers < 2:
        return _share(items, settle)
    children = [start(items[index::workers], settle) for index in range(1, workers)]
    try:
        done = _share(items[0::workers], settle)
    finally:
        outcomes = [child.outcome() for child in children]  # never leave a worker behind
    return done + pages_of(outcomes)


def pages_of(outcomes) -> list[Done]:
    """The pages of the workers' outcomes (`Worker.outcome`); the first error raised, naming its page."""
    return [page for outcome in made(outcomes, "rendering pages") for page in outcome]


class Worker:
    """A forked child rendering and settling its pages (`jobs`); what it did is read with
    `outcome`. Told to `stop`, it ends after the page in hand."""

    def __init__(self, child: Child, jobs: dict[str, Job], stop: mmap.mmap):
        self.jobs, self._child, self._stop = jobs, child, stop

    def stop(self) -> None:
        self._stop[0] = 1

    def finished(self) -> bool:
        """Whether the worker is done (without waiting for it)."""
        return self._child.finished()

    def outcome(self) -> list[Done] | str:
        """Once it is done: its pages, or the traceback of its error."""
        outcome = self._child.outcome()
        self._stop.close()
        return outcome


def _share(items, settle, stop: mmap.mmap | None = None) -> list[Done]:
    done = []
    for filename, job in items:
        if stop is not None and stop[0]:
            break
        try:
            data = render(job, job.context())
        except Exception as error:
            raise RuntimeError(f"could not render {filename}: {type(error).__name__}: {error}") from error
        written = settle(filename, data)
        done.append(Done(filename, job.call, job.page, written, stamp(filename)))
    return done


def start(items, settle) -> Worker:
    """Fork a worker that renders and settles `items` ((filename, job) pairs); it reads whether
    to stop from a byte of memory it shares with the build."""
    stop = mmap.mmap(-1, 1)
    return Worker(fork(_share, items, settle, stop), dict(items), stop)
