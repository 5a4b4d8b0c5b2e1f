"""`invoke livereload`: build, serve the site, rebuild on every change, reload the browser.

No package beyond Pelican's own: changes are watched with `watchfiles` (installed with
Pelican). Every rebuild is `invoke build` in a process of its own, forked from one that has
already imported Pelican and the plugin (tools/prefork.py): a change to the stories or the theme
is built without those imports; any other change (the reader plugin, the settings) is built
from a new such process, so that it takes effect.
The pages are served with a small script added on the way out (the files in `output/` are
left as built): once a second it asks the server for the number of the latest build
(`RELOAD_PATH`) and reloads the page when that number changes. A build's number changes as soon
as its pages are written; its search index is made after them, and requests for the index
wait until it is (`Builds`).
"""

from __future__ import annotations

import os
import re
import secrets
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Sequence, TextIO

import watchfiles
from pelican.server import ComplexHTTPRequestHandler

from tools.prefork import Prefork

#: The address a served page asks for the number of the latest build.
RELOAD_PATH = "/__broadsheet_reload"
#: How often a served page asks, in milliseconds.
POLL_MS_DEFAULT = 1000
#: Changes this close together (milliseconds) make one rebuild.
DEBOUNCE_MS_DEFAULT = 300
#: Requests under this path (the search index, tools/search.py) wait for a running build to end.
SEARCH_INDEX_PATH = "/pagefind/"
#: How long such a request waits at most (a build of 10,000 stories indexes a quarter in 4 s).
INDEX_WAIT_SECONDS = 120

_SCRIPT = """<script nonce="{nonce}">/* added by invoke livereload; not in output/ */
(function () {{
  var build = "{build}";
  function ask() {{
    fetch("{path}", {{cache: "no-store"}})
      .then(function (r) {{ return r.text(); }})
      .then(function (t) {{ if (t.trim() !== build) {{ location.reload(); }} else {{ setTimeout(ask, {poll}); }} }})
      .catch(function () {{ setTimeout(ask, {poll} * 2); }});
  }}
  setTimeout(ask, {poll});
}})();
</script>
"""


_CSP_META = re.compile(
    rb"(<meta\s+http-equiv=[\"']?Content-Security-Policy[\"']?\s+content=(?P<q>[\"']))(?P<policy>.*?)((?P=q))",
    re.I | re.S,
)
_SCRIPT_SRC = re.compile(rb"script-src[^;]*")


class Builds:
    """The number of the latest build whose pages are written, and whether a build is running,
    shared by the watcher and the server. A build's pages are written before its search index
    is made: open pages reload then, and requests for the index wait until the build has ended."""

    def __init__(self) -> None:
        self._number = 0
        self._numbered = False  # this build's pages announced (`pages_written`)
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()

    @property
    def number(self) -> int:
        with self._lock:
            return self._number

    def started(self) -> None:
        with self._lock:
            self._numbered = False
            self._idle.clear()

    def pages_written(self) -> None:
        with self._lock:
            self._number += 1
            self._numbered = True

    def finished(self) -> int:
        """The build has ended (its pages are numbered now if they were not yet); its number."""
        with self._lock:
            if not self._numbered:
                self._number += 1
            self._idle.set()
            return self._number

    def wait_until_idle(self, timeout: float) -> bool:
        """Wait for the running build, if any, to end (at most `timeout` seconds)."""
        return self._idle.wait(timeout)


def with_reload_script(html: bytes, build: int, poll_ms: int = POLL_MS_DEFAULT) -> bytes:
    """The page with the reload script before its last `</body>` (or at its end).

    The theme's Content-Security-Policy (`script-src 'none'`) would block the script, so the
    served copy's policy lets in this one script, by a nonce; nothing else changes.
    """
    nonce = secrets.token_urlsafe(16)
    script = _SCRIPT.format(nonce=nonce, build=build, path=RELOAD_PATH, poll=poll_ms).encode("utf-8")
    html = _CSP_META.sub(lambda m: m.group(1) + _allow_script(m.group("policy"), nonce) + m.group(4), html)
    at = html.lower().rfind(b"</body>")
    return html + script if at < 0 else html[:at] + script + html[at:]


def _allow_script(policy: bytes, nonce: str) -> bytes:
    """The policy with `script-src` (set, or added) allowing only scripts with this nonce."""
    allowed = f"script-src 'nonce-{nonce}'".encode()
    if _SCRIPT_SRC.search(policy):
        return _SCRIPT_SRC.sub(allowed, policy)
    return policy.rstrip(b"; ") + b"; " + allowed


def handler_class(root: str, builds: Builds, poll_ms: int = POLL_MS_DEFAULT) -> type:
    """A request handler serving `root` like `invoke serve`, HTML pages with the reload script."""

    class Handler(ComplexHTTPRequestHandler):
        base_path = root

        def do_GET(self):
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if path == RELOAD_PATH:
                return self._send(str(builds.number).encode(), "text/plain; charset=utf-8")
            if path.startswith(SEARCH_INDEX_PATH):
                builds.wait_until_idle(INDEX_WAIT_SECONDS)  # Pagefind may be writing it
            number = builds.number  # before the file is read: a page written after it reloads again
            found = self.get_path_that_exists(path)
            if not found:
                return self.send_error(404, "Not found (is the build finished?)")
            filename = self.translate_path(found)
            if os.path.isdir(filename):
                filename = os.path.join(filename, "index.html")
            if filename.endswith(".html") and os.path.isfile(filename):
                with open(filename, "rb") as handle:
                    page = handle.read()
                return self._send(with_reload_script(page, number, poll_ms), "text/html; charset=utf-8")
            self.path = found
            return SimpleHTTPRequestHandler.do_GET(self)

        def _send(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # keep the terminal for build messages
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True
    daemon_threads = True


def watched_paths(paths: Sequence[str | os.PathLike]) -> list[str]:
    """The paths that exist, made absolute (watchfiles refuses a missing one)."""
    return [os.path.abspath(p) for p in paths if os.path.exists(p)]


def needs_fresh_process(changed: Sequence[str], warm: Sequence[str | os.PathLike]) -> bool:
    """Whether a change reaches beyond the folders in `warm` (stories, theme): to the code or the
    settings, which a process that imported them before the change would not see."""
    folders = [Path(folder).resolve() for folder in warm]
    return not all(any(Path(path).resolve().is_relative_to(folder) for folder in folders) for path in changed)


def run(
    build_arguments: Sequence[str],
    output: str,
    watch: Sequence[str | os.PathLike],
    host: str = "localhost",
    port: int = 8000,
    cwd: str | None = None,
    log: TextIO | None = None,
    debounce_ms: int = DEBOUNCE_MS_DEFAULT,
    warm: Sequence[str | os.PathLike] = (),
    cache_folder: str = "",
) -> None:
    """Build, serve `output`, and rebuild with `invoke BUILD_ARGUMENTS` on every change under `watch`;
    a change outside the folders in `warm` is built in a new process (`needs_fresh_process`). The
    build's parse cache, `cache_folder`, is read ahead between builds (tools/prefork.py).

    Runs until KeyboardInterrupt. A build that fails is reported and the watch goes on.
    """
    log = log or sys.stderr
    paths = watched_paths(watch)
    output = os.path.abspath(output)
    inside = [p for p in paths if Path(output).is_relative_to(p)]
    if inside:
        raise ValueError(f"the output folder {output} is inside a watched folder ({inside[0]}); choose another --output")
    builds = Builds()
    builder = Prefork(build_arguments, cwd or os.getcwd(), cache_folder)

    def build(fresh: bool = False) -> None:
        started = time.perf_counter()
        pages = []  # when the pages were written, if the build said so before its search index

        def pages_written() -> None:
            pages.append(time.perf_counter() - started)
            builds.pages_written()

        builds.started()
        try:
            status = builder.build(fresh, pages_written)
        finally:
            number = builds.finished()
        state = "done" if status == 0 else f"failed with status {status}, see above"
        shown = f" (pages in {pages[0]:.2f} s, then the search index)" if pages else ""
        log.write(f"livereload: build {number} {state} in {time.perf_counter() - started:.2f} s{shown}\n")
        log.flush()

    os.makedirs(output, exist_ok=True)
    try:
        build()
        server = _Server((host, int(port)), handler_class(output, builds))
        thread = threading.Thread(target=server.serve_forever, name="livereload-server", daemon=True)
        thread.start()
        shown = ", ".join(_short(p, cwd) for p in paths)
        log.write(
            f"Serving {output} at http://{host}:{server.server_address[1]}/ "
            f"(rebuilds on changes to {shown}; pages reload themselves; Ctrl-C stops)\n"
        )
        log.flush()
        try:
            for changes in watchfiles.watch(*paths, debounce=debounce_ms):
                changed = {path for _, path in changes}
                shown = sorted({_short(path, cwd) for path in changed})
                fresh = needs_fresh_process(changed, warm)
                log.write(f"livereload: changed {', '.join(shown[:5])}{' ...' if len(shown) > 5 else ''}; rebuilding"
                          f"{' in a new process (code or settings)' if fresh else ''}\n")
                log.flush()
                build(fresh)
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
            server.server_close()
    finally:
        builder.close()


def _short(path: str, cwd: str | None) -> str:
    """The path relative to the working folder when inside it."""
    relative = os.path.relpath(path, cwd or os.getcwd())
    return path if relative.startswith("..") else relative
