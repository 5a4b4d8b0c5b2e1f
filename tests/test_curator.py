"""A curator's day, run for real in subprocesses: add, drafts, livereload, build progress,
and the README's "Daily use" examples."""

from __future__ import annotations

import os
import queue
import re
import select
import shlex
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))

from news_reader.parse import parse_story  # noqa: E402

STORY = """Harbour ferry returns after winter repairs

  • The ferry was out of service for four months
  • A new timetable starts on 1 June

The harbour ferry carried its first passengers since January on Thursday morning.

Passengers queue at the harbour steps for the first crossing of the year

The crossing was closed after an inspection found damage to the hull.

Read more at Example Gazette
"""

# No headline line, a byline and a timestamp in the text.
BYLINE_STORY = """By Jane Reporter

PUBLISHED: 09:14 EDT, 28 May 2019

The town library will stay open until nine in the evening on weekdays from next month, the council said on Monday.

Readers had asked for later opening hours in a survey last year, and two more staff will be hired.
"""

DRAFT = "Title: Not yet\nDate: 2024-05-03\nStatus: draft\n\nA draft story about the harbour.\n"


def invoke(*args: str, cwd: Path = ROOT, stdin: str | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run `invoke ARGS` with this Python, as a curator would from the repository."""
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=timeout
    )


def written(content: Path) -> list[Path]:
    return sorted(content.glob("*.txt"))


def parsed(path: Path):
    return parse_story(path.read_text(encoding="utf-8"), path=str(path))


# --------------------------------------------------------------------------- invoke add


def test_add_writes_a_dated_slugged_file_with_the_header_given(tmp_path: Path):
    source, content = tmp_path / "ferry.txt", tmp_path / "content"
    source.write_text(STORY, encoding="utf-8")
    result = invoke(
        "add", str(source), "--date", "2024-05-02 08:00", "--category", "Local", "--tags", "Transport,Harbour",
        "--content", str(content),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = written(content)
    assert path.name == "2024-05-02-harbour-ferry-returns-after-winter-repairs.txt"
    story = parsed(path)
    assert story.header == {"date": "2024-05-02 08:00", "category": "Local", "tags": "Transport, Harbour"}
    assert story.title == "Harbour ferry returns after winter repairs"
    assert path.read_text(encoding="utf-8").endswith("\n\n" + STORY), "the text must follow the header unchanged"
    # how it parsed: title, key points, captions count
    assert "title:     Harbour ferry returns after winter repairs" in result.stdout
    assert "2 key points" in result.stdout and "1 captions" in result.stdout
    assert "Added 1 of 1 stories" in result.stdout


def test_add_takes_date_byline_and_title_from_the_text(tmp_path: Path):
    source, content = tmp_path / "library.txt", tmp_path / "content"
    source.write_text(BYLINE_STORY, encoding="utf-8")
    result = invoke("add", str(source), "--content", str(content))
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = written(content)
    assert path.name.startswith("2019-05-28-")
    story = parsed(path)
    assert story.header["date"] == "2019-05-28 09:14"
    assert story.header["author"] == "Jane Reporter"
    # no headline line: the made-up title is written as a Title: header for the curator to edit
    assert story.header["title"] == story.title and story.title.startswith("The town library")
    assert list(story.header) == ["title", "date", "author"]
    assert "Title: line was made from it" in result.stdout
    assert not story.warnings, story.warnings


def test_add_reads_standard_input_and_drops_bom(tmp_path: Path):
    content = tmp_path / "content"
    result = invoke("add", "-", "--date", "2024-06-01", "--content", str(content), stdin="\ufeff" + STORY)
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = written(content)
    assert path.name == "2024-06-01-harbour-ferry-returns-after-winter-repairs.txt"
    text = path.read_text(encoding="utf-8")
    assert "\ufeff" not in text and text == "Date: 2024-06-01\n\n" + STORY
    assert "added <stdin> as" in result.stdout


def test_add_merges_a_header_the_text_already_has(tmp_path: Path):
    source, content = tmp_path / "ferry.txt", tmp_path / "content"
    source.write_text(
        "Category: World\nDate: 2024-04-01\nSource-URL: https://example.org/ferry\nNote: Ferries matter\nKicker: Boats\n\n"
        + STORY,
        encoding="utf-8",
    )
    result = invoke("add", str(source), "--category", "Local", "--content", str(content))
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = written(content)
    assert path.name.startswith("2024-04-01-")
    story = parsed(path)
    assert story.header == {
        "date": "2024-04-01", "category": "Local", "source-url": "https://example.org/ferry", "note": "Ferries matter",
    }
    assert path.read_text(encoding="utf-8").count("Category:") == 1
    assert "Kicker" not in path.read_text(encoding="utf-8")
    assert re.search(r"note: \S*ferry\.txt:5: unknown header key 'Kicker' ignored.*\(left out of the new header\)", result.stdout)
    assert path.read_text(encoding="utf-8").endswith("\n\n" + STORY)


def test_add_refuses_a_text_already_in_content(tmp_path: Path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "2024-05-02-ferry.txt").write_text("Date: 2024-05-02\nCategory: Local\n\n" + STORY, encoding="utf-8")
    again = tmp_path / "again.txt"  # the same text, another header, other line endings and spaces
    again.write_text("Tags: Boats\n\n" + STORY.replace("Thursday  ", "Thursday ").replace("\n", "\r\n"), encoding="utf-8")
    result = invoke("add", str(again), "--content", str(content))
    assert result.returncode == 1
    assert "the same text is already in" in result.stderr and "2024-05-02-ferry.txt" in result.stderr
    assert [p.name for p in written(content)] == ["2024-05-02-ferry.txt"]
    # ... and the same text twice in one command is added once
    other = tmp_path / "other.txt"
    other.write_text(BYLINE_STORY, encoding="utf-8")
    result = invoke("add", str(other), str(other), "--content", str(content))
    assert result.returncode == 1
    assert len(written(content)) == 2
    assert "Added 1 of 2 stories" in result.stdout


def test_add_reports_a_broken_file_with_its_line_and_adds_the_rest(tmp_path: Path):
    content = tmp_path / "content"
    bad, empty, good = tmp_path / "bad.txt", tmp_path / "empty.txt", tmp_path / "good.txt"
    bad.write_text("Title: Harbour news\nDate: yesterday\n\nSome text.\n", encoding="utf-8")
    empty.write_text("", encoding="utf-8")
    good.write_text(STORY, encoding="utf-8")
    result = invoke("add", str(bad), str(empty), "--date", "2024-05-02", str(good), "--content", str(content))
    assert result.returncode == 1
    assert re.search(r"error: \S*bad\.txt:2: Date: 'yesterday' is not a date; write it as YYYY-MM-DD", result.stderr)
    assert re.search(r"error: \S*empty\.txt: the file has no text", result.stderr)
    assert "2 story file(s) not added" in result.stderr
    assert [p.name for p in written(content)] == ["2024-05-02-harbour-ferry-returns-after-winter-repairs.txt"]
    assert "Added 1 of 3 stories" in result.stdout


def test_add_notes_a_category_no_story_is_in_yet(tmp_path: Path):
    content = tmp_path / "content"
    (content / "Sport").mkdir(parents=True)
    (content / "Sport" / "cup.txt").write_text("Date: 2024-05-01\n\n" + BYLINE_STORY, encoding="utf-8")
    (content / "ferry.txt").write_text("Date: 2024-05-02\nCategory: Local\n\n" + STORY, encoding="utf-8")
    source = tmp_path / "new.txt"
    source.write_text("Council approves new bike lanes\n\nThe council approved three new bike lanes.\n", encoding="utf-8")
    result = invoke("add", str(source), "--category", "Locl", "--content", str(content))
    assert result.returncode == 0, result.stdout + result.stderr  # a note, not an error: new sections are allowed
    assert "note: Category 'Locl' is new (sections so far: Local, Sport); check the spelling" in result.stderr
    again = tmp_path / "again.txt"
    again.write_text("Harbour steps reopen\n\nThe harbour steps reopened on Friday.\n", encoding="utf-8")
    result = invoke("add", str(again), "--category", "local", "--content", str(content))
    assert result.returncode == 0 and "is new" not in result.stderr


def test_add_refuses_a_bad_option_before_writing_anything(tmp_path: Path):
    source, content = tmp_path / "ferry.txt", tmp_path / "content"
    source.write_text(STORY, encoding="utf-8")
    result = invoke("add", str(source), "--date", "2 May", "--content", str(content))
    assert result.returncode == 2
    assert "--date '2 May' is not a date" in result.stderr
    assert not written(content)


def test_add_gives_a_second_story_with_the_same_name_its_own_file(tmp_path: Path):
    content = tmp_path / "content"
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text(STORY, encoding="utf-8")
    second.write_text(STORY.replace("Thursday morning", "Friday evening"), encoding="utf-8")
    result = invoke("add", str(first), str(second), "--date", "2024-05-02", "--content", str(content))
    assert result.returncode == 0, result.stdout + result.stderr
    assert [p.name for p in written(content)] == [
        "2024-05-02-harbour-ferry-returns-after-winter-repairs-2.txt",
        "2024-05-02-harbour-ferry-returns-after-winter-repairs.txt",
    ]


def test_added_draft_is_listed_by_drafts_and_by_build(tmp_path: Path):
    content, output = tmp_path / "content", tmp_path / "site"
    content.mkdir()
    (content / "old-draft.txt").write_text(DRAFT, encoding="utf-8")
    (content / "2024-05-02-ferry.txt").write_text("Date: 2024-05-02\n\n" + STORY, encoding="utf-8")
    source = tmp_path / "library.txt"
    source.write_text(BYLINE_STORY, encoding="utf-8")
    assert invoke("add", str(source), "--draft", "--content", str(content)).returncode == 0
    added = next(p for p in written(content) if p.name.startswith("2019-05-28-"))
    assert parsed(added).header["status"] == "draft"

    result = invoke("drafts", "--content", str(content))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.endswith("old-draft.txt  Not yet") for line in lines), lines
    assert any(added.name in line and "The town library" in line for line in lines), lines
    assert not any("ferry" in line for line in lines)
    assert "2 draft(s)" in result.stdout

    build = invoke("build", "--content", str(content), "--output", str(output))
    assert build.returncode == 0, build.stdout + build.stderr
    assert "1 published, 2 drafts" in build.stdout
    assert f"draft: {added.name}" in build.stdout


def test_drafts_of_a_folder_without_any(tmp_path: Path):
    (tmp_path / "ferry.txt").write_text(STORY, encoding="utf-8")
    result = invoke("drafts", "--content", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0 draft(s); publish one by removing its Status: draft line"


# --------------------------------------------------------------------------- build progress


def fifty_stories(content: Path) -> Path:
    content.mkdir()
    for number in range(50):
        (content / f"2024-05-{number % 28 + 1:02d}-story-{number}.txt").write_text(
            f"Story number {number} of the day\n\nThe council met for meeting number {number} on Monday night.\n",
            encoding="utf-8",
        )
    return content


def test_long_build_prints_progress_lines_when_not_a_terminal(tmp_path: Path):
    content, output = fifty_stories(tmp_path / "content"), tmp_path / "site"
    result = invoke("build", "--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "read 50 of 50 stories" in result.stdout
    assert re.search(r"^written \d+ pages$", result.stdout, re.M)
    assert result.stdout.strip().splitlines()[-1].startswith("Broadsheet: 50 published")
    small = invoke("build", "--content", str(ROOT / "content"), "--output", str(tmp_path / "small"))
    assert small.returncode == 0, small.stdout + small.stderr
    assert "read " not in small.stdout and "written " not in small.stdout, "a small build shows no progress"


def test_long_build_shows_a_progress_bar_on_a_terminal(tmp_path: Path):
    import pty

    content, output = fifty_stories(tmp_path / "content"), tmp_path / "site"
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "invoke", "build", "--content", str(content), "--output", str(output)],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower,
    )
    os.close(follower)
    seen, deadline = b"", time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if not select.select([leader], [], [], 1)[0]:
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the build ended
                break
            if not chunk:
                break
            seen += chunk
        assert process.wait(timeout=120) == 0, seen.decode(errors="replace")
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
    text = seen.decode("utf-8", errors="replace")
    assert "Reading stories" in text and "Writing pages" in text
    assert "read 50 of 50" not in text, "a terminal gets the bar, not the plain lines"
    assert "Broadsheet: 50 published" in text


# --------------------------------------------------------------------------- livereload


class LiveReload:
    """`invoke livereload` on a folder, its stderr read from a thread (so the pipe never fills)."""

    def __init__(self, content: Path, output: Path):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "invoke", "livereload", "--content", str(content), "--output", str(output),
             "--port", "0"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.process.poll() is None, f"livereload stopped: {''.join(self.seen)}"
                continue
            self.seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match
        raise AssertionError(f"no line matching {pattern!r} in {timeout}s: {''.join(self.seen)}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def poll_until(check, timeout: float, what: str):
    """Call `check` until it returns a true value (bounded); returns that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout}s: {what}")


def test_livereload_rebuilds_the_page_when_a_story_changes(tmp_path: Path):
    content, output = tmp_path / "content", tmp_path / "site"
    content.mkdir()
    story = content / "2024-05-02-ferry.txt"
    story.write_text("Date: 2024-05-02\n\n" + STORY, encoding="utf-8")
    live = LiveReload(content, output)
    try:
        base = live.wait_for(r"(http://localhost:\d+/)", timeout=90).group(1)
        (page,) = [p for p in output.rglob("*.html") if "harbour-ferry-returns" in p.name]
        url = base + page.relative_to(output).as_posix()
        before = fetch(url)
        assert "first passengers since January" in before
        assert "/__broadsheet_reload" in before, "pages are served with the reload script"
        nonce = re.search(r'<script nonce="([^"]+)">', before).group(1)
        assert f"script-src 'nonce-{nonce}'" in before, "the page's policy lets that one script run"
        assert "__broadsheet_reload" not in page.read_text(encoding="utf-8"), "output/ stays as built"
        assert fetch(base + "__broadsheet_reload").strip() == "1"

        story.write_text(story.read_text(encoding="utf-8").replace("since January", "since the great storm"), "utf-8")
        after = poll_until(lambda: (lambda t: t if "since the great storm" in t else None)(fetch(url)), 60,
                           "the rebuilt page shows the new text")
        assert "since January" not in after
        assert poll_until(lambda: fetch(base + "__broadsheet_reload").strip() == "2", 30, "build 2 announced")
        live.wait_for(r"build 2 done in \d+\.\d\d s \(pages in \d+\.\d\d s, then the search index\)", timeout=10)
        assert "new process" not in "".join(live.seen), "a story's change is built without importing anew"
    finally:
        live.stop()
    assert live.process.returncode is not None


def test_livereload_reloads_pages_once_written_and_holds_the_search_index_until_the_build_ends(tmp_path: Path):
    from tools.livereload import Builds, _Server, handler_class

    (tmp_path / "pagefind").mkdir()
    (tmp_path / "pagefind" / "shards.json").write_text('{"shards": []}', encoding="utf-8")
    (tmp_path / "index.html").write_text("<html><body>Home</body></html>", encoding="utf-8")
    builds = Builds()
    server = _Server(("localhost", 0), handler_class(str(tmp_path), builds))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://localhost:{server.server_address[1]}/"
    try:
        builds.started()
        builds.pages_written()
        assert fetch(base + "__broadsheet_reload").strip() == "1", "open pages reload once the pages are written"
        assert "Home" in fetch(base), "pages are served at once"
        answer: list[str] = []
        request = threading.Thread(target=lambda: answer.append(fetch(base + "pagefind/shards.json")))
        request.start()
        request.join(0.5)
        assert not answer, "the search index is held while the build makes it"
        assert builds.finished() == 1, "the same build's number"
        request.join(5)
        assert answer == ['{"shards": []}']
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs /usr/bin/chromium (see tests/test_browser.py)")
def test_livereload_reloads_the_open_page_in_a_browser(tmp_path: Path, request):
    pytest.importorskip("pytest_playwright", reason="needs pytest-playwright (see tests/test_browser.py)")
    page = request.getfixturevalue("page")  # pytest-playwright's, on Debian's chromium (tests/conftest.py)
    content, output = tmp_path / "content", tmp_path / "site"
    content.mkdir()
    story = content / "2024-05-02-ferry.txt"
    story.write_text("Date: 2024-05-02\n\n" + STORY, encoding="utf-8")
    live = LiveReload(content, output)
    try:
        base = live.wait_for(r"(http://localhost:\d+/)", timeout=90).group(1)
        page.goto(base)
        assert "Harbour ferry returns" in page.inner_text("body")
        story.write_text(story.read_text(encoding="utf-8").replace(
            "Harbour ferry returns after winter repairs", "Harbour ferry sails again"), "utf-8")
        # nobody touches the page: it reloads itself once the rebuild is done
        page.get_by_text("Harbour ferry sails again").first.wait_for(timeout=60_000)
        assert "Harbour ferry returns" not in page.inner_text("body")
    finally:
        live.stop()


# --------------------------------------------------------------------------- README "Daily use"


def daily_use() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Daily use\n(.*?)(?=^## )", readme, re.S | re.M)
    assert match, "README has a '## Daily use' section"
    return match.group(1)


def test_readme_daily_use_names_only_tasks_that_exist():
    listed = invoke("--list")
    assert listed.returncode == 0, listed.stderr
    tasks = {line.split()[0] for line in listed.stdout.splitlines()[1:] if line.strip()}
    used = set(re.findall(r"invoke (?:-\S+ \S+ )*([a-z][a-z-]*)", daily_use()))
    assert {"add", "inspect", "preview", "serve", "livereload", "drafts", "publish", "build"} <= used, used
    assert used <= tasks, used - tasks


def test_readme_daily_use_add_example_works_as_written(tmp_path: Path):
    section = daily_use()
    (line,) = [l for l in section.splitlines() if l.startswith(".venv/bin/invoke add ") and " - " not in l + " "]
    words = shlex.split(line)
    files = [w for w in words[2:] if w.endswith(".txt")]
    assert files, line
    for name in files:  # the file the example adds, with the README's example story in it
        readme_story = re.search(r"```text\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S).group(1)
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(readme_story.split("\n\n", 1)[1], encoding="utf-8")
    content = tmp_path / "content"
    command = [sys.executable, "-m", "invoke", "--search-root", str(ROOT), *words[1:], "--content", str(content)]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    (path,) = written(content)
    assert "harbour-ferry-returns" in path.name
    header = parsed(path).header
    for option, key in (("--category", "category"), ("--tags", "tags"), ("--date", "date")):
        if option in words:
            assert header[key] == words[words.index(option) + 1].replace(",", ", ").replace(",  ", ", ")

    paste = [l for l in section.splitlines() if "invoke add -" in l]
    assert paste, "README shows how to paste a story (invoke add -)"


def test_readme_daily_use_drafts_and_inspect_examples_run():
    section = daily_use()
    for name in ("drafts", "inspect"):
        lines = [l for l in section.splitlines() if l.startswith(f".venv/bin/invoke {name}")]
        assert lines, name
        for line in lines:
            words = shlex.split(line.split("|")[0])
            result = invoke(*words[1:])
            assert result.returncode == 0, line + "\n" + result.stdout + result.stderr
