"""Errors that salesrules reports to its users.

Every error carries a one-line message and, where there is one, the place it comes
from: a file with a line and column (rulesets) or a row and column (data files).
The command line prints ``str(error)`` and exits with ``error.exit_code``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Loc:
    """A place in a source file: 1-based line and column."""

    file: str
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.col is not None:
                parts.append(str(self.col))
        return ":".join(parts)

    def shifted(self, line_offset: int = 0, col: int | None = None) -> "Loc":
        """The same file, ``line_offset`` lines further, at column ``col`` if given."""
        line = None if self.line is None else self.line + line_offset
        return Loc(self.file, line, self.col if col is None else col)


class SalesrulesError(Exception):
    """Base class of every error salesrules reports; ``exit_code`` is what the CLI returns."""

    exit_code = 2

    def __init__(self, message: str, loc: Loc | None = None):
        super().__init__(message)
        self.message = message
        self.loc = loc

    def __str__(self) -> str:
        if self.loc is None:
            return self.message
        return f"{self.loc}: {self.message}"


class RulesetError(SalesrulesError):
    """A ruleset is malformed, invalid or inconsistent (exit code 1)."""

    exit_code = 1


class ExpressionError(RulesetError):
    """An expression in a ruleset is not allowed, does not type-check or names an unknown thing."""


class InputError(SalesrulesError):
    """A data file cannot be read or a value in it cannot be used (exit code 2)."""


class UsageError(SalesrulesError):
    """The command was called wrongly: bad option values, an output over the input (exit code 2)."""


class PluginError(SalesrulesError):
    """A plugin is missing, too old, conflicts with another or raised while called (exit code 2)."""


class ErrorList(RulesetError):
    """Several ruleset errors found at once; ``validate`` lists them all."""

    def __init__(self, errors: list[SalesrulesError]):
        first = errors[0] if errors else None
        super().__init__(first.message if first else "no errors", first.loc if first else None)
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


def did_you_mean(name: str, candidates) -> str:
    """A ' (did you mean X?)' suffix naming the closest candidate, or ''."""
    import difflib

    match = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""
