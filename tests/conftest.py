"""Fixtures for the browser suite (tests/test_browser.py).

One real Pelican build per test session (the seed story and three small stories written
here, two stories to a listing page so that pagination exists), served over HTTP on
127.0.0.1 from a thread, and Playwright pointed at Debian's chromium (never a downloaded
browser: `playwright install` is not used anywhere).
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# tasks.py and tools/ importable however pytest is started (`invoke test` runs `python -m pytest`,
# which puts the working folder first; a bare `pytest` does not)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
SETTINGS = ROOT / "pelicanconf.py"
SEED = ROOT / "content" / "000_7badf5751ba94d9e.txt"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]

# Small stories beside the seed: two categories, shared tags, a linked source, a subheading.
BROWSER_STORIES = {
    "harbour.txt": """\
Date: 2019-03-16 09:00
Category: Local
Tags: Transport, Police

Harbour ferry returns after winter repairs

  • The ferry was out of service for four months
  • A new timetable starts on 1 June

The harbour ferry carried its first passengers since January on Thursday morning.

The crossing was closed after an inspection found damage to the hull, and the repairs took longer than planned.

Read more at Example Gazette
""",
    "markets.txt": """\
Date: 2019-03-14 08:00
Category: Business
Tags: Markets
Source: Example News
Source-URL: https://example.org/markets?id=1&ref=feed

Markets rally as interest rates hold

  • Shares rose in early trading
  • Banks led the gains

Shares rose in early trading after the central bank held rates.

Banks led the gains, with lenders up by two per cent.
""",
    "library.txt": """\
Date: 2019-03-13 18:30
Category: Local
Tags: Transport

Town library opens late on weekdays

  • Opening hours run to 9pm from Monday to Thursday
  • The council pays for two more staff

The town library will stay open until nine in the evening on weekdays, the council said.

Readers had asked for later hours in a survey last year.
""",
}


def pytest_configure(config):
    # pytest-playwright 0.10.0's session-scoped `base_url` fixture is an instance method, which
    # pytest 9 warns about once per run; nothing here uses it.
    config.addinivalue_line("filterwarnings", "ignore:Session-scoped fixtures defined as instance methods")


def pytest_terminal_summary(terminalreporter):
    """Skips whose reason starts with "!!!" (a browser, java or node_modules missing) are repeated
    at the end of the run in red, so that a suite that did not run is not mistaken for a pass."""
    loud = []
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        if reason.startswith("!!!") and reason not in loud:
            loud.append(reason)
    if loud:
        terminalreporter.section("checks that did NOT run", sep="!", red=True, bold=True)
        for reason in loud:
            terminalreporter.line(reason, red=True)


class BuiltSite:
    """A built site: its output folder and the paths of its page types."""

    def __init__(self, output: Path):
        self.output = output

    def story_path(self, title: str) -> str:
        """Site-relative path of the story page whose <h1> reads `title`."""
        from bs4 import BeautifulSoup

        for path in sorted(self.output.glob("[0-9][0-9][0-9][0-9]/*/*.html")):
            h1 = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").select_one("article.story h1")
            if h1 and " ".join(h1.get_text().replace("\u00a0", " ").split()) == title:
                return path.relative_to(self.output).as_posix()
        raise LookupError(f"no story page titled {title!r} in {self.output}")


def build_browser_site(root: Path) -> BuiltSite:
    """Build the seed and BROWSER_STORIES with the project's pelicanconf.py into root/output."""
    from pelican import Pelican
    from pelican.settings import read_settings

    content = root / "content"
    content.mkdir()
    (content / SEED.name).write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    for name, body in BROWSER_STORIES.items():
        (content / name).write_text(body, encoding="utf-8")
    output = root / "output"
    settings = read_settings(
        str(SETTINGS),
        override={"PATH": str(content), "OUTPUT_PATH": str(output), "DEFAULT_PAGINATION": 2},
    )
    Pelican(settings=settings).run()
    return BuiltSite(output)


@pytest.fixture(scope="session")
def browser_site(tmp_path_factory) -> BuiltSite:
    return build_browser_site(tmp_path_factory.mktemp("browser-site"))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def serve_folder(folder: Path) -> tuple[http.server.ThreadingHTTPServer, threading.Thread, str]:
    """Serve `folder` on 127.0.0.1 (a free port) from a daemon thread; returns server, thread, base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="browser-site-server", daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{server.server_address[1]}/"


@pytest.fixture(scope="session")
def site_url(browser_site) -> str:
    """Base URL (ending in /) of the built site served over HTTP."""
    server, thread, url = serve_folder(browser_site.output)
    yield url
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at Debian's chromium."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }
