"""Broadsheet's settings for building the digest locally (relative URLs, works from any folder)."""

AUTHOR = "Broadsheet"
SITENAME = "Broadsheet"
SITESUBTITLE = "A curated news digest"
SITEURL = ""
RELATIVE_URLS = True

PATH = "content"
OUTPUT_PATH = "output"
THEME = "theme"
TIMEZONE = "Europe/London"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%-d %B %Y"

PLUGIN_PATHS = ["plugins"]
PLUGINS = ["news_reader"]
READERS = {"md": None, "rst": None, "html": None, "htm": None}

# Stories are only articles; categories follow folders under content/.
ARTICLE_PATHS = [""]
PAGE_PATHS = []
STATIC_PATHS = []
USE_FOLDER_AS_CATEGORY = True
# The reader reads a YYYY-MM-DD file-name prefix itself and names a bad one; Pelican's own
# FILENAME_METADATA would drop such a file with only "Could not process".
FILENAME_METADATA = ""
DEFAULT_CATEGORY = "News"
DEFAULT_PAGINATION = 20
# Stories are never translations of one another; two with one title get distinct URLs (plugins/news_reader/site.py).
ARTICLE_TRANSLATION_ID = None
SUMMARY_MAX_LENGTH = None

ARTICLE_URL = "{date:%Y}/{date:%m}/{slug}.html"
ARTICLE_SAVE_AS = ARTICLE_URL
DRAFT_URL = "drafts/{slug}.html"
DRAFT_SAVE_AS = DRAFT_URL
ARCHIVES_SAVE_AS = "archives.html"
CATEGORY_URL = "category/{slug}.html"
CATEGORY_SAVE_AS = CATEGORY_URL
TAG_URL = "tag/{slug}.html"
TAG_SAVE_AS = TAG_URL
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
# The home page (index.html) is the latest edition, written by plugins/news_reader/editions.py.
DIRECT_TEMPLATES = ["archives", "categories", "tags", "404"]

# Editions: stories grouped by publication day ("day") or ISO week ("week"); one page per edition.
BROADSHEET_EDITION = "day"
BROADSHEET_EDITION_URL = "editions/{key}.html"
BROADSHEET_EDITION_SAVE_AS = BROADSHEET_EDITION_URL
# The search page (search.html, Pagefind): `invoke build` turns it on when Pagefind is installed
# and indexes output/ after the build; a plain `pelican` run has no index, so no search page.
BROADSHEET_SEARCH = False

# The reader applies typography itself, once per text piece (see plugins/news_reader/render.py).
TYPOGRIFY = False

# Feeds: local builds write them with relative links; publishconf.py makes them absolute.
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"
CATEGORY_FEED_RSS = "feeds/{slug}.rss.xml"
# JSON Feed 1.1 (plugins/news_reader/jsonfeed.py): all stories, and one per category.
FEED_ALL_JSON = "feeds/all.json"
CATEGORY_FEED_JSON = "feeds/{slug}.json"
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
RSS_FEED_SUMMARY_ONLY = True
FEED_MAX_ITEMS = 50

# Discovery (plugins/news_reader/): tags found in the text per story (entities.py; 0 turns them
# off) and how many published stories must have a found name for it to become a tag (tagging.py;
# 1: every found name), related stories per story (related.py), the Google News sitemap's window
# counted back from the newest story and its length (sitemap.py).
BROADSHEET_AUTO_TAGS = 5
BROADSHEET_AUTO_TAG_MIN_STORIES = 2
BROADSHEET_RELATED = 3
BROADSHEET_NEWS_DAYS = 2
BROADSHEET_NEWS_MAX_URLS = 1000

# Thresholds of the story parser; keys as in plugins/news_reader/rules.py, e.g. {"TITLE_MAX_WORDS": 24}.
BROADSHEET_PARSER = {}

# Broadsheet's own parse cache (plugins/news_reader/cache.py): a folder, or None for none. Off here, so that
# sites built from these settings never share one; `invoke build` keeps one per content folder in cache/.
BROADSHEET_CACHE_PATH = None
# Pages and feeds whose bytes are already on disk are not written again (plugins/news_reader/writer.py).
BROADSHEET_WRITE_UNCHANGED = False

CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
DELETE_OUTPUT_DIRECTORY = False
