"""Broadsheet's story reader: plain-text news stories in, Pelican articles out."""

from pelican import signals

from .reader import StoryReader
from .site import dedupe_slugs, strip_feed_markup


def add_reader(readers):
    readers.reader_classes["txt"] = StoryReader


def register():
    signals.readers_init.connect(add_reader)
    signals.article_generator_pretaxonomy.connect(dedupe_slugs)
    signals.feed_generated.connect(strip_feed_markup)
