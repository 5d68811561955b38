"""Stopping the local runner's evaluations at once when the run is interrupted.

The records are read by polars, which hands each batch to a Python function on a thread of
its own, where Python raises no KeyboardInterrupt; the batches are evaluated on worker threads
that nothing can stop half-way (polars checks for an interruption between operations, and one
regular expression over 100,000 long texts is one operation). So the reading runs on a thread
(:func:`run_interruptibly`) while the calling thread waits in Python, where Ctrl-C and SIGTERM
are raised at once; the run then asks its threads to stop (:class:`Stop`), and they hand over
no more batches. Whoever else sees a signal arrive (the command line reads them from
:func:`signal.set_wakeup_fd` on a thread of its own) may call :func:`request_stop`.
"""

from __future__ import annotations

import threading
from concurrent.futures import TimeoutError as _Timeout

# How often a waiting thread looks for a request to stop, in seconds.
POLL = 0.05
_ACTIVE: set[threading.Event] = set()
_LOCK = threading.Lock()


class Stop:
    """The request to stop one run: a context manager registering it while the run lasts."""

    def __init__(self):
        self.event = threading.Event()

    def __enter__(self) -> "Stop":
        with _LOCK:
            _ACTIVE.add(self.event)
        return self

    def __exit__(self, *exc) -> None:
        with _LOCK:
            _ACTIVE.discard(self.event)

    @property
    def requested(self) -> bool:
        """Whether this run was asked to stop."""
        return self.event.is_set()

    def request(self) -> None:
        """Ask this run to stop."""
        self.event.set()

    def wait(self, future):
        """The result of ``future``, or a KeyboardInterrupt as soon as the run is asked to stop."""
        while True:
            if self.event.is_set():
                raise KeyboardInterrupt()
            try:
                return future.result(timeout=POLL)
            except _Timeout:
                continue


def request_stop() -> None:
    """Ask every run under way to stop as soon as it can (with a KeyboardInterrupt)."""
    with _LOCK:
        for event in _ACTIVE:
            event.set()


def run_interruptibly(work, stop: Stop, name: str):
    """``work()`` run on a thread called ``name`` while this thread waits for it, so that an
    interruption raised here stops the wait at once (and asks ``stop``'s run to stop); its
    result, or the exception it raised."""
    outcome: dict = {}

    def target():
        try:
            outcome["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - raised again on the waiting thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name=name)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(POLL)
    except BaseException:
        stop.request()
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")
