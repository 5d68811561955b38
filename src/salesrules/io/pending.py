"""Outputs that land together: a file written under a temporary name while the run's other
outputs are written, and put in place only when they all succeeded.

``evaluate --on-error skip`` writes the rejected rows this way beside its results, so a run that
fails (a full disk, an interruption, a bad value in a later batch) replaces neither file.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, Sequence

from .outputs import (
    _file_mode,
    _os_error,
    _remove_quietly,
    _sync_directory,
    check_output_path,
)


@contextmanager
def pending(path: str, inputs: Sequence[str] = ()) -> Iterator[str]:
    """Yield a temporary path beside ``path`` to write to; when the block ends without an
    exception the file there replaces ``path`` (keeping the mode of the file it replaces), else
    it is removed and ``path`` stays as it was. ``path`` is refused when it is one of ``inputs``.
    """
    check_output_path(path, inputs)
    target = os.path.realpath(path)  # through a symlink, so the link stays a link
    directory, name = os.path.split(target)
    staging = os.path.join(directory, f".{name}.{os.getpid()}.pending")
    try:
        yield staging
    except BaseException:
        _remove_quietly(staging)
        raise
    if not os.path.exists(staging):
        return  # nothing was written
    try:
        os.chmod(staging, _file_mode(target))
        os.replace(staging, target)
    except OSError as exc:
        _remove_quietly(staging)
        raise _os_error(path, exc) from None
    _sync_directory(directory)
