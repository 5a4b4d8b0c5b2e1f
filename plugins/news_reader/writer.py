"""Pelican's writer, but a page or feed whose bytes are already on disk is not written again.

A rebuild renders every page; most come out the same. Leaving those files alone saves the
writes (and keeps their modification times, so `rsync` and browsers see only real changes).
The bytes are compared in full (size first), so the output is the same as Pelican's own writer's.
"""

from __future__ import annotations

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
