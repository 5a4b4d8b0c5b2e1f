"""Builds forked from a process that has already imported what a build imports.

A fresh `python -m invoke build` spends about 0.45 s importing Pelican, the reader plugin and
their libraries before it reads a story. `livereload` rebuilds on every saved story, so it keeps
a *zygote*: a process that imports them once, then forks a child for each build. The child runs
`invoke build` as a fresh process would (a process of its own, nothing kept from the builds
before it); only the imports are already done. Its exit status (with its CPU time and peak
memory) comes back on a pipe, and before it, from the build itself, word that the pages are
written (`tasks.PAGES_WRITTEN_FD`), when the search index is still to be made.

Given the build's parse cache folder, the zygote also unpickles its files after each build
(`news_reader.cache.read_ahead`), while the curator reads the page: the next build finds the
stories that did not change already read (a file changed since is read again, by its stamp).

A zygote holds the code and the settings as they were when it started: `Prefork.build(fresh=True)`
starts a new one, for a change to either. A zygote that died (or never started) is started again;
if it cannot start, the build runs in a fresh process, which shows why.

Zygote side: `python -m tools.prefork RESULT_FD CACHE_FOLDER INVOKE-ARGUMENTS...` in the
repository's folder (CACHE_FOLDER empty for none); each line on its standard input is a request
for one build.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parent.parent
#: What a build imports, loaded once by the zygote (tasks.py imports Pelican and invoke).
PRELOAD = ("tasks", "news_reader", "tools.search", "pagefind.service")


class Prefork:
    """Runs `invoke INVOKE_ARGUMENTS` once per `build()`, forked from a zygote."""

    def __init__(self, invoke_arguments: Sequence[str], cwd: str | os.PathLike = ROOT, cache_folder: str = "",
                 stdout=None) -> None:
        self.arguments, self.cwd, self.cache_folder = list(invoke_arguments), str(cwd), cache_folder
        self.stdout = stdout  # where the builds print (None: here)
        self.zygote: subprocess.Popen | None = None
        self._results = None
        #: The last forked build's CPU seconds (user + system, its own children included) and peak
        #: memory in KiB; None when it ran in a fresh process.
        self.usage: tuple[float, int] | None = None

    def build(self, fresh: bool = False, pages_written: Callable[[], object] | None = None) -> int:
        """One build; its exit status. `fresh`: in a new zygote (the code or the settings changed).
        `pages_written` is called when the build says its pages are written (before its search index)."""
        if fresh or self.zygote is None or self.zygote.poll() is not None:
            self._start()
        try:
            self.zygote.stdin.write(b"build\n")
            self.zygote.stdin.flush()
            while (line := self._results.readline()) == b"pages\n":
                if pages_written is not None:
                    pages_written()
            result = line.split()
        except OSError:  # BrokenPipeError: the zygote is gone
            result = []
        if result:
            status, cpu, peak = result
            self.usage = float(cpu), int(peak)
            return int(status)
        # the zygote died before it could fork (an import failed, say): a fresh process shows why
        self.close()
        self.usage = None
        return subprocess.run([sys.executable, "-m", "invoke", *self.arguments], cwd=self.cwd,
                              stdout=self.stdout).returncode

    def _start(self) -> None:
        self.close()
        read, write = os.pipe()
        try:
            self.zygote = subprocess.Popen(
                [sys.executable, "-m", "tools.prefork", str(write), self.cache_folder, *self.arguments],
                cwd=self.cwd, stdin=subprocess.PIPE, stdout=self.stdout, pass_fds=(write,),
            )
        finally:
            os.close(write)
        self._results = os.fdopen(read, "rb")

    def close(self) -> None:
        """Stop the zygote (and the build it runs, if any)."""
        if self.zygote is not None:
            if self.zygote.poll() is None:
                self.zygote.terminate()
            self.zygote.wait()
            self.zygote.stdin.close()
            self.zygote = None
        if self._results is not None:
            self._results.close()
            self._results = None


def _run_invoke(arguments: list[str]) -> int:
    """In a forked child: what `python -m invoke ARGUMENTS` would do; its exit status."""
    from invoke.main import program

    try:
        program.run(["invoke", *arguments])
        return 0
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            return stop.code or 0
        sys.stderr.write(f"{stop.code}\n")
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def zygote(result_fd: int, cache_folder: str, arguments: list[str]) -> None:
    """Import what a build imports, then fork a build for each line read from standard input;
    after each, read the files of `cache_folder` (if any) ahead of the next."""
    sys.path[:0] = [str(ROOT), str(ROOT / "plugins")]
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass  # pagefind, say: the build itself says what is missing
    sys.path.remove(str(ROOT / "plugins"))  # Pelican finds the plugin itself (and reuses the one imported)
    from news_reader.cache import read_ahead
    from tasks import PAGES_WRITTEN_FD

    child = 0

    def stop(signum, frame):
        if child:
            os.kill(child, signal.SIGTERM)
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)  # Ctrl-C: the terminal sends it to the whole group
    for _request in sys.stdin.buffer:
        child = os.fork()
        if child == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            os.environ[PAGES_WRITTEN_FD] = str(result_fd)
            os._exit(_run_invoke(arguments))
        _, status, usage = os.wait4(child, 0)  # the usage of the build and of the processes it waited for
        child = 0
        cpu = usage.ru_utime + usage.ru_stime
        os.write(result_fd, f"{os.waitstatus_to_exitcode(status)} {cpu:.3f} {usage.ru_maxrss}\n".encode())
        if cache_folder:
            read_ahead(cache_folder)


if __name__ == "__main__":
    zygote(int(sys.argv[1]), sys.argv[2], sys.argv[3:])
