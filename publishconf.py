"""Settings for publishing: absolute SITEURL and feed URLs. Build with `invoke publish`."""

import os
import sys

sys.path.append(os.curdir)
from pelicanconf import *  # noqa: E402,F403

SITEURL = os.environ.get("BROADSHEET_SITEURL", "https://example.org")
RELATIVE_URLS = False
FEED_DOMAIN = SITEURL
DELETE_OUTPUT_DIRECTORY = True
