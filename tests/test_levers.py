"""Speed levers keep the output byte-identical to the straightforward build."""

import filecmp
import shutil
import sys
from pathlib import Path

from pelican import Pelican
from pelican.settings import read_settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "stories"


def _build(content: Path, output: Path, **overrides) -> None:
    settings = read_settings(
        str(ROOT / "pelicanconf.py"), override={"PATH": str(content), "OUTPUT_PATH": str(output), **overrides}
    )
    Pelican(settings).run()


def _same_tree(left: Path, right: Path) -> list[str]:
    """Files that differ or exist on one side only."""
    differ: list[str] = []
    comparison = filecmp.dircmp(left, right)
    stack = [(comparison, Path())]
    while stack:
        node, where = stack.pop()
        differ += [str(where / n) for n in node.left_only + node.right_only]
        _, mismatch, errors = filecmp.cmpfiles(node.left, node.right, node.common_files, shallow=False)
        differ += [str(where / n) for n in mismatch + errors]
        stack += [(sub, where / name) for name, sub in node.subdirs.items()]
    return differ


def test_parallel_preparation_gives_the_same_site(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    for story in sorted(FIXTURES.glob("*.txt")):
        shutil.copy(story, content / story.name)
    _build(content, tmp_path / "serial", BROADSHEET_PARALLEL_MIN_STORIES=10**9)
    _build(content, tmp_path / "parallel", BROADSHEET_PARALLEL_MIN_STORIES=1)
    sys.path.insert(0, str(ROOT / "plugins"))
    from news_reader.site import LAST_REPORT

    assert LAST_REPORT.published > 10 and LAST_REPORT.errors  # the fixtures hold good and bad stories
    assert _same_tree(tmp_path / "serial", tmp_path / "parallel") == []
