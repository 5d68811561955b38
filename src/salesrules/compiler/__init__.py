"""A ruleset compiled into one plan of polars expressions, one section at a time, with a
manifest of which column holds what."""
