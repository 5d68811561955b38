"""Ruleset data that knows where it was written: mappings, lists and strings with a location.

The YAML reader (:mod:`salesrules.loader.yamlsource`), the ruleset-format plugins (DMN) and the
cache of loaded rulesets (:mod:`salesrules.loader.cache`) all make these; they live apart from
the YAML reader so that a ruleset read from the cache needs no YAML parser.
"""

from __future__ import annotations

from ..errors import Loc


class YDict(dict):
    """A mapping from YAML with the location of itself, its keys and its values."""

    loc: Loc
    key_locs: dict
    value_locs: dict

    def loc_of(self, key) -> Loc:
        """Where the value under ``key`` is, else the key, else the mapping."""
        return self.value_locs.get(key) or self.key_locs.get(key) or self.loc


class YList(list):
    """A sequence from YAML with the location of itself and of each item."""

    loc: Loc
    item_locs: list


class YStr(str):
    """A string from YAML with its location and scalar style (None for plain)."""

    loc: Loc
    style: str | None
    exact: bool
