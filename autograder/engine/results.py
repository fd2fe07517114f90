"""The results of a grading folder: one typed record per student, and the store that owns them.

A :class:`Result` is one entry of report.json. Scores come from the gradebook, exactly as
nbgrader stored them; the message of each test is the error its cell raised in the
autograded notebook (the AssertionError text of the course's checks, which names the
mistake), or "" when it passed.

:class:`ResultStore` is the only code that reads or writes ``.autograder/<assignment>/``:
``record`` writes one student's result file atomically, then journals it (a result file
means "graded, don't redo": a rerun after ``kill -9`` grades each remaining submission
exactly once), ``all`` reads them back, ``report`` writes report.json.
"""

import json
import os
from dataclasses import asdict, dataclass, field

import nbformat
from nbgrader.api import Gradebook

from gpt2ln.grading.report import error_text

from .course import Course


@dataclass(frozen=True)
class TestResult:
    grade_id: str
    points: float | None
    max_points: float
    message: str


@dataclass(frozen=True)
class Result:
    """One student's entry of report.json: ``status`` is "graded" or "failed" (then ``error`` says why)."""

    student: str
    status: str
    score: float | None
    max_score: float | None
    tests: list[TestResult] = field(default_factory=list)
    integrity: list[dict] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Result":
        return cls(**{**data, "tests": [TestResult(**test) for test in data.get("tests", [])]})


@dataclass(frozen=True)
class Recorded:
    """A recorded result and the sha256 of the notebook it graded ("" when nothing was submitted)."""

    hash: str
    result: Result


class ResultStore:
    """The results of one assignment in one grading folder (``.autograder/<assignment>/``)."""

    def __init__(self, course: Course):
        self.course = course
        self.folder = course.state / "results"

    def record(self, result: Result, submission_hash: str) -> None:
        """Write the result atomically, then journal it: a result file means "graded, don't redo"."""
        self.folder.mkdir(parents=True, exist_ok=True)
        result_file = self.folder / f"{result.student}.json"
        temporary = result_file.with_suffix(".tmp")
        temporary.write_text(json.dumps({"hash": submission_hash, "result": result.to_dict()}, indent=1))
        os.replace(temporary, result_file)
        with open(self.course.state / "journal.log", "a") as journal:
            journal.write(f"{result.status} {result.student} {submission_hash}\n")

    def all(self) -> dict[str, Recorded]:
        """student -> their recorded result, sorted by student."""
        if not self.folder.exists():
            return {}
        recorded = {}
        for path in sorted(self.folder.glob("*.json")):
            entry = json.loads(path.read_text())
            recorded[path.stem] = Recorded(entry["hash"], Result.from_dict(entry["result"]))
        return recorded

    def report(self) -> dict:
        """Write report.json (students sorted, no times: the same results give the same bytes) and return it."""
        students = [entry.result.to_dict() for entry in self.all().values()]
        report = {"assignment": self.course.assignment, "students": students}
        temporary = self.course.root / "report.json.tmp"
        temporary.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n")
        os.replace(temporary, self.course.root / "report.json")
        return report


def _messages(notebook_path) -> dict[str, str]:
    messages = {}
    for cell in nbformat.read(notebook_path, as_version=4).cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if not gid or cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        messages[gid] = "; ".join(error_text(o) for o in errors)
    return messages


def graded(course: Course, student: str, integrity: list[dict]) -> Result:
    """A graded student's result, read back from nbgrader's gradebook and the autograded notebook."""
    messages = _messages(course.autograded(student))
    with Gradebook(course.db_url) as gradebook:
        submission = gradebook.find_submission(course.assignment, student)
        tests = []
        for notebook in submission.notebooks:
            for grade in sorted(notebook.grades, key=lambda g: _cell_order(notebook, g.name)):
                message = messages.get(grade.name, "")
                if grade.needs_manual_grade:
                    message = message or "needs manual grading"
                points = None if grade.score is None else round(float(grade.score), 6)
                tests.append(TestResult(grade.name, points, float(grade.max_score), message))
        score, max_score = float(submission.score), float(submission.max_score)
    return Result(student, "graded", round(score, 6), max_score, tests, integrity, None)


def _cell_order(notebook, name: str) -> int:
    names = [cell.name for cell in notebook.notebook.grade_cells]
    return names.index(name) if name in names else len(names)


def failed(student: str, error: str, integrity: list[dict] | None = None, max_score: float | None = None) -> Result:
    return Result(student, "failed", None, max_score, [], integrity or [], error)
