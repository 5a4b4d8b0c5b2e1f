"""A story with a very long word and a very long URL does not make a phone screen scroll sideways
(issue 4), checked in Debian's chromium like the rest of the browser suite."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import CHROMIUM, BuiltSite, serve_folder

ROOT = Path(__file__).resolve().parent.parent

if not Path(CHROMIUM).exists():
    reason = f"!!! {CHROMIUM} not found: the long-word overflow check did NOT run (`apt-get install -y chromium`)."
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI is set: this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)

WORD = "Supercalifragilistic" * 30
URL = "https://example.org/" + "a-very-long-path-segment/" * 20 + "index.html?query=" + "x" * 200
TITLE = "Council publishes " + "Extraordinarilylongword" * 4

LONG_STORY = f"""\
Date: 2024-03-01 09:00
Category: Local

{TITLE}

  • The report is at {URL}
  • It uses the word {WORD}

The council published its report on Friday at {URL} for anyone to read.

Its summary uses the word {WORD} and nothing else.
"""


@pytest.fixture(scope="module")
def long_story_url(tmp_path_factory):
    from pelican import Pelican
    from pelican.settings import read_settings

    root = tmp_path_factory.mktemp("long-words")
    content = root / "content"
    content.mkdir()
    (content / "long.txt").write_text(LONG_STORY, encoding="utf-8")
    shutil.copy(ROOT / "content" / "000_7badf5751ba94d9e.txt", content)
    settings = read_settings(str(ROOT / "pelicanconf.py"), override={"PATH": str(content), "OUTPUT_PATH": str(root / "output")})
    Pelican(settings=settings).run()
    site = BuiltSite(root / "output")
    story = next(p for p in sorted(site.output.glob("2024/*/*.html")))
    server, thread, base = serve_folder(site.output)
    yield base, story.relative_to(site.output).as_posix()
    server.shutdown()


@pytest.mark.parametrize("path_kind", ["story", "home"])
def test_long_words_and_urls_do_not_scroll_sideways_on_a_phone(page, long_story_url, path_kind):
    base, story = long_story_url
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(base + (story if path_kind == "story" else "index.html"))
    assert WORD[:40] in page.inner_text("main")
    overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0, f"{path_kind} page scrolls sideways by {overflow}px at 375px"
