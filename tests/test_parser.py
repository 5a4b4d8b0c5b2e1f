"""The story parser on real text fixtures: each `tests/fixtures/stories/NAME.txt` beside its
expected structure `NAME.json` (regenerate with `python tests/regenerate_fixtures.py` and review
the diff), plus explicit checks of each rule and of each threshold at its edge."""

import json
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "plugins"))
sys.path.insert(0, str(HERE))

from news_reader import render  # noqa: E402
from news_reader.parse import parse_story  # noqa: E402
from news_reader.rules import Thresholds  # noqa: E402
from news_reader.story import Story, StoryError  # noqa: E402
from regenerate_fixtures import FIXTURES, expected_for  # noqa: E402

CASES = sorted(FIXTURES.glob("*.txt"))


def parse_fixture(name: str, **settings) -> Story:
    path = FIXTURES / name
    return parse_story(path.read_text(encoding="utf-8"), path=name, settings=settings or None)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fixture_parses_to_its_expected_structure(path):
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert expected_for(path) == expected


def test_seed_story_exactly():
    story = parse_fixture("seed.txt")
    assert story.title == "Police step up security at UK mosques after New Zealand massacre"
    assert story.headline == (
        "Police step up security at UK mosques after New Zealand massacre as Sadiq Khan says "
        "London ‘stands in solidarity’ with Christchurch"
    )
    assert story.bullets == (
        "Islamic leader tells of fears religious centres in the UK may be targeted",
        "Police to step up patrols around mosques in the wake of New Zealand attack",
        "Sadiq Khan attends East London Mosque and says city stands with Christchurch",
    )
    assert not story.bullets_automatic
    assert len(story.captions) == 7
    assert len(story.paragraphs) == 15
    assert story.source == "DailyMail.co.uk"
    assert story.paragraphs[0] == "UK police are stepping up patrols around mosques following the attack in New Zealand."
    assert story.paragraphs[-1].startswith("West Midlands Assistant Chief Constable Matt Ward")
    # the caption that differs only by an apostrophe is kept once, at its first place
    assert story.captions[3] == "The Met Police said it is stepping up patrols outside the capital's mosques today"
    assert story.warnings == ()


def test_captions_stay_in_place_between_paragraphs():
    kinds = [b.kind for b in parse_fixture("seed.txt").blocks]
    assert kinds[:5] == ["paragraph", "paragraph", "paragraph", "caption", "caption"]


def test_a_colon_headline_is_not_a_metadata_header():
    story = parse_fixture("headline_with_colon.txt")
    assert story.title == "Brexit: May resigns"
    assert story.header == {}


def test_metadata_header_is_read_and_left_out_of_the_story():
    story = parse_fixture("metadata_header.txt")
    assert story.header["date"] == "2024-05-02 09:30"
    assert story.header["tags"] == "Transport, Cycling"
    assert story.title == "Council approves new cycle lanes"
    assert all("Category" not in p for p in story.paragraphs)


def test_bad_header_date_names_file_and_line():
    with pytest.raises(StoryError) as error:
        parse_fixture("bad_date_header.txt")
    assert str(error.value) == (
        "bad_date_header.txt:2: Date: 'next tuesday' is not a date; write it as YYYY-MM-DD or YYYY-MM-DD HH:MM"
    )


def test_unknown_header_key_is_a_warning_with_its_line():
    story = parse_story("Title: A\nMood: sunny\n\nSomething happened today in the town centre.", path="x.txt")
    assert story.warnings[0].startswith("x.txt:2: unknown header key 'Mood' ignored")


@pytest.mark.parametrize("name", ["empty.txt", "whitespace_only.txt"])
def test_empty_story_is_an_error_naming_the_file(name):
    with pytest.raises(StoryError, match=rf"^{name}: the file has no text"):
        parse_fixture(name)


def test_bullet_glyph_variants_and_highlight_blocks():
    assert parse_fixture("bullets_dash_and_star.txt").bullets == (
        "Schools shut in three counties as the storm arrives",
        "Rail services suspended until Friday morning",
        "Forecasters warn of more wind on Sunday",
    )
    story = parse_fixture("highlight_blocks.txt")
    assert story.bullets == ("Only known white giraffe fitted with a tracker", "Conservationists hope it deters poachers")
    assert not story.bullets_automatic
    assert len(story.paragraphs) == 3


def test_near_duplicate_captions_collapse_and_credits_detach():
    story = parse_fixture("captions_near_duplicates.txt")
    assert story.captions == [
        "Volunteers fill sandbags outside the town hall on Sunday evening as the water rises",
        "The mayor's office was among the buildings hit by the water on Sunday night",
        "A rescue boat carries a family along the high street in the centre of town.",
    ]
    assert [b.credit for b in story.blocks if b.kind == "caption"][2] == "Jane Doe/AFP/Getty Images"


def test_label_pictured_and_first_line_captions_but_not_speech():
    story = parse_fixture("caption_labels_and_first_line.txt")
    assert story.captions[0].startswith("A man walks his dog")
    assert story.blocks[0].credit == "(AP Photo/John Smith)"
    assert "Soaked: Commuters wade through water on the high street on their way to work in the morning" in story.captions
    assert story.captions[2].startswith("Pictured:")
    assert any(p.startswith("He said: 'We have never") for p in story.paragraphs)


def test_site_furniture_is_dropped():
    story = parse_fixture("furniture.txt")
    text = " ".join(story.paragraphs + story.captions)
    for furniture in ("Scroll down", "Advertisement", "Share this", "RELATED", "shares", "Facebook", "Twitter"):
        assert furniture not in text
    assert len(story.paragraphs) == 3


def test_byline_timestamp_and_source_leave_the_body():
    story = parse_fixture("byline_and_timestamp.txt")
    assert story.byline == "JANE DOE FOR MAILONLINE"
    assert story.published.isoformat() == "2019-05-28T09:14:00"
    assert story.source == "DailyMail.co.uk"
    assert len(story.paragraphs) == 2
    two_lines = parse_fixture("byline_on_two_lines.txt")
    assert two_lines.byline == "John Smith"
    assert two_lines.source_url == "https://www.example.org/news/bridge-reopens.html"


def test_dateline_and_contributor_note():
    story = parse_fixture("dateline_reuters.txt")
    assert story.dateline == "LONDON (Reuters)"
    assert story.paragraphs[0].startswith("Britain's economy grew")
    assert [b.kind for b in story.blocks][-1] == "endnote"
    assert "no headline line; add a Title: header" in story.warnings[0]


def test_subheadings_in_place():
    story = parse_fixture("subheadings.txt")
    assert story.subheadings == ["WHAT HAPPENS NEXT?", "Will fares rise?"]
    assert [b.kind for b in story.blocks] == ["paragraph", "paragraph", "subheading", "paragraph", "subheading", "paragraph"]


def test_damaged_text_is_repaired():
    story = parse_story((FIXTURES / "crlf_bom_mojibake.txt").read_bytes().decode("utf-8-sig"), path="c.txt")
    assert story.title == "Cafe wins award"
    assert story.paragraphs[1] == "Its owner said it was ‘the best day of my life’ and thanked her staff."
    assert story.paragraphs[2] == "Prices start at £3 for a coffee."
    glued = parse_fixture("tokenised_and_glued.txt")
    assert "relieved. The company" in glued.paragraphs[0]
    assert glued.paragraphs[1] == "It wasn't clear when the timetable would return to normal, the company added."
    wrapped = parse_fixture("hard_wrapped.txt")
    assert len(wrapped.paragraphs) == 2 and "on Saturday, with" in wrapped.paragraphs[0]


def test_one_line_story_is_split_at_sentence_ends():
    story = parse_fixture("one_line_story.txt")
    assert len(story.paragraphs) == 4
    assert all(p.endswith(".") for p in story.paragraphs)


def test_reader_comments_are_kept_apart_from_the_story():
    story = parse_fixture("reader_comments.txt")
    assert len(story.paragraphs) == 3
    assert sum(b.kind == "comment" for b in story.blocks) == 6


def test_story_without_bullets_gets_automatic_key_points_from_its_text():
    story = parse_fixture("no_headline.txt")
    assert story.bullets_automatic
    assert 2 <= len(story.bullets) <= 3
    body = " ".join(story.paragraphs)
    assert all(point in body for point in story.bullets)
    assert story.title == "It may sound like a fairy tale, but a cat in the…"
    assert not story.title_from_text


def test_markup_in_story_text_is_escaped_when_rendered():
    story = parse_fixture("markup_in_text.txt")
    html = render.render_body(story)
    assert "<script" not in html and "<img" not in html and "</article>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "{{ config }}" in html and "*emphasis*" in html
    assert render.plain(story.title) == "Hackers post &lt;script&gt;alert(1)&lt;/script&gt; on forum"


# --- thresholds at their edges ------------------------------------------------------------------


def _words(n: int) -> str:
    return " ".join(["word"] * (n - 1) + ["end"])


def test_title_max_words_edge():
    body = "\n\nThe story itself is a sentence of prose that ends with a full stop."
    assert parse_story(_words(22) + body).title_from_text
    assert not parse_story(_words(23) + body).title_from_text
    assert parse_story(_words(23) + body, settings={"TITLE_MAX_WORDS": 23}).title_from_text


def test_unstopped_caption_needs_enough_words():
    def kinds(n):
        text = f"Title here\n\nA first paragraph of prose ends here.\n\n{_words(n)}\n\nA last paragraph of prose ends here."
        return [b.kind for b in parse_story(text).blocks]

    assert kinds(12)[1] == "caption"
    assert "caption" not in kinds(11)  # a shorter headline-shaped line is a related link


def test_unknown_parser_setting_is_refused():
    with pytest.raises(ValueError, match="unknown BROADSHEET_PARSER keys"):
        Thresholds.from_settings({"TITLE_WORDS": 3})


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_any_text_gives_a_story_or_a_story_error(text):
    try:
        story = parse_story(text, path="any.txt")
    except StoryError as error:
        assert str(error).startswith("any.txt")
        return
    assert isinstance(story, Story) and story.title


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["Title line", "• A bullet", "A caption line without a stop at all here",
                                 "A paragraph of prose that ends.", "", "By JOHN SMITH", "<b>&amp;</b>"]), max_size=12))
def test_parsing_is_deterministic(lines):
    text = "\n\n".join(lines)
    try:
        first = parse_story(text)
    except StoryError:
        return
    assert parse_story(text) == first


def test_similar_paragraphs_are_not_taken_for_a_repeated_caption():
    story = parse_story("Title here\n\nA first paragraph of prose ends here.\n\nA last paragraph of prose ends here.")
    assert story.paragraphs == ["A first paragraph of prose ends here.", "A last paragraph of prose ends here."]


def test_gallery_line_with_a_repeated_leading_credit_is_split_into_captions():
    credit = "Jo Bloggs/for The Daily Paper"
    text = (
        "The council met on Monday night to discuss the plans for the new bridge over the river.\n\n"
        f"{credit} Jane Smith stands on the old bridge, which will be knocked down next year.\n\n"
        "The new bridge will cost £20m and take two years to build, the council said.\n\n"
        f"{credit} Work on the bridge starts in May. {credit} The old bridge opened in 1901. Previous Next"
    )
    story = parse_story(text)
    assert story.captions == [
        "Jane Smith stands on the old bridge, which will be knocked down next year.",
        "Work on the bridge starts in May.",
        "The old bridge opened in 1901.",
    ]
    assert {b.credit for b in story.blocks if b.kind == "caption"} == {credit}


def test_a_single_bullet_glyph_line_is_a_key_point():
    story = parse_story("Town hall sold\n\n  • The council sold the old town hall\n\nThe council sold the old town hall to a developer on Monday.")
    assert story.title == "Town hall sold"
    assert story.bullets == ("The council sold the old town hall",)
    assert not story.bullets_automatic


def test_a_dropped_related_link_is_reported_with_its_line():
    text = (
        "Title here\n\nThe first paragraph of the story ends here.\n\n"
        "Five healthy eating tips for holiday travellers\n\nThe last paragraph of the story ends here."
    )
    story = parse_story(text, path="s.txt")
    assert len(story.paragraphs) == 2
    assert story.warnings == ("s.txt:5: left out as site furniture (a link or promotion): “Five healthy eating tips for holiday travellers”",)


def test_key_points_fall_back_to_the_first_sentence_of_a_short_story():
    story = parse_story("Short one\n\nIt rained. Then it stopped.")
    assert story.bullets == ("It rained.",) and story.bullets_automatic


def test_a_short_unstopped_line_is_a_caption_where_the_story_has_captions():
    text = (
        "Title here\n\nThe first paragraph of the story ends here.\n\n"
        "Police officers stand guard outside the mosque in the capital today\n\n"
        "Police officers stand guard outside the mosque in the capital today\n\n"
        "The second paragraph of the story ends here.\n\n"
        "Mourners gather outside the mosque after prayers\n\n"
        "AirAsia plane missing: profile of airline boss\n\n"
        "The last paragraph of the story ends here."
    )
    story = parse_story(text, path="s.txt")
    assert story.captions == [
        "Police officers stand guard outside the mosque in the capital today",
        "Mourners gather outside the mosque after prayers",
    ]
    assert story.warnings == ("s.txt:13: left out as site furniture (a link or promotion): “AirAsia plane missing: profile of airline boss”",)


def test_photo_credits_in_the_shapes_of_many_sites_stay_with_their_captions():
    story = parse_fixture("credits_of_many_sites.txt")
    captions = [(b.text, b.credit) for b in story.blocks if b.kind == "caption"]
    assert captions == [
        ("Protesters gather outside the town hall before the march.", "Credit...Jane Doe/The Daily Paper"),
        ("Marchers carry banners along the river", "(Photo: John Smith, AP)"),
        ("Some marchers came from as far as Scotland", "Getty Images"),
        ("Students from the university led the march.", "Photograph: Ann Lee/Reuters"),
    ]
    assert len(story.paragraphs) == 4


def test_indented_highlights_and_a_byline_glued_to_its_timestamp():
    story = parse_fixture("indented_highlights_and_glued_byline.txt")
    assert story.bullets == (
        "Bills for a typical home will go up by about ninety pounds a year",
        "The county says it has no choice after cuts to its grant",
    )
    assert not story.bullets_automatic
    assert story.byline == "JANE DOE FOR MAILONLINE"
    assert story.published.isoformat() == "2019-05-28T09:14:00"
    assert len(story.paragraphs) == 2


def test_header_names_that_make_no_web_address_are_warned_about_with_their_line():
    story = parse_story(
        "Date: 2020-01-01\nCategory: !!!\nTags: <b>, Flood, ***\n\nTitle here\n\nA sentence of the story.", path="h.txt"
    )
    assert "category" not in story.header
    assert story.header["tags"] == "Flood"
    assert story.warnings[:3] == (
        "h.txt:2: Category '!!!' has no letter or digit to make a web address of; ignored",
        "h.txt:3: Tags '<b>' has no letter or digit to make a web address of; ignored",
        "h.txt:3: Tags '***' has no letter or digit to make a web address of; ignored",
    )


def test_a_date_out_of_range_is_an_error_naming_the_line():
    with pytest.raises(StoryError, match=r"^d.txt:1: Date: '0001-01-01' is out of range; a year from 1900 to 2999$"):
        parse_story("Date: 0001-01-01\n\nTitle here\n\nA sentence of the story.", path="d.txt")
