"""The digest as readers see it: a real browser (Debian's chromium, driven by Playwright),
axe-core, the Nu HTML Checker, a walk of every internal link, the print stylesheet and the
requests a story page makes.

The site is built once per session (tests/conftest.py: the seed story and three small
stories, two to a listing page) and served over HTTP on 127.0.0.1. Each page type is opened
once per width and colour scheme and checked there; screenshots land in screenshots/
(git-ignored) for a person to look at.

Where /usr/bin/chromium, java or node_modules/ are missing the tests skip with a loud reason;
under CI (the CI environment variable set) they fail instead. Setup: `apt-get install -y
chromium`, `npm ci`, `pip install -r requirements.txt`; never `playwright install`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import CHROMIUM, ROOT, BuiltSite

IN_CI = bool(os.environ.get("CI"))


def _missing(reason: str):
    """Skip with a loud reason on a developer's machine; fail under CI, where everything must run."""
    message = f"!!! {reason}"
    if IN_CI:
        pytest.fail(message + " (CI is set: this is a failure, not a skip)", pytrace=False)
    pytest.skip(message)


if not Path(CHROMIUM).exists():
    _REASON = (
        f"!!! {CHROMIUM} not found: the browser suite (tests/test_browser.py) did NOT run. "
        "Install Debian's chromium with `apt-get install -y chromium` (never `playwright install`)."
    )
    if IN_CI:
        pytest.fail(_REASON + " (CI is set: this is a failure, not a skip)", pytrace=False)
    pytest.skip(_REASON, allow_module_level=True)

from playwright.sync_api import Browser, Page  # noqa: E402 - after the chromium check

SEED_TITLE = "Police step up security at UK mosques after New Zealand massacre"
SEED_SOURCE = "DailyMail.co.uk"
NODE_MODULES = ROOT / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
SCREENSHOTS = ROOT / "screenshots"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

WIDTHS = [375, 1280]
SCHEMES = ["light", "dark"]
KINDS = ["home", "archives", "story", "category", "tag", "404"]  # no search page yet
MIN_TEXT_PX = 16
MIN_TARGET_PX = 24


def page_path(site: BuiltSite, kind: str) -> str:
    return {
        "home": "index.html",
        "archives": "archives.html",
        "story": site.story_path(SEED_TITLE),
        "category": "category/local.html",
        "tag": "tag/transport.html",
        "404": "404.html",
    }[kind]


# --- opening pages ------------------------------------------------------------------------------


def open_page(browser: Browser, url: str, width: int, scheme: str, media: str = "screen") -> Page:
    """A fresh context at `width` px and `scheme`, `url` loaded. bypass_csp lets axe be injected
    even when the theme's Content-Security-Policy forbids scripts (as it should)."""
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.emulate_media(color_scheme=scheme, media=media)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: HTTP {response and response.status}"
    return page


class View:
    def __init__(self, page: Page, kind: str, width: int, scheme: str):
        self.page, self.kind, self.width, self.scheme = page, kind, width, scheme

    @property
    def name(self) -> str:
        return f"{self.kind}-{self.width}-{self.scheme}"


VIEWS = [(kind, width, scheme) for kind in KINDS for width in WIDTHS for scheme in SCHEMES]


@pytest.fixture(scope="module", params=VIEWS, ids=["-".join(map(str, v)) for v in VIEWS])
def view(request, browser, browser_site, site_url) -> View:
    """One page type at one width in one colour scheme, loaded once and screenshotted."""
    kind, width, scheme = request.param
    page = open_page(browser, site_url + page_path(browser_site, kind), width, scheme)
    result = View(page, kind, width, scheme)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{result.name}.png"), full_page=True)
    yield result
    page.context.close()


# --- layout and type --------------------------------------------------------------------------


def test_no_horizontal_scrolling(view):
    scroll_width, inner_width = view.page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert scroll_width <= inner_width, f"{view.name}: page is {scroll_width}px wide in a {inner_width}px window"


def test_colour_scheme_is_followed(view):
    """Dark pages in the dark scheme, light pages in the light one (the other checks depend on it)."""
    background = view.page.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(n) for n in re.findall(r"\d+", background)[:3])
    luminance = (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255
    assert (luminance < 0.2) if view.scheme == "dark" else (luminance > 0.8), f"{view.name}: background {background}"


READING_TEXT = "body, main p:not(.meta):not(.more):not(.kicker):not(.byline):not(.tags), .points li, .key-points li, .story-body li"


def test_body_text_is_at_least_16px(view):
    sizes = view.page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter(el => el.getClientRects().length)
            .map(el => [el.tagName + (el.className ? '.' + el.className : ''), parseFloat(getComputedStyle(el).fontSize)])""",
        READING_TEXT,
    )
    small = [(name, size) for name, size in sizes if size < MIN_TEXT_PX]
    assert sizes and not small, f"{view.name}: reading text under {MIN_TEXT_PX}px: {small}"


# WCAG 2.2 SC 2.5.8 (target size, minimum): a target is at least 24x24 CSS px, or a 24 px circle
# centred on it touches no other target and no other small target's circle, or it sits inline in
# a sentence of text.
TARGETS_JS = """(min) => {
  const visible = el => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 1 && r.height > 1 && s.visibility !== 'hidden';
  };
  const els = [...document.querySelectorAll('a[href], button, input, select, textarea, summary')].filter(visible);
  const inSentence = el => {
    const block = el.closest('p, li, dd, td, figcaption, blockquote');
    if (!block || getComputedStyle(el).display !== 'inline') return false;
    let text = block.textContent;
    for (const a of block.querySelectorAll('a, button')) text = text.replace(a.textContent, ' ');
    return (text.match(/[A-Za-z]{2,}/g) || []).length >= 2;
  };
  const boxes = els.map(el => {
    const r = el.getBoundingClientRect();
    return {el, r, cx: r.left + r.width / 2, cy: r.top + r.height / 2,
            small: r.width < min || r.height < min,
            name: (el.textContent || el.getAttribute('aria-label') || '').trim().replace(/\\s+/g, ' ').slice(0, 40)};
  });
  const distToRect = (x, y, r) => Math.hypot(Math.max(r.left - x, 0, x - r.right), Math.max(r.top - y, 0, y - r.bottom));
  const failures = [];
  for (const b of boxes) {
    if (!b.small || inSentence(b.el)) continue;
    const clash = boxes.find(o => o !== b && (
      distToRect(b.cx, b.cy, o.r) < min / 2 ||
      (o.small && Math.hypot(o.cx - b.cx, o.cy - b.cy) < min)));
    if (clash) failures.push(`${b.name} (${b.r.width.toFixed(0)}x${b.r.height.toFixed(0)}) too close to ${clash.name}`);
  }
  return {count: boxes.length, failures};
}"""


def test_tap_targets_are_big_enough_or_spaced(view):
    result = view.page.evaluate(TARGETS_JS, MIN_TARGET_PX)
    assert result["count"] > 0
    assert not result["failures"], f"{view.name}: targets under {MIN_TARGET_PX}px and crowded:\n" + "\n".join(result["failures"])


def test_axe_finds_no_violations(view):
    if not AXE.is_file():
        _missing(f"{AXE.relative_to(ROOT)} not found: run `npm ci` (axe-core) for the accessibility checks")
    view.page.add_script_tag(path=str(AXE))
    result = view.page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", AXE_TAGS
    )
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(f"    {n['target']}: {n['failureSummary']}" for n in v["nodes"][:5])
        for v in result["violations"]
    ]
    assert not violations, f"{view.name}: axe-core violations:\n" + "\n".join(violations)


def test_axe_finds_no_violations_on_the_other_pages(browser, browser_site, site_url):
    """Every page not in the matrix above (page 2, sections, tags, the other stories), once."""
    if not AXE.is_file():
        _missing(f"{AXE.relative_to(ROOT)} not found: run `npm ci` (axe-core) for the accessibility checks")
    covered = {page_path(browser_site, kind) for kind in KINDS}
    others = [p.relative_to(browser_site.output).as_posix() for p in sorted(browser_site.output.rglob("*.html"))]
    others = [p for p in others if p not in covered]
    assert others
    context = browser.new_context(viewport={"width": 375, "height": 800}, bypass_csp=True)
    failures = []
    try:
        page = context.new_page()
        for path in others:
            page.goto(site_url + path)
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
            failures += [f"{path}: {v['id']}: {v['help']} {[n['target'] for n in v['nodes'][:3]]}" for v in result["violations"]]
            overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
            if overflow > 0:
                failures.append(f"{path}: scrolls sideways by {overflow}px at 375px")
    finally:
        context.close()
    assert not failures, "\n".join(failures)


# --- the story page ---------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_story_shows_key_points_figures_and_source(browser, browser_site, site_url, width, scheme):
    page = open_page(browser, site_url + page_path(browser_site, "story"), width, scheme)
    try:
        key_points = page.locator("section.key-points")
        assert key_points.is_visible()
        assert key_points.locator("h2").inner_text().strip().lower() == "key points"
        points = key_points.locator("li")
        assert points.count() == 3
        for i in range(3):
            assert points.nth(i).is_visible()
        figures = page.locator(".story-body figure")
        assert figures.count() >= 3
        for i in range(figures.count()):
            caption = figures.nth(i).locator("figcaption")
            assert caption.is_visible(), f"figure {i} is not visible"
            assert caption.inner_text().startswith("Picture:")
        credit = page.locator(".source-credit")
        assert credit.is_visible()
        assert SEED_SOURCE in credit.inner_text()
    finally:
        page.context.close()


# --- keyboard ---------------------------------------------------------------------------------


FOCUS_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  if (!el.dataset.tabStop) el.dataset.tabStop = String(document.querySelectorAll('[data-tab-stop]').length + 1);
  const s = getComputedStyle(el), r = el.getBoundingClientRect();
  return {stop: el.dataset.tabStop, tag: el.tagName, href: el.getAttribute('href'), cls: el.className,
          text: el.textContent.trim().slice(0, 40),
          outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
          shadow: s.boxShadow !== 'none', width: r.width, height: r.height};
}"""


def tab_through(page: Page, limit: int) -> list[dict]:
    """Press Tab until focus leaves the page or comes back round; the focused elements in order."""
    stops: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_JS)
        if focused is None or any(s["stop"] == focused["stop"] for s in stops):
            break
        stops.append(focused)
    return stops


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", KINDS)
def test_keyboard_skip_link_and_visible_focus(browser, browser_site, site_url, kind, width):
    page = open_page(browser, site_url + page_path(browser_site, kind), width, "light")
    try:
        page.keyboard.press("Tab")
        first = page.evaluate(FOCUS_JS)
        assert first and first["tag"] == "A" and first["href"] == "#main", f"first Tab focused {first}"
        assert first["width"] > 1 and first["height"] >= MIN_TARGET_PX, f"skip link is not shown when focused: {first}"
        if kind == "home":
            SCREENSHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"home-{width}-skip-link-focused.png"))
        assert page.locator("#main").count() == 1
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main", "the skip link does not move focus to #main"
        page.evaluate("document.activeElement.blur(); history.replaceState(null, '', location.pathname)")
        page.goto(page.url)
        stops = tab_through(page, 200)
        unseen = [s for s in stops if not (s["outline"] or s["shadow"])]
        assert not unseen, f"{kind}-{width}: focused elements with no outline or box-shadow: {unseen}"
    finally:
        page.context.close()


def test_keyboard_reaches_every_link_on_home(browser, browser_site, site_url):
    page = open_page(browser, site_url + "index.html", 1280, "light")
    try:
        links = page.evaluate(
            """() => [...document.querySelectorAll('a[href]')]
                 .filter(a => a.tabIndex >= 0 && getComputedStyle(a).visibility !== 'hidden' && a.getClientRects().length)
                 .map(a => a.getAttribute('href') + ' ' + a.textContent.trim().slice(0, 30))"""
        )
        stops = tab_through(page, len(links) + 20)
        reached = [f"{s['href']} {s['text'][:30]}" for s in stops if s["tag"] == "A"]
        assert len(stops) == len(links), f"{len(links)} links, {len(stops)} tab stops: missing {sorted(set(links) - set(reached))}"
        assert sorted(reached) == sorted(links)
    finally:
        page.context.close()


# --- print ------------------------------------------------------------------------------------


def test_story_prints_without_navigation(browser, browser_site, site_url):
    page = open_page(browser, site_url + page_path(browser_site, "story"), 1280, "light", media="print")
    try:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "story-print.png"), full_page=True)
        hidden = page.evaluate(
            """() => [...document.querySelectorAll('nav, body > header, body > footer, .skip')]
                 .map(el => [el.tagName + '.' + el.className, getComputedStyle(el).display])"""
        )
        assert hidden and all(display == "none" for _, display in hidden), f"shown in print: {hidden}"
        for selector in ("article.story h1", ".key-points", ".story-body p", ".source-credit"):
            assert page.locator(selector).first.is_visible(), f"{selector} is not printed"
        assert page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
    finally:
        page.context.close()


def test_print_shows_the_address_of_a_linked_source(browser, browser_site, site_url):
    path = browser_site.story_path("Markets rally as interest rates hold")
    page = open_page(browser, site_url + path, 1280, "light", media="print")
    try:
        after = page.evaluate("getComputedStyle(document.querySelector('.source-credit a'), '::after').content")
        assert "https://example.org/markets?id=1&ref=feed" in after, after
    finally:
        page.context.close()


# --- weight -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["story", "home"])
def test_page_needs_one_html_and_one_stylesheet(browser, browser_site, site_url, kind):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    requests: list[tuple[str, str]] = []
    try:
        page = context.new_page()
        page.on("request", lambda r: requests.append((r.resource_type, r.url)))
        page.goto(site_url + page_path(browser_site, kind), wait_until="networkidle")
    finally:
        context.close()
    kinds = sorted(t for t, _ in requests)
    assert kinds == ["document", "stylesheet"], f"{kind}: requests {requests}"
    assert not [u for _, u in requests if u.endswith(".js")]


# --- valid and intact -------------------------------------------------------------------------


def test_every_page_passes_the_nu_html_checker(browser_site):
    java = shutil.which("java")
    if not java:
        _missing("java not found: the Nu HTML Checker needs it (`apt-get install -y default-jre-headless`)")
    if not VNU.is_file():
        _missing(f"{VNU.relative_to(ROOT)} not found: run `npm ci` (vnu-jar)")
    result = subprocess.run(
        [java, "-jar", str(VNU), "--skip-non-html", "--errors-only", str(browser_site.output)],
        capture_output=True, text=True, timeout=600,
    )
    report = (result.stdout + result.stderr).strip()
    errors = [line for line in report.splitlines() if "error:" in line.lower()]
    assert result.returncode == 0 and not errors, f"vnu: {len(errors)} errors\n{report}"


class _Links(HTMLParser):
    """Every id and name, and every href/src/srcset of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag != "meta" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        for key in ("href", "src", "poster", "data"):
            if attrs.get(key) is not None:
                self.urls.append((f"<{tag} {key}>", attrs[key]))
        if attrs.get("srcset"):
            self.urls += [(f"<{tag} srcset>", part.split()[0]) for part in attrs["srcset"].split(",") if part.strip()]


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_every_internal_link_resolves(browser_site):
    output = browser_site.output.resolve()
    pages = sorted(output.rglob("*.html"))
    parsed = {path: _parse(path) for path in pages}
    broken = []
    checked = 0
    for path, links in parsed.items():
        for where, url in links.urls:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc:
                continue  # external: no network here
            if not parts.path:
                target = path
            else:
                base = output if parts.path.startswith("/") else path.parent
                target = (base / unquote(parts.path).lstrip("/")).resolve()
                if parts.path.endswith("/") or target.is_dir():
                    target = target / "index.html"
            checked += 1
            name = f"{path.relative_to(output)}: {where} {url!r}"
            if output not in target.parents and target != output:
                broken.append(f"{name} leaves the site")
            elif not target.is_file():
                broken.append(f"{name} -> missing {target.relative_to(output)}")
            elif parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{name} -> no id {parts.fragment!r} in {target.relative_to(output)}")
    assert checked > 50
    assert not broken, "\n".join(broken)


def test_stylesheet_links_resolve_and_have_no_imports(browser_site):
    """The one stylesheet loads nothing else (no @import, no url() of a font or picture)."""
    css = browser_site.output / "theme" / "css" / "broadsheet.css"
    text = css.read_text(encoding="utf-8")
    assert "@import" not in text and "@font-face" not in text
    assert not re.findall(r"url\(\s*['\"]?(?!data:)", text), "the stylesheet fetches a file"


# --- tools/audit.py (Lighthouse itself is run by `invoke audit`, not here: 30 s a run) ------------


def test_audit_finds_the_seed_story_page(browser_site):
    from tools import audit

    assert audit.story_page(browser_site.output) == browser_site.story_path(SEED_TITLE)


def test_audit_refuses_a_folder_that_is_not_built(tmp_path, capsys):
    from tools import audit

    assert audit.main(str(tmp_path)) == 2
    assert "build the site first" in capsys.readouterr().err
