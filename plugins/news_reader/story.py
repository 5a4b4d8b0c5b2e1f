"""The `Story` value: what a plain-text news story is made of, with no Pelican in sight."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime


class StoryError(ValueError):
    """A story file that cannot be published; the message names the file and line."""

    def __init__(self, path: str, line: int | None, reason: str):
        self.path, self.line, self.reason = path, line, reason
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {reason}")

    def __reduce__(self):
        return (StoryError, (self.path, self.line, self.reason))


@dataclass(frozen=True)
class Block:
    """One piece of the body, in reading order."""

    kind: str  # "paragraph", "caption", "subheading", "embed" (a social post),
    # "comment" (a reader's) or "endnote" (contributor credits)
    text: str
    credit: str | None = None  # a caption's photo credit ("Getty Images"), else None


@dataclass(frozen=True)
class Story:
    """A parsed story. Every string is plain text (never HTML)."""

    title: str
    headline: str | None = None
    bullets: tuple[str, ...] = ()
    bullets_automatic: bool = False  # True when key points were picked from the body
    blocks: tuple[Block, ...] = ()
    byline: str | None = None
    dateline: str | None = None
    published: datetime | None = None  # from a timestamp line in the text
    source: str | None = None
    source_url: str | None = None
    header: dict[str, str] = field(default_factory=dict)  # the metadata header, as written
    warnings: tuple[str, ...] = ()
    title_from_text: bool = True  # False when the title came from the header or the first sentence

    @property
    def paragraphs(self) -> list[str]:
        return [b.text for b in self.blocks if b.kind == "paragraph"]

    @property
    def captions(self) -> list[str]:
        return [b.text for b in self.blocks if b.kind == "caption"]

    @property
    def subheadings(self) -> list[str]:
        return [b.text for b in self.blocks if b.kind == "subheading"]

    def as_dict(self) -> dict:
        """The story as plain JSON-ready data (the shape of `invoke inspect --format json`)."""
        data = asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        data["captions"] = self.captions
        data["paragraphs"] = self.paragraphs
        data["subheadings"] = self.subheadings
        data["bullets"] = list(self.bullets)
        data["warnings"] = list(self.warnings)
        data["blocks"] = [asdict(b) for b in self.blocks]
        return data
