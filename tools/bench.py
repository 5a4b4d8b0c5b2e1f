"""`invoke bench`: Broadsheet's build against stock Pelican and Hugo on the same synthetic stories.

Stories come from `bench/gen_corpus.py` (a copy of the shared generator, so a fresh clone can
bench): `--form txt` for Broadsheet, `pelican-md` for stock Pelican (Markdown, default theme,
typogrify on), `hugo-md` for Hugo (when a `hugo` binary exists). Each build runs in a child
process of its own, timed by wall clock, with its peak memory (max RSS) read from the child.
The watching servers' rebuilds after an added story are timed too: `invoke livereload`'s (a
build forked from its zygote, tools/prefork.py) and `hugo server`'s (by its own timer).
The machine is noisy, so the report gives ratios as well as seconds.

`invoke bench --against REVISION` times rebuilds in pairs instead: the same stories built by a
git worktree of REVISION and by this checkout, one after the other, round after round (warm,
one story added, one edited), and reports the median of each and the mean ratio of the pairs.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tools.prefork import Prefork

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "bench" / "gen_corpus.py"
WORK = ROOT / "bench-work"

#: Runs each timed build in a child and prints, on the last line of stderr, its peak memory in KiB
#: and the CPU seconds (user + system) of it and its children (a process pool's workers).
_MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(usage.ru_maxrss, usage.ru_utime + usage.ru_stime, file=sys.stderr)\n"
    "sys.exit(code)\n"
)

_STOCK_PELICAN_SETTINGS = """\
SITENAME = "Stock Pelican"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
TYPOGRIFY = True
DEFAULT_PAGINATION = 20
PLUGINS = []
"""

_HUGO_CONFIG = 'baseURL = "http://localhost/"\ntitle = "Hugo"\ndisableKinds = []\n[pagination]\npagerSize = 20\n'
_HUGO_LAYOUTS = {
    "_default/baseof.html": "<!doctype html><html><head><title>{{ .Title }}</title></head>"
    "<body>{{ block \"main\" . }}{{ end }}</body></html>",
    "_default/single.html": "{{ define \"main\" }}<article><h1>{{ .Title }}</h1>{{ .Content }}</article>{{ end }}",
    "_default/list.html": "{{ define \"main\" }}{{ range .Paginator.Pages }}<h2><a href=\"{{ .RelPermalink }}\">"
    "{{ .Title }}</a></h2><p>{{ .Summary }}</p>{{ end }}{{ end }}",
}


@dataclass
class Run:
    name: str
    seconds: float
    peak_mib: float | None  # None: not known (a server's own timer)
    cpu_seconds: float | None = 0.0


#: Stories added one by one to time a watching server's rebuild (the median is reported).
WATCHED_ADDS = 3
#: Seconds to wait for a line from Hugo's server.
_SERVER_WAIT = 300


def generate(form: str, out: Path, stories: int, start: int = 0) -> None:
    """Write `stories` synthetic stories in `form` into `out` (the same stories in every form)."""
    subprocess.run(
        [sys.executable, str(GENERATOR), "--n", str(stories), "--start", str(start), "--form", form, "--out", str(out)],
        check=True,
    )


def check_pages(name: str, output: Path, pattern: str, expected: int) -> None:
    """Fail the bench when a build wrote fewer story pages than it was given stories: a build
    that silently skipped its input (stock Pelican without the `markdown` package reads no `.md`)
    would otherwise look fast."""
    found = sum(1 for _ in output.glob(pattern))
    if found < expected:
        raise RuntimeError(f"{name}: {found} story pages in {output} for {expected} stories")


def _environment() -> dict[str, str]:
    """The builds' environment: this one, but Python keeps compiled modules (`__pycache__`) as a
    shell's Python does; a sandbox that sets PYTHONDONTWRITEBYTECODE would have every build
    compile the reader plugin anew (0.07 s a build here)."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def timed(name: str, command: list[str], cwd: Path) -> Run:
    """Run `command` in a child process; its wall time and peak memory. The files written before
    (stories, the last build's output, one removed) are flushed to disk first, so that a build
    does not pay for the writes of the step before it: here, 3,000 pages written just after
    3,000 others were removed took 1.6 s, and 0.37 s after a sync."""
    os.sync()
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], cwd=cwd, stderr=subprocess.PIPE, text=True, check=False,
        env=_environment(),
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{result.stderr[-2000:]}")
    peak_kib, cpu = result.stderr.strip().splitlines()[-1].split()
    return Run(name, seconds, int(peak_kib) / 1024, float(cpu))


#: What "edit one" adds to a story.
_EDIT = "\nOne more paragraph, added by an edit.\n"


def _build_command(tree: Path, site: Path) -> list[str]:
    """Broadsheet's build of `site/content` into `site/output` with the checkout at `tree`, its parse
    cache on in `site/cache`, as `invoke build` has it (cold: an empty folder)."""
    return [sys.executable, "-m", "pelican", str(site / "content"), "-q", "-s", str(tree / "pelicanconf.py"), "-o",
            str(site / "output"), "-e", f"BROADSHEET_CACHE_PATH={json.dumps(str(site / 'cache'))}"]


def _broadsheet(work: Path, stories: int) -> list[Run]:
    content, output = work / "content", work / "output"
    generate("txt", content, stories)
    build = _build_command(ROOT, work)
    runs = [timed("Broadsheet cold", build, ROOT), timed("Broadsheet warm", build, ROOT)]
    generate("txt", content, 1, start=stories)
    runs.append(timed("Broadsheet add one", build, ROOT))
    edited = sorted(content.glob("*.txt"))[stories // 2]
    edited.write_text(edited.read_text(encoding="utf-8") + _EDIT, encoding="utf-8")
    runs.append(timed("Broadsheet edit one", build, ROOT))
    check_pages("Broadsheet", output, "[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.html", stories + 1)
    return runs + _curator(work, stories + 1)


def _curator(work: Path, stories: int) -> list[Run]:
    """What a curator waits for: `invoke build` (its own parse cache, the search index after the
    site), into a folder of its own, from scratch and after one more story."""
    build = [sys.executable, "-m", "invoke", "build", "--content", str(work / "content"), "--output", str(work / "site")]
    runs = [timed("invoke build cold (with search)", build, ROOT)]
    generate("txt", work / "content", 1, start=stories)
    runs.append(timed("invoke build add one (with search)", build, ROOT))
    check_pages("invoke build", work / "site", "[0-9][0-9][0-9][0-9]/[0-9][0-9]/*.html", stories + 1)
    return runs + _livereload(work, stories + 1)


def _livereload(work: Path, first: int) -> list[Run]:
    """What `invoke livereload` does after a story is saved: a build forked from its zygote, the
    imports done and the parse cache read ahead (tools/prefork.py), search included, into the site
    `invoke build` made; the median of `WATCHED_ADDS` stories added (from story number `first`),
    and of the time until its pages were written (when open pages reload)."""
    from tasks import cache_folder

    content = work / "content"
    builder = Prefork(["build", "--content", str(content), "--output", str(work / "site")], ROOT,
                      cache_folder(str(content)), stdout=subprocess.DEVNULL)
    def forked_build(pages_written=None) -> tuple[float, int]:
        """One build, which must succeed in a child of the zygote; its CPU seconds and peak KiB."""
        if builder.build(pages_written=pages_written):
            raise RuntimeError("livereload's build failed")
        if builder.usage is None:
            raise RuntimeError("livereload's build ran in a fresh process: its zygote could not start")
        return builder.usage

    builds, pages = [], []
    try:
        forked_build()  # livereload's first build: the zygote started, then the cache read ahead
        for added in range(WATCHED_ADDS):
            generate("txt", content, 1, start=first + added)
            os.sync()
            started = time.perf_counter()
            cpu, peak_kib = forked_build(lambda: pages.append(time.perf_counter() - started))
            builds.append(Run(f"livereload add one (forked, with search; median of {WATCHED_ADDS})",
                              time.perf_counter() - started, peak_kib / 1024, cpu))
    finally:
        builder.close()
    runs = [Run("livereload add one, until open pages reload (median)", statistics.median(pages), None, None)] if pages else []
    return runs + [sorted(builds, key=lambda run: run.seconds)[len(builds) // 2]]


def _stock_pelican(work: Path, stories: int) -> list[Run]:
    generate("pelican-md", work / "content", stories)
    (work / "pelicanconf.py").write_text(_STOCK_PELICAN_SETTINGS, encoding="utf-8")
    build = [sys.executable, "-m", "pelican", "-q", "-s", "pelicanconf.py", "-o", "output", "content"]
    runs = [timed("stock Pelican cold", build, work)]
    check_pages("stock Pelican", work / "output", "*.html", stories)
    return runs


def _hugo(work: Path, stories: int) -> list[Run]:
    hugo = shutil.which("hugo")
    if not hugo:
        print("hugo: not installed (apt-get install -y hugo); skipped")
        return []
    generate("hugo-md", work / "content" / "posts", stories)
    (work / "hugo.toml").write_text(_HUGO_CONFIG, encoding="utf-8")
    for name, text in _HUGO_LAYOUTS.items():
        path = work / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    runs = [timed("Hugo cold", [hugo, "--quiet", "-d", "public"], work)]
    check_pages("Hugo", work / "public" / "posts", "*/index.html", stories)
    return runs + [_hugo_server(work, hugo, stories)]


def _hugo_server(work: Path, hugo: str, first: int) -> Run:
    """Hugo's watch server (`hugo server`, full re-renders, serving from memory as it does by
    default) after a post is added: its own timer ("Total in N ms"), which leaves out the
    watching; the median of `WATCHED_ADDS` posts added (from post number `first`)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([hugo, "server", "--port", str(port), "--disableFastRender"], cwd=work,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in server.stdout], daemon=True).start()
    try:
        _wait_for(lines, "Web Server is available", server)
        seconds = []
        for added in range(WATCHED_ADDS):
            time.sleep(1)  # a save can make two rebuilds: the last one's second is passed over
            while not lines.empty():
                lines.get()
            generate("hugo-md", work / "content" / "posts", 1, start=first + added)
            seconds.append(int(_wait_for(lines, r"Total in (\d+) ms", server).group(1)) / 1000)
    finally:
        server.terminate()
        server.wait()
    return Run(f"Hugo server add one (its own timer; median of {WATCHED_ADDS})", statistics.median(seconds), None, None)


def _wait_for(lines: queue.Queue, pattern: str, server: subprocess.Popen) -> re.Match:
    """The first line from the server matching `pattern` (each line before it is passed over)."""
    deadline = time.monotonic() + _SERVER_WAIT
    while time.monotonic() < deadline:
        try:
            match = re.search(pattern, lines.get(timeout=1))
        except queue.Empty:
            if server.poll() is not None:
                raise RuntimeError(f"hugo server stopped (status {server.returncode}) before printing {pattern!r}")
            continue
        if match:
            return match
    raise RuntimeError(f"hugo server printed no {pattern!r} in {_SERVER_WAIT} s")


#: Seconds after which ext4 without a journal reuses a freed inode (RECENTCY_MIN in the kernel's
#: fs/ext4/ialloc.c): until then, each file created searches past the inodes freed since.
_INODE_RECENCY = 60


def _remove_last_run(work: Path) -> None:
    """Remove the last run's files, then wait until the file system would reuse their inodes. On
    an ext4 file system without a journal (this machine's), a file created within a minute of
    many removals costs up to 0.7 ms, not 20 µs: a cold build of 1,000 stories right after the
    last run's 10,000 files were removed spent 3 to 4.7 s of CPU in the kernel, 1.4 to 2 s a
    minute later. Only the first build would pay it, so the wait keeps the builds comparable."""
    if not work.exists():
        return
    shutil.rmtree(work)
    os.sync()
    print(f"bench: last run removed; waiting {_INODE_RECENCY} s before timing builds (see tools/bench.py)", flush=True)
    time.sleep(_INODE_RECENCY)


def main(stories: int = 1000, competitors: bool = True) -> int:
    """Run the benchmark at `stories` stories and print a table; returns an exit code."""
    work = WORK / str(stories)
    _remove_last_run(work)
    runs = _broadsheet(work / "broadsheet", stories)
    if competitors:
        runs += _stock_pelican(work / "pelican", stories) + _hugo(work / "hugo", stories)
    print(report(runs, stories))
    return 0


# --- Paired rebuilds: this checkout against another revision ------------------------------------

#: The rebuilds a comparison times, in each round, for each side.
REBUILDS = ("warm", "add one", "edit one")


def _rebuilds(tree: Path, site: Path, extra: Path, edited: Path) -> dict[str, float]:
    """One round on one side: a warm build, `extra` added, `edited` given one more paragraph;
    each change undone (and built) afterwards, so that every round starts from the same site."""
    build = _build_command(tree, site)
    seconds = {"warm": timed("warm", build, tree).seconds}
    added = site / "content" / extra.name
    shutil.copy2(extra, added)
    seconds["add one"] = timed("add one", build, tree).seconds
    added.unlink()
    timed("undo", build, tree)
    story = site / "content" / edited.name
    text = story.read_text(encoding="utf-8")
    story.write_text(text + _EDIT, encoding="utf-8")
    seconds["edit one"] = timed("edit one", build, tree).seconds
    story.write_text(text, encoding="utf-8")
    timed("undo", build, tree)
    return seconds


def compare(revision: str, stories: int = 1000, rounds: int = 8) -> int:
    """Rebuilds of this checkout against `revision` (a git worktree of it), one after the other on
    the same stories, `rounds` times: on a machine whose speed drifts by a third within minutes,
    pairs taken seconds apart show a change that tables taken minutes apart cannot."""
    work = WORK / f"compare-{stories}"
    shutil.rmtree(work, ignore_errors=True)
    tree = work / "revision"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), revision], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    try:
        generate("txt", work / "stories", stories)
        generate("txt", work / "extra", 1, start=stories)
        extra = next((work / "extra").glob("*.txt"))
        edited = sorted((work / "stories").glob("*.txt"))[stories // 2]
        sides = {revision: (tree, work / "before"), "this checkout": (ROOT, work / "after")}
        for side_tree, site in sides.values():
            shutil.copytree(work / "stories", site / "content")
            timed("cold", _build_command(side_tree, site), side_tree)
        timings: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
        for _ in range(rounds):
            for name, (side_tree, site) in sides.items():
                timings[name].append(_rebuilds(side_tree, site, extra, edited))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    print(paired_report(timings[revision], timings["this checkout"], revision, stories))
    return 0


def paired_report(before: list[dict[str, float]], after: list[dict[str, float]], revision: str, stories: int) -> str:
    """A Markdown table: each rebuild's median and best seconds on both sides, and the geometric
    mean of the rounds' after / before ratios (below 1: this checkout is faster)."""
    lines = [
        f"{stories} stories, {len(before)} paired rounds, {os.cpu_count()} cores ({time.strftime('%Y-%m-%d')})",
        "",
        f"| rebuild | {revision}: median s (best) | this checkout: median s (best) | this / {revision} |",
        "| --- | ---: | ---: | ---: |",
    ]
    for rebuild in REBUILDS:
        old, new = [r[rebuild] for r in before], [r[rebuild] for r in after]
        ratio = statistics.geometric_mean(b / a for a, b in zip(old, new))
        lines.append(f"| {rebuild} | {statistics.median(old):.2f} ({min(old):.2f}) | "
                     f"{statistics.median(new):.2f} ({min(new):.2f}) | {ratio:.2f} |")
    return "\n".join(lines)


def report(runs: list[Run], stories: int) -> str:
    """A Markdown table of the runs, with each one's time as a ratio of the cold Broadsheet build
    and of Hugo's cold build (where Hugo ran)."""
    by_name = {run.name: run for run in runs}
    base = by_name["Broadsheet cold"].seconds
    hugo = by_name.get("Hugo cold")
    lines = [
        f"{stories} stories, {os.cpu_count()} cores ({time.strftime('%Y-%m-%d')})",
        "",
        "| build | seconds | CPU seconds | peak MiB | × Broadsheet cold | × Hugo cold |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in runs:
        versus_hugo = f"{run.seconds / hugo.seconds:.2f}" if hugo else "–"
        cpu = "–" if run.cpu_seconds is None else f"{run.cpu_seconds:.2f}"
        peak = "–" if run.peak_mib is None else f"{run.peak_mib:.0f}"
        lines.append(f"| {run.name} | {run.seconds:.2f} | {cpu} | {peak} | {run.seconds / base:.2f} | {versus_hugo} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
