"""Any static host: the site built by the real tasks (`invoke build`, `invoke publish`, run in a
subprocess) works served from the domain root, from a sub-path, and opened from disk; the
search index (Pagefind) holds story text only and the search page is the one page with a
script; `invoke publish` copies to a folder, an rsync target or a gh-pages branch.

The served cases bind an HTTP server on 127.0.0.1 (a free port) first, build with
BROADSHEET_SITEURL pointing at it, then walk every internal link and asset breadth-first from
the home page, asserting a 200 for each. Nothing is fetched beyond 127.0.0.1.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest

from conftest import CHROMIUM, SEED, serve_folder

ROOT = Path(__file__).resolve().parents[1]
STORY_PAGE = re.compile(r"^\d{4}/\d{2}/[^/]+\.html$")


def story(date: str, title: str, category: str, tags: str = "") -> str:
    return (
        f"Date: {date}\nCategory: {category}\n" + (f"Tags: {tags}\n" if tags else "") + f"\n{title}\n\n"
        f"  • The first key point of the {title.lower()} story\n  • A second point\n\n"
        f"The {title.lower()} story, told in a paragraph of its own with the word lighthouse in it.\n\n"
        "A second paragraph follows the first.\n"
    )


STORIES = {
    "ferry.txt": story("2019-03-16 09:00", "Harbour ferry returns after repairs", "Local", "Transport, Harbour"),
    "budget.txt": story("2019-03-16 07:00", "Council agrees the harbour budget", "Politics", "Harbour"),
    "markets.txt": story("2019-03-14 08:00", "Markets rally as rates hold", "Business", "Markets"),
    "library.txt": story("2018-12-27 18:30", "Town library opens late", "Local", "Transport"),  # another quarter
}
NAV_TEXT = ["Skip to main content", "Previous edition", "Read the story", "Archives"]


def invoke(*args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run `invoke ARGS` from the repository with this Python, as a curator would."""
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def must(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def content(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hosting") / "content"
    folder.mkdir()
    (folder / SEED.name).write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    for name, body in STORIES.items():
        (folder / name).write_text(body, encoding="utf-8")
    return folder


def pages_of(output: Path) -> list[str]:
    return sorted(p.relative_to(output).as_posix() for p in output.rglob("*.html") if "pagefind" not in p.parts)


# --- walking a site -------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("href", "src", "poster", "data"):
            if attrs.get(key):
                self.urls.append(attrs[key])
        if attrs.get("srcset"):
            self.urls += [part.split()[0] for part in attrs["srcset"].split(",") if part.strip()]


def links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


def crawl_http(start: str, prefix: str) -> tuple[dict[str, int], list[str]]:
    """Breadth-first over every same-host link from `start`; (status by URL, problems)."""
    host = urlsplit(start).netloc
    statuses: dict[str, int] = {}
    problems: list[str] = []
    queue, seen = deque([start]), {start}
    while queue:
        url = queue.popleft()
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                statuses[url] = response.status
                body = response.read()
                kind = response.headers.get_content_type()
        except urllib.error.HTTPError as error:
            statuses[url] = error.code
            problems.append(f"{url}: HTTP {error.code}")
            continue
        if kind != "text/html":
            continue
        for link in links(body.decode("utf-8")):
            target = urldefrag(urljoin(url, link)).url
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https"):
                continue  # data: icon, mailto: ...
            if parts.netloc != host:
                continue  # a story's source on the web: no network beyond 127.0.0.1 here
            if not target.startswith(prefix):
                problems.append(f"{url}: link {link!r} leaves {prefix}")
                continue
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return statuses, problems


def crawl_disk(output: Path) -> tuple[set[Path], list[str]]:
    """Breadth-first over every link from output/index.html as a browser opening files would."""
    output = output.resolve()
    start = output / "index.html"
    reached, problems = {start}, []
    queue = deque([start])
    while queue:
        page = queue.popleft()
        for link in links(page.read_text(encoding="utf-8")):
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                continue  # data: icon, a source on the web
            if not parts.path:
                continue  # #fragment on the same page
            if parts.path.startswith("/"):
                problems.append(f"{page.relative_to(output)}: {link!r} is absolute (from disk it means the disk's root)")
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if output not in target.parents:
                problems.append(f"{page.relative_to(output)}: {link!r} leaves the site")
            elif not target.is_file():
                problems.append(f"{page.relative_to(output)}: {link!r} is not a file (from disk a folder is no page)")
            elif target not in reached:
                reached.add(target)
                if target.suffix == ".html":
                    queue.append(target)
    return reached, problems


# --- served from a sub-path and from the domain root -------------------------------------------------


def published_and_served(tmp_path_factory, content: Path, sub_path: str):
    """`invoke publish` with BROADSHEET_SITEURL = http://127.0.0.1:PORT/SUB_PATH, served from there."""
    www = tmp_path_factory.mktemp("www")
    output = www / sub_path if sub_path else www
    server, thread, base = serve_folder(www)
    site_url = base + sub_path if sub_path else base.rstrip("/")
    result = must(invoke("publish", "--content", str(content), "--output", str(output),
                         env={"BROADSHEET_SITEURL": site_url}))
    return server, thread, site_url.rstrip("/") + "/", output, result


@pytest.fixture(scope="module", params=["digest", ""], ids=["sub-path", "domain-root"])
def served(request, tmp_path_factory, content):
    server, thread, prefix, output, result = published_and_served(tmp_path_factory, content, request.param)
    yield prefix, output, result
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_every_link_and_asset_answers_200_under_the_site_url(served):
    prefix, output, _ = served
    statuses, problems = crawl_http(prefix + "index.html", prefix)
    assert not problems, "\n".join(problems)
    assert all(status == 200 for status in statuses.values())
    reached = {url.removeprefix(prefix) for url in statuses}
    missing = [page for page in pages_of(output) if page not in reached and page != "404.html"]
    assert not missing, f"pages no link leads to: {missing}"
    assert {"theme/css/broadsheet.css", "feeds/all.atom.xml", "search.html", "archives.html"} <= reached
    assert sum(1 for page in reached if STORY_PAGE.match(page)) == len(STORIES) + 1
    assert sum(1 for page in reached if page.startswith("editions/")) == 4  # 16 and 14 March, 27 December, 15 March (seed)


def test_search_bundle_is_served_under_the_site_url(served):
    prefix, output, _ = served
    with urllib.request.urlopen(prefix + "pagefind/shards.json", timeout=10) as response:
        assert json.load(response) == {"shards": ["2019-q1", "2018-q4"]}  # newest first
    for name in ("pagefind-ui.js", "pagefind-ui.css", "pagefind.js", "pagefind-entry.json"):
        for shard in ("2019-q1", "2018-q4"):
            with urllib.request.urlopen(f"{prefix}pagefind/{shard}/{name}", timeout=10) as response:
                assert response.status == 200, (shard, name)
    with urllib.request.urlopen(prefix + "theme/js/search.js", timeout=10) as response:
        assert response.status == 200


def test_published_pages_use_the_absolute_site_url(served):
    prefix, output, _ = served
    home = (output / "index.html").read_text(encoding="utf-8")
    assert f'href="{prefix}theme/css/broadsheet.css"' in home
    assert f'href="{prefix}editions/2019-03-15.html"' in home


# --- opened from disk ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory, content) -> tuple[Path, subprocess.CompletedProcess]:
    """`invoke build` (pelicanconf.py: relative links) into a fresh folder."""
    output = tmp_path_factory.mktemp("built") / "output"
    return output, must(invoke("build", "--content", str(content), "--output", str(output)))


def test_from_disk_every_link_is_a_relative_path_to_a_file(built):
    output, _ = built
    reached, problems = crawl_disk(output)
    assert not problems, "\n".join(problems)
    relative = {p.relative_to(output.resolve()).as_posix() for p in reached}
    missing = [page for page in pages_of(output) if page not in relative and page != "404.html"]
    assert not missing, f"pages no link leads to: {missing}"


# --- search ---------------------------------------------------------------------------------------------


def fragments(output: Path) -> list[dict]:
    """Pagefind's record of each indexed page (gzip, then a signature, then JSON)."""
    records = []
    for path in sorted((output / "pagefind").glob("*/fragment/*.pf_fragment")):
        data = gzip.decompress(path.read_bytes())
        records.append(json.loads(data[data.index(b"{"):]))
    return records


def test_build_indexes_the_stories_and_says_so(built):
    output, result = built
    assert re.search(r"^Search: 5 stories indexed by Pagefind in .*pagefind/ \(2 of 2 quarters indexed again\)$",
                     result.stdout, re.M), result.stdout
    counts = [json.loads(p.read_text(encoding="utf-8"))["languages"]["en"]["page_count"]
              for p in sorted((output / "pagefind").glob("*/pagefind-entry.json"))]
    assert counts == [1, len(STORIES)]  # 2018-q4: the library; 2019-q1: the others and the seed


def test_only_story_text_is_indexed(built):
    output, _ = built
    records = fragments(output)
    assert sorted(r["url"].lstrip("/") for r in records) == sorted(p for p in pages_of(output) if STORY_PAGE.match(p))
    for record in records:
        for furniture in NAV_TEXT:
            assert furniture not in record["content"], (record["url"], furniture)
    ferry = next(r for r in records if "harbour-ferry" in r["url"])
    assert "lighthouse" in ferry["content"] and "The first key point" in ferry["content"]
    related = (output / ferry["url"].lstrip("/")).read_text(encoding="utf-8").split('class="related"')[1]
    assert "Council agrees the harbour budget" in related  # listed on its page, not searched there
    assert "Related stories" not in ferry["content"] and "Council agrees" not in ferry["content"]


def test_search_holds_the_published_stories_of_the_last_build_only(tmp_path, content):
    """Drafts and hidden stories (their pages use the story template) stay out of the search; a
    rebuild with no story page changed leaves the bundle as it is; after a story is taken down
    and another edited, no file of the bundle holds the text of either as it was, and the bundle
    is file for file what a build into an empty folder makes."""
    folder = tmp_path / "content"
    shutil.copytree(content, folder)
    (folder / "draft.txt").write_text("Status: draft\n" + story("2019-03-16 10:00", "Secret draft about the quay", "Local"),
                                      encoding="utf-8")
    (folder / "hidden.txt").write_text("Status: hidden\n" + story("2019-03-16 11:00", "Hidden note about the quay", "Local"),
                                       encoding="utf-8")
    output = tmp_path / "output"
    build = ("build", "--content", str(folder), "--output", str(output))

    def bundle() -> dict[str, bytes]:
        return {p.relative_to(output).as_posix(): p.read_bytes() for p in (output / "pagefind").rglob("*") if p.is_file()}

    def texts() -> str:
        return "\n".join(record["content"] for record in fragments(output))

    first = must(invoke(*build))
    assert "Search: 5 stories indexed" in first.stdout, first.stdout
    hidden = "2019/03/hidden-note-about-the-quay.html"  # written, not listed: nor searched
    assert (output / hidden).is_file() and (output / "drafts").is_dir()
    assert sorted(r["url"].lstrip("/") for r in fragments(output)) == sorted(
        p for p in pages_of(output) if STORY_PAGE.match(p) and p != hidden)
    assert "quay" not in texts()
    before = bundle()
    again = must(invoke(*build))
    assert "Search: 5 stories indexed" in again.stdout and "unchanged since the last build" in again.stdout, again.stdout
    assert bundle() == before

    (folder / "markets.txt").unlink()  # taken down
    ferry = folder / "ferry.txt"
    ferry.write_text(ferry.read_text(encoding="utf-8").replace("lighthouse", "breakwater"), encoding="utf-8")
    last_quarter = {name: data for name, data in bundle().items() if name.startswith("pagefind/2018-q4/")}
    library = (output / "2018/12/town-library-opens-late.html").read_bytes()
    after = must(invoke(*build))
    assert "Search: 4 stories indexed" in after.stdout and "(1 of 2 quarters indexed again)" in after.stdout, after.stdout
    # the library's page links to the next story, now another one; what is searched of it is the same
    assert (output / "2018/12/town-library-opens-late.html").read_bytes() != library
    assert {name: data for name, data in bundle().items() if name.startswith("pagefind/2018-q4/")} == last_quarter
    assert "rates hold" not in texts() and "lighthouse" not in next(
        r["content"] for r in fragments(output) if "harbour-ferry" in r["url"])
    assert not any(b"rates hold" in gzip.decompress(data) for name, data in bundle().items()
                   if name.endswith((".pf_fragment", ".pf_index"))), "a taken-down story's text is still in the bundle"
    fresh = tmp_path / "fresh"
    must(invoke("build", "--content", str(folder), "--output", str(fresh)))
    assert sorted(bundle()) == sorted(p.relative_to(fresh).as_posix() for p in (fresh / "pagefind").rglob("*") if p.is_file())


def test_search_is_that_of_the_last_build_into_the_folder_whatever_it_was_built_from(tmp_path, content):
    """Another content folder built into the same site folder, then the first again: the search
    holds the stories of the last build each time; a quarter whose one story is taken down goes."""
    folder, other, output = tmp_path / "content", tmp_path / "other", tmp_path / "output"
    shutil.copytree(content, folder)
    other.mkdir()
    (other / "ferry.txt").write_text(STORIES["ferry.txt"], encoding="utf-8")
    must(invoke("build", "--content", str(folder), "--output", str(output)))
    must(invoke("build", "--content", str(other), "--output", str(output)))
    assert [r["url"] for r in fragments(output)] == ["/2019/03/harbour-ferry-returns-after-repairs.html"]
    back = must(invoke("build", "--content", str(folder), "--output", str(output)))
    assert "Search: 5 stories indexed" in back.stdout and len(fragments(output)) == 5, back.stdout
    (folder / "library.txt").unlink()  # the one story of 2018-q4
    after = must(invoke("build", "--content", str(folder), "--output", str(output)))
    assert "Search: 4 stories indexed" in after.stdout and "(1 removed)" in after.stdout, after.stdout
    assert sorted(p.name for p in (output / "pagefind").iterdir()) == ["2019-q1", "shards.json"]


def test_search_page_is_the_only_page_with_a_script(built):
    output, _ = built
    for page in pages_of(output):
        html = (output / page).read_text(encoding="utf-8")
        policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
        scripts = re.findall(r"<script\b[^>]*>", html)
        if page == "search.html":
            assert "script-src 'self' 'wasm-unsafe-eval'" in policy and "'unsafe-inline'" not in policy
            assert scripts == ['<script src="./theme/js/search.js" defer>']
            assert "</script>" in html and re.search(r"<script[^>]*>\s*</script>", html), "no inline script"
        else:
            assert "script-src 'none'" in policy, page
            assert scripts == [], page


def test_search_page_explains_itself_without_javascript_and_from_disk(built):
    output, _ = built
    html = (output / "search.html").read_text(encoding="utf-8")
    noscript = re.search(r"<noscript>(.*?)</noscript>", html, re.S).group(1)
    assert "needs JavaScript" in noscript and 'href="./archives.html"' in noscript
    assert "served over HTTP" in html and "opened from disk" in html


def test_listing_pages_link_the_search_page(built):
    output, _ = built
    assert 'href="./search.html"' in (output / "index.html").read_text(encoding="utf-8")


def test_build_without_pagefind_warns_and_skips_search(tmp_path, content):
    output = tmp_path / "output"
    result = must(invoke("build", "--content", str(content), "--output", str(output),
                         env={"PAGEFIND_BINARY_PATH": str(tmp_path / "no-such-pagefind")}))
    assert "Pagefind is not installed" in result.stderr
    assert "Search:" not in result.stdout
    assert (output / "index.html").is_file()
    assert not (output / "search.html").exists() and not (output / "pagefind").exists()
    assert 'search.html"' not in (output / "index.html").read_text(encoding="utf-8")
    strict = invoke("build", "--strict", "--content", str(content), "--output", str(output),
                    env={"PAGEFIND_BINARY_PATH": str(tmp_path / "no-such-pagefind")})
    assert strict.returncode == 1 and "built without search" in strict.stderr


# --- search in a browser (Debian's chromium, as in tests/test_browser.py) ---------------------------------

needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"!!! {CHROMIUM} not found: search not tried in a browser")


@needs_chromium
def test_search_finds_a_story_from_a_sub_path(browser, served):
    prefix, output, _ = served
    context = browser.new_context()
    problems: list[str] = []
    try:
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(prefix + "search.html?q=lighthouse")
        # Pagefind's interface adds results one by one as their fragments load: wait for all of them
        page.wait_for_function(
            "n => document.querySelectorAll('.pagefind-ui__result-link').length >= n", arg=len(STORIES), timeout=15_000
        )
        hrefs = [a.get_attribute("href") for a in page.query_selector_all(".pagefind-ui__result-link")]
        assert len(hrefs) == len(STORIES)
        site_path = urlsplit(prefix).path
        assert all(h.startswith(site_path) and STORY_PAGE.match(h.removeprefix(site_path)) for h in hrefs), hrefs
        response = page.goto(urljoin(prefix, hrefs[0]))
        assert response.ok
        assert not problems, problems  # a Content-Security-Policy refusal shows up here
    finally:
        context.close()


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@needs_chromium
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_search_page_with_results_passes_axe(browser, served, scheme):
    if not AXE.is_file():
        pytest.skip(f"!!! {AXE.relative_to(ROOT)} not found: run `npm ci` (axe-core)")
    prefix, _, _ = served
    context = browser.new_context(viewport={"width": 375, "height": 800}, bypass_csp=True)
    try:
        page = context.new_page()
        page.emulate_media(color_scheme=scheme)
        page.goto(prefix + "search.html?q=harbour")
        page.wait_for_selector(".pagefind-ui__result-link", timeout=15_000)
        assert page.locator("label[for=search-input]").is_visible()
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
        assert not result["violations"], [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in result["violations"]]
        assert page.evaluate("document.documentElement.scrollWidth - innerWidth") <= 0
    finally:
        context.close()


@needs_chromium
def test_search_page_opened_from_disk_says_to_serve_it(browser, built):
    output, _ = built
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto((output / "search.html").resolve().as_uri())
        status = page.locator(".search-status")
        assert "serve the site over HTTP" in status.inner_text()
    finally:
        context.close()


# --- invoke publish: a folder, an rsync target, a gh-pages branch ------------------------------------------


def test_publish_copies_the_site_to_a_folder(tmp_path, content):
    output, target = tmp_path / "output", tmp_path / "www" / "news"
    result = must(invoke("publish", "--content", str(content), "--output", str(output), "--target", str(target),
                         env={"BROADSHEET_SITEURL": "https://news.example.org/digest"}))
    assert f"Published {output} to {target}" in result.stdout
    assert pages_of(target) == pages_of(output)
    assert (target / "pagefind" / "shards.json").is_file()
    assert 'href="https://news.example.org/digest/theme/css/broadsheet.css"' in (target / "index.html").read_text(encoding="utf-8")


def test_publish_refuses_to_copy_the_site_into_itself(tmp_path, content):
    output = tmp_path / "output"
    result = invoke("publish", "--content", str(content), "--output", str(output), "--target", str(output / "copy"))
    assert result.returncode == 2 and "give another folder" in result.stderr


def test_publish_to_an_rsync_target_runs_rsync_with_delete(tmp_path, content):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    record = tmp_path / "rsync-args.json"
    rsync = fake_bin / "rsync"
    rsync.write_text(f"#!{sys.executable}\nimport json, sys\njson.dump(sys.argv[1:], open({str(record)!r}, 'w'))\n")
    rsync.chmod(0o755)
    output = tmp_path / "output"
    must(invoke("publish", "--content", str(content), "--output", str(output), "--target", "editor@news.example.org:/srv/news",
                env={"PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}", "BROADSHEET_SITEURL": "https://news.example.org"}))
    assert json.loads(record.read_text()) == ["-rlzc", "--delete", f"{output}/", "editor@news.example.org:/srv/news"]


def test_publish_to_gh_pages_commits_the_site_to_the_branch(tmp_path, content):
    """ghp-import writes the gh-pages branch of the repository git finds: here a scratch one (GIT_DIR)."""
    git = shutil.which("git")
    if not git:
        pytest.skip("git not found")
    repo = tmp_path / "repo.git"
    subprocess.run([git, "init", "--quiet", "--bare", str(repo)], check=True)
    for key, value in (("user.name", "Broadsheet test"), ("user.email", "test@example.org")):
        subprocess.run([git, "--git-dir", str(repo), "config", key, value], check=True)
    output = tmp_path / "output"
    result = must(invoke("publish", "--content", str(content), "--output", str(output), "--gh-pages",
                         env={"GIT_DIR": str(repo), "BROADSHEET_SITEURL": "https://example.github.io/news"}))
    assert "Published to the gh-pages branch" in result.stdout
    files = subprocess.run([git, "--git-dir", str(repo), "ls-tree", "-r", "--name-only", "gh-pages"],
                           capture_output=True, text=True, check=True).stdout.split()
    assert {".nojekyll", "index.html", "search.html", "pagefind/shards.json", "theme/css/broadsheet.css"} <= set(files)
    assert set(pages_of(output)) <= set(files)


def test_publish_push_needs_gh_pages():
    result = invoke("publish", "--push")
    assert result.returncode == 2 and "--push goes with --gh-pages" in result.stderr
