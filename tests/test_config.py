"""A wrong BROADSHEET_PARSER key is one clear error, and the stories still build."""

import logging
import shutil
from pathlib import Path

from pelican import Pelican
from pelican.settings import read_settings

ROOT = Path(__file__).resolve().parent.parent


def test_unknown_parser_key_is_one_error_and_the_stories_still_build(tmp_path, caplog):
    content = tmp_path / "content"
    content.mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "stories" / "seed.txt", content / "2019-03-15-seed.txt")
    settings = read_settings(
        str(ROOT / "pelicanconf.py"),
        override={"PATH": str(content), "OUTPUT_PATH": str(tmp_path / "out"), "BROADSHEET_PARSER": {"TITLE_WORDS": 3}},
    )
    with caplog.at_level(logging.WARNING):
        Pelican(settings=settings).run()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].startswith("news_reader: BROADSHEET_PARSER has an unknown key 'TITLE_WORDS'")
    assert list((tmp_path / "out" / "2019" / "03").glob("police-step-up-*.html"))


def test_a_file_name_that_is_no_date_is_an_error_naming_the_file(tmp_path, caplog):
    content = tmp_path / "content"
    content.mkdir()
    (content / "2020-02-30-ferry.txt").write_text("Ferry returns\n\nThe ferry returned on Monday.\n", encoding="utf-8")
    (content / "2020-02-28-ok.txt").write_text("Ferry returns\n\nThe ferry returned on Friday.\n", encoding="utf-8")
    settings = read_settings(str(ROOT / "pelicanconf.py"), override={"PATH": str(content), "OUTPUT_PATH": str(tmp_path / "o")})
    with caplog.at_level(logging.WARNING):
        Pelican(settings=settings).run()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(m.startswith("2020-02-30-ferry.txt: the file name's date 2020-02-30 is not a date") for m in errors)
    assert list((tmp_path / "o" / "2020" / "02").glob("*.html"))


def test_stories_of_the_same_date_are_listed_in_one_order_whatever_the_hash_seed(tmp_path):
    import os
    import subprocess
    import sys

    content = tmp_path / "content"
    content.mkdir()
    for n in range(8):
        (content / f"s{n}.txt").write_text(
            f"Date: 2020-05-01\n\nStory number {n} of the day\n\nThe story number {n} happened today in town.\n",
            encoding="utf-8",
        )
    pages = []
    for seed in ("1", "2", "3"):
        out = tmp_path / f"o{seed}"
        code = (
            "import sys; from pelican import Pelican; from pelican.settings import read_settings; "
            "Pelican(settings=read_settings(sys.argv[1], override={'PATH': sys.argv[2], 'OUTPUT_PATH': sys.argv[3]})).run()"
        )
        subprocess.run(
            [sys.executable, "-c", code, str(ROOT / "pelicanconf.py"), str(content), str(out)],
            cwd=ROOT, check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed},
        )
        pages.append((out / "index.html").read_bytes())
    assert pages[0] == pages[1] == pages[2]
