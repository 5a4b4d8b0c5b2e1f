"""Story cards rendered once a build, not once for every listing page a story is on.

A story's card (headline, date, source, key points) is on its tags' pages, its section's, its
edition's and a page of the home page listing: at 1,000 stories about ten cards a story, a quarter
of Jinja's time in a cold build. The theme calls `once_per_build(macro, story, *arguments)`; the
card is kept by the macro's name, the story and the arguments, which must be all the macro reads
of the page (the theme passes `SITEURL`, which differs with the page's depth). Forked render
workers each keep their own.
"""

from __future__ import annotations

#: (macro name, id of the story, its other arguments) → the card, for the build in progress.
_CARDS: dict[tuple, str] = {}


def once_per_build(macro, story, *arguments) -> str:
    """`macro(story, *arguments)`, rendered the first time only in this build."""
    key = (macro.name, id(story), *arguments)
    card = _CARDS.get(key)
    if card is None:
        card = _CARDS[key] = macro(story, *arguments)
    return card


def forget_cards(*_args) -> None:
    """`article_generator_init`: a new build (stories are new objects; an id may be used again)."""
    _CARDS.clear()


def add_template_globals(generator) -> None:
    """`generator_init`: `once_per_build` for the templates of every generator."""
    env = getattr(generator, "env", None)
    if env is not None:
        env.globals["once_per_build"] = once_per_build
