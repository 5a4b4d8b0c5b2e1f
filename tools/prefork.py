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
if it cannot start, the build runs in a fresh process, which shows why. Each build is a process
group of its own: stopping the zygote stops the build and whatever it started (its parse pool,
Pagefind), given `STOP_GRACE_SECONDS` to clean up.

Zygote side: `python -m tools.prefork RESULT_FD CACHE_FOLDER INVOKE-ARGUMENTS...` in the
repository's folder (CACHE_FOLDER empty for none); each line on its standard input is a request
for one build.
"""

from __future__ import annotations

import atexit
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parent.parent
#: What a build imports, loaded once by the zygote (tasks.py imports Pelican and invoke; tasks.py
#: itself is run anew by invoke in every build, so an edit to it takes effect at once).
PRELOAD = ("tasks", "news_reader", "pagefind.service")
#: Seconds a build that is stopped has to end (and remove its scratch files) before it is killed.
STOP_GRACE_SECONDS = 5
#: How often a wait for the zygote's answer checks that it is still there (seconds): a process the
#: build left behind may hold the pipe open after the zygote is gone.
_POLL_SECONDS = 1.0
_SIGNALS = {signal.SIGINT, signal.SIGTERM}


class Prefork:
    """Runs `invoke INVOKE_ARGUMENTS` once per `build()`, forked from a zygote."""

    def __init__(self, invoke_arguments: Sequence[str], cwd: str | os.PathLike = ROOT, cache_folder: str = "",
                 stdout=None) -> None:
        self.arguments, self.cwd, self.cache_folder = list(invoke_arguments), str(cwd), cache_folder
        self.stdout = stdout  # where the builds print (None: here)
        self.zygote: subprocess.Popen | None = None
        self._results: int | None = None  # the read end of the zygote's pipe
        self._pending = b""
        #: The last forked build's CPU seconds (user + system, its own children included) and peak
        #: memory in KiB; None when it ran in a fresh process.
        self.usage: tuple[float, int] | None = None

    def build(self, fresh: bool = False, pages_written: Callable[[], object] | None = None) -> int:
        """One build; its exit status. `fresh`: in a new zygote (the code or the settings changed).
        `pages_written` is called when the build says its pages are written (before its search index)."""
        if fresh or self.zygote is None or self.zygote.poll() is not None:
            self._start()
        answer = self._ask(pages_written)
        if answer is not None:
            status, self.usage = answer
            return status
        # the zygote is gone or never started (an import failed, say): a fresh process shows why
        self.close()
        self.usage = None
        return subprocess.run([sys.executable, "-m", "invoke", *self.arguments], cwd=self.cwd,
                              stdout=self.stdout).returncode

    def _ask(self, pages_written) -> tuple[int, tuple[float, int]] | None:
        """Have the zygote fork a build; its status and usage, or None when the zygote is gone."""
        if self.zygote is None:
            return None
        try:
            self.zygote.stdin.write(b"build\n")
            self.zygote.stdin.flush()
        except OSError:  # BrokenPipeError: the zygote is gone
            return None
        while (line := self._line()) == b"pages":
            if pages_written is not None:
                pages_written()
        try:
            status, cpu, peak = (line or b"").split()
            return int(status), (float(cpu), int(peak))
        except ValueError:  # nothing, or not an answer: taken as a zygote gone
            return None

    def _line(self) -> bytes | None:
        """The zygote's next line, without its end; None when the zygote is gone."""
        while b"\n" not in self._pending:
            if select.select([self._results], [], [], _POLL_SECONDS)[0]:
                chunk = os.read(self._results, 4096)
                if not chunk:
                    return None
                self._pending += chunk
            elif self.zygote.poll() is not None and not select.select([self._results], [], [], 0)[0]:
                return None
        line, _, self._pending = self._pending.partition(b"\n")
        return line

    def _start(self) -> None:
        self.close()
        read, write = os.pipe()
        try:
            self.zygote = subprocess.Popen(
                [sys.executable, "-m", "tools.prefork", str(write), self.cache_folder, *self.arguments],
                cwd=self.cwd, stdin=subprocess.PIPE, stdout=self.stdout, pass_fds=(write,),
            )
            self._results, read = read, None
        except OSError:  # no zygote: `build` runs a fresh process, which says what is wrong
            self.zygote = None
        finally:
            os.close(write)
            if read is not None:
                os.close(read)

    def close(self) -> None:
        """Stop the zygote (and the build it runs, if any)."""
        if self.zygote is not None:
            if self.zygote.poll() is None:
                self.zygote.terminate()
            self.zygote.wait()
            self.zygote.stdin.close()
            self.zygote = None
        if self._results is not None:
            os.close(self._results)
            self._results, self._pending = None, b""


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


#: A forked build's exit status, set when it has ended (`_end_quickly`).
_BUILD_STATUS: list[int] = []


def _end_quickly() -> None:
    """The last exit handler of a forked build: after the others (a pool left open is shut down
    before them all), end without tearing the interpreter down, which frees every object one by
    one (1.45 s after a build of 10,000 stories; a fresh `invoke build` pays it too)."""
    if _BUILD_STATUS:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_BUILD_STATUS[0])


def _interrupted(signum, frame):
    raise KeyboardInterrupt  # a stopped build unwinds: Pagefind's scratch folder is removed


def _end_build(child: int) -> None:
    """Stop a build and the processes it started (its process group): asked first, then killed
    after `STOP_GRACE_SECONDS`."""
    try:
        os.killpg(child, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while time.monotonic() < deadline:
        try:
            if os.waitpid(child, os.WNOHANG)[0]:
                break
        except ChildProcessError:
            break
        time.sleep(0.05)
    try:
        os.killpg(child, signal.SIGKILL)  # anything of the build still there
    except ProcessLookupError:
        pass


def zygote(result_fd: int, cache_folder: str, arguments: list[str]) -> None:
    """Import what a build imports, then fork a build for each line read from standard input;
    after each, read the files of `cache_folder` (if any) ahead of the next."""
    atexit.register(_end_quickly)  # first, so it runs last
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
            _end_build(child)
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)  # Ctrl-C: the terminal sends it to livereload and the zygote
    for _request in sys.stdin.buffer:
        signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)  # until `child` is known on both sides
        child = os.fork()
        if child == 0:
            os.setpgid(0, 0)
            signal.signal(signal.SIGTERM, _interrupted)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
            os.environ[PAGES_WRITTEN_FD] = str(result_fd)
            # a normal exit, as a fresh process makes (a pool the build left open is shut down), but
            # for the interpreter's teardown (`_end_quickly`)
            _BUILD_STATUS.append(_run_invoke(arguments))
            sys.exit(_BUILD_STATUS[0])
        try:
            os.setpgid(child, child)  # (both sides set it: neither knows which runs first)
        except (PermissionError, ProcessLookupError):
            pass  # the child has already set it, or run to its end
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
        _, status, usage = os.wait4(child, 0)  # the usage of the build and of the processes it waited for
        child = 0
        cpu = usage.ru_utime + usage.ru_stime
        os.write(result_fd, f"{os.waitstatus_to_exitcode(status)} {cpu:.3f} {usage.ru_maxrss}\n".encode())
        if cache_folder:
            read_ahead(cache_folder)


if __name__ == "__main__":
    zygote(int(sys.argv[1]), sys.argv[2], sys.argv[3:])
