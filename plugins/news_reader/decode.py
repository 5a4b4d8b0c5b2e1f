"""Bytes on disk → text: UTF-8 first, then a safe fallback with a warning, else a clear error."""

from __future__ import annotations

from .story import StoryError

#: Share of bytes below 0x20 (other than tab, CR, LF and form feed) above which a file is taken for binary.
BINARY_CONTROL_SHARE_DEFAULT = 0.05


def read_text(filename: str, display: str) -> tuple[str, list[str]]:
    """The file's text and any warnings; StoryError when it is not text at all."""
    with open(filename, "rb") as handle:
        data = handle.read()
    return decode_bytes(data, display)


def decode_bytes(data: bytes, display: str) -> tuple[str, list[str]]:
    if b"\x00" in data or _control_share(data) > BINARY_CONTROL_SHARE_DEFAULT:
        raise StoryError(display, None, "not a text file (binary bytes found); save the story as UTF-8 text")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        text = data.decode("cp1252", errors="replace")
        return text, [f"{display}:{line}: not UTF-8; read as Windows-1252, check the characters and save it as UTF-8"]


#: The bytes `_control_share` counts: below 0x20, but tab, LF, form feed and CR.
_CONTROLS = bytes(byte for byte in range(0x20) if byte not in (0x09, 0x0A, 0x0C, 0x0D))


def _control_share(data: bytes) -> float:
    if not data:
        return 0.0
    head = data[:65536]
    return (len(head) - len(head.translate(None, _CONTROLS))) / len(head)  # counted at C speed
