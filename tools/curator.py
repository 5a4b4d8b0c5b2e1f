"""`invoke add` and `invoke drafts`: a curator's day with story files.

`add_stories` copies story texts (files, or standard input for `-`) into the content folder
as `YYYY-MM-DD-slug.txt`, each with a metadata header, and refuses a text that is already
there. `list_drafts` finds the stories marked `Status: draft`. Plain functions: the tasks in
tasks.py only pass their options through.

The header `add` writes, keys in this order:

- `Title` — only when the text has no headline line (the parser made the title up), so
  that the site and `inspect` stop asking for one;
- `Date` — `--date`, else the header's own `Date:`, else a `YYYY-MM-DD` prefix of the
  file's name, else the timestamp in the text, else now; always written, so the story
  never falls back to the file's time;
- `Category`, `Tags` — the options, else the header's own;
- `Author` — the header's own, else the byline found in the text;
- `Status: draft` with `--draft`;
- then any other key of a header the text already had (options win over it).

The text follows unchanged, without its old header and byte-order mark.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, TextIO

from pelican.settings import DEFAULT_CONFIG

from .inspection import format_summary, inspect_file
from .stories import Story, StoryError, display_path, find_story_files, load_story

from news_reader.decode import decode_bytes  # noqa: E402  (tools.stories put plugins/ on sys.path)
from news_reader.header import KNOWN_KEYS, parse_date, split_header  # noqa: E402
from news_reader.parse import parse_story  # noqa: E402
from news_reader.reader import short_slug  # noqa: E402

#: How a header key is written (the parser reads keys in any case).
KEY_NAMES = {key: ("Source-URL" if key == "source-url" else key.title()) for key in KNOWN_KEYS}
#: Keys `add` writes first, in this order; the rest follow in `KNOWN_KEYS` order.
FIRST_KEYS = ("title", "date", "category", "tags", "author", "status")
#: Longest slug in a file name (the reader cuts URL names at 80; file names stay shorter).
FILENAME_SLUG_MAX_CHARS = 60
#: The section of a story directly in the content folder without a Category: header
#: (pelicanconf.py's DEFAULT_CATEGORY; tasks.py passes the setting).
DEFAULT_CATEGORY = "News"
#: What `add` reads when FILE is this.
STDIN_NAME = "-"

_FILENAME_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "„": '"', "′": "'", "″": '"'})


class OptionError(ValueError):
    """An option value that cannot be written into a header; the message says what to change."""


@dataclass
class Options:
    """What the curator gave on the command line (None: not given)."""

    date: str | None = None
    category: str | None = None
    tags: str | None = None
    draft: bool = False

    def checked(self) -> "Options":
        """The options with values tidied; OptionError for one that cannot be used."""
        for name in ("date", "category", "tags"):
            value = getattr(self, name)
            if value is not None and ("\n" in value or "\r" in value or not value.strip()):
                raise OptionError(f"--{name} must be one non-empty line")
        date = self.date.strip() if self.date else None
        if date and parse_date(date) is None:
            raise OptionError(f"--date '{date}' is not a date; write it as YYYY-MM-DD or 'YYYY-MM-DD HH:MM'")
        tags = ", ".join(t.strip() for t in self.tags.split(",") if t.strip()) if self.tags else None
        if self.tags is not None and not tags:
            raise OptionError("--tags has no tag in it; write them comma-separated, e.g. --tags 'Transport, Harbour'")
        category = " ".join(self.category.split()) if self.category else None
        return Options(date=date, category=category, tags=tags, draft=self.draft)


@dataclass
class Prepared:
    """A story ready to be written: its parse, the header to write and the text after it."""

    story: Story
    header: dict[str, str]
    body: str
    newline: str = "\n"
    dropped: list[str] = field(default_factory=list)  # warnings about header lines left out of the new header

    @property
    def filename(self) -> str:
        """`YYYY-MM-DD-slug.txt` from the header's date and the story's title."""
        day = parse_date(self.header["date"]).strftime("%Y-%m-%d")
        return f"{day}-{file_slug(self.story.title)}.txt"

    def file_text(self) -> str:
        lines = [f"{KEY_NAMES[key]}: {value}" for key, value in self.header.items()]
        return self.newline.join([*lines, "", self.body])


# --------------------------------------------------------------------------- pieces


def read_source(source: str, stdin: TextIO | None = None) -> tuple[str, str, list[str]]:
    """(text, name to show, decoding warnings) of a file, or of standard input for `-`.

    Raises StoryError for a file that cannot be read or is not text.
    """
    if source == STDIN_NAME:
        stream = stdin or sys.stdin
        data = stream.buffer.read() if hasattr(stream, "buffer") else stream.read().encode("utf-8")
        display = "<stdin>"
    else:
        display = display_path(source)
        try:
            data = Path(source).read_bytes()
        except OSError as error:
            raise StoryError(display, None, f"cannot read the file: {error.strerror or error}") from error
    text, warnings = decode_bytes(data, display)
    return text.lstrip("\ufeff"), display, list(warnings)


def split_text(text: str, display: str) -> tuple[dict[str, str], str, str, int]:
    """(the header the text has, the text after it, its line ending, lines the header used).

    The header is read exactly as the parser reads it (`news_reader.header.split_header`);
    the rest is returned unchanged but for leading blank lines.
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(newline)
    header, used, _ = split_header([line.rstrip("\r") for line in lines], display)
    rest = lines[used:] if header else lines
    while rest and not rest[0].strip():
        rest = rest[1:]
    body = newline.join(rest)
    if body and not body.endswith(newline):
        body += newline
    return header, body, newline, used if header else 0


def file_slug(title: str) -> str:
    """The title as a file-name slug, cut at a word end."""
    return short_slug(title, DEFAULT_CONFIG["SLUG_REGEX_SUBSTITUTIONS"], FILENAME_SLUG_MAX_CHARS)


def fingerprint(story: Story) -> str:
    """The same text gives the same fingerprint, whatever its header, spaces or quotes.

    Made of the body's paragraphs and captions; a story with neither (all key points) uses
    its title, headline and key points.
    """
    parts = [*story.paragraphs, "\x00", *story.captions]
    if not story.paragraphs and not story.captions:
        parts = [story.title, story.headline or "", *story.bullets]
    folded = "\n".join(" ".join(p.translate(_QUOTES).split()).casefold() for p in parts)
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def index_texts(
    content: str | os.PathLike, settings: dict | None = None, default_category: str = DEFAULT_CATEGORY
) -> tuple[dict[str, str], set[str]]:
    """(fingerprint → path of every story in the content folder that parses (the first one wins),
    the categories those stories are in: their `Category:` header, else their folder)."""
    index: dict[str, str] = {}
    categories: set[str] = set()
    for filename in find_story_files(content):
        display = display_path(filename)
        try:
            story, _ = load_story(filename, display, settings)
        except StoryError:
            continue  # `invoke build` and `inspect` report it; it cannot be a duplicate of anything
        index.setdefault(fingerprint(story), display)
        folder = Path(filename).parent
        in_folder = folder.name if folder.resolve() != Path(content).resolve() else default_category
        categories.add(story.header.get("category") or in_folder)
    return index, categories


def category_note(category: str | None, categories: set[str]) -> str | None:
    """A note when `--category` names a section no story is in yet: a typo starts a new section."""
    if not category or not categories or category.casefold() in {c.casefold() for c in categories}:
        return None
    return (
        f"Category '{category}' is new (sections so far: {', '.join(sorted(categories))}); "
        "check the spelling, or keep it to start a section"
    )


def prepare(
    text: str, display: str, options: Options, settings: dict | None = None, now: Callable[[], datetime] = datetime.now
) -> Prepared:
    """Parse a story text and work out the header `add` writes for it (see the module docstring).

    Raises StoryError (with path and line) for a text that cannot be published.
    """
    story = parse_story(text, path=display, settings=dict(settings or {}))
    old, body, newline, used = split_text(text, display)
    header: dict[str, str] = {}
    if not story.title_from_text:
        header["title"] = old.get("title") or story.title
    header["date"] = options.date or old.get("date") or _date_from_name(display) or _date_of(story, now)
    for key in ("category", "tags"):
        value = getattr(options, key) or old.get(key)
        if value:
            header[key] = value
    author = old.get("author") or (" ".join(story.byline.split()) if story.byline else None)
    if author:
        header["author"] = author
    if options.draft:
        header["status"] = "draft"
    for key in [*FIRST_KEYS, *KNOWN_KEYS]:
        if key in old and key not in header:
            header[key] = old[key]
    ordered = {key: header[key] for key in [*FIRST_KEYS, *KNOWN_KEYS] if key in header}
    on_header = re.compile(rf"^{re.escape(display)}:(\d+):")
    dropped = [w for w in story.warnings if (m := on_header.match(w)) and int(m.group(1)) < used]
    return Prepared(story, ordered, body, newline, dropped)


def _date_from_name(display: str) -> str | None:
    match = _FILENAME_DATE.match(os.path.basename(display))
    return match.group(1) if match and parse_date(match.group(1)) else None


def _date_of(story: Story, now: Callable[[], datetime]) -> str:
    when = story.published or now()
    return when.strftime("%Y-%m-%d %H:%M")


def free_path(folder: Path, filename: str) -> Path:
    """`folder/filename`, or `NAME-2.txt`, `NAME-3.txt`, ... when taken."""
    path = folder / filename
    stem, number = path.stem, 2
    while path.exists():
        path = folder / f"{stem}-{number}.txt"
        number += 1
    return path


# --------------------------------------------------------------------------- the tasks


def add_stories(
    sources: Iterable[str],
    content: str | os.PathLike,
    options: Options,
    settings: dict | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    stdin: TextIO | None = None,
    default_category: str = DEFAULT_CATEGORY,
) -> int:
    """`invoke add`: write each source into the content folder; the number of sources not added.

    Every source is tried: an error (a text that cannot be published, a text already in
    the folder) is written to `err` with what to change, and the next source is added.
    """
    out, err = out or sys.stdout, err or sys.stderr
    sources = list(sources)
    options = options.checked()
    folder = Path(content)
    folder.mkdir(parents=True, exist_ok=True)
    known, categories = index_texts(folder, settings, default_category)
    note = category_note(options.category, categories)
    if note:
        err.write(f"note: {note}\n")
    added = failed = 0
    for source in sources:
        try:
            text, display, decode_warnings = read_source(source, stdin)
            prepared = prepare(text, display, options, settings)
        except StoryError as error:
            err.write(f"error: {error}\n")
            failed += 1
            continue
        key = fingerprint(prepared.story)
        if key in known:
            err.write(
                f"error: {display}: the same text is already in {known[key]}; not added "
                f"(edit that file, or remove it first to add this one again)\n"
            )
            failed += 1
            continue
        target = free_path(folder, prepared.filename)
        with open(target, "w", encoding="utf-8", newline="") as handle:
            handle.write(prepared.file_text())
        shown = display_path(target)
        known[key] = shown
        out.write(f"{chr(10) if added else ''}added {display} as {shown}\n")
        added += 1
        for warning in decode_warnings:
            out.write(f"  note: {warning} (written as UTF-8)\n")
        for warning in prepared.dropped:
            out.write(f"  note: {warning} (left out of the new header)\n")
        record = inspect_file(target, settings, display=shown, notes=True)
        out.write("\n".join(format_summary(record).splitlines()[1:]) + "\n")
        out.write(f"  header:    {', '.join(f'{KEY_NAMES[k]}: {v}' for k, v in prepared.header.items())}\n")
        if not prepared.story.title_from_text and "title" not in prepared.story.header:
            out.write(f"  note: the text has no headline line; the Title: line was made from it, edit it in {shown}\n")
    out.write(f"\nAdded {added} of {len(sources)} stories to {display_path(folder)}.\n")
    return failed


def list_drafts(content: str | os.PathLike, settings: dict | None = None) -> tuple[list[tuple[str, str]], list[str]]:
    """`invoke drafts`: ([(path, title)] of stories with `Status: draft`, [errors of files that do not parse])."""
    drafts, errors = [], []
    for filename in find_story_files(content):
        display = display_path(filename)
        try:
            story, _ = load_story(filename, display, settings)
        except StoryError as error:
            errors.append(str(error))
            continue
        if story.header.get("status", "").strip().lower() == "draft":
            drafts.append((display, story.title))
    return drafts, errors
