"""Loading a ruleset from a path or ``builtin:NAME``: read, merge, build, check requirements."""

from __future__ import annotations

import datetime as dt
import shlex
import time
from pathlib import Path

from ..errors import ErrorList, InputError, Loc, RulesetError, shown
from . import cache
from .build import build
from .extends import _exists, _resolve, resolve_reference
from .ruleset import Ruleset


def load(path: str | Path, as_of: dt.date | None = None, *, every_error: bool = False) -> Ruleset:
    """Load a ruleset from a file path or ``builtin:NAME``, with its ``extends`` merged, and check it.

    Checking compiles the ruleset for ``as_of`` (default: its own as-of date, else today);
    an evaluation as of the same date reuses that plan. The first error stops the check; with
    ``every_error`` all the errors of the ruleset's expressions, templates and names are raised
    together (an :class:`~salesrules.errors.ErrorList`, as ``salesrules validate`` shows them).
    """
    from ..compiler.plan import compile_ruleset

    ruleset = load_unchecked(path)
    # Type-checks every expression; errors carry file:line:column.
    compile_ruleset(ruleset, as_of, every_error=every_error)
    return ruleset


def load_unchecked(path: str | Path) -> Ruleset:
    """Load and merge a ruleset without compiling its expressions.

    A ruleset loaded before, whose files are unchanged, comes from the cache (see
    :mod:`salesrules.loader.cache`): its files are not parsed or checked against the schema again.
    """
    file = resolve_reference(str(path), None) if not _exists(Path(str(path))) and ":" in str(path) else Path(path)
    try:
        Path(file).stat()
    except FileNotFoundError:
        raise InputError("ruleset file not found", Loc(str(path))) from None
    except (OSError, ValueError) as exc:  # a name too long for the file system, a NUL byte
        raise InputError(f"cannot read ruleset: {getattr(exc, 'strerror', None) or exc}", Loc(str(path))) from None
    started = time.time()
    cached = cache.lookup(str(file))
    resolved, raw = cached or _resolve(Path(file), ())
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
    # The merged entries still carry their places, in this file or a parent.
    check_requirements(resolved.data.get("requires") or [], raw.loc_of("requires") if "requires" in raw else raw.loc)
    if cached is None:
        cache.store(str(file), resolved, raw, started)
    return ruleset


def check_requirements(requires: list[str], loc: Loc | None = None) -> None:
    """Fail with a clear error when a plugin package the ruleset ``requires`` is missing or too old.

    An entry must be a package name with an optional version specifier (``salesrules-saas>=1.0``);
    anything else (extras, markers, URLs, not a requirement at all) is a RulesetError at the entry
    (an entry read from YAML knows its place; ``loc`` is the fallback). The install command in
    the messages is built from the parsed name and version and quoted for a POSIX shell, since
    people paste it.
    """
    from importlib.metadata import PackageNotFoundError, version

    from ..errors import PluginError

    # Every entry is checked before any is looked up: a malformed one is the ruleset's error.
    requirements = [_plain_requirement(text, getattr(text, "loc", None) or loc) for text in requires]
    for requirement in requirements:
        wanted = f"{requirement.name}{requirement.specifier}"
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            raise PluginError(
                f"this ruleset requires {wanted}, which is not installed; install it with: pip install {shlex.quote(wanted)}",
                loc,
            ) from None
        if requirement.specifier and not requirement.specifier.contains(installed, prereleases=True):
            raise PluginError(
                f"this ruleset requires {wanted}, but {requirement.name} {installed} is installed; "
                f"upgrade it with: pip install --upgrade {shlex.quote(wanted)}",
                loc,
            )


def _plain_requirement(text: str, loc: Loc | None):
    """``text`` parsed as a package name with an optional version specifier, or a RulesetError."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(str(text))
    except InvalidRequirement:
        raise RulesetError(
            f"requires: {shown(str(text))} is not a package requirement such as salesrules-saas>=1.0", loc
        ) from None
    extra = "extras" if requirement.extras else "a marker" if requirement.marker else "a URL" if requirement.url else None
    if extra or any(spec.operator == "===" for spec in requirement.specifier):
        raise RulesetError(
            f"requires: {shown(str(text))} has {extra or 'an arbitrary version (===)'}; only a package name "
            "with an optional version is allowed, such as salesrules-saas>=1.0",
            loc,
        )
    return requirement
