"""Lighthouse on a built site: the home page and the seed story page, four scores each.

Used by `invoke audit` (tasks.py calls `main(output_dir)`); also runs on its own:

    .venv/bin/python -m tools.audit [output/]

It builds nothing: `output` must hold a site already built (`invoke build`). The folder is
served on 127.0.0.1 (a free port) from a thread, and Lighthouse 12.2.3 from node_modules/
(`npm ci`; `npx --no-install`, so nothing is downloaded) runs against Debian's chromium
(`CHROME_PATH`, default /usr/bin/chromium) headless, offline, with its default mobile
settings. Reports go to a temporary folder as JSON; the scores are printed, 0-100.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
# The seed story (content/000_7badf5751ba94d9e.txt) is saved under this name.
SEED_SLUG = "police-step-up-security-at-uk-mosques-after-new-zealand-massacre"
STORY_PAGE = re.compile(r"^\d{4}/\d{2}/[^/]+\.html$")
# Audits about how the page is served, not about the pages: http.server sends no compression and
# no cache headers, the web server in production decides both. They do not count in the scores.
SERVER_AUDITS = {"uses-long-cache-ttl", "uses-text-compression"}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def story_page(output: Path) -> str | None:
    """Site-relative path of the seed's story page, else of the first story page found."""
    stories = sorted(p.relative_to(output).as_posix() for p in output.rglob("*.html"))
    stories = [p for p in stories if STORY_PAGE.match(p)]
    seed = [p for p in stories if Path(p).stem == SEED_SLUG]
    return (seed or stories or [None])[0]


def lighthouse(url: str, report: Path) -> dict[str, int | None]:
    """Run Lighthouse on `url`, write its JSON to `report`, return the four scores (0-100)."""
    command = [
        "npx", "--no-install", "lighthouse", url,
        "--quiet", "--output=json", f"--output-path={report}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    env = {**os.environ, "CHROME_PATH": CHROME}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode or not report.is_file():
        raise RuntimeError(f"lighthouse failed on {url} (exit {result.returncode}):\n{result.stderr[-3000:]}")
    data = json.loads(report.read_text(encoding="utf-8"))
    scores = {}
    for name in CATEGORIES:
        score = data["categories"].get(name, {}).get("score")
        scores[name] = None if score is None else round(score * 100)
    below = [  # audits short of full marks, for the printout
        a for a in data["audits"].values()
        if a.get("score") is not None and a["score"] < 1 and a.get("scoreDisplayMode") in ("binary", "numeric", "metricSavings")
    ]
    scores["_failing"] = [f"{a['id']} ({a['score']}): {a['title']}" for a in below if a["id"] not in SERVER_AUDITS]
    scores["_server"] = [a["id"] for a in below if a["id"] in SERVER_AUDITS]
    return scores


def main(output: str = "output") -> int:
    """Print the Lighthouse scores of the home and the seed story page of a built `output`; 0 if it ran."""
    site = Path(output).resolve()
    if not (site / "index.html").is_file():
        print(f"audit: {site}/index.html not found; build the site first (invoke build)", file=sys.stderr)
        return 2
    if not LIGHTHOUSE.exists():
        print("audit: node_modules/.bin/lighthouse not found; run `npm ci` first", file=sys.stderr)
        return 2
    if not (Path(CHROME).is_file() or shutil.which(CHROME)):
        print(f"audit: {CHROME} not found; `apt-get install -y chromium` or set CHROME_PATH", file=sys.stderr)
        return 2
    pages = {"home": "index.html"}
    story = story_page(site)
    if story:
        pages["story"] = story
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with tempfile.TemporaryDirectory(prefix="broadsheet-audit-") as tmp:
            print(f"Lighthouse 12 (mobile, simulated throttling) on {site}, served at {base}")
            print(f"{'page':<7} " + " ".join(f"{name:>14}" for name in CATEGORIES))
            for name, path in pages.items():
                try:
                    scores = lighthouse(base + path, Path(tmp) / f"{name}.json")
                except (RuntimeError, subprocess.TimeoutExpired) as error:
                    print(f"audit: {error}", file=sys.stderr)
                    return 1
                print(f"{name:<7} " + " ".join(f"{str(scores[c]):>14}" for c in CATEGORIES) + f"   {path}")
                for failing in scores["_failing"]:
                    print(f"        short of full marks: {failing}")
                if scores["_server"]:
                    print(f"        (the local test server, not the site: {', '.join(scores['_server'])})")
    finally:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:2]))
