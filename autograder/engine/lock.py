"""One writer at a time on the gradebook (SQLite), across worker processes.

A worker holds the lock while nbgrader reads and writes the gradebook (intake, saving the
grades) and releases it while the kernel runs the notebook, which is where the time goes.
"""

import fcntl
from pathlib import Path

_held: "GradebookLock | None" = None


class GradebookLock:
    def __init__(self, path: Path):
        self.path = path
        self.file = None

    def acquire(self) -> None:
        if self.file is None:
            self.file = open(self.path, "a")
            fcntl.flock(self.file, fcntl.LOCK_EX)

    def release(self) -> None:
        if self.file is not None:
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
