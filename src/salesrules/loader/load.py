"""Loading a ruleset from a path or ``builtin:NAME``: read, merge, build, check requirements."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..errors import ErrorList, InputError, Loc, RulesetError
from .build import build
from .extends import _resolve, resolve_reference
from .ruleset import Ruleset


def load(path: str | Path, as_of: dt.date | None = None) -> Ruleset:
    """Load a ruleset from a file path or ``builtin:NAME``, with its ``extends`` merged, and check it.

    Checking compiles the ruleset for ``as_of`` (default: its own as-of date, else today);
    an evaluation as of the same date reuses that plan.
    """
    ruleset = load_unchecked(path)
    ruleset.compile(as_of)  # type-checks every expression; errors carry file:line:column
    return ruleset


def load_unchecked(path: str | Path) -> Ruleset:
    """Load and merge a ruleset without compiling its expressions."""
    file = resolve_reference(str(path), None) if not Path(str(path)).exists() and ":" in str(path) else Path(path)
    if not Path(file).exists():
        raise InputError("ruleset file not found", Loc(str(path)))
    resolved, raw = _resolve(Path(file), ())
    if resolved.conflicts:
        errors = []
        for path_, (first, second) in resolved.conflicts.items():
            errors.append(RulesetError(
                f"{'.'.join(map(str, path_))} is defined differently by {first} and {second}; "
                "set it in this ruleset to settle it",
                raw.loc_of("extends"),
            ))
        raise ErrorList(errors)
    ruleset = build(resolved, raw, str(file))
    check_requirements(ruleset.requires, raw.loc_of("requires") if "requires" in raw else raw.loc)
    return ruleset


def check_requirements(requires: list[str], loc: Loc | None = None) -> None:
    """Fail with a clear error when a plugin package the ruleset ``requires`` is missing or too old."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import InvalidRequirement, Requirement

    from ..errors import PluginError

    for text in requires:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            raise RulesetError(f"requires: {text!r} is not a package requirement such as salesrules-saas>=1.0", loc) from None
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            raise PluginError(
                f"this ruleset requires {text}, which is not installed; install it with: pip install '{text}'", loc
            ) from None
        if requirement.specifier and not requirement.specifier.contains(installed, prereleases=True):
            raise PluginError(
                f"this ruleset requires {text}, but {requirement.name} {installed} is installed; "
                f"upgrade it with: pip install --upgrade '{text}'",
                loc,
            )
