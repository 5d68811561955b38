"""The ``salesrules`` command line: a thin click layer over the Python API.

Errors are one line on stderr and an exit code: 0 success, 1 rule failures (tests
failed, validation errors), 2 usage or input errors, 130 interrupted (SIGINT, Ctrl-C),
143 terminated (SIGTERM). Click's own usage errors (a missing option, a bad option
value) are one ``error:`` line too. ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys

import click

from .. import __version__
from ..errors import ErrorList, PluginError, SalesrulesError, UsageError

# polars reads CSV in chunks whose size it takes from this variable, once per process; its
# default holds several hundred megabytes in flight, smaller chunks read as fast.
os.environ.setdefault("POLARS_CSV_CHUNK_SIZE", str(4 << 20))

EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM, so a terminated run cleans up like an interrupted one.

    It is a KeyboardInterrupt so that every ``except KeyboardInterrupt`` or ``except
    BaseException`` clean-up (temporary files, half-written outputs) runs for it too.
    """


class _Interrupts:
    """What the signal handlers saw during this run."""

    terminated = False
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
        if signal.SIGTERM in data:
            _Interrupts.terminated = True
            try:
                os.kill(os.getpid(), signal.SIGINT)
            except OSError:
                pass
            return


def _install_signal_handlers():
    """Make SIGTERM stop a run as cleanly as SIGINT; returns a function that restores the old state."""
    import os
    import threading

    _Interrupts.terminated = _Interrupts.reported = False
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


def _only_record(signum, frame):
    """A handler for signals that arrive while a stop is reported: a SIGTERM sets the exit code."""
    if signum == signal.SIGTERM:
        _Interrupts.terminated = True


def _pending_signals_run_here() -> None:
    """Does nothing: calling it lets Python run the signal handlers still pending, before the
    message is printed rather than in the middle of printing it."""


def _usage_line(exc: click.ClickException) -> str:
    """Click's usage error (normally three lines) as one ``error:`` line with a pointer to --help."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    return f"error: {message}"


class _Group(click.Group):
    """A group that turns salesrules errors into one line on stderr and an exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Run the command line: every error, usage error and interruption is one ``error:`` line."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        argv = sys.argv[1:] if args is None else list(args)
        debug = "--debug" in argv
        restore = _install_signal_handlers()
        interrupt = None
        try:
            if _STARTUP_ERROR is not None and not debug:
                raise _STARTUP_ERROR
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
                    break
                except KeyboardInterrupt as again:
                    interrupt = interrupt or again
        sys.exit(code)

    def invoke(self, ctx):
        debug = "--debug" in sys.argv[1:]
        interrupt = None
        try:
            return super().invoke(ctx)
        except SalesrulesError as exc:
            if debug:
                raise
            for line in _error_lines(exc):
                click.echo(line, err=True)
            ctx.exit(exc.exit_code)
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
            detail = " ".join(str(exc).split())
            click.echo(f"error: internal error: {type(exc).__name__}: {detail} (run with --debug for details)", err=True)
            ctx.exit(2)
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


def _as_of(ctx, param, value):
    from ..model.dates import parse_date

    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _plugins_dir(ctx, param, value):
    if value:
        from ..plugins import load_plugins

        load_plugins(value)
    return value


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="salesrules")
@click.option("--plugins-dir", type=click.Path(), expose_value=False, is_eager=True, callback=_plugins_dir,
              help="Load every *.py file in this folder as a plugin.")
@click.option("--debug", is_flag=True, expose_value=False, help="Show tracebacks on errors.")
def cli():
    """Evaluate sales methodologies written as YAML rulesets over CRM exports.

    Example:

        salesrules evaluate examples/prospects.csv -r builtin:standard --as-of 2026-11-22
    """


def _load(ref: str, as_of: dt.date | None = None):
    from ..loader.load import load

    return load(ref, as_of)


@cli.command()
@click.argument("file")
@click.option("-r", "--ruleset", "ruleset_ref", required=True, help="Ruleset file, or builtin:NAME.")
@click.option("-f", "--format", "fmt", help="Output format (default: by -o extension; table on a terminal, else csv).")
@click.option("-o", "--output", help="Output file; '-' is standard output.")
@click.option("--as-of", callback=_as_of, help="Evaluate as of this date (YYYY-MM-DD).")
@click.option("--with-input", is_flag=True, help="Carry the input columns through to the output.")
@click.option("--on-error", type=click.Choice(["error", "skip"]), default="error", show_default=True,
              help="A value that cannot be read: stop, or skip the row and write it to the rejects file.")
@click.option("--rejects", help="Where skipped rows go with --on-error skip (default: OUTPUT.rejects.csv or rejects.csv).")
@click.option("--on-duplicate", type=click.Choice(["error", "first", "last"]), default="error", show_default=True,
              help="Two records with the same key: stop, or keep the first or last.")
@click.option("--encoding", help="Text encoding of a CSV input, e.g. latin-1 (default utf-8).")
@click.option("--input-format", help="Input format when the extension does not tell (csv, json, ndjson, parquet, xlsx...).")
@click.option("--explain", is_flag=True, help="Add an 'explain' column: each record's receipt on one line.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar on the terminal.")
def evaluate(file, ruleset_ref, fmt, output, as_of, with_input, on_error, rejects, on_duplicate, encoding, input_format, explain, quiet):
    """Evaluate the prospects in FILE: tier, stage, scores, bands, rank, reasons, actions and gaps.

    On a terminal a progress bar shows on standard error when the work takes more than a
    second (--quiet turns it off). Memory stays bounded for big files: beyond 64 MB the
    results wait in temporary files (SALESRULES_SPILL=auto|always|never).
    """
    import os

    from ..errors import Loc
    from ..io.inputs import STDIN, STDIN_NAME
    from ..io.outputs import (
        OutputContext,
        check_output_path,
        format_for_path,
        write_output,
    )
    from ..io.progress import Progress, enabled_for
    from ..plugins import get_registry
    from ..runners.local import run

    ruleset = _load(ruleset_ref, as_of)
    terminal = output in (None, "-") and sys.stdout.isatty()
    if fmt is None:
        fmt = format_for_path(output, "table" if terminal else "csv")
    _check_format(fmt)
    inputs = [file] + [ruleset.path]
    # Refuse a bad output path before the evaluation, which may take long, not after it.
    check_output_path(output, inputs)
    target = None
    if on_error == "skip":
        target = rejects or (f"{os.path.splitext(output)[0]}.rejects.csv" if output not in (None, "-") else "rejects.csv")
        if output not in (None, "-") and _same_path(target, output):
            raise UsageError("the rejects file would overwrite the output; choose another --rejects path", Loc(target))
        check_output_path(target, inputs)
    writer = get_registry().output_formats[fmt]
    with Progress(enabled=enabled_for(sys.stderr, quiet)) as progress:
        try:
            outcome = run(
                ruleset, file, as_of=as_of, on_error=on_error, on_duplicate=on_duplicate,
                with_input=with_input, encoding=encoding, input_format=input_format, explain=explain,
                lists_as_text=writer.lists_as_text, progress=progress,
            )
        except SalesrulesError as exc:
            if file == STDIN and exc.loc is not None and exc.loc.file == STDIN:
                exc.loc = Loc(STDIN_NAME, exc.loc.line, exc.loc.col)  # a value on standard input: <stdin>, not "-"
            raise
        with outcome:
            context = OutputContext(outcome.plan.provenance, outcome.plan.key, is_terminal=terminal)
            if outcome.rejects is not None and outcome.rejects.height:
                write_output(outcome.rejects, target, "csv", context, inputs)
                progress.close()
                click.echo(f"skipped {outcome.rejects.height} row(s) that could not be read; see {target}", err=True)
            if output in (None, "-"):
                progress.close()  # the results may go to the same terminal
            else:
                progress.phase(f"Writing {outcome.rows:,} results", counted=False)
            write_output(outcome.results, output, fmt, context, inputs)


def _same_path(a: str, b: str) -> bool:
    import os

    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _check_format(fmt: str) -> None:
    from ..plugins import get_registry

    formats = get_registry().output_formats
    if fmt not in formats:
        from ..errors import did_you_mean

        raise UsageError(f"unknown output format {fmt!r}{did_you_mean(fmt, formats)}; known: {', '.join(sorted(formats))}")


@cli.command()
@click.argument("rulesets", nargs=-1, required=True)
def validate(rulesets):
    """Check RULESETS (files or builtin:NAME): schema, extends, names and expression types."""
    from ..errors import InputError

    failed = False
    worst = 0
    for ref in rulesets:
        try:
            ruleset = _load(ref)
        except SalesrulesError as exc:
            if "--debug" in sys.argv[1:]:
                raise
            for line in _error_lines(exc):
                click.echo(line, err=True)
            failed, worst = True, max(worst, 2 if isinstance(exc, InputError) else exc.exit_code)
        else:
            click.echo(f"{ref}: valid ({ruleset.name} {ruleset.version}, hash {ruleset.hash})")
    if failed:
        sys.exit(worst or 1)


@cli.command()
def schema():
    """Print the JSON Schema of the ruleset format."""
    from ..loader.schema import _schema_text

    click.echo(_schema_text(), nl=False)


@cli.command()
@click.argument("file")
@click.option("-o", "--output", help="Write the ruleset here instead of standard output.")
@click.option("--name", help="Name of the new ruleset (default: from the file name).")
@click.option("--encoding", help="Text encoding of a CSV input (default utf-8).")
def init(file, output, name, encoding):
    """Write a starter ruleset for FILE, with field types inferred from its data."""
    from ..io.inputs import ReadOptions, read_table
    from ..scaffold.ruleset import starter_ruleset

    frame = read_table(file, ReadOptions(encoding=encoding or "utf-8"))
    text = starter_ruleset(frame, name or _stem(file), file)
    if output in (None, "-"):
        click.echo(text, nl=False)
        return
    from ..io.outputs import atomic_write_text

    atomic_write_text(output, text, inputs=[file])
    click.echo(f"wrote {output}", err=True)


def _stem(path: str) -> str:
    import re
    from pathlib import Path

    return re.sub(r"[^a-z0-9]+", "-", Path(path).stem.lower()).strip("-") or "ruleset"


@cli.command()
@click.option("--all", "show_all", is_flag=True, help="Include the built-in default plugins.")
@click.option("--hook", help="Only plugins that implement this hook.")
def plugins(show_all, hook):
    """List the installed plugins as JSON: name, version and hooks."""
    from ..plugins import plugin_list

    click.echo(json.dumps(plugin_list(show_all, hook), indent=2))


@cli.command("new-plugin")
@click.argument("name")
@click.option("--dir", "directory", default=".", type=click.Path(file_okay=False), help="Where to create the package.")
def new_plugin(name, directory):
    """Create salesrules-NAME, a working plugin package with a function, a signal, a ruleset and tests."""
    from pathlib import Path

    from ..scaffold.plugin import new_plugin as create

    root = create(name, Path(directory))
    click.echo(f"created {root}; next: pip install -e {root} && pytest {root}")


def main():
    """Entry point for ``python -m salesrules``."""
    cli()


# A plugin that fails while loading is reported as one error line when the command runs.
_STARTUP_ERROR: SalesrulesError | None = None


def _register_commands():
    global _STARTUP_ERROR
    from ..analysis.backtest import backtest_command
    from ..analysis.diff import diff_command
    from ..analysis.explain import explain_command
    from .lint import lint_command
    from ..analysis.testing import test_command
    from ..plugins import load_plugins, pm

    for command in (test_command, lint_command, explain_command, diff_command, backtest_command):
        cli.add_command(command)
    try:
        load_plugins()
        pm.hook.register_commands(cli=cli)
    except SalesrulesError as exc:
        _STARTUP_ERROR = exc
    except Exception as exc:  # an installed plugin is broken: report it, not a traceback
        _STARTUP_ERROR = PluginError(f"a plugin failed to load: {type(exc).__name__}: {' '.join(str(exc).split())}")


if "--version" not in sys.argv[1:2]:
    try:
        _register_commands()
    except KeyboardInterrupt:  # Ctrl-C while starting up
        click.echo("error: interrupted; no output was written", err=True)
        sys.exit(EXIT_INTERRUPTED)
