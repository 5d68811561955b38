"""The JSON Schema of the ruleset format, shipped for editors (generated from the sections)."""
