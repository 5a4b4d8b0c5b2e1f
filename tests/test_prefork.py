"""Builds forked from a process with the build's modules imported (tools/prefork.py), as
`invoke livereload` runs them: the same site as a fresh `invoke build`, a new process when the
code or the settings change, and a build even when that process is gone."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tasks import cache_folder
from tools.livereload import needs_fresh_process
from tools.prefork import ROOT, STOP_GRACE_SECONDS, Prefork

FIXTURES = ROOT / "tests" / "fixtures" / "stories"
STORIES = ("byline_and_timestamp.txt", "bullets_dash_and_star.txt", "caption_labels_and_first_line.txt")


def files_of(site: Path) -> dict[str, bytes]:
    return {path.relative_to(site).as_posix(): path.read_bytes() for path in sorted(site.rglob("*")) if path.is_file()}


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    folder.mkdir()
    for name in STORIES[:2]:
        shutil.copy(FIXTURES / name, folder / name)
    return folder


def test_a_forked_build_makes_the_site_a_fresh_process_makes(tmp_path: Path, content: Path):
    forked, fresh = tmp_path / "forked", tmp_path / "fresh"
    builder = Prefork(["build", "--content", str(content), "--output", str(forked)], cache_folder=cache_folder(content))
    try:
        assert builder.build() == 0
        zygote = builder.zygote.pid
        # a story added: the next build is forked again, with the parse cache read ahead
        shutil.copy(FIXTURES / STORIES[2], content / STORIES[2])
        assert builder.build() == 0
        assert builder.zygote.pid == zygote, "the same process forks every build"
    finally:
        builder.close()
    shutil.rmtree(cache_folder(content))  # the fresh build parses every story: a bad entry would show
    result = subprocess.run([sys.executable, "-m", "invoke", "build", "--content", str(content), "--output", str(fresh)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert len([name for name in files_of(forked) if name.endswith(".html")]) > 10
    assert files_of(forked) == files_of(fresh)


def test_a_forked_build_says_when_its_pages_are_written_before_its_search_index(tmp_path: Path, content: Path):
    output = tmp_path / "site"
    builder = Prefork(["build", "--content", str(content), "--output", str(output)])
    seen = []
    try:
        status = builder.build(pages_written=lambda: seen.append(
            ((output / "index.html").is_file(), (output / "pagefind" / "shards.json").is_file())))
    finally:
        builder.close()
    assert status == 0
    assert seen == [(True, False)], "once, with the pages written and the search index not yet"
    assert (output / "pagefind" / "shards.json").is_file()


def test_a_build_goes_on_when_the_forking_process_is_gone_or_must_start_anew(tmp_path: Path, content: Path):
    output = tmp_path / "site"
    builder = Prefork(["build", "--content", str(content), "--output", str(output)])
    try:
        assert builder.build() == 0
        first = builder.zygote.pid
        assert builder.build(fresh=True) == 0, "code or settings changed: a new process"
        assert builder.zygote.pid != first
        os.kill(builder.zygote.pid, signal.SIGKILL)
        builder.zygote.wait()
        (output / "index.html").unlink()
        assert builder.build() == 0
        assert (output / "index.html").is_file()
    finally:
        builder.close()
    assert builder.zygote is None


def test_a_failed_build_reports_its_status(tmp_path: Path):
    builder = Prefork(["build", "--content", str(tmp_path / "missing"), "--output", str(tmp_path / "site")])
    try:
        assert builder.build() == 2, "invoke build's own status for a missing folder"
        assert builder.usage is not None, "forked, not run in a fresh process"
    finally:
        builder.close()


def test_a_build_runs_in_a_fresh_process_when_no_zygote_can_start(tmp_path: Path):
    # no tools/prefork.py here, so no zygote: `python -m invoke build` runs this folder's tasks.py
    (tmp_path / "tasks.py").write_text(
        "from invoke import task\n\n@task\ndef build(c):\n    open('built', 'w').close()\n", encoding="utf-8")
    builder = Prefork(["build"], cwd=tmp_path, stdout=subprocess.DEVNULL)
    try:
        assert builder.build() == 0
        assert (tmp_path / "built").is_file()
        assert builder.usage is None and builder.zygote is None
    finally:
        builder.close()


def processes_of(marker: str) -> list[int]:
    """The processes whose command line mentions `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def test_stopping_the_zygote_stops_the_build_and_the_processes_it_started(tmp_path: Path):
    content = tmp_path / "content"
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen_corpus.py"), "--n", "150", "--form", "txt", "--out",
                    str(content)], check=True, stdout=subprocess.DEVNULL)
    builder = Prefork(["build", "--content", str(content), "--output", str(tmp_path / "site")], stdout=subprocess.DEVNULL)
    builder._start()
    builder.zygote.stdin.write(b"build\n")  # a build asked for, not waited for
    builder.zygote.stdin.flush()
    deadline = time.monotonic() + 60
    while len(processes_of(str(tmp_path))) < 4 and time.monotonic() < deadline:  # the zygote, the build, its pool
        time.sleep(0.05)
    assert len(processes_of(str(tmp_path))) >= 4, "the build's parse pool started"
    builder.close()  # as livereload does when it stops
    deadline = time.monotonic() + STOP_GRACE_SECONDS + 10
    while processes_of(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_of(str(tmp_path)) == [], "nothing of the build is left running"
    assert not list(tmp_path.glob(".pagefind-*")), "nor any scratch folder"


def test_only_changes_to_stories_and_theme_are_built_without_a_new_process(tmp_path: Path):
    content, theme, plugins = tmp_path / "content", tmp_path / "theme", tmp_path / "plugins"
    warm = [content, theme]
    assert not needs_fresh_process([str(content / "story.txt"), str(theme / "templates" / "base.html")], warm)
    assert needs_fresh_process([str(plugins / "news_reader" / "parse.py")], warm)
    assert needs_fresh_process([str(content / "story.txt"), str(tmp_path / "pelicanconf.py")], warm)
    assert needs_fresh_process([str(tmp_path / "content-old" / "story.txt")], warm), "a neighbour is not inside"
