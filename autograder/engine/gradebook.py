"""Which gradebook a grading folder uses: nbgrader's SQLite file (the default) or a shared database.

``grade ... --db postgresql://USER@HOST/DATABASE`` is nbgrader's own ``CourseDirectory.db_url``
(an SQLAlchemy URL; SQLAlchemy 2 reaches PostgreSQL through ``psycopg`` 3, in the ``[grading]``
extra). It is written into the grading folder's ``nbgrader_config.py``, so that every later
command there (``grade`` again, ``feedback``, ``export``, ``nbgrader formgrader``) uses the
same gradebook without repeating it. A folder keeps the gradebook it was first graded into:
its recorded results (``.autograder/``) describe that gradebook, so another ``--db`` is refused.

SQLite has one writer at a time: the workers take turns under a file lock
(:mod:`autograder.engine.lock`) and a teaching assistant saving a score in formgrader waits
for the lock's holder (or fails with "database is locked"). PostgreSQL takes row locks:
workers grading different students and assistants writing manual scores do not wait for
each other, and nbgrader only updates the columns it changed (``auto_score`` when grading,
``manual_score`` in formgrader), so neither overwrites the other.
"""

import ast
import os
import re
from pathlib import Path

from ..profile import current
from .course import CONFIG_TEMPLATE, COURSE_SETTINGS

SETTING = "c.CourseDirectory.db_url = "
# nbgrader's default course_id is "", for which it makes no course row; SQLite does not enforce the foreign key
# from an assignment to its course, PostgreSQL does. One id for the course's gradebook (the profile's [course] id),
# all assignments in it.
COURSE_ID = current().id
_LINE = re.compile(r"^c\.CourseDirectory\.db_url = (.*)$", re.MULTILINE)


def is_sqlite(db_url: str) -> bool:
    return db_url.startswith("sqlite:")


def recorded_url(root: Path) -> str | None:
    """The db_url a grading folder's nbgrader_config.py sets, or None (nbgrader's SQLite default)."""
    config = root / "nbgrader_config.py"
    match = _LINE.search(config.read_text()) if config.exists() else None
    return ast.literal_eval(match.group(1)) if match else None


def settings(db_url: str) -> str:
    """The lines of a grading folder's nbgrader_config.py that name its database."""
    return f"{SETTING}{db_url!r}\nc.CourseDirectory.course_id = {COURSE_ID!r}\n"


def use_database(root: Path, db_url: str | None) -> None:
    """Make the grading folder ``root`` use ``db_url`` (None: keep what it uses; new folders use SQLite).

    Raises SystemExit, with what to do, when the folder was graded into another gradebook.
    """
    if db_url is None:
        return
    if not re.match(r"^[a-z][a-z0-9+]*://", db_url):
        raise SystemExit(f"--db {db_url!r} is not a database URL (e.g. postgresql://user@host/gradebook)")
    config = root / "nbgrader_config.py"
    was = recorded_url(root)
    if was == db_url:
        return
    if was is not None or (root / "gradebook.db").exists():
        raise SystemExit(
            f"{root} was graded into {'its SQLite gradebook' if was is None else was!s}; "
            f"grade into another --out folder to use {db_url}"
        )
    root.mkdir(parents=True, exist_ok=True)
    text = config.read_text() if config.exists() else CONFIG_TEMPLATE.format(settings=str(COURSE_SETTINGS))
    config.write_text(text + settings(db_url))


def has_assignment(db_url: str, assignment: str) -> bool:
    """Whether the gradebook exists and knows the assignment (without creating an SQLite file)."""
    if is_sqlite(db_url) and not Path(db_url.removeprefix("sqlite:///")).exists():
        return False
    from nbgrader.api import Gradebook, MissingEntry

    try:
        with Gradebook(db_url) as gradebook:
            gradebook.find_assignment(assignment)
        return True
    except MissingEntry:
        return False


class _DeferredCommits:
    """A DB-API connection whose ``commit``, ``rollback`` and ``close`` wait for :func:`end_phase`.

    nbgrader opens a new ``Gradebook`` (a new engine, a new connection) a dozen times per
    submission and commits after almost every row, about 30 commits, each an ``fsync`` of the
    SQLite file (~20 ms on this machine's disk) made while the worker holds the gradebook. In a
    phase every ``Gradebook`` of the process gets this one connection, so the phase's writes are
    one transaction, committed (or, when the commit fails, rolled back) at its end.
    """

    def __init__(self, connection):
        object.__setattr__(self, "connection", connection)

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __getattr__(self, name):
        return getattr(self.connection, name)

    def __setattr__(self, name, value) -> None:
        setattr(self.connection, name, value)


_engines: dict = {}  # (pid, url) -> (the engine, the connection under it): one of each per process
_phase: str | None = None  # the url whose writes are one transaction now


def _engine(url, **kwargs):
    """nbgrader's ``create_engine``: inside a phase, the process's one engine on the shared connection."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import StaticPool

    if _phase is None or str(url) != _phase:
        return create_engine(url, **kwargs)
    key = (os.getpid(), _phase)  # a forked worker makes its own
    if key not in _engines:
        holder: list = []

        def connect():
            if not holder:
                args, options = engine.dialect.create_connect_args(engine.url)
                holder.append(_DeferredCommits(engine.dialect.connect(*args, **options)))
            return holder[0]

        engine = create_engine(url, poolclass=StaticPool, creator=connect, pool_reset_on_return=None, **kwargs)
        _engines[key] = (engine, holder)
    return _engines[key][0]


def begin_phase(db_url: str) -> None:
    """From now until :func:`end_phase`, nbgrader's writes to an SQLite ``db_url`` in this process are one
    transaction. (A PostgreSQL gradebook keeps nbgrader's own transactions: its server takes row locks and
    does not ``fsync`` a file per commit in the worker, and psycopg accepts only its own connection class.)"""
    global _phase
    import nbgrader.api

    if not is_sqlite(db_url):
        return
    nbgrader.api.create_engine = _engine
    _phase = db_url


def end_phase() -> None:
    """Commit the phase's writes (roll them back if the commit fails, and raise)."""
    global _phase
    entry, _phase = _engines.get((os.getpid(), _phase)), None
    if entry is None or not entry[1]:
        return
    connection = entry[1][0].connection
    try:
        connection.commit()
    except Exception:
        connection.rollback()
        raise
