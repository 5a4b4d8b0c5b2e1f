"""Write each story fixture's expected structure (`NAME.json` beside `NAME.txt`) from the parser.

Run `python tests/regenerate_fixtures.py`, then review the diff with `git diff tests/fixtures`:
a change in an expected file is a change in behaviour, to be made on purpose.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "plugins"))

from news_reader.decode import read_text  # noqa: E402
from news_reader.parse import parse_story  # noqa: E402
from news_reader.story import StoryError  # noqa: E402

FIXTURES = HERE / "fixtures" / "stories"


def expected_for(path: Path) -> dict:
    """The structure a fixture parses to, or the error it raises."""
    try:
        text, decode_warnings = read_text(str(path), path.name)
        return parse_story(text, path=path.name).as_dict() | {"decode_warnings": decode_warnings}
    except StoryError as error:
        return {"error": str(error)}


def main() -> None:
    for path in sorted(FIXTURES.glob("*.txt")):
        expected = json.dumps(expected_for(path), ensure_ascii=False, indent=2) + "\n"
        path.with_suffix(".json").write_text(expected, encoding="utf-8")


if __name__ == "__main__":
    main()
