"""Starting points: the ruleset `init` infers from a file and the plugin `new-plugin` writes."""
