"""Python's cyclic garbage collector paused for the length of a build.

A build makes millions of objects that live until its end (stories, their pages' context, the
page keys' hashes) and almost no cyclic garbage: each full collection walks all of them again,
more often as they grow. At 10,000 stories that was about 2 s of a 21 s rebuild, for the same
peak memory (docs/bench.md). The collector is paused when a build starts (each build of
`pelican --autoreload` too) and resumed when it is finalised; a build that fails leaves it
paused until the next one in the same process ends, which resumes it.
"""

from __future__ import annotations

import gc

#: Whether this module paused the collector (and so must resume it).
_PAUSED: list[bool] = [False]


def pause_collector(*_args) -> None:
    """Pelican's `article_generator_init` signal (first; sent at the start of every build): pause
    the collector if it runs."""
    if gc.isenabled():
        gc.disable()
        _PAUSED[0] = True


def resume_collector(*_args) -> None:
    """Pelican's `finalized` signal (last): resume the collector if this module paused it."""
    if _PAUSED[0]:
        gc.enable()
        _PAUSED[0] = False
