"""The evaluation's scoring on tiny hand-made gold/prediction pairs, and `invoke evaluate` on a temp corpus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools import evaluate as ev  # noqa: E402

GOLD = {
    "title": "Harbour ferry returns after winter repairs",
    "headline": None,
    "bullets": ["The ferry was out of service for four months", "A new timetable starts on 1 June"],
    "captions": [
        "Passengers queue at the harbour steps for the first crossing (Getty Images)",
        "The repaired hull in dry dock last month",
    ],
    "byline": None,
    "source": "Example Gazette",
    "boilerplate": ["Scroll down for video", "Share this article"],
    "paragraph_count": 10,
    "first_paragraph": "The harbour ferry carried its first passengers since January on Thursday morning.",
    "last_paragraph": "The council said fares would stay the same until September.",
}
PARAGRAPHS = [GOLD["first_paragraph"], *[f"Middle paragraph number {n} of the story." for n in range(8)], GOLD["last_paragraph"]]
PERFECT = {
    "title": GOLD["title"],
    "headline": None,
    "bullets": list(GOLD["bullets"]),
    "captions": [("Passengers queue at the harbour steps for the first crossing", "Getty Images"),
                 ("The repaired hull in dry dock last month", None)],
    "paragraphs": PARAGRAPHS,
    "subheadings": [],
    "byline": None,
    "source": "Example Gazette",
}
TEXT = "\n\n".join([GOLD["title"], "Scroll down for video", *PARAGRAPHS, "Share this article"])


def score(prediction: dict, gold: dict = GOLD, text: str = TEXT) -> ev.FileScore:
    return ev.score_prediction(prediction, gold, text, "case.txt")


def figures(*scores: ev.FileScore) -> dict[str, float]:
    return ev.Report(list(scores)).figures()


# --------------------------------------------------------------------------- folding and matching


def test_fold_ignores_spaces_quotes_case_and_entities():
    assert ev.fold("  The\u00a0Met\u2019s  “Plan”\n") == ev.fold("the met's \"plan\"")
    assert ev.fold("Tottenham bid &#163;8m") == ev.fold("Tottenham bid £8m")
    assert ev.fold("donâ€™t") == ev.fold("don't")  # mojibake repaired before comparing


def test_caption_matches_with_or_without_its_credit():
    gold = "Has Sean Penn popped the question? [Wenn]"
    assert ev.same_caption("Has Sean Penn popped the question?", gold)
    assert ev.same_caption(("Has Sean Penn popped the question?", "[Wenn]"), gold)
    assert ev.same_caption(("London Rene suffered scars.", "Kevin C. Downs/for New York Daily News"),
                           "Kevin C. Downs/for New York Daily News London Rene suffered scars.")


def test_a_short_fragment_of_a_caption_is_not_a_match():
    assert not ev.same_caption("Pictured", "Pictured: the fox in the park with Ms D'Sylva")


def test_near_identical_captions_match_different_ones_do_not():
    assert ev.same_caption("Police stand guard near the Finsbury Mosque today",
                           "Police stand guard near the Finsbury Mosque today.")
    assert not ev.same_caption("Police stand guard near the Finsbury Mosque today",
                               "A vigil was held at the mosque in Whitechapel")


# --------------------------------------------------------------------------- one file


def test_a_perfect_prediction_scores_one_everywhere():
    result = score(PERFECT)
    assert result.misses == []
    assert all(value == 1.0 for value in figures(result).values()), figures(result)


def test_a_missed_caption_lowers_recall_not_precision():
    prediction = dict(PERFECT, captions=PERFECT["captions"][:1])
    f = figures(score(prediction))
    assert f["captions.precision"] == 1.0
    assert f["captions.recall"] == 0.5
    assert f["captions.f1"] == pytest.approx(2 / 3)


def test_a_repeated_or_extra_caption_lowers_precision():
    prediction = dict(PERFECT, captions=[*PERFECT["captions"], PERFECT["captions"][1], ("Share this article", None)])
    f = figures(score(prediction))
    assert f["captions.recall"] == 1.0
    assert f["captions.precision"] == 0.5


def test_automatic_key_points_are_not_counted_as_bullets():
    class Story:  # the parts of a Story that prediction_from_story reads
        title, headline, byline, source = "T", None, None, None
        bullets, bullets_automatic, blocks = ("A sentence picked from the body.",), True, ()
        paragraphs, subheadings = [], []

    assert ev.prediction_from_story(Story)["bullets"] == []


def test_title_made_from_the_body_is_not_a_claimed_headline():
    gold = dict(GOLD, title=None)
    made_up = dict(PERFECT, title="The harbour ferry carried its first passengers…")
    assert not ev.title_claimed(made_up)
    assert score(made_up, gold).fields["title"].perfect
    first_line_taken = dict(PERFECT, title="Scroll down for video")
    assert ev.title_claimed(first_line_taken)
    assert score(first_line_taken, gold).fields["title"].fp == 1


def test_a_wrong_title_is_both_a_false_claim_and_a_miss():
    counts = score(dict(PERFECT, title="Ferry news")).fields["title"]
    assert (counts.tp, counts.fp, counts.fn) == (0, 1, 1)


@pytest.mark.parametrize(("found", "ok"), [(9, True), (10, True), (11, True), (12, False), (8, False)])
def test_paragraph_count_within_ten_percent_at_the_edge(found: int, ok: bool):
    paragraphs = [PARAGRAPHS[0], *[f"Filler {n}." for n in range(found - 2)], PARAGRAPHS[-1]]
    assert score(dict(PERFECT, paragraphs=paragraphs)).rates["paragraph_count"] is ok


def test_no_paragraphs_expected_and_none_found_is_right():
    gold = dict(GOLD, paragraph_count=0, first_paragraph=None, last_paragraph=None)
    result = score(dict(PERFECT, paragraphs=[]), gold)
    assert result.rates == {"paragraph_count": True, "first_paragraph": None, "last_paragraph": None}


def test_first_and_last_paragraph_must_be_first_and_last():
    result = score(dict(PERFECT, paragraphs=["Scroll down for video", *PARAGRAPHS[:-1]]))
    assert result.rates["first_paragraph"] is False
    assert result.rates["last_paragraph"] is False
    stripped = dict(PERFECT, paragraphs=["The harbour ferry carried its first passengers since January on Thursday morning", *PARAGRAPHS[1:]])
    assert score(stripped).rates["first_paragraph"] is True


def test_one_line_story_uses_first_and_last_sentence():
    gold = dict(GOLD, paragraph_count=None, first_paragraph=None, last_paragraph=None,
                first_sentence="(CNN) An Iranian chess referee says she is frightened to return home.",
                last_sentence="CNN contacted the federation on Tuesday.")
    paragraphs = ["An Iranian chess referee says she is frightened to return home. She was criticized.",
                  "Officials said nothing. CNN contacted the federation on Tuesday."]
    result = score(dict(PERFECT, paragraphs=paragraphs), gold)
    assert result.rates == {"paragraph_count": None, "first_paragraph": True, "last_paragraph": True}
    result = score(dict(PERFECT, paragraphs=paragraphs[::-1]), gold)
    assert result.rates["first_paragraph"] is False and result.rates["last_paragraph"] is False


def test_boilerplate_kept_in_a_paragraph_is_counted():
    leaky = dict(PERFECT, paragraphs=[*PARAGRAPHS, "Share this article"])
    result = score(leaky)
    assert (result.boilerplate.right, result.boilerplate.total) == (1, 2)
    assert figures(result)["boilerplate.kept_out"] == 0.5


def test_boilerplate_words_that_also_belong_to_the_story_are_not_a_leak():
    gold = dict(GOLD, boilerplate=["Related"])
    text = "Related\n\nRelated stories were published on Monday."
    prediction = dict(PERFECT, paragraphs=["Related stories were published on Monday."])
    assert score(prediction, gold, text).boilerplate.right == 1
    prediction = dict(PERFECT, paragraphs=["Related stories were published on Monday.", "Related"])
    assert score(prediction, gold, text).boilerplate.right == 0


def test_nothing_to_count_scores_one():
    assert ev.Counts().precision == ev.Counts().recall == 1.0
    assert ev.Rate().value == 1.0


@given(st.integers(0, 50), st.integers(0, 50), st.integers(0, 50))
def test_precision_recall_and_f1_stay_between_zero_and_one(tp: int, fp: int, fn: int):
    counts = ev.Counts(tp, fp, fn)
    for value in (counts.precision, counts.recall, counts.f1):
        assert 0.0 <= value <= 1.0
    assert min(counts.precision, counts.recall) - 1e-9 <= counts.f1 <= max(counts.precision, counts.recall) + 1e-9


# --------------------------------------------------------------------------- floors


def test_floors_round_down_to_two_decimals():
    assert ev.floor2(0.29) == 0.29
    assert ev.floor2(0.8999) == 0.89
    assert ev.floor2(1.0) == 1.0


def test_check_floors_reports_each_figure_below_its_floor():
    assert ev.check_floors({"captions.f1": 0.91}, {"captions.f1": 0.90}) == []
    assert ev.check_floors({"captions.f1": 0.90}, {"captions.f1": 0.90}) == []
    (failure,) = ev.check_floors({"captions.f1": 0.8}, {"captions.f1": 0.90})
    assert failure.startswith("captions.f1")
    assert ev.check_floors({}, {"nonsense": 0.5})


def test_raising_floors_never_lowers_one():
    raised = ev.raised_floors({"a": 0.957, "b": 0.2}, {"a": 0.9, "b": 0.5})
    assert raised == {"a": 0.95, "b": 0.5}


def test_floors_file_names_only_real_figures():
    floors = ev.read_floors()
    report = ev.Report([score(PERFECT)])
    assert floors and set(floors) <= set(report.figures())


def test_seed_gold_labels_come_from_the_seed_text():
    story, gold_path = ev.SEED_CASE
    text = ev.fold(story.read_text(encoding="utf-8"))
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    for key in ("title", "headline", "source", "first_paragraph", "last_paragraph"):
        assert ev.fold(gold[key]) in text, key
    for item in gold["bullets"] + gold["captions"]:
        assert ev.fold(item) in text, item
    assert (len(gold["bullets"]), len(gold["captions"]), gold["paragraph_count"]) == (3, 7, 15)


# --------------------------------------------------------------------------- the task, without ../shared


def run_evaluate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "invoke", "evaluate", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "ferry.txt").write_text(
        "Harbour ferry returns after winter repairs\n\n"
        "The harbour ferry carried its first passengers since January on Thursday morning.\n\n"
        "The council said fares would stay the same until September.\n",
        encoding="utf-8",
    )
    gold = dict(GOLD, bullets=[], captions=[], boilerplate=[], source=None, paragraph_count=2)
    (folder / "ferry.gold.json").write_text(json.dumps(gold), encoding="utf-8")
    (folder / "unlabelled.txt").write_text("No gold file: not scored.\n", encoding="utf-8")
    return folder


def test_evaluate_runs_on_a_corpus_of_its_own(corpus: Path):
    result = run_evaluate("--corpus", str(corpus), "--verbose")
    assert result.returncode == 0, result.stderr
    assert "Scored 1 files; parsed without error: 1/1" in result.stdout
    for field in ("title", "headline", "bullets", "captions", "byline", "source"):
        assert f"\n{field} " in result.stdout
    assert "count within 10%" in result.stdout and "boilerplate kept out" in result.stdout


def test_evaluate_check_fails_below_a_floor(corpus: Path):
    (corpus / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (corpus / "photo.gold.json").write_text(json.dumps(GOLD), encoding="utf-8")
    result = run_evaluate("--corpus", str(corpus), "--check")
    assert result.returncode == 1
    assert "parsed without error: 1/2" in result.stdout
    assert "parsed: 0.5000 is below its floor" in result.stdout


def test_evaluate_rejects_a_missing_corpus(tmp_path: Path):
    result = run_evaluate("--corpus", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "no such folder" in result.stderr
