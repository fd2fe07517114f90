"""Grading one submission in a long-lived worker process, with nbgrader's own converter.

``nbgrader autograde`` pays ~2 s of start-up per invocation and ~1.5 s per fresh kernel; a
worker imports nbgrader once, keeps a sandboxed fork server of warm kernels, and runs
nbgrader's Autograde converter for one student at a time (the same preprocessors, plus the
intake repair first and the sandboxed, robust executor). Every failure is caught and becomes
``status: failed`` with a reason, so the batch never stops.
"""

import hashlib
import logging
import os
import traceback
import warnings
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbconvert.writers import FilesWriter
from nbgrader.api import Gradebook
from nbgrader.converters import Autograde
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from . import results
from .course import Course
from .execute import SandboxedExecute
from .intake import RepairSubmission
from .lock import GradebookLock


class BatchAutograde(Autograde):
    """nbgrader's Autograde with the intake repair first and the sandboxed executor."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.sanitize_preprocessors = [
            RepairSubmission,
            ClearOutput,
            DeduplicateIds,
            OverwriteKernelspec,
            OverwriteCells,
            CheckCellMetadata,
        ]
        self.autograde_preprocessors = [
            SandboxedExecute,
            IgnorePattern,
            ClearMetadataPreprocessor,
            LimitOutput,
            SaveAutoGrades,
            AssignLatePenalties,
            CheckCellMetadata,
        ]
        self.collected: dict = {}

    def write_single_notebook(self, output, resources) -> None:
        self.collected.update(resources.get("autograder", {}))
        super().write_single_notebook(output, resources)

    def grade(self, student: str) -> None:
        """nbgrader's convert_notebooks for one student, letting exceptions out (the caller records them)."""
        self.init_notebooks()
        self.writer = FilesWriter(parent=self, config=self.config)
        self.exporter = self.exporter_class(parent=self, config=self.config)
        (folder,) = self.assignments
        self.notebooks = sorted(self.assignments[folder])
        self.init_destination(self.coursedir.assignment_id, student)
        self.init_assignment(self.coursedir.assignment_id, student)
        for notebook in self.notebooks:
            self.convert_single_notebook(notebook)
        self.set_permissions(self.coursedir.assignment_id, student)


MAX_NOTEBOOK_BYTES = 32 * 2**20  # bigger is saved outputs (the grader clears them), not code: refused unread


def fingerprint(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _max_score(course: Course) -> float | None:
    try:
        with Gradebook(course.db_url) as gradebook:
            return float(gradebook.find_assignment(course.assignment).max_score)
    except Exception:
        return None


def grade_submission(course: Course, student: str, cell_timeout: int = 30) -> results.Result:
    """Grade one staged submission; returns its result (the caller records it, :class:`.results.ResultStore`)."""
    path = course.submitted(student)
    if not path.exists():
        return results.failed(student, f"no {course.assignment}.ipynb was submitted", max_score=_max_score(course))
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        reason = (
            f"the notebook is {size / 2**20:.1f} MB, over the {MAX_NOTEBOOK_BYTES >> 20} MB limit "
            "(usually saved outputs: clear them with Edit > Clear Outputs of All Cells, save, submit again)"
        )
        return results.failed(student, reason, max_score=_max_score(course))
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as error:  # corrupt JSON, or not a notebook at all
        first_line = (str(error).splitlines() or [""])[0][:200]
        reason = f"the notebook could not be read ({type(error).__name__}: {first_line}): not a Jupyter notebook file"
        return results.failed(student, reason, max_score=_max_score(course))
    config = course.config()
    config.RepairSubmission.release_notebook = str(course.release_notebook())
    config.Execute.timeout = cell_timeout  # per cell, as nbgrader's (default 30 s)
    converter = BatchAutograde(coursedir=course.coursedir(student), config=config)
    converter.force = True
    log = []
    converter.log.handlers = []
    converter.log.addHandler(_ListHandler(log))
    warnings.filterwarnings("ignore", module="nbgrader")  # SQLAlchemy's session warnings from nbgrader's API
    cwd = os.getcwd()
    os.chdir(course.root)
    try:
        with GradebookLock(course.state / "gradebook.lock", converter.coursedir.db_url):
            converter.grade(student)
            flags = converter.collected.get("integrity", []) + converter.collected.get("runtime_integrity", [])
            return results.graded(course, student, flags)
    except Exception as error:
        errors = [line for line in log if line.startswith("ERROR")]
        reason = f"{type(error).__name__}: {error}".strip()
        detail = errors[-1] if errors else traceback.format_exc().strip().splitlines()[-1]
        flags = converter.collected.get("integrity")
        return results.failed(student, f"grading failed: {reason} ({detail[:300]})", flags, _max_score(course))
    finally:
        os.chdir(cwd)


class _ListHandler(logging.Handler):
    """Keeps nbgrader's warnings and errors, to give a failure its reason."""

    def __init__(self, lines: list):
        super().__init__(logging.WARNING)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname}: {record.getMessage()}")
