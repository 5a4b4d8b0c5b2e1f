"""The optional metadata header: leading `Key: value` lines with known keys, ended by a blank line."""

from __future__ import annotations

import re
from datetime import datetime

from .story import StoryError

#: Keys a curator may write, lower-cased, each with what it means.
KNOWN_KEYS = {
    "title": "the story's title, when the text has no headline line",
    "date": "publication date, YYYY-MM-DD or YYYY-MM-DD HH:MM",
    "modified": "date of the last correction, same form as Date",
    "category": "the story's section (otherwise the folder under content/)",
    "tags": "comma-separated tags",
    "source": "who published the original (overrides 'Read more at ...')",
    "source-url": "link to the original",
    "slug": "the story's URL name",
    "status": "published, draft or hidden",
    "summary": "a one-paragraph summary used when the text has no key points",
    "author": "the byline, when the text has none",
    "featured": "yes to pin the story at the top of its edition",
    "note": "the curator's note, shown as 'Why it matters'",
}
STATUSES = ("published", "draft", "hidden")
#: Years a story's date may have (feeds cannot write times before local time zones existed).
YEARS = (1900, 2999)
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")

_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z-]*):[ \t]*(.*?)\s*$")


def parse_date(value: str) -> datetime | None:
    """A header date in one of `DATE_FORMATS`, else None."""
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
    return None


def split_header(lines: list[str], path: str) -> tuple[dict[str, str], int, list[str]]:
    """Split a header off `lines`: returns (header, number of lines it used, warnings).

    The first block is a header only when every line is `Key: value` and the first key is
    known, so that a headline such as `Brexit: May resigns` stays a headline.
    """
    block: list[str] = []
    for line in lines:
        if not line.strip():
            break
        block.append(line)
    matches = [_HEADER_LINE.match(line) for line in block]
    if not block or not all(matches) or matches[0].group(1).lower() not in KNOWN_KEYS:
        return {}, 0, []
    if len(block) == len(lines):
        # a header with nothing after it is a one-line story such as "Title: subtitle"
        return {}, 0, []
    header: dict[str, str] = {}
    warnings: list[str] = []
    for number, match in enumerate(matches, start=1):
        key, value = match.group(1).lower(), match.group(2)
        if key not in KNOWN_KEYS:
            warnings.append(
                f"{path}:{number}: unknown header key '{match.group(1)}' ignored; "
                f"known keys: {', '.join(k.title() for k in KNOWN_KEYS)}"
            )
            continue
        _check_value(key, value, path, number)
        if key == "source-url" and not re.match(r"^https?://\S+$", value):
            warnings.append(f"{path}:{number}: Source-URL '{value}' is not a web address (http:// or https://); ignored")
            continue
        if key in ("category", "tags", "slug"):
            value = _named_values(key, value, path, number, warnings)
            if not value:
                continue
        header[key] = value
    return header, len(block) + 1, warnings


def _named_values(key: str, value: str, path: str, line: int, warnings: list[str]) -> str:
    """Category, tags and slug name pages: a name with no letter or digit makes no URL, so it is
    left out with a warning (a category falls back to the story's folder)."""
    names = [v.strip() for v in value.split(",")] if key == "tags" else [value.strip()]
    # as Pelican's slugify does, markup is stripped before the letters and digits are kept
    kept = [name for name in names if re.search(r"[^\W_]", re.sub(r"<[^>]*>", "", name))]
    for name in names:
        if name not in kept:
            warnings.append(
                f"{path}:{line}: {key.title()} '{name}' has no letter or digit to make a web address of; ignored"
            )
    return ", ".join(kept)


def _check_value(key: str, value: str, path: str, line: int) -> None:
    """Raise a StoryError naming the line for a header value that cannot be used."""
    if key == "title" and not value:
        raise StoryError(path, line, "empty Title: header; write the title after 'Title:' or remove the line")
    if key in ("date", "modified"):
        date = parse_date(value)
        if date is None:
            raise StoryError(
                path, line, f"{key.title()}: '{value}' is not a date; write it as YYYY-MM-DD or YYYY-MM-DD HH:MM"
            )
        if not YEARS[0] <= date.year <= YEARS[1]:
            raise StoryError(path, line, f"{key.title()}: '{value}' is out of range; a year from {YEARS[0]} to {YEARS[1]}")
    if key == "status" and value.lower() not in STATUSES:
        raise StoryError(path, line, f"Status: '{value}' is unknown; use one of {', '.join(STATUSES)}")
