"""The invoke tasks, run for real in a subprocess: inspect, build, clean, serve, and the CI wiring."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "content" / "000_7badf5751ba94d9e.txt"
RECORD_KEYS = {
    "path", "title", "headline", "bullets", "captions", "paragraphs", "subheadings",
    "byline", "published", "source", "source_url", "warnings",
}
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"

STORY = """Date: 2024-05-02 08:00
Tags: Transport

Harbour ferry returns after winter repairs

  • The ferry was out of service for four months
  • A new timetable starts on 1 June

The harbour ferry carried its first passengers since January on Thursday morning.

The crossing was closed after an inspection found damage to the hull <and> the repairs took longer than planned.

Read more at Example Gazette
"""


def invoke(*args: str, cwd: Path = ROOT, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run `invoke ARGS` with this Python, as a curator would from the repository."""
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def text_of(path: Path) -> str:
    """The visible text of an HTML file, white space (and typogrify's &nbsp;) folded."""
    text = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").get_text(" ")
    return " ".join(text.replace("\u00a0", " ").split())


@pytest.fixture
def stories(tmp_path: Path) -> Path:
    """A folder with a good story, the seed in a subfolder, an empty file and a PNG named .txt."""
    folder = tmp_path / "stories"
    (folder / "World").mkdir(parents=True)
    (folder / "2024-05-02-ferry.txt").write_text(STORY, encoding="utf-8")
    (folder / "World" / SEED.name).write_bytes(SEED.read_bytes())
    (folder / "empty.txt").write_bytes(b"")
    (folder / "photo.txt").write_bytes(PNG_BYTES)
    (folder / "notes.md").write_text("not a story", encoding="utf-8")
    return folder


def test_inspect_json_gives_one_line_per_story_with_exactly_the_keys(stories: Path):
    result = invoke("inspect", str(stories), "--format", "json")
    records = json_lines(result.stdout)
    paths = [Path(r["path"]).relative_to(stories).as_posix() for r in records]
    assert paths == ["2024-05-02-ferry.txt", "World/000_7badf5751ba94d9e.txt", "empty.txt", "photo.txt"]
    good, seed, empty, photo = records
    for record in (good, seed):
        assert set(record) == RECORD_KEYS
        assert isinstance(record["bullets"], list) and isinstance(record["warnings"], list)
    for record in (empty, photo):
        assert set(record) == {"path", "error"}
        assert record["error"].startswith(record["path"])
    assert "binary" in photo["error"]
    assert result.returncode == 1, "a file that fails must make inspect exit non-zero"
    assert "2 of 4 files could not be parsed" in result.stderr


def test_inspect_json_values_are_plain_text(stories: Path):
    result = invoke("inspect", str(stories / "2024-05-02-ferry.txt"), "--format", "json")
    assert result.returncode == 0, result.stderr
    (record,) = json_lines(result.stdout)
    assert record["title"] == "Harbour ferry returns after winter repairs"
    assert record["bullets"] == ["The ferry was out of service for four months", "A new timetable starts on 1 June"]
    assert record["published"] == "2024-05-02T08:00:00"
    assert record["source"] == "Example Gazette"
    assert any("<and>" in p for p in record["paragraphs"]), "text must come out as written, not as HTML"
    assert not any("&lt;" in p for p in record["paragraphs"])


def test_inspect_content_folder_parses_every_story():
    result = invoke("inspect", "content", "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    records = json_lines(result.stdout)
    assert records and all(set(r) == RECORD_KEYS for r in records)
    assert "content/000_7badf5751ba94d9e.txt" in [r["path"] for r in records]


def test_inspect_text_summary_puts_warnings_first(tmp_path: Path):
    story = tmp_path / "undated.txt"  # no date anywhere: the build would use the file's time
    story.write_text(STORY.split("\n\n", 1)[1], encoding="utf-8")
    result = invoke("inspect", str(story))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("undated.txt")
    assert lines[1].startswith("  warning:") and "Date:" in lines[1]
    assert lines[2].startswith("  title:")
    assert "2 key points" in result.stdout


def test_inspect_missing_path_fails_clearly(tmp_path: Path):
    result = invoke("inspect", str(tmp_path / "nowhere"))
    assert result.returncode != 0
    assert "no such file or folder" in result.stderr


def test_readme_example_story_parses_as_described(tmp_path: Path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```text\n(.*?)```", readme, re.S).group(1)
    story = tmp_path / "example.txt"
    story.write_text(example, encoding="utf-8")
    result = invoke("inspect", str(story), "--format", "json")
    assert result.returncode == 0, result.stderr
    (record,) = json_lines(result.stdout)
    assert record["title"] == "Harbour ferry returns after winter repairs"
    assert record["headline"].startswith(record["title"] + " as the council")
    assert len(record["bullets"]) == 3
    assert record["captions"] == ["Passengers queue at the harbour steps for the first crossing of the year"]
    assert len(record["paragraphs"]) == 3
    assert record["source"] == "Example Gazette"
    assert record["source_url"] == "https://example.org/news/harbour-ferry"
    assert record["published"] == "2024-05-02T08:00:00"


def test_build_writes_index_and_story_page(tmp_path: Path):
    content, output = tmp_path / "content", tmp_path / "site"
    content.mkdir()
    (content / "2024-05-02-ferry.txt").write_text(STORY, encoding="utf-8")
    result = invoke("build", "--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stdout + result.stderr
    index = output / "index.html"
    assert index.is_file()
    assert "Harbour ferry returns after winter repairs" in text_of(index)
    pages = [p for p in output.rglob("*.html") if "harbour-ferry-returns" in p.name]
    assert len(pages) == 1, sorted(str(p.relative_to(output)) for p in output.rglob("*.html"))
    page = text_of(pages[0])
    assert "Harbour ferry returns after winter repairs" in page
    assert "A new timetable starts on 1 June" in page


def test_build_fails_on_a_broken_story_but_writes_the_rest(tmp_path: Path):
    content, output = tmp_path / "content", tmp_path / "site"
    content.mkdir()
    (content / "2024-05-02-ferry.txt").write_text(STORY, encoding="utf-8")
    (content / "photo.txt").write_bytes(PNG_BYTES)
    result = invoke("build", "--content", str(content), "--output", str(output))
    assert result.returncode == 1
    assert "photo.txt" in result.stdout + result.stderr
    assert [p for p in output.rglob("*.html") if "harbour-ferry-returns" in p.name]
    assert "Broadsheet: 1 published, 0 drafts, 0 hidden, 0 skipped, 1 errors" in result.stdout
    assert "error: photo.txt" in result.stdout


def test_build_lists_drafts_and_fails_on_warnings_only_when_strict(tmp_path: Path):
    content, output = tmp_path / "content", tmp_path / "site"
    content.mkdir()
    (content / "2024-05-02-ferry.txt").write_text(STORY, encoding="utf-8")
    (content / "draft.txt").write_text("Title: Not yet\nDate: 2024-05-03\nStatus: draft\n\nA draft story.\n", encoding="utf-8")
    (content / "copy.txt").write_text(STORY, encoding="utf-8")  # the same text again: published once, warned
    result = invoke("build", "--content", str(content), "--output", str(output))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Broadsheet: 1 published, 1 drafts, 0 hidden, 1 skipped, 0 errors" in result.stdout
    assert "draft: draft.txt" in result.stdout
    strict = invoke("build", "--strict", "--content", str(content), "--output", str(output))
    assert strict.returncode == 1
    assert "--strict" in strict.stdout + strict.stderr


def test_clean_empties_the_output_folder(tmp_path: Path):
    output = tmp_path / "site"
    (output / "old").mkdir(parents=True)
    (output / "old" / "index.html").write_text("stale", encoding="utf-8")
    result = invoke("clean", "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert output.is_dir() and not any(output.iterdir())


def test_serve_answers_on_localhost(tmp_path: Path):
    output = tmp_path / "site"
    output.mkdir()
    (output / "index.html").write_text("<!doctype html><title>t</title><p>served</p>", encoding="utf-8")
    server = subprocess.Popen(
        [sys.executable, "-m", "invoke", "serve", "--port", "0", "--output", str(output)],
        cwd=ROOT, stderr=subprocess.PIPE, text=True,
    )
    try:
        seen = []
        for _ in range(20):
            seen.append(server.stderr.readline())
            match = re.search(r"http://localhost:(\d+)/", seen[-1])
            if match or not seen[-1]:
                break
        assert match, seen
        url = f"http://localhost:{match.group(1)}/"
        for _ in range(50):
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    body = response.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert "served" in body
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_every_task_is_listed_with_a_docstring():
    result = invoke("--list")
    assert result.returncode == 0, result.stderr
    for name in ("build", "clean", "serve", "test", "inspect", "evaluate", "publish",
                 "add", "drafts", "preview", "livereload", "audit", "bench"):
        line = next((l for l in result.stdout.splitlines() if l.strip().startswith(name + " ")), "")
        assert len(line.split()) > 1, f"task {name} has no docstring in `invoke --list`"


def test_tasks_load_without_the_audit_and_bench_tools(tmp_path: Path):
    """audit and bench import their tools only when run: tasks.py loads (and says so) without them."""
    for name in ("tasks.py", "pelicanconf.py", "publishconf.py"):
        (tmp_path / name).write_bytes((ROOT / name).read_bytes())
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "__init__.py").write_text("", encoding="utf-8")
    listed = invoke("--list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert " audit " in listed.stdout and " bench " in listed.stdout
    for task in ("audit", "bench"):
        result = invoke(task, cwd=tmp_path)
        assert result.returncode == 2
        assert f"tools/{task}.py cannot be loaded" in result.stderr


def test_preview_builds_with_the_publish_settings(tmp_path: Path):
    output = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "preview", "--output", str(output)], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env={**os.environ, "BROADSHEET_SITEURL": "https://news.example.org"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Broadsheet: " in result.stdout
    assert "https://news.example.org/" in (output / "feeds" / "all.atom.xml").read_text(encoding="utf-8")


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = re.search(r"^TEST_COMMAND='(.+)'$", ci, re.M).group(1)
    assert command.endswith("invoke test")
    assert f"\n{command}\n" in readme, "README's test command and .ci/run's must be the same line"
    assert "set -euo pipefail" in ci
    assert "invoke evaluate --check" in ci
    assert os.access(ROOT / ".ci" / "run", os.X_OK)


def test_requirements_are_pinned():
    lines = [
        line.strip() for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines and all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", line) for line in lines), lines
    names = {line.split("==")[0].lower() for line in lines}
    assert {"pelican", "typogrify", "beautifulsoup4", "invoke", "pytest"} <= names


def test_cache_folders_of_content_folders_that_are_gone_are_removed(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    import tasks

    caches = tmp_path / "cache"
    for name, owner in (("gone", tmp_path / "deleted"), ("here", tmp_path), ("old", None)):
        (caches / name).mkdir(parents=True)
        if owner is not None:
            (caches / name / tasks.CACHE_OWNER).write_text(str(owner), encoding="utf-8")
    tasks.prune_caches(str(caches))
    assert sorted(p.name for p in caches.iterdir()) == ["here", "old"]  # one without an owner file is kept


def test_paired_bench_report_gives_medians_and_the_mean_ratio_of_the_pairs():
    from tools.bench import paired_report

    before = [{"warm": 2.0, "add one": 3.0, "edit one": 4.0}, {"warm": 4.0, "add one": 3.0, "edit one": 2.0}]
    after = [{"warm": 1.0, "add one": 3.0, "edit one": 8.0}, {"warm": 2.0, "add one": 3.0, "edit one": 2.0}]
    lines = paired_report(before, after, "abc123", 100).splitlines()
    assert lines[0].startswith("100 stories, 2 paired rounds")
    assert lines[4] == "| warm | 3.00 (2.00) | 1.50 (1.00) | 0.50 |"  # both pairs halved
    assert lines[5] == "| add one | 3.00 (3.00) | 3.00 (3.00) | 1.00 |"
    assert lines[6] == "| edit one | 3.00 (2.00) | 5.00 (2.00) | 1.41 |"  # twice, then the same: sqrt(2)
