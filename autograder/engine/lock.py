"""One writer at a time on the gradebook (SQLite), across worker processes.

A worker holds the lock while nbgrader reads and writes the gradebook (intake, saving the
grades) and releases it while the kernel runs the notebook, which is where the time goes.
What nbgrader writes while the lock is held is one transaction, committed before the lock is
released (:func:`autograder.engine.gradebook.begin_phase`).
"""

import fcntl
from pathlib import Path

from . import gradebook

_held: "GradebookLock | None" = None


class GradebookLock:
    def __init__(self, path: Path, db_url: str | None = None):
        self.path, self.db_url = path, db_url
        self.file = None

    def acquire(self) -> None:
        if self.file is None:
            self.file = open(self.path, "a")
            fcntl.flock(self.file, fcntl.LOCK_EX)
            if self.db_url:
                gradebook.begin_phase(self.db_url)

    def release(self) -> None:
        if self.file is not None:
            try:
                if self.db_url:
                    gradebook.end_phase()
            finally:
                fcntl.flock(self.file, fcntl.LOCK_UN)
                self.file.close()
                self.file = None

    def __enter__(self) -> "GradebookLock":
        global _held
        self.acquire()
        _held = self
        return self

    def __exit__(self, *exc) -> None:
        global _held
        self.release()
        _held = None


def held() -> "GradebookLock | None":
    """The lock this process holds now, if any (the executor releases it while the kernel runs)."""
    return _held
