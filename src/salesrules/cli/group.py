"""How the command line ends: errors as one ``error:`` line and an exit code, and signals.

Exit codes: 0 success, 1 rule failures, 2 usage or input errors, 130 interrupted (SIGINT,
Ctrl-C), 143 terminated (SIGTERM). SIGTERM stops a run as cleanly as Ctrl-C: temporary files
are removed and no half-written output is left.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from collections.abc import MutableMapping

import click

from ..errors import ErrorList, SalesrulesError, printable

EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM


def check_environment() -> None:
    """Refuse environment variables that would make the engine fail inside its thread pool:
    polars panics on ``POLARS_MAX_THREADS=0`` or a value that is not a number."""
    from ..errors import UsageError, shown

    value = os.environ.get("POLARS_MAX_THREADS")
    if value is not None and not (value.strip().isdigit() and int(value) > 0):
        raise UsageError(f"POLARS_MAX_THREADS={shown(value)}: the number of threads must be a whole number of at least 1")


class Terminated(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM, so a terminated run cleans up like an interrupted one.

    It is a KeyboardInterrupt so that every ``except KeyboardInterrupt`` or ``except
    BaseException`` clean-up (temporary files, half-written outputs) runs for it too.
    """


class _Interrupts:
    """What the signal handlers saw during this run."""

    terminated = False
    interrupted = False
    reported = False


def _on_sigterm(signum, frame):
    """SIGTERM: raise :class:`Terminated`, unless an interruption is already being handled
    (then only record it, so the clean-up under way, such as removing a temporary file, finishes)."""
    _Interrupts.terminated = True
    if isinstance(sys.exc_info()[1], KeyboardInterrupt):
        return
    raise Terminated()


def _relay_sigterm(read_fd: int) -> None:
    """Runs in a thread: on SIGTERM, send the process a SIGINT.

    Python runs signal handlers only between bytecodes of the main thread, so while polars
    executes a query the SIGTERM handler would wait for the whole query; polars stops a
    running query on SIGINT (when SIGINT has Python's default handler, which is why
    salesrules leaves SIGINT alone), so a SIGTERM is relayed as a SIGINT. The signal
    numbers arrive through :func:`signal.set_wakeup_fd`.
    """
    import os

    while True:
        try:
            data = os.read(read_fd, 64)
        except OSError:
            return
        if not data or 0 in data:  # closed, or the sentinel: the run is over
            return
        if signal.SIGINT in data:
            _Interrupts.interrupted = True
            request_stop()
        if signal.SIGTERM in data:
            _Interrupts.terminated = True
            request_stop()
            try:
                os.kill(os.getpid(), signal.SIGINT)
            except OSError:
                pass
            return


def request_stop() -> None:
    """Ask the evaluations under way to stop at once (see :mod:`salesrules.runners.interrupts`);
    nothing to do when no evaluation was started, so this thread imports nothing."""
    interrupts = sys.modules.get("salesrules.runners.interrupts")
    if interrupts is not None:
        interrupts.request_stop()


def _install_signal_handlers():
    """Make SIGTERM stop a run as cleanly as SIGINT; returns a function that restores the old state."""
    import os
    import threading

    _Interrupts.terminated = _Interrupts.interrupted = _Interrupts.reported = False
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
        previous_int = signal.getsignal(signal.SIGINT)
    except (ValueError, OSError, AttributeError):  # not the main thread, or no SIGTERM here
        return lambda: None
    read_fd = write_fd = thread = None
    old_wakeup = -1
    try:
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        old_wakeup = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        thread = threading.Thread(target=_relay_sigterm, args=(read_fd,), name="salesrules-sigterm", daemon=True)
        thread.start()
    except (ValueError, OSError):
        pass

    def restore():
        try:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
            signal.signal(signal.SIGINT, previous_int if previous_int is not None else signal.default_int_handler)
        except (ValueError, OSError):
            pass
        if write_fd is None:
            return
        try:
            signal.set_wakeup_fd(old_wakeup)
        except (ValueError, OSError):
            pass
        try:
            os.write(write_fd, b"\0")
        except OSError:
            pass
        if thread is not None:
            thread.join(1)
        for fd in (read_fd, write_fd):
            try:
                os.close(fd)
            except OSError:
                pass

    return restore


def _show_warnings():
    """Print each salesrules warning (such as a field allowed to be missing) once, as one
    ``warning: MESSAGE`` line on stderr; returns a function that restores the old display."""
    import warnings

    from ..errors import MissingColumnWarning

    previous, filters, shown_once = warnings.showwarning, list(warnings.filters), set()

    def show(message, category, filename, lineno, file=None, line=None):
        if not issubclass(category, MissingColumnWarning):
            return previous(message, category, filename, lineno, file, line)
        text = " ".join(printable(str(message)).split())
        if text not in shown_once:
            shown_once.add(text)
            click.echo(f"warning: {text}", err=True)

    warnings.showwarning = show
    warnings.simplefilter("always", MissingColumnWarning)

    def restore():
        warnings.showwarning = previous
        warnings.filters[:] = filters

    return restore


MAX_ERROR_LINES = 100


def _error_lines(exc: SalesrulesError) -> list[str]:
    """The ``error:`` lines for an error: one per error (at most ``MAX_ERROR_LINES``), each on one line."""
    errors = exc.errors if isinstance(exc, ErrorList) and exc.errors else [exc]
    lines = [f"error: {' '.join(str(e).split()) or type(e).__name__}" for e in errors[:MAX_ERROR_LINES]]
    if len(errors) > MAX_ERROR_LINES:
        lines.append(f"error: ... and {len(errors) - MAX_ERROR_LINES:,} more errors in the same file")
    return lines


def _interrupted(exc: KeyboardInterrupt) -> int:
    """Report an interruption on one line (once); the exit code is 143 for SIGTERM, else 130.

    Call it outside the ``except`` block, in a loop that catches KeyboardInterrupt: when
    polars stops a query on Ctrl-C, Python raises the same Ctrl-C a second time at the
    next function call, and a relayed SIGTERM can follow; the loop absorbs those.
    """
    _pending_signals_run_here()
    # From here on more signals only count: the run is stopping, and a Ctrl-C raised in
    # the middle of the message would print it twice or not at all.
    try:
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, _only_record)
    except (ValueError, OSError):  # not the main thread
        pass
    terminated = _Interrupts.terminated or isinstance(exc, Terminated)
    if not _Interrupts.reported:
        _Interrupts.reported = True
        what = "terminated (SIGTERM)" if terminated else "interrupted"
        click.echo(f"error: {what}; no output was written", err=True)
    return EXIT_TERMINATED if terminated or _Interrupts.terminated else EXIT_INTERRUPTED


def _signalled() -> bool:
    """Whether a SIGINT or SIGTERM arrived during the run.

    A Ctrl-C that lands inside a callback polars runs is printed and dropped there, and the
    callback's failure then surfaces as some other error; that error is the interruption.
    The relay thread sees every signal; a short sleep lets it record one that just arrived.
    """
    import time

    time.sleep(0.001)
    return _Interrupts.interrupted or _Interrupts.terminated


def _exit_without_waiting(code: int, whole_process: bool = False) -> None:
    """After an interruption, end the process at once when batches are still being evaluated
    (always, when ``whole_process``: the command line is the process, and a Ctrl-C that polars
    raises again during the interpreter's exit would otherwise end it by the signal, not with
    the exit code).

    A batch being evaluated on a worker thread cannot be stopped (polars checks for an
    interruption only between operations, and one regular expression over 100,000 long
    texts is one operation), and a normal exit waits for every worker thread: the stop would
    take as long as the batches under way. The clean-up is done by then (results spilled to
    temporary files, temporary outputs); the temporary copies of transcoded inputs, removed
    at exit otherwise, are removed here, and the streams flushed, before ``os._exit``.
    """
    import threading

    busy = [t for t in threading.enumerate() if t.name.startswith("salesrules-batch") and t.is_alive()]
    if not busy and not whole_process:
        return
    from ..io.inputs import remove_temporary_files

    while True:  # a repeated signal must not stop the clean-up half-way
        try:
            remove_temporary_files()
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (OSError, ValueError, AttributeError):
                    pass
            break
        except KeyboardInterrupt:
            continue
    os._exit(code)


def _leave_objects_to_exit() -> None:
    """The command line is the process and its work is done: spare the interpreter's exit its
    garbage collections.

    While exiting, Python looks through every object the run made (the modules, the plugins,
    the ruleset, its compiled plan) for reference cycles, several times; that takes as long
    as a short command's own work. Frozen objects are not looked through, and the operating
    system takes back the memory of the process. Nothing is lost: the outputs are closed,
    the handlers registered with :mod:`atexit` still run and the standard streams are
    still flushed.
    """
    import gc

    gc.freeze()


def _only_record(signum, frame):
    """A handler for signals that arrive while a stop is reported: a SIGTERM sets the exit code."""
    if signum == signal.SIGTERM:
        _Interrupts.terminated = True


def _pending_signals_run_here() -> None:
    """Does nothing: calling it lets Python run the signal handlers still pending, before the
    message is printed rather than in the middle of printing it."""


def _usage_line(exc: click.ClickException) -> str:
    """Click's usage error (normally three lines) as one ``error:`` line with a pointer to --help."""
    message = " ".join(printable(exc.format_message()).split())
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    return f"error: {message}"


class LazyCommands(MutableMapping):
    """A group's commands by name, each built-in one imported the first time it is looked up.

    ``pending`` maps a command's name to the module of this package that defines it and the
    name of the command in that module; a run imports only the module of the command it runs,
    while listing the names (``--help``, a misspelt command) imports nothing. Commands added
    later (by plugins) are stored as they are.
    """

    def __init__(self, pending: dict[str, tuple[str, str]]):
        self.pending = dict(pending)
        self.loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self.loaded and name in self.pending:
            module, attribute = self.pending.pop(name)
            self.loaded[name] = getattr(importlib.import_module(f"{__package__}.{module}"), attribute)
        return self.loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self.pending.pop(name, None)
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        if self.pending.pop(name, None) is None:
            del self.loaded[name]

    def __contains__(self, name: object) -> bool:
        return name in self.loaded or name in self.pending

    def __iter__(self):
        return iter([*self.loaded, *(name for name in self.pending if name not in self.loaded)])

    def __len__(self) -> int:
        return len(self.loaded) + len(self.pending)


class _Group(click.Group):
    """A group that turns salesrules errors into one line on stderr and an exit code."""

    # A plugin that fails while loading is reported as one error line when a command runs.
    startup_error: SalesrulesError | None = None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Run the command line: every error, usage error and interruption is one ``error:`` line."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        argv = sys.argv[1:] if args is None else list(args)
        debug = "--debug" in argv
        restore = _install_signal_handlers()
        restore_warnings = _show_warnings()
        interrupt = None
        try:
            if self.startup_error is not None and not debug:
                raise self.startup_error
            check_environment()
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = code if isinstance(code, int) else 0
        except click.exceptions.Abort as exc:
            if isinstance(exc.__cause__, KeyboardInterrupt):
                interrupt = exc.__cause__
            else:
                click.echo("error: aborted", err=True)
                code = 1
        except click.ClickException as exc:
            if debug:
                raise
            click.echo(_usage_line(exc), err=True)
            code = exc.exit_code
        except SalesrulesError as exc:  # raised outside a command, e.g. by --plugins-dir
            if debug:
                raise
            for line in _error_lines(exc):
                click.echo(line, err=True)
            code = exc.exit_code
        except KeyboardInterrupt as exc:
            interrupt = exc
        finally:
            while True:  # a late Ctrl-C or SIGTERM must not skip restoring the handlers
                try:
                    if interrupt is not None:
                        code = _interrupted(interrupt)
                    restore()
                    restore_warnings()
                    break
                except KeyboardInterrupt as again:
                    interrupt = interrupt or again
        if code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
            _exit_without_waiting(code, whole_process=args is None)
        if args is None:
            _leave_objects_to_exit()
        sys.exit(code)

    def invoke(self, ctx):
        """Run a command: a salesrules error or an unexpected failure is one ``error:`` line."""
        debug = "--debug" in sys.argv[1:]
        interrupt = None
        try:
            return super().invoke(ctx)
        except SalesrulesError as exc:
            if debug:
                raise
            if not _signalled():
                for line in _error_lines(exc):
                    click.echo(line, err=True)
                ctx.exit(exc.exit_code)
            interrupt = KeyboardInterrupt()
        except KeyboardInterrupt as exc:
            interrupt = exc
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:
            _silence_stdout()
            ctx.exit(0)
        except Exception as exc:  # an unexpected failure is still one line, unless --debug
            if debug:
                raise
            if not _signalled():
                detail = " ".join(printable(str(exc)).split())
                click.echo(f"error: internal error: {type(exc).__name__}: {detail} (run with --debug for details)", err=True)
                ctx.exit(2)
            interrupt = KeyboardInterrupt()
        # Interrupted: report it outside the except block, absorbing the repeats of the same signal.
        while True:
            try:
                code = _interrupted(interrupt)
                break
            except KeyboardInterrupt:
                continue
        ctx.exit(code)


def _silence_stdout() -> None:
    """After a broken pipe (``| head``), point stdout at /dev/null so the final flush stays quiet."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
