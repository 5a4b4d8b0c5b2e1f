"""Pelican glue: read a `.txt` story file, parse it, hand Pelican HTML and metadata."""

from __future__ import annotations

import logging
import os
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from pelican.readers import BaseReader
from pelican.utils import SafeDatetime, slugify

from .header import YEARS, parse_date
from .prepare import STORY_EXTENSIONS, take_prepared, typeset
from .story import StoryError

logger = logging.getLogger(__name__)

#: Longest URL name made from a title (file systems refuse names over 255 bytes).
SLUG_MAX_CHARS = 80

def short_slug(title: str, regex_subs, max_chars: int = SLUG_MAX_CHARS) -> str:
    """`title` slugified, cut at a word end to keep URLs and file names short."""
    slug = slugify(title, regex_subs=regex_subs)
    if len(slug) > max_chars:
        slug = slug[:max_chars].rsplit("-", 1)[0]
    return slug or "story"


_FILENAME_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?")


def iso_date(text: str) -> SafeDatetime | None:
    """`2024-12-29`, `2024-12-29 04:42` or `2024-12-29 04:42:05` as Pelican's date reader reads
    it (dateutil, at a tenth of a millisecond a story); None for anything else."""
    match = _ISO_DATE.fullmatch(text)
    if not match:
        return None
    try:
        return SafeDatetime(*(int(part) for part in match.groups() if part is not None))
    except ValueError:
        return None  # not a date: Pelican's reader says so


class StoryReader(BaseReader):
    """Reads plain-text news stories (`.txt`)."""

    enabled = True
    file_extensions = list(STORY_EXTENSIONS)

    def read(self, filename):
        display = os.path.relpath(filename, self.settings.get("PATH", "."))
        prepared = take_prepared(filename, display, self.settings.get("BROADSHEET_PARSER", {}))
        if prepared.error:
            logger.error("%s", prepared.error)
            raise prepared.error
        story = prepared.story
        for warning in (*prepared.decode_warnings, *story.warnings):
            logger.warning("%s", warning)
        try:
            metadata = self._metadata(story, filename, display, prepared.typeset or typeset(story))
        except StoryError as error:
            logger.error("%s", error)
            raise
        if prepared.found_tags:
            metadata["found_tags"] = prepared.found_tags  # for tagging.tag_stories
        return prepared.body_html, metadata

    def _metadata(self, story, filename, display, pieces):
        """Pelican's metadata; `pieces` is the text already typeset with the parse (prepare.typeset)."""
        header = story.header
        meta = {
            "title": pieces["title"],
            "title_html": pieces["title_html"],
            "bullets": list(pieces["bullets"]),
            "bullets_automatic": story.bullets_automatic,
            "summary": pieces["summary"],
        }
        for key in ("headline", "byline", "dateline", "source"):
            if key in pieces:
                meta[key] = pieces[key]
        source_url = header.get("source-url") or story.source_url
        if source_url:
            meta["source_url"] = source_url
        for key in ("category", "tags", "status", "modified"):
            if key in header:
                meta[key] = self.process_metadata(key, header[key])
        # a Slug: header is slugified too, so it cannot carry quotes, markup or odd file names
        meta["slug"] = short_slug(header.get("slug") or story.title, self.settings.get("SLUG_REGEX_SUBSTITUTIONS", []))
        if "note" in pieces:
            meta["note"] = pieces["note"]
        meta["featured"] = header.get("featured", "").strip().lower() in ("yes", "true", "1")
        if "header_summary" in pieces and story.bullets_automatic:
            meta["summary"] = pieces["header_summary"]
        date = self._date(story, filename, display)
        meta["date"] = iso_date(date) or self.process_metadata("date", date)
        return meta

    def _date(self, story, filename, display) -> str:
        """Date precedence: header, file-name prefix, timestamp in the text, file time (warned)."""
        if "date" in story.header:
            return story.header["date"]
        match = _FILENAME_DATE.match(os.path.basename(filename))
        if match:
            date = parse_date(match.group(1))
            if date is None or not YEARS[0] <= date.year <= YEARS[1]:
                raise StoryError(
                    display, None, f"the file name's date {match.group(1)} is not a date; rename the file or add a Date: header"
                )
            return match.group(1)
        if story.published:
            return story.published.isoformat(sep=" ", timespec="minutes")
        zone = ZoneInfo(self.settings.get("TIMEZONE") or "UTC")
        mtime = datetime.fromtimestamp(os.path.getmtime(filename), tz=zone).replace(tzinfo=None)
        logger.warning(
            "%s: no date in a Date: header, the file name or the text; using the file's time %s",
            display,
            mtime.strftime("%Y-%m-%d %H:%M"),
        )
        return mtime.strftime("%Y-%m-%d %H:%M")
