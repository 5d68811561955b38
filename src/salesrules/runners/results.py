"""The per-record results of a run: kept in memory up to a size, spilled to temporary Arrow
files beyond, and how to tell whether all of an input's results fit in memory."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from ..errors import UsageError

# Results in memory beyond this size go to temporary files (SALESRULES_SPILL=auto)...
SPILL_BYTES = 64 << 20
# ...unless the results of the whole input are expected to take at most this much: writing
# them to temporary files and reading them back would cost more than evaluating them.
KEEP_BYTES = 512 << 20
SPILL_MODES = ("auto", "always", "never")


class Store:
    """The per-record results, batch by batch: in memory up to a size, then in temporary Arrow IPC files."""

    def __init__(self, mode: str, schema: pl.Schema, expected_rows: int | None = None):
        self.limit = {"never": None, "always": 0, "auto": SPILL_BYTES}[mode]
        # In auto mode, the rows the input is expected to have (None: unknown) decide with the
        # first batch's size whether every result can stay in memory.
        self.expected_rows = expected_rows if mode == "auto" else None
        self.schema = schema
        self.batches: list[pl.DataFrame] = []
        self.size = 0
        self.files: list[str] = []
        self.rows: list[int] = []
        self.count = 0
        self.directory: str | None = None
        self.started = False  # whether a temporary directory was asked for

    def add(self, batch: pl.DataFrame) -> None:
        self.count += batch.height
        self.batches.append(batch)
        self.size += batch.estimated_size()
        if self.expected_rows is not None and batch.height:
            if fits_in_memory(self.size, self.count, self.expected_rows):
                # Kept in memory, with some room for an estimate that falls short.
                self.limit = KEEP_BYTES + SPILL_BYTES
            self.expected_rows = None
        if self.limit is not None and self.size > self.limit:
            self._spill()

    def _spill(self) -> None:
        import tempfile

        if not self.batches:
            return
        if self.directory is None:
            self.started = True
            self.directory = tempfile.mkdtemp(prefix=_spill_prefix())
        path = str(Path(self.directory) / f"{len(self.files):06d}.arrow")
        frame = pl.concat(self.batches, how="vertical")
        frame.write_ipc(path, compression="lz4")
        self.files.append(path)
        self.rows.append(frame.height)
        self.batches, self.size = [], 0

    def frame(self) -> pl.LazyFrame:
        """All the batches added, in order."""
        if self.files:
            self._spill()
            return pl.scan_ipc(self.files)
        return self._kept().lazy()

    def _kept(self) -> pl.DataFrame:
        """The batches kept in memory as one frame (joined once)."""
        if len(self.batches) != 1:
            self.batches = [pl.concat(self.batches, how="vertical") if self.batches else pl.DataFrame(schema=self.schema)]
        return self.batches[0]

    def beside(self, side: pl.DataFrame) -> pl.LazyFrame:
        """All the batches with the columns of ``side`` (one row per row) added.

        Spilled results are joined to ``side`` file by file, so that writing them reads one
        file at a time.
        """
        if not self.files:
            return pl.concat([self._kept(), side], how="horizontal").lazy()
        self._spill()  # the batches added since the last file
        pieces, offset = [], 0
        for path, rows in zip(self.files, self.rows):
            pieces.append(pl.concat([pl.scan_ipc(path), side.slice(offset, rows).lazy()], how="horizontal"))
            offset += rows
        return pl.concat(pieces, how="vertical")

    @property
    def spilled(self) -> bool:
        """Whether some of the results went to temporary files."""
        return bool(self.files)

    def close(self) -> None:
        """Remove the temporary files (also when interrupted again meanwhile)."""
        import shutil
        import tempfile

        self.batches = []
        while self.started:
            try:
                # By name too: an interruption inside mkdtemp leaves a directory whose name
                # was never returned.
                parent = tempfile.gettempdir()
                for name in os.listdir(parent):
                    if name.startswith(_spill_prefix()):
                        shutil.rmtree(os.path.join(parent, name), ignore_errors=True)
                self.directory, self.started = None, False
            except KeyboardInterrupt:
                continue
            except OSError:
                self.directory, self.started = None, False


def fits_in_memory(size: int, rows: int, expected_rows: int) -> bool:
    """Whether the results of ``expected_rows`` records take at most :data:`KEEP_BYTES`, when
    those of ``rows`` of them take ``size`` bytes."""
    return size / rows * max(expected_rows, rows) <= KEEP_BYTES


def _spill_prefix() -> str:
    """The name prefix of this process's temporary directories of spilled results."""
    return f"salesrules-{os.getpid()}-"


def spill_mode(value: str | None = None) -> str:
    """The spill mode: ``value``, else the SALESRULES_SPILL environment variable, else auto."""
    mode = (value or os.environ.get("SALESRULES_SPILL") or "auto").strip().lower()
    if mode not in SPILL_MODES:
        raise UsageError(f"SALESRULES_SPILL must be one of {', '.join(SPILL_MODES)}, not {mode!r}")
    return mode
