"""parse_story: plain text → Story. A pure function: no Pelican, no files, no clock."""

from __future__ import annotations

import re

from .header import split_header
from .story import Block, Story, StoryError

_BULLET = re.compile(r"^\s*[•\-*–▪]\s+(.*)$")
_READ_MORE = re.compile(r"^Read more at\s+(.+?)\s*$")


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("’", "'").replace("‘", "'")).strip()


def parse_story(text: str, path: str = "<text>", settings: dict | None = None) -> Story:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    header, used, warnings = split_header(lines, path)
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines[used:]:
        if line.strip():
            current.append(line.strip().replace("\u00a0", " ").strip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    if not blocks:
        raise StoryError(path, None, "no story text; the file is empty")
    title = blocks.pop(0)[0]
    headline = None
    if blocks and len(blocks[0]) == 1 and blocks[0][0].startswith(title):
        headline = blocks.pop(0)[0]
    bullets: list[str] = []
    source = None
    body: list[Block] = []
    seen: set[str] = set()
    for block in blocks:
        if all(_BULLET.match(line) for line in block):
            bullets.extend(_BULLET.match(line).group(1).strip() for line in block)
            continue
        joined = " ".join(block)
        match = _READ_MORE.match(joined)
        if match:
            source = match.group(1)
            continue
        if not re.search(r"[.!?]['’”\"]?$", joined):
            key = _fold(joined)
            if key not in seen:
                seen.add(key)
                body.append(Block("caption", joined))
            continue
        body.append(Block("paragraph", joined))
    return Story(
        title=header.get("title", title), headline=headline, bullets=tuple(bullets), blocks=tuple(body),
        source=source, header=header, warnings=tuple(warnings),
    )
