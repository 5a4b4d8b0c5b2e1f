"""The parser on stories it was not tuned on: 300 synthetic stories from bench/gen_corpus.py,
read in our text form and scored against the same stories' Markdown form, which marks captions
(`*...*`), bullets (`- `), the title and the long headline (`Summary:`) explicitly."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))

from news_reader.parse import parse_story  # noqa: E402

STORIES = 300


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic")
    for form in ("txt", "pelican-md"):
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "gen_corpus.py"), "--n", str(STORIES), "--seed", "7",
             "--form", form, "--out", str(folder / form)],
            check=True,
        )
    texts = sorted((folder / "txt").glob("*.txt"))
    truths = sorted((folder / "pelican-md").glob("*.md"))
    assert len(texts) == len(truths) == STORIES
    return [(parse_story(t.read_text(encoding="utf-8"), path=t.name), _truth(m)) for t, m in zip(texts, truths)]


def _truth(path: Path) -> dict:
    header, body = path.read_text(encoding="utf-8").split("\n\n", 1)
    meta = dict(line.split(": ", 1) for line in header.splitlines())
    blocks = [b.strip() for b in body.split("\n\n") if b.strip()]
    return {
        "title": meta["Title"],
        "headline": meta["Summary"],
        "bullets": [line[2:] for line in body.splitlines() if line.startswith("- ")],
        "captions": {b.strip("*") for b in blocks if b.startswith("*")},
        "paragraphs": [b for b in blocks if not b.startswith(("*", "- ", "Read more at"))],
    }


def test_titles_and_headlines(pairs):
    assert sum(s.title == t["title"] for s, t in pairs) / STORIES >= 0.98
    assert sum(s.headline == t["headline"] for s, t in pairs) / STORIES >= 0.98


def test_bullets_exactly(pairs):
    assert all(list(s.bullets) == t["bullets"] for s, t in pairs)


def test_captions_f1(pairs):
    found = sum(len(s.captions) for s, _ in pairs)
    right = sum(len(set(s.captions) & t["captions"]) for s, t in pairs)
    gold = sum(len(t["captions"]) for _, t in pairs)
    precision, recall = right / found, right / gold
    assert 2 * precision * recall / (precision + recall) >= 0.97, (precision, recall)


def test_paragraphs_exactly_in_most_stories(pairs):
    assert sum(s.paragraphs == t["paragraphs"] for s, t in pairs) / STORIES >= 0.97
