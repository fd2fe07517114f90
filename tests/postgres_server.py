"""A throw-away PostgreSQL server for the tests: Debian's ``postgresql`` binaries, a fresh cluster.

``initdb`` refuses to run as root, so the cluster belongs to the ``postgres`` user (created by
the Debian package) and runs as that user (``runuser``); it listens on a unix socket only,
in its own temporary folder, and is stopped and deleted afterwards. The tests skip, with the
reason, where the binaries are missing (``.ci/run`` installs ``postgresql``).
"""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))


def missing() -> str | None:
    """Why no test server can start here, or None."""
    if not BINARIES:
        return "PostgreSQL is not installed (Debian: apt-get install postgresql; .ci/run does)"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "no postgres user to run the server as (the Debian package creates it)"
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        return "starting a throw-away PostgreSQL server as its own user needs root and runuser"
    return None


def _as_postgres(*argv: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, capture_output=True, timeout=120)


class Server:
    """A running cluster; ``url(name)`` makes a database and returns its SQLAlchemy URL (unix socket; SQLAlchemy 2
    reaches ``postgresql://`` through psycopg 3)."""

    def __init__(self):
        self.bin = BINARIES[-1].parent
        self.folder = Path(tempfile.mkdtemp(prefix="pg-"))  # short: a socket path has at most 107 bytes
        shutil.chown(self.folder, "postgres", "postgres")
        self.data = self.folder / "data"
        _as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-c listen_addresses='' -c unix_socket_directories={self.folder} -c max_connections=200 -F"
        _as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-l",
                     str(self.folder / "log"), "start")  # fmt: skip

    def url(self, database: str) -> str:
        import psycopg

        with psycopg.connect(dbname="postgres", user="postgres", host=str(self.folder), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{database}"')  # outside a transaction, hence autocommit
        return f"postgresql://postgres@/{database}?host={self.folder}"

    def stop(self) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / "pg_ctl"), "-D", str(self.data),
                        "-m", "immediate", "stop"], capture_output=True, timeout=120)  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres():
    reason = missing()
    if reason:
        pytest.skip(reason)
    server = Server()
    try:
        yield server
    finally:
        server.stop()
