"""Tools over evaluations: receipts and explain, diff, backtest, lint and the ruleset tests."""
