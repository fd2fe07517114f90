"""grades.csv: nbgrader's CSV export, plus whether each submission was graded at all.

nbgrader writes 0.0 for a submission that failed to grade, which reads like a real zero.
This plugin writes nbgrader's columns, then ``status`` (graded, failed, missing), ``error``
and ``integrity``; a failed submission has empty scores. It is an ordinary nbgrader export
plugin: ``nbgrader export --exporter=autograder.engine.export.StatusCsvExportPlugin`` in a
grading folder gives the same file.
"""

import csv
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin

from .course import Course
from .results import ResultStore

COLUMNS = [
    "assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
    "raw_score", "late_submission_penalty", "score", "max_score", "status", "error", "integrity",
]  # fmt: skip


def _results(root: Path, assignment: str) -> dict[str, dict]:
    return {student: entry.result.to_dict() for student, entry in ResultStore(Course(root, assignment)).all().items()}


class StatusCsvExportPlugin(ExportPlugin):
    def export(self, gradebook: Gradebook) -> None:
        destination = self.to or "grades.csv"
        root = Path(self.root) if getattr(self, "root", None) else Path(self.parent.coursedir.root)
        with open(destination, "w", newline="") as handle:
            writer = csv.DictWriter(handle, COLUMNS)
            writer.writeheader()
            for assignment in sorted(gradebook.assignments, key=lambda a: a.name):
                ours = _results(root, assignment.name)
                students = sorted({s.id for s in gradebook.students} | set(ours))
                for student_id in students:
                    writer.writerow(_row(gradebook, assignment, student_id, ours.get(student_id)))


def _row(gradebook: Gradebook, assignment, student_id: str, result: dict | None) -> dict:
    row = dict.fromkeys(COLUMNS, "")
    row.update(assignment=assignment.name, duedate=assignment.duedate or "", student_id=student_id)
    row["max_score"] = assignment.max_score
    try:
        student = gradebook.find_student(student_id)
        row.update(last_name=student.last_name or "", first_name=student.first_name or "", email=student.email or "")
        submission = gradebook.find_submission(assignment.name, student_id)
    except MissingEntry:
        submission = None
    if result is not None and result["status"] == "failed":
        row.update(status="failed", error=result["error"])
    elif submission is None:
        row.update(status="missing", raw_score=0.0, late_submission_penalty=0.0, score=0.0)
    else:
        penalty = submission.late_submission_penalty or 0.0
        row.update(status="graded", timestamp=submission.timestamp or "", raw_score=submission.score)
        row.update(late_submission_penalty=penalty, score=max(0.0, submission.score - penalty))
    if result is not None:
        row["integrity"] = "; ".join(f"{f['kind']}:{f['cell']}" for f in result.get("integrity", []))
    return row


def export_csv(course: Course, destination: Path | None = None) -> Path:
    destination = destination or course.root / "grades.csv"
    with Gradebook(course.db_url) as gradebook:
        plugin = StatusCsvExportPlugin(to=str(destination))
        plugin.root = course.root
        plugin.export(gradebook)
    return destination
