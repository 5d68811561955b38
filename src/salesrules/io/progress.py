"""A progress display for long evaluations, on standard error.

Code that processes rows in batches reports each batch with :meth:`Progress.advance` and
names the stages of its work with :meth:`Progress.phase`::

    with Progress(enabled=enabled_for(sys.stderr, quiet), total=row_count) as progress:
        for batch in batches:
            ...
            progress.advance(batch.height)
        progress.phase("Writing")
        ...

Nothing is shown for work that ends within ``delay`` seconds (one by default): the first
:meth:`~Progress.advance` or :meth:`~Progress.phase` call after that starts a live display
of one line. With a known total it shows the description, a bar, the percentage, the rows
done of the total (``412,000 / 1,000,000 rows``), the time elapsed since the start and an
estimate of the time left in the phase; with an unknown total, a spinner, the description,
the rows done and the time elapsed.

The display is best effort and never changes what the work produces: it writes to its own
console only (standard error), leaves ``sys.stdout`` and ``sys.stderr`` as they are, and any
failure of the display turns it off silently. Leaving the ``with`` block, normally, by an
exception or by KeyboardInterrupt, removes the line and shows the cursor again. A disabled
display (see :func:`enabled_for`) does nothing and does not import rich at all, and neither
does an enabled one whose work ends before the delay.

Output written to a terminal while the line is shown mixes with it, so call
:meth:`Progress.close` before writing results to standard output when it is the same
terminal.
"""

from __future__ import annotations

import time
from typing import Any, Callable

__all__ = ["NULL", "Progress", "enabled_for"]

_REFRESH_PER_SECOND = 4
_BAR_WIDTH = 30
_MIN_BAR_WIDTH = 5
_MIN_DESCRIPTION_WIDTH = 10


def _clock_text(seconds: float | None) -> str:
    """``seconds`` as ``H:MM:SS``, or ``-:--:--`` when it is not known."""
    if seconds is None:
        return "-:--:--"
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


class Progress:
    """A live progress line on a terminal, shown only for work that takes a while.

    ``enabled`` turns the display on at all (use :func:`enabled_for`); ``total`` is the
    number of rows the first phase processes, ``None`` when it is not known; ``description``
    names the first phase. ``delay`` is the number of seconds after the start (entering the
    ``with`` block, or creating the object when it is used without one) before which nothing
    is shown. ``console`` is the rich console to draw on, standard error by default, and
    ``clock`` the monotonic clock in seconds that times everything.

    Use it as a context manager, which ends the display however the block ends. Its methods
    never raise because of the display: when rich fails, the display stops and stays off.
    An instance that is disabled keeps no state, so one (such as :data:`NULL`) can be shared.
    """

    def __init__(
        self,
        *,
        enabled: bool,
        total: int | None = None,
        description: str = "Evaluating",
        delay: float = 1.0,
        console: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._enabled = bool(enabled)
        self._description = description
        self._total = total
        self._delay = delay
        self._console = console
        self._clock = clock
        self._done = 0
        self._counted = True
        self._live: Any = None
        self._spinner: Any = None
        self._live_console: Any = None
        self._shown = False
        self._closed = not self._enabled
        now = 0.0
        if self._enabled:
            try:
                now = clock()
            except Exception:
                self._closed = True
        self._start = self._phase_start = self._last = now

    def __enter__(self) -> "Progress":
        """Start timing (the delay and the elapsed time count from here) and return self."""
        if self._enabled and not self._closed and self._live is None:
            try:
                self._start = self._phase_start = self._last = self._clock()
            except Exception:
                self._closed = True
        return self

    def __exit__(self, *exc: object) -> None:
        """End the display, leaving the terminal clean; an exception goes on unchanged."""
        self.close()

    @property
    def shown(self) -> bool:
        """Whether the live display was ever started."""
        return self._shown

    def advance(self, rows: int) -> None:
        """Count ``rows`` more rows done in the current phase, and start the display if due."""
        if self._closed:
            return
        try:
            self._done += rows
            self._last = self._clock()
            if self._live is None:
                self._start_if_due()
        except Exception:
            self.close()

    def phase(self, description: str, total: int | None = None, *, counted: bool = True) -> None:
        """Begin a new phase: show ``description``, count rows from zero towards ``total``.

        ``total`` is ``None`` when the number of rows of the phase is not known; a phase
        that is not ``counted`` (one step over all rows) shows no row count at all. Like
        :meth:`advance`, the call starts the display if the delay has passed.
        """
        if self._closed:
            return
        try:
            now = self._clock()
            self._description = description
            self._counted = counted
            self._total = total if counted else None
            self._done = 0
            self._phase_start = self._last = now
            if self._live is None:
                self._start_if_due()
        except Exception:
            self.close()

    def close(self) -> None:
        """End the display now and keep it off; later calls do nothing. Never raises."""
        self._closed = True
        live, self._live = self._live, None
        if live is not None:
            try:
                live.stop()
            except Exception:
                pass

    def _start_if_due(self) -> None:
        """Start the live display once ``delay`` seconds have passed since the start."""
        if self._last - self._start < self._delay:
            return
        from rich.console import Console
        from rich.live import Live
        from rich.spinner import Spinner

        console = self._console if self._console is not None else Console(stderr=True)
        self._live_console = console
        self._spinner = Spinner("dots", style="progress.spinner")
        live = Live(
            console=console,
            get_renderable=self._renderable,
            auto_refresh=True,
            refresh_per_second=_REFRESH_PER_SECOND,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live = live
        live.start(refresh=True)
        self._shown = True

    def _remaining(self, now: float) -> float | None:
        """Seconds left in the phase at the rate so far, or ``None`` when it is not known."""
        total, done = self._total, self._done
        if total is None:
            return None
        if done >= total:
            return 0.0
        spent = self._last - self._phase_start
        if done <= 0 or spent <= 0:
            return None
        return max(0.0, (total - done) * spent / done - (now - self._last))

    def _renderable(self) -> Any:
        """The progress line as it stands, for the live display to draw."""
        try:
            from rich.cells import cell_len
            from rich.progress_bar import ProgressBar
            from rich.table import Table
            from rich.text import Text

            now = self._clock()
            total, done, description = self._total, self._done, self._description
            elapsed = Text(f"{_clock_text(now - self._start)} elapsed", style="progress.elapsed")
            lead: list[Any] = []
            if total is None:
                lead.append(self._spinner.render(now))
                tail = [Text(f"{done:,} rows", style="progress.download"), elapsed] if self._counted else [elapsed]
            else:
                total = max(0, total)
                percent = min(100, done * 100 // total) if total else 100
                tail = [
                    Text(f"{percent:>3}%", style="progress.percentage"),
                    Text(f"{done:,} / {total:,} rows", style="progress.download"),
                    elapsed,
                    Text(f"{_clock_text(self._remaining(now))} left", style="progress.remaining"),
                ]
            # What the description and the bar may take of the width, one space between
            # cells. The bar gives way first, then the description, which is cut short with
            # an ellipsis; a bar too short to read is left out. On a very narrow terminal the
            # time left and then the time elapsed are left out too.
            wanted = cell_len(description)
            width = self._live_console.width
            rows = tail[0 if total is None else 1]
            while True:
                room = width - sum(cell_len(cell.plain) + 1 for cell in lead + tail)
                if room >= min(wanted, _MIN_DESCRIPTION_WIDTH) or tail[-1] is rows:
                    break
                tail.pop()
            bar_room = _MIN_BAR_WIDTH + 1 if total is not None else 0
            description_width = max(
                min(wanted, room - bar_room), min(wanted, _MIN_DESCRIPTION_WIDTH)
            )
            bar_width = min(_BAR_WIDTH, room - description_width - 1) if total is not None else 0

            grid = Table.grid(padding=(0, 1))
            cells = list(lead)
            for _ in lead:
                grid.add_column(no_wrap=True)
            grid.add_column(width=max(1, description_width), no_wrap=True, overflow="ellipsis")
            cells.append(Text(description, style="progress.description"))
            if total is not None and bar_width >= _MIN_BAR_WIDTH:
                grid.add_column(width=bar_width, no_wrap=True)
                cells.append(
                    ProgressBar(total=total, completed=max(0, min(done, total)), width=bar_width)
                )
            for _ in tail:
                grid.add_column(no_wrap=True)
            cells.extend(tail)
            grid.add_row(*cells)
            return grid
        except Exception:
            return ""


def enabled_for(stream: Any, quiet: bool) -> bool:
    """Whether progress should be shown on ``stream``: a terminal and not quiet."""
    if quiet or stream is None:
        return False
    try:
        return bool(stream.isatty())
    except Exception:
        return False


NULL = Progress(enabled=False)
"""A display that does nothing, usable as a default argument."""
