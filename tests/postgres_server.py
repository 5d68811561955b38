"""A throwaway PostgreSQL server for the tests: initdb and pg_ctl in a temporary directory,
listening on a unix socket only, run as a non-root user (initdb refuses root).

The superuser ``salesrules`` has a password (scram-sha-256 authentication), so the tests can
check both a right and a wrong one. The server is stopped when the context exits.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from contextlib import contextmanager

USER = "salesrules"
PASSWORD = "s3cret-Pa55"


def find_binaries() -> str | None:
    """The directory holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    candidates = [os.path.dirname(p) for p in (shutil.which("initdb"),) if p]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for directory in candidates:
        real = os.path.realpath(os.path.join(directory, "initdb"))
        if os.access(real, os.X_OK) and os.access(os.path.join(os.path.dirname(real), "pg_ctl"), os.X_OK):
            return os.path.dirname(real)
    return None


def _as_user(command: list[str], user: str | None) -> list[str]:
    return command if user is None else ["runuser", "-u", user, "--", *command]


@contextmanager
def postgres_server():
    """Start a server; yields ``(socket_directory, port)``."""
    binaries = find_binaries()
    if binaries is None:
        raise RuntimeError("PostgreSQL is not installed (Debian package postgresql)")
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        try:
            pwd.getpwnam(user)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", user], check=True)
    root = tempfile.mkdtemp(prefix="sr-pg-")
    os.chmod(root, 0o755)
    data, sockets = os.path.join(root, "data"), os.path.join(root, "s")
    os.mkdir(sockets)
    pwfile = os.path.join(root, "pw")
    with open(pwfile, "w") as stream:
        stream.write(PASSWORD + "\n")
    if user is not None:
        info = pwd.getpwnam(user)
        for path in (root, sockets, pwfile):
            os.chown(path, info.pw_uid, info.pw_gid)
    port = 5433 + os.getpid() % 1000
    log = os.path.join(root, "log")
    try:
        subprocess.run(
            _as_user([f"{binaries}/initdb", "-D", data, "-U", USER, "--pwfile", pwfile, "-A", "scram-sha-256",
                      "-E", "UTF8", "--locale", "C", "--no-sync"], user),
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        options = f"-k {sockets} -c listen_addresses='' -p {port} -c fsync=off"
        subprocess.run(
            _as_user([f"{binaries}/pg_ctl", "-D", data, "-o", options, "-l", log, "-w", "-t", "60", "start"], user),
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        yield sockets, port
    finally:
        subprocess.run(_as_user([f"{binaries}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], user),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)


def url(sockets: str, port: int, database: str = "postgres", password: str | None = PASSWORD) -> str:
    """A libpq URI to the server on its unix socket."""
    auth = USER if password is None else f"{USER}:{password}"
    return f"postgresql://{auth}@/{database}?host={sockets}&port={port}"
