"""Broadsheet's story reader: plain-text news stories in, Pelican articles out."""

from pelican import signals

from . import editions
from .config import check_parser_settings
from .entities import rank_tags
from .jsonfeed import write_json_feeds
from .cache import cache_templates, save_memos
from .cards import add_template_globals, forget_cards
from .collector import pause_collector, resume_collector
from .pages import list_sections
from .prepare import finish_preparing, prepare_all
from .reader import StoryReader
from .related import relate_stories
from .sharing import describe_stories
from .tagging import tag_stories
from .site import forget_slugs, report_build, settle_stories, settle_story_slugs, strip_feed_markup
from .sitemap import write_site_files
from .writer import fast_listings, get_writer, pages_before_feeds, remove_gone, render_pages, report_writes


def add_reader(readers):
    for extension in StoryReader.file_extensions:
        readers.reader_classes[extension] = StoryReader


def register():
    signals.initialized.connect(check_parser_settings)
    signals.initialized.connect(cache_templates)
    signals.readers_init.connect(add_reader)
    signals.article_generator_init.connect(pause_collector)  # first
    signals.article_generator_init.connect(forget_slugs)
    signals.article_generator_init.connect(forget_cards)
    signals.generator_init.connect(add_template_globals)
    signals.article_generator_init.connect(prepare_all)
    signals.content_object_init.connect(settle_story_slugs)
    signals.article_generator_pretaxonomy.connect(finish_preparing)  # first: every story is read
    signals.article_generator_pretaxonomy.connect(settle_stories)
    signals.article_generator_pretaxonomy.connect(tag_stories)
    signals.article_generator_finalized.connect(rank_tags)
    signals.article_generator_finalized.connect(list_sections)
    signals.article_generator_finalized.connect(relate_stories)
    signals.article_generator_finalized.connect(describe_stories)
    signals.article_generator_finalized.connect(fast_listings)
    signals.article_generator_finalized.connect(pages_before_feeds)
    signals.article_writer_finalized.connect(write_json_feeds)
    signals.article_writer_finalized.connect(write_site_files)
    signals.all_generators_finalized.connect(report_build)
    signals.feed_generated.connect(strip_feed_markup)
    signals.get_generators.connect(editions.get_generators)
    signals.finalized.connect(render_pages)  # first: the pages the generators asked for
    signals.finalized.connect(remove_gone)
    signals.finalized.connect(report_writes)
    signals.finalized.connect(save_memos)
    signals.finalized.connect(resume_collector)  # last
    signals.get_writer.connect(get_writer)
