"""The plugin's settings, checked once when Pelican starts."""

from __future__ import annotations

import logging
from dataclasses import fields

from .rules import Thresholds

logger = logging.getLogger(__name__)


def check_parser_settings(pelican) -> None:
    """Log one error per unknown BROADSHEET_PARSER key and drop it, so stories still build with
    the known thresholds (and the build fails for the error, instead of every story failing)."""
    given = pelican.settings.get("BROADSHEET_PARSER") or {}
    known = {f.name for f in fields(Thresholds)}
    for key in sorted(set(given) - known):
        logger.error(
            "news_reader: BROADSHEET_PARSER has an unknown key %r; known keys: %s", key, ", ".join(sorted(known))
        )
    pelican.settings["BROADSHEET_PARSER"] = {k: v for k, v in given.items() if k in known}
