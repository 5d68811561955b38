"""Hostile output paths: a missing directory, the input itself, no permission, a full disk.

A failure is exit 2 and one ``error: OUT: ...`` line; the existing output is byte-identical, the
inputs are untouched and no temporary file is left in the output directory.
"""

from __future__ import annotations

import errno
import os
import stat
import threading

import pytest
from hostile_helpers import AS_OF, PRECIOUS, fails, run

import salesrules.io.outputs as outputs

FORMATS = {"csv": ".csv", "json": ".json", "ndjson": ".ndjson", "parquet": ".parquet", "xlsx": ".xlsx",
           "markdown": ".md", "table": ".txt"}


def test_a_missing_directory(ws):
    out = ws.root / "no" / "such" / "out.csv"
    ws.fails(2, f"{out}: ", f"output directory '{ws.root / 'no' / 'such'}' does not exist", out=out)


def test_a_file_in_place_of_a_directory(ws):
    out = ws.data / "out.csv"
    ws.fails(2, f"{out}: ", f"'{ws.data}' is not a directory", out=out)


def test_the_output_is_a_directory(ws):
    (ws.root / "results").mkdir()
    ws.fails(2, f"{ws.root / 'results'}: ", "the output path is a directory", out=ws.root / "results", extra=("-f", "csv"))


@pytest.mark.parametrize("how", ["the same path", "a relative spelling", "a symlink", "a hard link"])
def test_the_output_may_never_be_the_input(ws, how, monkeypatch):
    monkeypatch.chdir(ws.root)
    out = {"the same path": ws.data, "a relative spelling": "./sub/../data.csv"}.get(how)
    if how == "a relative spelling":
        (ws.root / "sub").mkdir()
    if how == "a symlink":
        out = ws.root / "link.csv"
        out.symlink_to(ws.data)
    if how == "a hard link":
        out = ws.root / "hard.csv"
        os.link(ws.data, out)
    ws.fails(2, f"{out}: ", f"the output would overwrite the input file {ws.data}", out=out)


def test_the_output_may_never_be_the_ruleset(ws):
    ws.fails(2, f"{ws.ruleset}: ", f"the output would overwrite the input file {ws.ruleset}", out=ws.ruleset,
             extra=("-f", "csv"))


def test_the_rejects_may_never_be_the_input(ws):
    data = ws.write("bad.csv", "Opportunity ID,Amount\nA,1\nB,12abc\n")
    ws.fails(2, f"{data}: ", "the output would overwrite the input file", data=data,
             extra=("--on-error", "skip", "--rejects", data))


def test_the_rejects_may_never_be_the_output(ws):
    data = ws.write("bad.csv", "Opportunity ID,Amount\nA,1\nB,12abc\n")
    ws.fails(2, f"{ws.out}: ", "the rejects file would overwrite the output", data=data,
             extra=("--on-error", "skip", "--rejects", ws.out))


def test_the_default_rejects_file_sits_next_to_the_output(ws):
    (ws.root / "v1.2").mkdir()
    data = ws.write("bad.csv", "Opportunity ID,Amount\nA,1\nB,12abc\n")
    out = ws.root / "v1.2" / "results"
    outcome = run("evaluate", data, "-r", ws.ruleset, "-o", out, "-f", "csv", "--on-error", "skip")
    assert outcome.code == 0, outcome.output
    assert sorted(os.listdir(ws.root / "v1.2")) == ["results", "results.rejects.csv"]


@pytest.mark.parametrize("args, fragment", [
    (["-o", "out.xls"], "unknown output file extension '.xls'"),
    (["-o", "out"], "no file extension; known:"),
    (["-f", "exel"], "unknown output format 'exel'"),
])
def test_unknown_output_formats(ws, args, fragment, monkeypatch):
    monkeypatch.chdir(ws.root)
    fails(2, "evaluate", ws.data, "-r", ws.ruleset, "--as-of", AS_OF, *args, fragments=[fragment],
          protect=ws.protected(), dirs=[ws.root])


def test_no_permission(ws):
    if os.geteuid() != 0:
        locked = ws.root / "locked"
        locked.mkdir()
        (locked / "out.csv").write_bytes(PRECIOUS)
        locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
        try:
            out = locked / "out.csv"
            fails(2, "evaluate", ws.data, "-r", ws.ruleset, "-o", out, where=f"{out}: ",
                  fragments=["cannot write the output: permission denied"], protect=[out, ws.data], dirs=[locked])
        finally:
            locked.chmod(stat.S_IRWXU)
        return
    # As root permissions do not stop a write; sysfs refuses new files even to root.
    out = "/sys/salesrules-hostile-out.csv"
    if not os.path.isdir("/sys") or os.path.exists(out):
        pytest.skip("no sysfs to stand in for a directory without write permission")
    fails(2, "evaluate", ws.data, "-r", ws.ruleset, "-o", out, where=f"{out}: ",
          fragments=["cannot write the output: permission denied"], protect=ws.protected(), dirs=["/sys"])


class FullDisk:
    """A stream that takes ``room`` bytes and then fails like a full disk (after a partial write)."""

    def __init__(self, inner, room: int = 64):
        self.inner, self.room = inner, room

    def write(self, data):
        if len(data) > self.room:
            self.inner.write(data[: self.room])
            self.room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self.inner.write(data)

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.inner.close()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_full_disk_while_writing(ws, fmt, monkeypatch):
    opened = outputs._open_stream
    monkeypatch.setattr(outputs, "_open_stream", lambda fd, binary: FullDisk(opened(fd, binary)))
    out = ws.write("out" + FORMATS[fmt], PRECIOUS)
    ws.fails(2, f"{out}: ", "cannot write the output: no space left on device", out=out, extra=("-f", fmt))


@pytest.mark.parametrize("call", ["fsync", "replace"])
def test_a_full_disk_when_syncing_or_renaming(ws, call, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(outputs.os, call, full)
    ws.fails(2, f"{ws.out}: ", "cannot write the output: no space left on device")


def test_a_full_disk_on_standard_output(ws, monkeypatch):
    import click.testing

    original = click.testing.CliRunner.isolation

    def full_stdout(self, *args, **kwargs):
        context = original(self, *args, **kwargs)

        class Wrapped:
            def __enter__(inner):
                streams = context.__enter__()
                import sys

                sys.stdout = FullDisk(sys.stdout, room=10)
                return streams

            def __exit__(inner, *exc):
                return context.__exit__(*exc)

        return Wrapped()

    monkeypatch.setattr(click.testing.CliRunner, "isolation", full_stdout)
    fails(2, "evaluate", ws.data, "-r", ws.ruleset, "-f", "json", where="<stdout>: ",
          fragments=["cannot write the output: no space left on device"], protect=ws.protected(), dirs=[ws.root])


def test_a_named_pipe_is_written_into_not_replaced(ws):
    fifo = ws.root / "pipe.csv"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    outcome = run("evaluate", ws.data, "-r", ws.ruleset, "-o", fifo, "--as-of", AS_OF, protect=ws.protected())
    reader.join(10)
    assert outcome.code == 0, outcome.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode), "the named pipe was replaced by a file"
    assert received and received[0].startswith(b"id,tier,")
    assert [n for n in os.listdir(ws.root) if n.endswith(".tmp")] == []


def test_a_successful_run_replaces_the_output_and_keeps_its_mode(ws):
    ws.out.chmod(0o640)
    outcome = run("evaluate", ws.data, "-r", ws.ruleset, "-o", ws.out, "--as-of", AS_OF, protect=[ws.data, ws.ruleset])
    assert outcome.code == 0
    assert ws.out.read_bytes().startswith(b"id,tier,") and stat.S_IMODE(ws.out.stat().st_mode) == 0o640
    assert sorted(os.listdir(ws.root)) == ["data.csv", "out.csv", "rules.yaml"]
