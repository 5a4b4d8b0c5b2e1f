"""Work shared with forked copies of the build's process, on the cores the build leaves idle.

A forked child sees the site as the build holds it (nothing is pickled to it), does its part and
pickles what it made into a temporary file, not a pipe, so it never waits for the build to read
it; it ends with `os._exit`, so none of the build's own clean-up runs twice. Before each fork the
objects both processes hold are frozen (`gc.freeze`): neither process's garbage collection then
writes to, and so copies, the memory they share; `thaw` once every child is done.
"""

from __future__ import annotations

import gc
import os
import pickle
import tempfile
import traceback


def spare_cores() -> int:
    """Cores beyond the build's own process, where children can be forked."""
    return (os.cpu_count() or 1) - 1 if hasattr(os, "fork") else 0


class Child:
    """A forked process working out `function(*args)` (`fork`); `outcome` is what it made."""

    def __init__(self, pid: int, report):
        self.pid, self._report, self._status = pid, report, None

    def finished(self) -> bool:
        """Whether the child is done (without waiting for it)."""
        if self._status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self._status = status
        return self._status is not None

    def outcome(self):
        """Once it is done: what it made, or the traceback of its error as text."""
        if self._status is None:
            self._status = os.waitpid(self.pid, 0)[1]
        with self._report as report:
            report.seek(0)
            try:
                return pickle.load(report)
            except EOFError:
                return "the child process ended without a word"


def fork(function, *args) -> Child:
    """Work out `function(*args)` in a forked child, beside this process. Its result must not be
    text (text is what a failure reports)."""
    report = tempfile.TemporaryFile()
    gc.freeze()
    pid = os.fork()
    if pid:
        return Child(pid, report)
    code = 0
    try:
        try:
            outcome = function(*args)
        except BaseException:  # noqa: BLE001 - the parent reports it
            outcome, code = traceback.format_exc(), 1
        pickle.dump(outcome, report, protocol=pickle.HIGHEST_PROTOCOL)
        report.flush()
    finally:
        os._exit(code)


def made(outcomes: list, work: str) -> list:
    """The children's outcomes (`Child.outcome`), once every child is done; the first failure
    raised, with its traceback (`work` says what the children were doing)."""
    for outcome in outcomes:
        if isinstance(outcome, str):
            raise RuntimeError(f"{work} in a child process failed:\n{outcome}")
    return outcomes


def thaw() -> None:
    """Once every child is done: the objects frozen at a fork are collected again."""
    gc.unfreeze()
