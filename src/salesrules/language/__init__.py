"""The expression language: text parsed and checked (`syntax`), type-checked and compiled to
polars expressions (`expressions`), and what function plugins receive (`functions`)."""
