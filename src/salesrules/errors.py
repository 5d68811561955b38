"""Errors that salesrules reports to its users.

Every error carries a one-line message and, where there is one, the place it comes
from: a file with a line and column (rulesets) or a row and column (data files).
The command line prints ``str(error)`` and exits with ``error.exit_code``.
"""

from __future__ import annotations

from dataclasses import dataclass

REPLACEMENT = "\ufffd"

# What a terminal would act on rather than show: the C0 controls but the line feed (tab and
# carriage return are turned into a space and a line feed first), DEL, the C1 controls (CSI,
# OSC...) and the bidirectional marks, embeddings, overrides and isolates that reorder text;
# and lone surrogates, which cannot be written at all.
_CONTROLS = {
    code: REPLACEMENT
    for code in (
        *range(0x0A), *range(0x0B, 0x20), *range(0x7F, 0xA0),
        0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A),
        *range(0xD800, 0xE000),  # lone surrogates: no terminal or file encoding can hold them
    )
}
_CONTROLS[ord("\t")] = " "


def printable(text: str) -> str:
    """``text`` safe to show on a terminal: line breaks become ``\\n``, tabs a space, and every
    other control character (escape sequences, C1 controls, bidirectional overrides) U+FFFD."""
    if text.isprintable():  # the common case, and nothing to do
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROLS)


def shown(value) -> str:
    """A value from a data file or a ruleset as a message quotes it: its Python literal, which
    writes control characters as escapes (``'\\x1b[2J'``), so the value can neither act on a
    terminal nor hide in the message."""
    return printable(repr(value))


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
        # Messages end up on terminals and may carry text from files (a library's message, a
        # file name): never a control character.
        if self.loc is None:
            return printable(self.message)
        return printable(f"{self.loc}: {self.message}")


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


class MissingColumnWarning(UserWarning):
    """A field the rules read has no column in the input and was allowed to be missing
    (``allow_missing``): its values are unknown (null). The command line prints it as one
    ``warning:`` line on stderr."""


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
    return f" (did you mean {shown(match[0])}?)" if match else ""
