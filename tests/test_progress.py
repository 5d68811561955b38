"""The progress display: shown on a terminal after a delay, silent otherwise, never in the way."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time

import pytest
from rich.console import Console

from salesrules.io.progress import NULL, Progress, enabled_for

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
HIDE_CURSOR = "\x1b[?25l"
SHOW_CURSOR = "\x1b[?25h"
ERASE_LINE = "\x1b[2K"
BAR = "[━╸╺]+"


class FakeClock:
    """A monotonic clock that only moves when a test sets it."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def terminal(width: int = 100) -> Console:
    return Console(file=io.StringIO(), force_terminal=True, width=width)


def raw(console: Console) -> str:
    return console.file.getvalue()


def frames(console: Console) -> list[str]:
    """The lines drawn on ``console``, oldest first, without control sequences."""
    text = ANSI.sub("", raw(console).replace("\r", "\n"))
    return [line for line in text.split("\n") if line.strip()]


def assert_clean(console: Console) -> None:
    """The display was drawn, then the cursor shown again and the line erased."""
    output = raw(console)
    assert HIDE_CURSOR in output
    assert output.rindex(SHOW_CURSOR) > output.rindex(HIDE_CURSOR)
    assert output.endswith(ERASE_LINE)


def shown_progress(console: Console, clock: FakeClock, **kwargs) -> Progress:
    """An entered display that is already shown (two seconds in, 1,000 rows done)."""
    progress = Progress(enabled=True, console=console, clock=clock, **kwargs).__enter__()
    clock.now = 2.0
    progress.advance(1_000)
    assert progress.shown
    return progress


def test_nothing_is_shown_before_the_delay():
    clock, console = FakeClock(), terminal()
    with Progress(enabled=True, total=2_000, console=console, clock=clock) as progress:
        progress.advance(500)
        clock.now = 0.99
        progress.advance(500)
        progress.phase("Writing", total=10)
        assert raw(console) == ""
        assert not progress.shown
    assert raw(console) == ""
    assert not progress.shown


def test_the_first_advance_after_the_delay_shows_the_rows_of_the_total():
    clock, console = FakeClock(), terminal()
    with Progress(enabled=True, total=2_000, console=console, clock=clock) as progress:
        clock.now = 0.4
        progress.advance(500)
        clock.now = 1.0
        progress.advance(500)
        assert progress.shown
        first = frames(console)[0]
    assert re.fullmatch(
        f"Evaluating {BAR}  50% 1,000 / 2,000 rows 0:00:01 elapsed 0:00:01 left", first
    ), first
    assert progress.shown
    assert_clean(console)


def test_a_known_total_shows_bar_percentage_rows_elapsed_and_time_left():
    clock, console = FakeClock(), terminal()
    with Progress(
        enabled=True,
        total=1_000_000,
        description="Reading and evaluating",
        console=console,
        clock=clock,
    ) as progress:
        for _ in range(4):
            clock.now += 1.0
            progress.advance(103_000)
        clock.now = 5.0
        progress.advance(0)
    # 412,000 rows in 5 s: 588,000 rows to go at 82,400 rows a second.
    assert re.fullmatch(
        f"Reading and evaluating {BAR}  41% 412,000 / 1,000,000 rows 0:00:05 elapsed 0:00:07 left",
        frames(console)[-1],
    ), frames(console)[-1]


def test_an_unknown_total_shows_a_spinner_the_rows_done_and_no_percentage():
    clock, console = FakeClock(), terminal()
    with Progress(enabled=True, console=console, clock=clock) as progress:
        clock.now = 2.0
        progress.advance(1_500)
    last = frames(console)[-1]
    assert re.fullmatch(r"\S Evaluating 1,500 rows 0:00:02 elapsed", last), last
    assert "%" not in raw(console)
    assert " / " not in last


def test_a_phase_switches_the_description_and_resets_the_count_and_total():
    clock, console = FakeClock(), terminal()
    with Progress(enabled=True, total=1_000, console=console, clock=clock) as progress:
        progress.advance(1_000)
        clock.now = 0.5
        progress.phase("Ranking", total=300)
        clock.now = 1.5
        progress.advance(100)
        assert re.fullmatch(
            f"Ranking {BAR}  33% 100 / 300 rows 0:00:01 elapsed 0:00:02 left", frames(console)[0]
        ), frames(console)[0]
        progress.phase("Writing")
        clock.now = 3.0
        progress.advance(42)
    last = frames(console)[-1]
    assert re.fullmatch(r"\S Writing 42 rows 0:00:03 elapsed", last), last


def test_a_phase_after_the_delay_starts_the_display():
    clock, console = FakeClock(), terminal()
    with Progress(enabled=True, console=console, clock=clock) as progress:
        clock.now = 1.0
        progress.phase("Writing", total=10)
        assert progress.shown
    assert re.fullmatch(
        f"Writing {BAR}   0% 0 / 10 rows 0:00:01 elapsed -:--:-- left", frames(console)[0]
    ), frames(console)[0]


def test_a_narrow_terminal_keeps_the_rows_and_leaves_out_the_time_left():
    clock, console = FakeClock(), terminal(width=60)
    with Progress(
        enabled=True,
        total=1_000_000,
        description="Reading and evaluating",
        console=console,
        clock=clock,
    ) as progress:
        clock.now = 5.0
        progress.advance(412_000)
    assert frames(console)[-1] == "Reading a…  41% 412,000 / 1,000,000 rows 0:00:05 elapsed"


class Untouchable:
    """Fails the test when anything at all is asked of it."""

    def __getattr__(self, name):
        raise AssertionError(f"touched: {name}")

    def __call__(self, *args):
        raise AssertionError("called")


def test_disabled_never_touches_the_console_or_the_clock():
    progress = Progress(enabled=False, total=10, console=Untouchable(), clock=Untouchable())
    with progress as entered:
        assert entered is progress
        progress.advance(5)
        progress.phase("Writing", total=3)
        progress.advance(3)
        progress.close()
    assert not progress.shown


def test_null_does_nothing_and_can_be_shared():
    for _ in range(2):
        with NULL as progress:
            progress.advance(1_000_000)
            progress.phase("Ranking")
    assert not NULL.shown


def test_a_disabled_or_quick_display_does_not_import_rich():
    script = (
        "import sys\n"
        "from salesrules.io.progress import NULL, Progress\n"
        "with Progress(enabled=False) as progress:\n"
        "    progress.advance(10); progress.phase('Writing', total=5)\n"
        "with Progress(enabled=True, clock=lambda: 0.0) as progress:\n"
        "    progress.advance(10); progress.phase('Writing', total=5)\n"
        "NULL.advance(1)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout == "[]\n"
    assert result.stderr == ""


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class BrokenStream:
    def isatty(self) -> bool:
        raise ValueError("I/O operation on closed file")


def test_enabled_for_a_terminal_unless_quiet():
    assert enabled_for(Tty(), quiet=False) is True
    assert enabled_for(Tty(), quiet=True) is False
    assert enabled_for(io.StringIO(), quiet=False) is False
    assert enabled_for(io.StringIO(), quiet=True) is False
    assert enabled_for(None, quiet=False) is False
    assert enabled_for(BrokenStream(), quiet=False) is False


@pytest.mark.parametrize("error", [ValueError("bad row"), KeyboardInterrupt()])
def test_an_exception_propagates_unchanged_and_stops_the_display(error):
    clock, console = FakeClock(), terminal()
    with pytest.raises(type(error)) as raised:
        with Progress(enabled=True, total=10, console=console, clock=clock) as progress:
            clock.now = 1.5
            progress.advance(4)
            assert progress.shown
            raise error
    assert raised.value is error
    assert_clean(console)
    # Stopped for good: no more drawing, neither from calls nor from the refresh thread.
    drawn = raw(console)
    progress.advance(3)
    progress.phase("Writing")
    time.sleep(0.35)
    assert raw(console) == drawn


def test_close_ends_the_display_early_and_for_good():
    clock, console = FakeClock(), terminal()
    with shown_progress(console, clock, total=5_000) as progress:
        progress.close()
        assert_clean(console)
        drawn = raw(console)
        clock.now = 3.0
        progress.advance(1_000)
        progress.phase("Writing", total=1)
    assert raw(console) == drawn
    assert progress.shown


def test_the_standard_streams_are_left_alone_while_shown():
    stdout, stderr = sys.stdout, sys.stderr
    clock, console = FakeClock(), terminal()
    with shown_progress(console, clock):
        assert sys.stdout is stdout
        assert sys.stderr is stderr


class FailingConsole(Console):
    """A terminal console whose writing fails."""

    def print(self, *args, **kwargs):
        raise OSError("write failed")


@pytest.mark.parametrize(
    "console",
    [object(), FailingConsole(file=io.StringIO(), force_terminal=True, width=100)],
    ids=["not-a-console", "failing-console"],
)
def test_a_failing_display_stays_silent(console):
    clock = FakeClock()
    with Progress(enabled=True, total=10, console=console, clock=clock) as progress:
        clock.now = 2.0
        progress.advance(4)
        progress.phase("Writing")
        progress.advance(6)
    assert not progress.shown


def test_a_failing_clock_stays_silent():
    readings = [0.0, 0.0]  # creating and entering; every later reading fails

    def clock():
        if not readings:
            raise RuntimeError("clock stopped")
        return readings.pop()

    console = terminal()
    with Progress(enabled=True, console=console, clock=clock) as progress:
        progress.advance(4)
        progress.phase("Writing")
    assert raw(console) == ""
    assert not progress.shown


def test_a_phase_that_is_not_counted_shows_no_row_count():
    clock, console = FakeClock(), terminal()
    with Progress(enabled=True, total=1_000, console=console, clock=clock) as progress:
        progress.advance(1_000)
        clock.now = 3.0
        progress.phase("Ranking 1,000 rows", total=50, counted=False)
        progress.advance(10)
    last = frames(console)[-1]
    assert re.fullmatch(r"\S Ranking 1,000 rows 0:00:03 elapsed", last), last
