"""Rulesets from text: YAML with positions, the JSON Schema, `extends` merged, and the typed
`Ruleset` built section by section."""
