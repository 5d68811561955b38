"""Records in and results out: sources, input formats, typing and bad-value errors, lookups,
atomic outputs and the progress display."""
