"""The built-in functions, formats and rulesets, registered through the same hooks as
third-party plugins."""
