"""`invoke inspect`: how a story file, or a folder of them, parses.

`inspect_file` gives one JSON-ready record per file with exactly `RECORD_KEYS`, or
`{"path": ..., "error": ...}` for a file that cannot be parsed. `format_summary` turns a
record into a short readable text, warnings first.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from typing import Iterable, TextIO

from .stories import StoryError, display_path, find_story_files, load_story

#: The keys of one `--format json` line, in this order.
RECORD_KEYS = (
    "path",
    "title",
    "headline",
    "bullets",
    "captions",
    "paragraphs",
    "subheadings",
    "byline",
    "published",
    "source",
    "source_url",
    "warnings",
)
ERROR_KEYS = ("path", "error")

#: Width at which the readable summary cuts long texts.
SUMMARY_WIDTH_DEFAULT = 100

_FILENAME_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def inspect_file(
    filename: str | os.PathLike, settings: dict | None = None, display: str | None = None, notes: bool = False
) -> dict:
    """One record for one story file: the fields the site will show, as plain text.

    With `notes`, the record also says whether the key points were picked automatically
    (`bullets_automatic`), for the readable summary; JSON lines never carry it.
    """
    display = display or display_path(filename)
    try:
        story, warnings = load_story(filename, display, settings)
    except StoryError as error:
        return {"path": display, "error": str(error)}
    header = story.header or {}
    published, date_warning = _published(story, header, filename, display)
    if date_warning:
        warnings.append(date_warning)
    record = {
        "path": display,
        "title": story.title,
        "headline": story.headline,
        "bullets": list(story.bullets),
        "captions": list(story.captions),
        "paragraphs": list(story.paragraphs),
        "subheadings": list(story.subheadings),
        "byline": story.byline or header.get("author") or None,
        "published": published,
        "source": header.get("source") or story.source or None,
        "source_url": header.get("source-url") or story.source_url or None,
        "warnings": warnings,
    }
    if notes:
        record["bullets_automatic"] = bool(story.bullets_automatic)
    return record


def inspect_path(path: str | os.PathLike, settings: dict | None = None, notes: bool = False) -> list[dict]:
    """Records for a file, or for every `*.txt` under a folder in path order."""
    return [inspect_file(filename, settings, notes=notes) for filename in find_story_files(path)]


def write_json_lines(records: Iterable[dict], stream: TextIO) -> None:
    """JSON Lines: one object per record, UTF-8 text kept as is."""
    for record in records:
        keys = ERROR_KEYS if "error" in record else RECORD_KEYS
        stream.write(json.dumps({key: record[key] for key in keys}, ensure_ascii=False) + "\n")


def format_summary(record: dict, width: int = SUMMARY_WIDTH_DEFAULT) -> str:
    """A short readable account of one record, warnings first."""
    lines = [record["path"]]
    if "error" in record:
        lines.append(f"  error: {record['error']}")
        return "\n".join(lines)
    lines += [f"  warning: {warning}" for warning in record["warnings"]]
    lines.append(f"  title:     {_cut(record['title'], width)}")
    if record["headline"]:
        lines.append(f"  headline:  {_cut(record['headline'], width)}")
    facts = [
        f"published: {record['published'] or '-'}",
        f"byline: {record['byline'] or '-'}",
        f"source: {record['source'] or '-'}",
    ]
    lines.append("  " + "   ".join(facts))
    automatic = " (picked automatically)" if record.get("bullets_automatic") else ""
    lines.append(
        f"  {len(record['bullets'])} key points{automatic}, {len(record['captions'])} captions, "
        f"{len(record['paragraphs'])} paragraphs, {len(record['subheadings'])} subheadings"
    )
    lines += [f"    • {_cut(bullet, width - 4)}" for bullet in record["bullets"]]
    if record["paragraphs"]:
        lines.append(f"  first:     {_cut(record['paragraphs'][0], width)}")
        lines.append(f"  last:      {_cut(record['paragraphs'][-1], width)}")
    return "\n".join(lines)


def _published(story, header: dict, filename, display: str) -> tuple[str | None, str | None]:
    """The date the build gives the story (header, file-name prefix, text) and a warning when none.

    The build falls back to the file's modification time; inspect reports null instead,
    with the same advice, so that its output does not change with the file system.
    """
    if header.get("date"):
        try:
            return datetime.fromisoformat(header["date"].strip()).isoformat(), None
        except ValueError:
            return header["date"].strip(), None
    match = _FILENAME_DATE.match(os.path.basename(str(filename)))
    if match:
        try:
            return datetime.fromisoformat(match.group(1)).date().isoformat(), None
        except ValueError:
            pass
    if story.published:
        return story.published.isoformat(), None
    return None, (
        f"{display}: no date in a Date: header, the file name or the text; "
        "the build will use the file's time (add a Date: header)"
    )


def _cut(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"
