"""Issue 4: no story lost, no bad input breaks the build, no text becomes code.

One real Pelican build (the project's pelicanconf.py, no mocks) of a folder of hostile and broken
inputs: the text files of `tests/fixtures/hostile/`, byte-level cases written here (Windows-1252,
Latin-1, a PNG renamed `.txt`, NUL bytes, BOM + CRLF, CR-only, control and zero-width
characters) and four story fixtures of normal shape from `tests/fixtures/stories/`. The tests
read the output with BeautifulSoup and xml.etree, the build's account in
`news_reader.site.LAST_REPORT` and the log records.

Also here: a second build of the same content (byte-identical output), the 1 MB single line and
the 10 MB story (each in a test of its own), hypothesis properties of decode, parse and render,
and small builds of their own for header values and file names that turned up bugs (a `Slug:`
header, categories and tags with no letter or digit, a `.TXT` extension).
"""

from __future__ import annotations

import copy
import hashlib
import logging
import random
import re
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pelican import Pelican
from pelican.settings import read_settings

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SETTINGS = ROOT / "pelicanconf.py"
HOSTILE = HERE / "fixtures" / "hostile"
STORIES = HERE / "fixtures" / "stories"
sys.path.insert(0, str(ROOT / "plugins"))

from news_reader import render  # noqa: E402
from news_reader.decode import decode_bytes  # noqa: E402
from news_reader.parse import parse_story  # noqa: E402
from news_reader.story import Story, StoryError  # noqa: E402
from support import BuiltPages, LogRecords

# --- the inputs -------------------------------------------------------------------------------

#: Byte-level cases, written into the content folder at build time (not committed as files,
#: so that no editor or git setting can change their bytes).
BYTES = {
    "2020-01-15-windows_1252.txt": (
        b"Caf\xe9 opens in the old town square\n\n"
        b"The caf\xe9 opened on Monday in the town, selling \x93fresh\x94 bread \x96 and cakes.\n"
    ),
    "2020-01-16-latin_1.txt": (
        b"Se\xf1or Garc\xeda wins the regional prize\n\n"
        b"Se\xf1or Garc\xeda won the prize for his work at the \xe9cole in the valley.\n"
    ),
    "png_renamed.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06" + bytes(range(256)),
    "nul_bytes.txt": b"Story with a NUL byte\n\nThe text has a \x00 byte in the middle of it.\n",
    "bom_crlf.txt": (
        "\ufeffDate: 2020-01-17 08:00\r\n\r\nBridge reopens after repairs\r\n\r\n"
        "The bridge reopened on Friday after six months of repairs.\r\n\r\n"
        "Traffic was light in the first hour, the council said.\r\n"
    ).encode("utf-8"),
    "cr_only.txt": (
        b"Date: 2020-01-18 08:00\r\rFerry service resumes on the island\r\r"
        b"The ferry service resumed on Wednesday after the storm.\r\r"
        b"Islanders queued at the harbour before dawn.\r"
    ),
    "control_chars.txt": (
        "Date: 2020-01-19 08:00\n\n"
        "Tabs\tand\u200b invisible characters in a headline\n\n"
        "The council\u200b met on\tTuesday and the \x07bell rang twice\x0b in the hall.\n\n"
        "\u200b\u200c\u200d\u2060\n\n"
        "A final\u00a0paragraph with a soft\u00adhyphen and a word\u200cjoiner.\n"
    ).encode("utf-8"),
}

#: Story fixtures of normal shape for "no word lost" (a date in the name where the text has none).
NORMAL = {
    "2019-03-15-seed.txt": "seed.txt",
    "2019-05-01-captions_near_duplicates.txt": "captions_near_duplicates.txt",
    "2019-05-02-subheadings.txt": "subheadings.txt",
    "byline_and_timestamp.txt": "byline_and_timestamp.txt",
}

#: Files that cannot be published: the reason each error gives (file and line in the message).
ERRORS = {
    "empty.txt": "empty.txt: the file has no text",
    "whitespace_only.txt": "whitespace_only.txt: the file has no text",
    "png_renamed.txt": "png_renamed.txt: not a text file",
    "nul_bytes.txt": "nul_bytes.txt: not a text file",
    "bad_date.txt": "bad_date.txt:2: Date: 'next tuesday' is not a date",
    "empty_title.txt": "empty_title.txt:2: empty Title: header",
    "impossible_date.txt": "impossible_date.txt:1: Date: '2020-02-30' is not a date",
    "bad_status.txt": "bad_status.txt:2: Status: 'maybe' is unknown",
}

#: Files published, with the title their page shows.
PUBLISHED = {
    "2020-01-06-title_only.txt": "Council approves new bridge over the river",
    "2020-01-07-same_title_first.txt": "Storm closes coastal road",
    "2020-01-08-same_title_second.txt": "Storm closes coastal road",
    "2020-01-09-duplicate_a.txt": "Bakery wins national bread award",
    "2020-01-14-long_word.txt": "Very long words and addresses on one page",
    "2020-01-15-windows_1252.txt": "Café opens in the old town square",
    "2020-01-16-latin_1.txt": "Señor García wins the regional prize",
    "bom_crlf.txt": "Bridge reopens after repairs",
    "cr_only.txt": "Ferry service resumes on the island",
    "control_chars.txt": "Tabs and invisible characters in a headline",
    "future_date.txt": "Tunnel under the estuary to open",
    "markup.txt": "Forum flooded with <script>alert(1)</script> posts",
    "unknown_key.txt": "Choir sings at the station",
}
DRAFTS = {"draft.txt": "Draft story about the harbour"}
SKIPPED = {"2020-01-09-duplicate_b.txt": "2020-01-09-duplicate_a.txt"}


def content_files() -> dict[str, bytes]:
    """Every input file of the hostile build, by name."""
    files = {p.name: p.read_bytes() for p in sorted(HOSTILE.glob("*.txt"))}
    files.update(BYTES)
    files.update({name: (STORIES / source).read_bytes() for name, source in NORMAL.items()})
    return files


def test_every_input_file_has_an_expected_fate():
    """The expectations above name each input file exactly once."""
    names = [*ERRORS, *PUBLISHED, *DRAFTS, *SKIPPED, *NORMAL]
    assert len(names) == len(set(names))
    assert sorted(names) == sorted(content_files())


# --- building -------------------------------------------------------------------------------


class Site(BuiltPages):
    def __init__(self, root: Path, content: Path, output: Path, records, report, seconds: float):
        super().__init__(output)
        self.root, self.content = root, content
        self.records, self.report, self.seconds = records, report, seconds

    def story_pages(self, title: str) -> list[Path]:
        """Pages whose story headline (h1 in article.story) reads `title`."""
        return [
            path
            for path in self.pages()
            if (h1 := self.soup(path).select_one("article.story h1")) and fold_text(h1.get_text()) == fold_text(title)
        ]

    def story_page(self, title: str) -> Path:
        found = self.story_pages(title)
        assert len(found) == 1, f"expected one story page titled {title!r}, found {found}"
        return found[0]

    def messages(self, level: int = logging.WARNING) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= level]


def run_build(content: Path, output: Path) -> tuple[list[logging.LogRecord], object, float]:
    """Build `content` into `output` with the project's settings; the log, the build's report
    (a copy of news_reader.site.LAST_REPORT) and the time taken."""
    settings = read_settings(str(SETTINGS), override={"PATH": str(content), "OUTPUT_PATH": str(output)})
    handler = LogRecords(logging.INFO)
    reader_log = logging.getLogger("news_reader")
    old_level = reader_log.level
    reader_log.setLevel(logging.INFO)  # the summary line is logged at INFO
    logging.getLogger().addHandler(handler)
    try:
        start = time.perf_counter()
        Pelican(settings=settings).run()
        seconds = time.perf_counter() - start
    finally:
        logging.getLogger().removeHandler(handler)
        reader_log.setLevel(old_level)
    # Pelican loads the plugin as the top-level module `news_reader` (plugins/ is on sys.path)
    report = copy.deepcopy(sys.modules["news_reader.site"].LAST_REPORT)
    return handler.records, report, seconds


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    root = tmp_path_factory.mktemp("hostile")
    content = root / "content"
    content.mkdir()
    for name, data in content_files().items():
        (content / name).write_bytes(data)
    output = root / "output"
    records, report, seconds = run_build(content, output)
    return Site(root, content, output, records, report, seconds)


# --- helpers ---------------------------------------------------------------------------------

_FOLD = str.maketrans(
    {
        "\u00a0": " ",
        "\u202f": " ",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
        "…": "...",
    }
)


def fold_text(text: str) -> str:
    """Text as read: typographic quotes, dashes and no-break spaces folded, spaces collapsed."""
    return " ".join(text.translate(_FOLD).split())


def words(text: str) -> set[str]:
    """Lower-cased words (runs of letters and digits) of folded text."""
    return set(re.findall(r"\w+", fold_text(text).lower().replace("_", " ")))


def article_text(soup: BeautifulSoup) -> str:
    return fold_text(soup.select_one("article.story").get_text(" "))


# --- every input file is accounted for ------------------------------------------------------


def test_the_build_finishes_and_reports_one_summary_line(site):
    summaries = [m for m in site.messages(logging.INFO) if m.startswith("Broadsheet: ")]
    assert summaries == [site.report.summary()]
    assert summaries[0] == (
        f"Broadsheet: {len(PUBLISHED) + len(NORMAL)} published, 1 drafts, 0 hidden, 1 skipped, {len(ERRORS)} errors"
    )


def test_every_file_is_published_drafted_skipped_or_an_error(site):
    report = site.report
    # the two stories with one title are two pages: the published count is one per story page
    assert report.published == len(PUBLISHED) + len(NORMAL)
    assert report.drafts == sorted(DRAFTS)
    assert report.skipped == sorted(SKIPPED)
    assert report.errors == sorted(ERRORS)
    total = report.published + len(report.drafts) + report.hidden + len(report.skipped) + len(report.errors)
    assert total == len(content_files())


def test_no_traceback_in_the_log(site):
    for record in site.records:
        assert not record.exc_info, record.getMessage()
        assert "Traceback" not in record.getMessage()


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_bad_file_is_an_error_naming_file_line_and_reason(site, name):
    assert name in site.report.errors
    errors = site.messages(logging.ERROR)
    assert any(ERRORS[name] in m for m in errors), errors
    # and says how to fix it
    fix = next(m for m in errors if ERRORS[name] in m)
    assert re.search(r"; (add|save|write|use)", fix), fix


@pytest.mark.parametrize("name", sorted([*PUBLISHED, *NORMAL]))
def test_good_story_is_published(site, name):
    title = PUBLISHED.get(name) or parse_story((STORIES / NORMAL[name]).read_text(encoding="utf-8")).title
    pages = site.story_pages(title)
    assert pages, f"{name}: no page titled {title!r}"
    assert all(p.is_relative_to(site.output) and "drafts" not in p.parts for p in pages)


def test_title_only_file_is_published_with_its_title_as_text(site):
    page = site.soup(site.story_page(PUBLISHED["2020-01-06-title_only.txt"]))
    assert "Council approves new bridge over the river" in article_text(page)
    assert page.select_one("article.story time")["datetime"].startswith("2020-01-06")


@pytest.mark.parametrize(
    "name, line",
    [("2020-01-15-windows_1252.txt", 1), ("2020-01-16-latin_1.txt", 1)],
)
def test_not_utf8_is_decoded_with_a_warning_naming_file_and_line(site, name, line):
    warnings = site.messages(logging.WARNING)
    assert any(m.startswith(f"{name}:{line}: not UTF-8; read as Windows-1252") for m in warnings), warnings


def test_windows_1252_text_is_read_right(site):
    page = site.soup(site.story_page(PUBLISHED["2020-01-15-windows_1252.txt"]))
    assert "The café opened on Monday in the town, selling \"fresh\" bread - and cakes." in article_text(page)


def test_latin_1_text_is_read_right(site):
    page = site.soup(site.story_page(PUBLISHED["2020-01-16-latin_1.txt"]))
    assert "Señor García won the prize for his work at the école in the valley." in article_text(page)


def test_bom_and_crlf_are_read_as_plain_lines(site):
    page = site.story_page(PUBLISHED["bom_crlf.txt"])
    soup = site.soup(page)
    paragraphs = [fold_text(p.get_text()) for p in soup.select(".story-body > p")]
    assert paragraphs == [
        "The bridge reopened on Friday after six months of repairs.",
        "Traffic was light in the first hour, the council said.",
    ]
    assert soup.select_one("article.story time")["datetime"].startswith("2020-01-17T08:00")  # the header was read
    raw = page.read_text(encoding="utf-8")
    assert "\ufeff" not in raw and "\r" not in raw


def test_cr_only_line_endings_are_read_as_lines(site):
    soup = site.soup(site.story_page(PUBLISHED["cr_only.txt"]))
    paragraphs = [fold_text(p.get_text()) for p in soup.select(".story-body > p")]
    assert paragraphs == [
        "The ferry service resumed on Wednesday after the storm.",
        "Islanders queued at the harbour before dawn.",
    ]
    assert soup.select_one("article.story time")["datetime"].startswith("2020-01-18T08:00")


def test_tabs_control_and_zero_width_characters_leave_clean_text(site):
    page = site.story_page(PUBLISHED["control_chars.txt"])
    raw = page.read_text(encoding="utf-8")
    for char in ("\t", "\x07", "\x0b", "\u200b", "\u200c", "\u200d", "\u2060", "\u00ad"):
        assert char not in raw, repr(char)
    text = article_text(site.soup(page))
    assert "The council met on Tuesday and the bell rang twice in the hall." in text
    assert "A final paragraph with a soft" in text
    # no paragraph left empty by a line of invisible characters
    assert all(fold_text(p.get_text()) for p in site.soup(page).select(".story-body > p"))


def test_very_long_word_and_url_are_on_the_page(site):
    source = (HOSTILE / "2020-01-14-long_word.txt").read_text(encoding="utf-8")
    word = max(source.split(), key=len)
    url = next(w for w in source.split() if w.startswith("https://"))
    assert len(word) > 2000 and len(url) > 1000
    page = site.story_page(PUBLISHED["2020-01-14-long_word.txt"])
    text = article_text(site.soup(page))
    assert word in text
    assert url in text
    assert len(page.name.encode()) < 255  # a file name the file system accepts


def test_two_stories_with_one_title_get_distinct_urls(site):
    pages = site.story_pages("Storm closes coastal road")
    assert len(pages) == 2 and pages[0] != pages[1]
    texts = [article_text(site.soup(p)) for p in pages]
    assert sum("The coastal road was closed on Tuesday morning" in t for t in texts) == 1
    assert sum("A second storm closed the coastal road again on Wednesday" in t for t in texts) == 1
    assert any(
        m.startswith("2020-01-08-same_title_second.txt: another story already has the URL name 'storm-closes-coastal-road'")
        for m in site.messages()
    ), site.messages()


def test_the_same_story_twice_is_published_once_with_a_warning_naming_both(site):
    assert len(site.story_pages("Bakery wins national bread award")) == 1
    assert site.report.skipped == ["2020-01-09-duplicate_b.txt"]
    warnings = [m for m in site.messages() if "the same story as" in m]
    assert warnings == [
        "2020-01-09-duplicate_b.txt: the same story as 2020-01-09-duplicate_a.txt; "
        "published once, from 2020-01-09-duplicate_a.txt"
    ]


def test_unknown_header_key_is_a_warning_naming_file_and_line(site):
    assert any(m.startswith("unknown_key.txt:2: unknown header key 'Mood' ignored") for m in site.messages())
    soup = site.soup(site.story_page(PUBLISHED["unknown_key.txt"]))
    assert "cheerful" not in article_text(soup)
    assert soup.select_one("article.story time")["datetime"].startswith("2020-01-10T08:00")  # the rest of the header holds


def test_future_date_is_published_with_that_date(site):
    soup = site.soup(site.story_page(PUBLISHED["future_date.txt"]))
    assert soup.select_one("article.story time")["datetime"].startswith("2099-12-31T12:00")
    home = [fold_text(h.get_text()) for h in site.soup(site.output / "index.html").select(".story-title")]
    assert home[0] == PUBLISHED["future_date.txt"]  # the newest story leads


def test_draft_is_left_out_of_listings_and_feeds(site):
    title = DRAFTS["draft.txt"]
    assert site.report.drafts == ["draft.txt"]
    drafts = site.story_pages(title)
    assert [p.relative_to(site.output).parts[0] for p in drafts] == ["drafts"]
    for path in [site.output / "index.html", site.output / "archives.html", *site.output.glob("category/*.html")]:
        assert title not in fold_text(site.soup(path).get_text()), path
    for feed in (site.output / "feeds").glob("*.xml"):
        assert title not in feed.read_text(encoding="utf-8"), feed


# --- no text becomes code ----------------------------------------------------------------------


def test_markup_and_template_text_is_shown_literally(site):
    soup = site.soup(site.story_page(PUBLISHED["markup.txt"]))
    story = soup.select_one("article.story")
    assert fold_text(story.find("h1").get_text()) == "Forum flooded with <script>alert(1)</script> posts"
    paragraphs = [fold_text(p.get_text()) for p in story.select(".story-body > p")]
    assert paragraphs == [
        "Posts on the forum included <img src=x onerror=alert(1)> and a stray </article> tag on Monday.",
        'Other posts used {{ config.SECRET }} and {% include "x" %} template syntax, *emphasis* and '
        "[a link](http://example.org/x) in plain text.",
        'A moderator said <a href="javascript:alert(1)" onclick="steal()">click me</a> was posted more than forty times.',
    ]
    assert story.find(["em", "img"]) is None
    assert not [a for a in story.find_all("a") if "example.org" in a.get("href", "")]
    assert soup.title.get_text().startswith("Forum flooded with <script>alert(1)</script> posts")


def test_no_script_element_or_event_attribute_anywhere(site):
    for path in site.pages():
        soup = site.soup(path)
        assert soup.find("script") is None, path
        assert soup.find("style") is None, path  # the CSP allows no inline style either
        for tag in soup.find_all(True):
            assert not [a for a in tag.attrs if a.lower().startswith("on")], (path, tag.name, tag.attrs)
            assert "style" not in tag.attrs, (path, tag.name)
            for attr in ("href", "src", "action"):
                assert not tag.get(attr, "").strip().lower().startswith("javascript:"), (path, tag.name)
    # the raw text: no `<script` start tag survives anywhere, escaped text only
    for path in site.pages():
        assert "<script" not in path.read_text(encoding="utf-8").lower(), path


CSP = (
    "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'"
)


def test_every_page_carries_a_strict_content_security_policy(site):
    for path in site.pages():
        soup = site.soup(path)
        metas = soup.head.find_all("meta", attrs={"http-equiv": "Content-Security-Policy"})
        assert [m["content"] for m in metas] == [CSP], path
        # before anything it governs is loaded
        first_link = soup.head.find("link")
        assert metas[0].sourceline < first_link.sourceline, path
        # everything the page loads is on the site itself (allowed by 'self')
        for tag, attr in [("link", "href"), ("img", "src")]:
            for element in soup.find_all(tag, attrs={attr: True}):
                if element.get("rel") == ["alternate"]:
                    continue
                assert not re.match(r"^(https?:)?//", element[attr]), (path, element)


def test_feeds_parse_and_carry_the_markup_story_as_text(site):
    feeds = sorted((site.output / "feeds").glob("*.xml"))
    assert feeds
    for feed in feeds:
        root = ET.parse(feed).getroot()  # raises on malformed XML
        titles = [e.text for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "title"]
        if feed.name.startswith("all."):
            assert PUBLISHED["markup.txt"] in titles, feed
        for element in root.iter():
            if element.text and element.tag.rsplit("}", 1)[-1] in ("summary", "content", "description"):
                fragment = BeautifulSoup(element.text, "html.parser")
                assert fragment.find("script") is None, feed
                for tag in fragment.find_all(True):
                    assert not [a for a in tag.attrs if a.lower().startswith("on")], (feed, tag)


def test_no_absolute_path_of_the_build_machine_in_the_output(site):
    leaks = {str(site.root), str(site.content), str(site.output), str(ROOT), str(Path.home()) + "/", "/work/", "/tmp/"}
    leaks = {leak for leak in leaks if len(leak) > 2}
    for path in sorted(site.output.rglob("*")):
        if path.is_file():
            data = path.read_bytes().decode("utf-8", errors="replace")
            for leak in leaks:
                assert leak not in data, (path, leak)


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_two_builds_of_the_same_content_are_byte_identical(site):
    second = site.root / "output-again"
    run_build(site.content, second)
    first_files, second_files = tree_digest(site.output), tree_digest(second)
    assert sorted(first_files) == sorted(second_files)
    differ = [name for name in first_files if first_files[name] != second_files[name]]
    assert differ == []


# --- no word lost ------------------------------------------------------------------------------

#: Lines of web-page furniture and metadata: not story text.
_FURNITURE_LINE = re.compile(r"^(By |PUBLISHED|Read more|Scroll down)")
_HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z-]*:\s")
_GALLERY_COUNTER = re.compile(r"^\+\d+\s+")


def story_words(source: str) -> set[str]:
    """Words of a story file's text, without furniture, metadata and header lines."""
    lines = source.splitlines()
    if lines and _HEADER_LINE.match(lines[0]):  # a leading header block
        while lines and lines[0].strip():
            lines.pop(0)
    found: set[str] = set()
    for line in lines:
        line = line.strip()
        if not line or _FURNITURE_LINE.match(line):
            continue
        found |= words(_GALLERY_COUNTER.sub("", line))
    return found


@pytest.mark.parametrize("name", sorted(NORMAL))
def test_no_word_of_a_story_is_lost(site, name):
    source = (STORIES / NORMAL[name]).read_text(encoding="utf-8")
    title = parse_story(source).title
    shown = words(article_text(site.soup(site.story_page(title))))
    missing = story_words(source) - shown
    assert missing == set(), f"{name}: words of the story not on its page: {sorted(missing)}"


# --- sizes -------------------------------------------------------------------------------------

#: A guard against a parser that hangs on big input (a quadratic rule takes hours on 10 MB), not a
#: speed target: such a build takes about 12 s here; speed is measured by `invoke bench`.
BIG_BUILD_BUDGET_SECONDS = 180


_SYLLABLES = ("ba", "ce", "di", "fo", "gu", "ha", "je", "ki", "lo", "mu", "na", "pe", "ri", "so", "tu", "va", "we", "zo")
_VOCABULARY = [
    "".join(random.Random(n).choice(_SYLLABLES) for _ in range(1 + n % 4)) for n in range(3000)
]


def _sentence(i: int) -> str:
    """Varied prose that never repeats itself (every sentence carries its number), the same on every run."""
    pick = random.Random(i).choice
    return f"Sentence {i} tells of the " + " ".join(pick(_VOCABULARY) for _ in range(14)) + f" on day {i}."


def test_one_megabyte_single_line_builds_in_seconds(tmp_path):
    """A 1 MB story on a single line, and a 1 MB word: both published, quickly."""
    content = tmp_path / "content"
    content.mkdir()
    line, i = [], 0
    while sum(len(s) + 1 for s in line) < 1_000_000:
        line.append(_sentence(i))
        i += 1
    (content / "2020-03-01-one_line.txt").write_text(
        "Date: 2020-03-01 08:00\n\nOne megabyte on a single line\n\n" + " ".join(line) + "\n", encoding="utf-8"
    )
    word = "Long" * 250_000
    (content / "2020-03-02-one_word.txt").write_text(
        f"Date: 2020-03-02 08:00\n\nOne megabyte in a single word\n\nThe word is {word} and it ends here.\n",
        encoding="utf-8",
    )
    records, report, seconds = run_build(content, tmp_path / "output")
    print(f"1 MB single line + 1 MB word: built in {seconds:.1f} s")
    assert report.published == 2 and report.errors == []
    assert seconds < BIG_BUILD_BUDGET_SECONDS
    site = Site(tmp_path, content, tmp_path / "output", records, report, seconds)
    text = article_text(site.soup(site.story_page("One megabyte on a single line")))
    assert line[0] in text and line[-1] in text
    assert word in article_text(site.soup(site.story_page("One megabyte in a single word")))


_BIG_BUILD = textwrap.dedent(
    """
    import sys
    from pelican import Pelican
    from pelican.settings import read_settings
    settings = read_settings(sys.argv[1], override={"PATH": sys.argv[2], "OUTPUT_PATH": sys.argv[3]})
    Pelican(settings=settings).run()
    """
)


def test_ten_megabyte_story_builds_in_seconds(tmp_path):
    """A 10 MB story of ordinary paragraphs, built for real in a child process with a time budget."""
    content = tmp_path / "content"
    content.mkdir()
    paragraphs, size, i = [], 0, 0
    while size < 10_000_000:
        paragraph = " ".join(_sentence(i * 3 + k) for k in range(3))
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
        i += 1
    (content / "2020-03-03-ten_megabytes.txt").write_text(
        "Date: 2020-03-03 08:00\n\nTen megabytes of story\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8"
    )
    output = tmp_path / "output"
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", _BIG_BUILD, str(SETTINGS), str(content), str(output)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=BIG_BUILD_BUDGET_SECONDS,
    )
    print(f"10 MB story: built in {time.perf_counter() - start:.1f} s")
    pages = [p for p in output.rglob("*.html") if "ten-megabytes-of-story" in p.name]
    assert len(pages) == 1
    raw = pages[0].read_text(encoding="utf-8")
    assert f"Sentence {3 * (len(paragraphs) - 1)} tells" in raw


# --- properties (hypothesis) -------------------------------------------------------------------

#: Tags render_body may write; anything else came from the story's text.
ALLOWED_TAGS = {"p", "figure", "figcaption", "span", "small", "h2", "blockquote", "section"}

FRAGMENTS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "</article>", "{{ 7*7 }}", "{% if x %}",
    "*emphasis*", "[link](http://example.org)", "&amp;", "&lt;b&gt;", "&#60;script&#62;", "<!--", "-->",
    "<![CDATA[", "]]>", "\"quoted\"", "'single'", "--", "...", "NASA", "R&D", "\\", "`code`", "\u200b",
    "\r\n", "\r", "\t", "\x00", "\x0b", "\ufeff", "• ", "- ", "@highlight", "By JANE DOE", "Read more at X",
    "Date: 2020-01-01", "Title: x", "Title:", "Status: draft", "Mood: odd", "+3 ", "Picture: ", "?",
    "LONDON (Reuters) - ", "\n", "\n\n", " ", "Police stand guard outside the mosque", ".",
]

story_texts = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=40).map("".join),
)


def _alnum(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(story_texts)
def test_any_text_parses_to_a_story_or_the_one_error_type(text):
    try:
        story = parse_story(text, path="any.txt")
    except StoryError as error:
        assert str(error).startswith("any.txt")
        assert error.path == "any.txt" and error.reason
        return
    assert isinstance(story, Story)
    assert story.title and re.search(r"\w", story.title)
    assert parse_story(text, path="any.txt") == story  # deterministic


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(story_texts)
def test_any_story_renders_to_wellformed_html_with_its_text_escaped(text):
    try:
        story = parse_story(text, path="any.txt")
    except StoryError:
        return
    body = render.render_body(story)
    soup = BeautifulSoup(body, "html.parser")
    assert soup.find("script") is None
    names = {tag.name for tag in soup.find_all(True)}
    assert names <= ALLOWED_TAGS, names
    for tag in soup.find_all(True):
        assert set(tag.attrs) <= {"class"}, tag.attrs
    # every piece of text is on the page as text: its letters and digits, in order
    shown = _alnum(soup.get_text())
    for block in story.blocks:
        assert _alnum(block.text) in shown, block
        if block.credit:
            assert _alnum(block.credit) in shown, block
    # and escaped: html.parser sees no more tags than render_body wrote
    assert body.count("<") == 2 * len(soup.find_all(True))  # a start and an end tag each, no void elements
    for piece in (story.title, *story.bullets):
        fragment = BeautifulSoup(f"<p>{render.plain(piece)}</p>", "html.parser")
        assert [tag.name for tag in fragment.find_all(True)] == ["p"]
        assert _alnum(fragment.get_text()) == _alnum(piece)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_decode_to_text_or_the_one_error_type(data):
    try:
        text, warnings = decode_bytes(data, "any.txt")
    except StoryError as error:
        assert str(error).startswith("any.txt: not a text file")
        return
    assert isinstance(text, str)
    assert all(w.startswith("any.txt:") for w in warnings)
    assert not text.startswith("\ufeff")


def test_backslash_escapes_are_not_lost():
    for piece in ("C:\\temp\\.", "a \\- b", "two \\\\ backslashes", 'quote \\" here'):
        shown = BeautifulSoup(render.rich(piece), "html.parser").get_text()
        assert fold_text(shown) == fold_text(piece), (piece, shown)


# --- header values with no letters or digits ---------------------------------------------------


def test_symbol_only_category_and_tags_keep_their_own_pages_or_are_warned_about(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.txt").write_text(
        "Date: 2020-02-03 08:00\nCategory: !!!\nTags: <b>, ***\n\nGallery reopens after the flood\n\n"
        "The gallery reopened on Sunday after repairs to the flooded basement.\n",
        encoding="utf-8",
    )
    (content / "b.txt").write_text(
        "Date: 2020-02-04 08:00\nCategory: ???\nTags: <i>, +++\n\nMuseum reopens after the storm\n\n"
        "The museum reopened on Monday after repairs to the roof damaged in the storm.\n",
        encoding="utf-8",
    )
    output = tmp_path / "output"
    records, report, _ = run_build(content, output)
    assert report.published == 2
    # each file is published, but no page goes to a nameless URL where such names collide
    nameless = [str(p.relative_to(output)) for p in output.rglob(".*")]
    assert nameless == []
    # a name that makes no URL is either given one of its own or named in a warning with file and line
    warned = [r.getMessage() for r in records if r.levelno >= logging.WARNING]
    sections = BeautifulSoup((output / "categories.html").read_text(encoding="utf-8"), "html.parser")
    listed = {fold_text(a.get_text()) for a in sections.select("main li a")}
    for name, line in [("a.txt", 2), ("b.txt", 2)]:
        assert any(m.startswith(f"{name}:{line}:") for m in warned) or {"!!!", "???"} <= listed, warned


# --- the Slug header ----------------------------------------------------------------------------


def test_slug_header_cannot_inject_markup_or_odd_file_names(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "attribute.txt").write_text(
        'Date: 2020-02-04 08:00\nSlug: x" onmouseover="alert(1)\n\nMuseum reopens after the storm\n\n'
        "The museum reopened on Monday after repairs to the roof damaged in the storm.\n",
        encoding="utf-8",
    )
    (content / "element.txt").write_text(
        "Date: 2020-02-05 08:00\nSlug: <script>alert(1)</script> & more\n\nLibrary reopens after the fire\n\n"
        "The library reopened on Tuesday after repairs to the reading room.\n",
        encoding="utf-8",
    )
    output = tmp_path / "output"
    _, report, _ = run_build(content, output)
    # published under a clean URL name, or refused as an error naming the file
    assert report.published + len(report.errors) == 2
    for path in output.rglob("*.html"):
        assert not re.search(r"[\"'<>&\s]", path.name), path.name
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        assert soup.find("script") is None, path
        for tag in soup.find_all(True):
            assert not [a for a in tag.attrs if a.lower().startswith("on")], (path, tag)


# --- file names ---------------------------------------------------------------------------------


def test_upper_case_txt_extension_is_published_or_reported(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "STORY.TXT").write_text(
        "Date: 2020-02-06 08:00\n\nHarbour wall repaired before winter\n\n"
        "Workers finished repairs to the harbour wall on Thursday, a week before the first storms.\n",
        encoding="utf-8",
    )
    output = tmp_path / "output"
    records, report, _ = run_build(content, output)
    published = any("harbour-wall-repaired" in p.name for p in output.rglob("*.html"))
    named = any("STORY.TXT" in r.getMessage() for r in records if r.levelno >= logging.WARNING)
    assert published or named or "STORY.TXT" in report.errors
