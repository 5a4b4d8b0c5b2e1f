"""Broadsheet's tasks (invoke): add, build, serve, test, inspect and evaluate the news digest.

Run `invoke --list` for the list and `invoke --help TASK` for a task's options.
The work is done in Pelican (in-process) and in tools/; this file stays thin.
"""

import contextlib
import hashlib
import json
import logging
import os
import pathlib
import shlex
import shutil
import signal
import subprocess
import sys

from invoke import Exit, task
from invoke.main import program
from pelican import main as pelican_main
from pelican.server import ComplexHTTPRequestHandler, RootedHTTPServer
from pelican.settings import DEFAULT_CONFIG, get_settings_from_file

ROOT = os.path.dirname(os.path.abspath(__file__))
#: What builds keep between runs (git-ignored): a parse cache per content folder, search manifests.
CACHES = os.path.join(ROOT, "cache")
SETTINGS_FILE_BASE = os.path.join(ROOT, "pelicanconf.py")
SETTINGS = {}
SETTINGS.update(DEFAULT_CONFIG)
SETTINGS.update(get_settings_from_file(SETTINGS_FILE_BASE))

CONFIG = {
    "settings_base": SETTINGS_FILE_BASE,
    "settings_publish": os.path.join(ROOT, "publishconf.py"),
    # Where stories are read from and the site is written to (relative to this file).
    "content_path": os.path.join(ROOT, SETTINGS["PATH"]),
    "deploy_path": os.path.join(ROOT, SETTINGS["OUTPUT_PATH"]),
    # Host and port for `serve` and `livereload`
    "host": "localhost",
    "port": 8000,
    # What `livereload` watches besides the content folder: the theme, and the code and settings
    # (a change to those is built in a new process: tools/prefork.py)
    "theme_path": os.path.join(ROOT, SETTINGS["THEME"]),
    "watch_paths": [os.path.join(ROOT, "plugins"), os.path.join(ROOT, "pelicanconf.py"),
                    os.path.join(ROOT, "publishconf.py")],
    # A build of this many stories or more shows its progress
    "progress_every": 50,
    # Tests, and the parser's thresholds for inspect and evaluate
    "tests_path": os.path.join(ROOT, "tests"),
    "parser_settings": SETTINGS.get("BROADSHEET_PARSER", {}),
}


@task
def clean(c, output=None):
    """Remove the generated site (output/)."""
    path = os.path.abspath(output or CONFIG["deploy_path"])
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(path, exist_ok=True)


@task(
    help={
        "content": "folder of story files (default: content/)",
        "output": "folder for the site (default: output/)",
        "strict": "fail on warnings too, not only on stories that could not be published",
    }
)
def build(c, content=None, output=None, strict=False):
    """Build the site from content/ into output/ with pelicanconf.py, then its search index (Pagefind)."""
    build_with_search(CONFIG["settings_base"], content, output, strict=strict)


@task(
    help={
        "target": "copy the built site there: a folder, or an rsync target such as user@host:/var/www/news",
        "gh-pages": "commit the built site to the gh-pages branch of this repository (ghp-import)",
        "push": "with --gh-pages: also push the branch to origin",
        "content": "folder of story files (default: content/)",
        "output": "folder for the site (default: output/)",
    }
)
def publish(c, target=None, gh_pages=False, push=False, content=None, output=None):
    """Build for the web with publishconf.py (absolute URLs from BROADSHEET_SITEURL); copy to --target or --gh-pages."""
    if not os.environ.get("BROADSHEET_SITEURL"):
        sys.stderr.write("warning: BROADSHEET_SITEURL is not set; links and feeds will point at https://example.org\n")
    if push and not gh_pages:
        raise Exit("--push goes with --gh-pages", code=2)
    site = os.path.abspath(output or CONFIG["deploy_path"])
    if target and not _is_remote(target):
        _check_folder_target(site, target)
    build_with_search(CONFIG["settings_publish"], content, output)
    if target:
        deploy_to(site, target)
    if gh_pages:
        deploy_gh_pages(site, push=push)


@task(help={"output": "folder for the site (default: output/)"})
def preview(c, output=None):
    """Build the site as it will be published (publishconf.py), to look at before `publish`."""
    build_with_search(CONFIG["settings_publish"], None, output)


@task(help={"port": "port to listen on (default 8000)", "output": "folder to serve (default: output/)"})
def serve(c, port=CONFIG["port"], output=None):
    """Serve output/ at http://localhost:PORT/ until Ctrl-C."""
    path = os.path.abspath(output or CONFIG["deploy_path"])
    if not os.path.isdir(path):
        raise Exit(f"{path} does not exist; run `invoke build` first", code=1)

    class AddressReuseTCPServer(RootedHTTPServer):
        allow_reuse_address = True

    server = AddressReuseTCPServer(path, (CONFIG["host"], int(port)), ComplexHTTPRequestHandler)
    sys.stderr.write(f"Serving {path} at http://{CONFIG['host']}:{server.server_address[1]}/ (Ctrl-C stops)\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@task(
    help={
        "content": "folder of story files to build and watch (default: content/)",
        "output": "folder for the site (default: output/)",
        "port": "port to listen on (default 8000; 0 picks a free one)",
    }
)
def livereload(c, content=None, output=None, port=CONFIG["port"]):
    """Build, serve output/ and rebuild on any change to content/, theme/, plugins/ or the settings; pages reload."""
    from tools import livereload as lr

    content = os.path.abspath(content or CONFIG["content_path"])
    output = os.path.abspath(output or CONFIG["deploy_path"])
    if not os.path.isdir(content):
        raise Exit(f"{content}: no such folder of stories", code=2)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as Ctrl-C does
    try:
        warm = [content, CONFIG["theme_path"]]  # stories and templates: built without importing anew
        lr.run(["build", "--content", content, "--output", output], output, [*warm, *CONFIG["watch_paths"]],
               CONFIG["host"], port, cwd=ROOT, warm=warm, cache_folder=cache_folder(content))
    except ValueError as error:
        raise Exit(str(error), code=2)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


@task
def test(c):
    """Run the test suite (pytest on tests/); extra pytest options go after `--`."""
    command = [sys.executable, "-m", "pytest", CONFIG["tests_path"], *_remainder()]
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode:
        raise Exit(code=result.returncode)


@task(
    positional=["path"],
    help={"path": "a story file or a folder (every *.txt under it)", "format": "text (default) or json (JSON Lines)"},
)
def inspect(c, path, format="text"):
    """Show how a story file, or every story in a folder, parses (--format json for JSON Lines)."""
    from tools import inspection

    if format not in ("text", "json"):
        raise Exit(f"unknown --format {format!r}; use text or json", code=2)
    try:
        records = inspection.inspect_path(path, CONFIG["parser_settings"], notes=format == "text")
    except FileNotFoundError as error:
        raise Exit(str(error), code=2)
    if format == "json":
        inspection.write_json_lines(records, sys.stdout)
    else:
        sys.stdout.write("\n\n".join(inspection.format_summary(r) for r in records) + "\n")
    failed = sum(1 for r in records if "error" in r)
    if failed:
        raise Exit(f"{failed} of {len(records)} files could not be parsed", code=1)


@task(
    positional=["file"],
    iterable=["more"],
    help={
        "file": "story text to add; - reads standard input (more files may follow: invoke add A B C)",
        "more": "another story file (repeatable; `invoke add A B` gives B here)",
        "date": "publication date, YYYY-MM-DD or 'YYYY-MM-DD HH:MM' (default: the text's own, else now)",
        "category": "the section, e.g. Local",
        "tags": "comma-separated tags, e.g. 'Transport, Harbour'",
        "draft": "add it as a draft (Status: draft): left out of the site until the line is removed",
        "content": "folder to add to (default: content/)",
    },
)
def add(c, file, more=None, date=None, category=None, tags=None, draft=False, content=None):
    """Add story texts to content/ as YYYY-MM-DD-slug.txt with a header; refuses a text already there."""
    from tools import curator

    options = curator.Options(date=date, category=category, tags=tags, draft=draft)
    try:
        failed = curator.add_stories([file, *(more or [])], content or CONFIG["content_path"], options,
                                     CONFIG["parser_settings"], default_category=SETTINGS["DEFAULT_CATEGORY"])
    except curator.OptionError as error:
        raise Exit(str(error), code=2)
    if failed:
        raise Exit(f"{failed} story file(s) not added (see the errors above)", code=1)


@task(help={"content": "folder of story files (default: content/)"})
def drafts(c, content=None):
    """List the stories marked Status: draft (path and title); they are left out of the site."""
    from tools import curator

    try:
        found, errors = curator.list_drafts(content or CONFIG["content_path"], CONFIG["parser_settings"])
    except FileNotFoundError as error:
        raise Exit(str(error), code=2)
    for path, title in found:
        print(f"{path}  {title}")
    print(f"{len(found)} draft(s); publish one by removing its Status: draft line")
    for error in errors:
        sys.stderr.write(f"error: {error}\n")


@task(help={"output": "the built site to check (default: output/)"})
def audit(c, output=None):
    """Check the built site in output/ (tools/audit.py)."""
    try:
        from tools import audit as audit_tool
    except ImportError as error:
        raise Exit(f"tools/audit.py cannot be loaded: {error}", code=2)
    code = audit_tool.main(os.path.abspath(output or CONFIG["deploy_path"]))
    if code:
        raise Exit(code=int(code))


@task(help={"stories": "how many stories to time (default: the tool's own)",
            "against": "a git revision: time rebuilds in pairs, that revision's and this checkout's",
            "rounds": "with --against, how many pairs of each rebuild (default 8)"})
def bench(c, stories=None, against=None, rounds=8):
    """Time the story parser and the build (tools/bench.py)."""
    try:
        from tools import bench as bench_tool
    except ImportError as error:
        raise Exit(f"tools/bench.py cannot be loaded: {error}", code=2)
    size = {} if stories is None else {"stories": int(stories)}
    code = bench_tool.compare(against, rounds=int(rounds), **size) if against else bench_tool.main(**size)
    if code:
        raise Exit(code=int(code))


@task(
    iterable=["corpus"],
    help={
        "corpus": "folder of NAME.txt + NAME.gold.json (repeatable; default ../shared/corpus plus the seed)",
        "verbose": "list every miss per file",
        "check": "exit non-zero when a figure is below its floor in eval-floors.json",
        "raise-floors": "raise the floors in eval-floors.json to today's figures (never lowers one)",
    },
)
def evaluate(c, corpus=None, verbose=False, check=False, raise_floors=False):
    """Score the story parser against the gold-labelled corpus: precision, recall, F1 per field."""
    from tools import evaluate as ev

    if corpus:
        try:
            cases, notes = [case for folder in corpus for case in ev.find_cases(folder)], []
        except FileNotFoundError as error:
            raise Exit(str(error), code=2)
    else:
        cases, notes = ev.default_cases()
    if not cases:
        raise Exit("no NAME.txt with a NAME.gold.json found", code=2)
    report = ev.evaluate(cases, CONFIG["parser_settings"], notes)
    sys.stdout.write(ev.format_report(report, verbose=verbose) + "\n")
    figures = report.figures()
    if raise_floors:
        old = ev.read_floors() if ev.FLOORS_FILE.exists() else {}
        new = ev.raised_floors(figures, old)
        ev.write_floors(new)
        for key in sorted(new):
            if new[key] != old.get(key):
                sys.stdout.write(f"floor {key}: {old.get(key, '-')} -> {new[key]:.2f}\n")
    if check:
        failures = ev.check_floors(figures, ev.read_floors())
        if failures:
            sys.stdout.write("\nBelow the floors in eval-floors.json:\n" + "".join(f"  {f}\n" for f in failures))
            raise Exit(code=1)
        sys.stdout.write(f"\nAll {len(ev.read_floors())} figures are at or above their floors.\n")


class _RecordCounter(logging.Handler):
    """Counts warning and error records, so that a story Pelican could not process fails the build."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.errors = self.warnings = 0

    def emit(self, record):
        if record.name == "pelican.settings":
            return  # advice about settings, such as relative feed links in local builds
        if record.levelno >= logging.ERROR:
            self.errors += 1
        else:
            self.warnings += 1


def pagefind_command():
    """How to run Pagefind (the binary of the pagefind[bin] wheel), or None when it is not installed."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        return None
    binary = get_executable()
    if binary is None or not pathlib.Path(binary).is_file():
        return None
    return [str(binary)]  # the binary itself: `python -m pagefind` costs a Python start (0.08 s) a run


def build_with_search(settings_file, content=None, output=None, strict=False):
    """Build with Pelican, then index the stories with Pagefind into OUTPUT/pagefind/.

    The search page (search.html) is written only when Pagefind is installed (it turns on
    BROADSHEET_SEARCH); without it the build warns and the site has no search.
    """
    command = pagefind_command()
    if command is None:
        sys.stderr.write("warning: Pagefind is not installed (pip install -r requirements.txt): "
                         "the site is built without search\n")
    site = os.path.abspath(output or CONFIG["deploy_path"])
    pelican_run(settings_file, content, output, strict=strict,
                extra_settings={"BROADSHEET_SEARCH": True} if command else None,
                after=(lambda: index_search(command, site)) if command else None)
    if strict and command is None:
        raise Exit("--strict: the site was built without search (Pagefind is not installed)", code=1)


def index_search(command, site):
    """Index the published stories with Pagefind (tools/search.py), quietly; print one line, the number indexed."""
    from tools.search import SearchError, index_stories

    # what was indexed into this site folder last, whatever content folder it was built from
    manifest = os.path.join(CACHES, "search", _folder_name(site) + ".json")
    try:
        indexed = index_stories(command, site, _build_report().pages, manifest)
    except SearchError as error:
        sys.stderr.write(f"{error}\n")
        raise Exit(f"Pagefind could not index {site}; see above", code=1)
    if not indexed.pages:
        print("Search: no published story to index")
        return
    noun = "story" if indexed.pages == 1 else "stories"
    quarters = f"{indexed.shards} quarter{'' if indexed.shards == 1 else 's'}"
    changes = [f"{len(indexed.redone)} of {quarters} indexed again"] if indexed.redone else []
    changes += [f"{len(indexed.removed)} removed"] if indexed.removed else []
    note = f" ({', '.join(changes)})" if changes else " (their pages unchanged since the last build)"
    print(f"Search: {indexed.pages} {noun} indexed by Pagefind in {os.path.relpath(os.path.join(site, 'pagefind'))}/{note}")


def deploy_to(site, target):
    """Copy the built site to a folder, or to an rsync target (`[user@]host:path`, with --delete)."""
    if _is_remote(target):
        rsync = shutil.which("rsync")
        if not rsync:
            raise Exit("rsync is not installed: it is needed to publish to " + target, code=2)
        command = [rsync, "-rlzc", "--delete", site.rstrip("/") + "/", target]
        print("Publishing: " + " ".join(shlex.quote(part) for part in command), flush=True)
        if subprocess.run(command).returncode:
            raise Exit(f"rsync to {target} failed (see above)", code=1)
        return
    destination = _check_folder_target(site, target)
    shutil.copytree(site, destination, dirs_exist_ok=True)
    print(f"Published {site} to {destination}")


def _check_folder_target(site, target):
    """The absolute folder to copy to; refuses the built site itself, a folder in it or one holding it."""
    destination = os.path.abspath(target)
    if destination == site or destination.startswith(site + os.sep) or site.startswith(destination + os.sep):
        raise Exit(f"--target {target} is the built site or holds it; give another folder", code=2)
    return destination


def _is_remote(target):
    """`host:path` and `user@host:path` are rsync targets; `./a:b` and `/srv/a:b` are folders."""
    head, colon, _ = target.partition(":")
    return bool(colon) and bool(head) and "/" not in head and os.sep not in head


def deploy_gh_pages(site, push=False):
    """Commit the built site to the gh-pages branch with ghp-import (a .nojekyll file added)."""
    command = [sys.executable, "-m", "ghp_import", "--no-jekyll", "--branch", "gh-pages",
               "--message", "Publish the digest", site]
    if push:
        command.append("--push")
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode:
        raise Exit("ghp-import failed (see above); is it installed (pip install -r requirements.txt)?", code=1)
    print("Published to the gh-pages branch" + (" and pushed it to origin" if push else " (push it with --push)"))


#: In each folder of cache/: the content folder it is the cache of.
CACHE_OWNER = "content-folder.txt"


def prune_caches(caches: str) -> None:
    """Remove the cache folders of content folders that are gone (as temporary ones go)."""
    for folder in pathlib.Path(caches).glob("*/"):
        owner = folder / CACHE_OWNER
        if owner.is_file() and not os.path.isdir(owner.read_text(encoding="utf-8")):
            shutil.rmtree(folder, ignore_errors=True)


def cache_folder(content=None):
    """The parse cache of a content folder: cache/<hash of its absolute path>, git-ignored, so two
    content folders never share one."""
    return os.path.join(CACHES, _folder_name(os.path.abspath(content or CONFIG["content_path"])))


def _folder_name(path):
    """A name in cache/ for what is kept of the folder at this absolute path."""
    return hashlib.sha256(path.encode()).hexdigest()[:16]


def pelican_run(settings_file, content=None, output=None, strict=False, extra_settings=None, after=None):
    """Run Pelican in-process, then `after()` (the search index), and print the build's account of every story file.

    Exits non-zero when a story could not be published (after the rest of the site is
    written), and with `strict` also when anything was warned about.
    """
    argv = ["-s", settings_file]
    if content and not os.path.isdir(content):
        raise Exit(f"{content}: no such folder of stories", code=2)
    if content:
        argv.insert(0, os.path.abspath(content))
    if output:
        argv += ["-o", os.path.abspath(output)]
    argv += _remainder()  # pass-through of extra pelican options after `--`
    # Broadsheet's parse cache (plugins/news_reader/cache.py); an -e after `--` still wins
    content_folder = os.path.abspath(content or CONFIG["content_path"])
    cache = cache_folder(content_folder)
    prune_caches(CACHES)
    os.makedirs(cache, exist_ok=True)
    pathlib.Path(cache, CACHE_OWNER).write_text(content_folder, encoding="utf-8")
    extra_settings = {"BROADSHEET_CACHE_PATH": cache, **(extra_settings or {})}
    if extra_settings:
        # one -e list: Pelican keeps only the last -e given, so join any from `--`
        pairs = [f"{key}={json.dumps(value)}" for key, value in extra_settings.items()]
        flags = [i for i, arg in enumerate(argv) if arg in ("-e", "--extra-settings")]
        if flags:
            argv[flags[-1] + 1:flags[-1] + 1] = pairs
        else:
            argv += ["-e", *pairs]
    counter = _RecordCounter()
    watched = [logging.getLogger(name) for name in ("pelican", "news_reader")]
    for logger in watched:
        logger.addHandler(counter)
    try:
        with _progress(content or CONFIG["content_path"]):
            pelican_main(argv)
    finally:
        for logger in watched:
            logger.removeHandler(counter)
    if after is not None:
        _pages_written()
        after()  # before the summary, which stays the last line
    report = _build_report()
    print(report.summary())
    for path in report.drafts:
        print(f"  draft: {path}")
    for path in report.errors:
        print(f"  error: {path} (see the message above)")
    if counter.errors or report.errors:
        failed = len(report.errors)
        raise Exit(f"{failed} story file(s) could not be published (see above); the rest of the site was written", code=1)
    if strict and counter.warnings:
        raise Exit(f"--strict: the build logged {counter.warnings} warning(s), see above", code=1)


#: Set by livereload's zygote (tools/prefork.py) in the builds it forks: a file descriptor to
#: write "pages" to once the pages are written, before the search index is made.
PAGES_WRITTEN_FD = "BROADSHEET_PAGES_WRITTEN_FD"


def _pages_written():
    """Tell livereload, when it runs this build, that the pages are written: it reloads the open
    pages then, and holds requests for the search index until the build has ended."""
    descriptor = os.environ.pop(PAGES_WRITTEN_FD, None)  # not for Pagefind, started next
    if descriptor:
        os.write(int(descriptor), b"pages\n")


@contextlib.contextmanager
def _progress(content):
    """Show how far a build of `progress_every` stories or more has gone.

    Counted with Pelican's signals: `article_generator_preread` (once per story file read)
    and `content_written` (once per page or feed written). On a terminal, bars on Pelican's
    own console (its messages print above them); otherwise a plain line every
    `progress_every` stories read and pages written.
    """
    from pelican import signals
    from pelican.log import console

    every = CONFIG["progress_every"]
    total = sum(1 for _ in pathlib.Path(content).rglob("*.txt")) if os.path.isdir(content) else 0
    if total < every:
        yield
        return
    counts = {"read": 0, "written": 0}
    bar = None
    if console.is_terminal:
        from rich.progress import Progress

        bar = Progress(console=console, transient=True)
        jobs = {"read": bar.add_task("Reading stories", total=total), "written": bar.add_task("Writing pages", total=None)}

    def count(kind):
        counts[kind] += 1
        if bar is not None:
            label = "Reading stories" if kind == "read" else f"Writing pages ({counts[kind]})"
            bar.update(jobs[kind], advance=1, description=label)
        elif counts[kind] % every == 0 or (kind == "read" and counts[kind] == total):
            print(f"{kind} {counts[kind]}" + (f" of {total} stories" if kind == "read" else " pages"), flush=True)

    def read(sender, **kwargs):
        count("read")

    def written(sender, **kwargs):
        count("written")

    signals.article_generator_preread.connect(read)
    signals.content_written.connect(written)
    try:
        if bar is not None:
            with bar:
                yield
        else:
            yield
    finally:
        signals.article_generator_preread.disconnect(read)
        signals.content_written.disconnect(written)
    if bar is None and counts["written"] % every:
        print(f"written {counts['written']} pages", flush=True)


def _build_report():
    """The reader plugin's account of the last build (plugins/news_reader/site.py)."""
    sys.path.insert(0, os.path.join(ROOT, "plugins"))
    from news_reader.site import LAST_REPORT  # noqa: PLC0415

    return LAST_REPORT


def _remainder():
    """Options written after `--` on the invoke command line, as a list."""
    core = getattr(program, "core", None)
    return shlex.split(core.remainder) if core and core.remainder else []


def _spread_add_files(tokens):
    """`invoke add A B C`: the files after the first become `--more B --more C`.

    Invoke gives a positional argument one value and reads a second one as a task name, so
    this rewrites the command line (`program.core.unparsed`, read after tasks.py is loaded)
    before the tasks are parsed. A file named like a task is written `./build`.
    """
    if "add" not in tokens:
        return tokens
    start = tokens.index("add") + 1
    task_names = {name for name, value in globals().items() if hasattr(value, "get_arguments")}
    value_flags, positional_flags = set(), set()
    for argument in add.get_arguments():
        flags = {("--" if len(n) > 1 else "-") + n.replace("_", "-") for n in argument.names}
        if argument.positional:
            positional_flags |= flags
        if argument.kind is not bool:
            value_flags |= flags
    result, index, have_file = tokens[:start], start, False
    while index < len(tokens):
        token = tokens[index]
        if token in task_names:
            break
        if token.startswith("-") and token != "-":
            flag = token.split("=", 1)[0]
            have_file = have_file or flag in positional_flags
            taken = 2 if "=" not in token and flag in value_flags else 1
            result += tokens[index:index + taken]
            index += taken
            continue
        result += [token] if not have_file else ["--more", token]
        have_file = True
        index += 1
    return result + tokens[index:]


if getattr(program, "core", None) is not None:
    program.core.unparsed[:] = _spread_add_files(list(program.core.unparsed))
