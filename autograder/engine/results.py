"""One student's result (an entry of report.json), read back from nbgrader's gradebook.

Scores come from the gradebook, exactly as nbgrader stored them; the message of each test is
the error its cell raised in the autograded notebook (the AssertionError text of the course's
checks, which names the mistake), or "" when it passed.
"""

import nbformat
from nbgrader.api import Gradebook

from gpt2ln.grading.report import error_text

from .course import Course


def _messages(notebook_path) -> dict[str, str]:
    messages = {}
    for cell in nbformat.read(notebook_path, as_version=4).cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if not gid or cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        messages[gid] = "; ".join(error_text(o) for o in errors)
    return messages


def graded(course: Course, student: str, integrity: list[dict]) -> dict:
    messages = _messages(course.autograded(student))
    with Gradebook(course.db_url) as gradebook:
        submission = gradebook.find_submission(course.assignment, student)
        tests = []
        for notebook in submission.notebooks:
            for grade in sorted(notebook.grades, key=lambda g: _cell_order(notebook, g.name)):
                message = messages.get(grade.name, "")
                if grade.needs_manual_grade:
                    message = message or "needs manual grading"
                tests.append(
                    {
                        "grade_id": grade.name,
                        "points": None if grade.score is None else round(float(grade.score), 6),
                        "max_points": float(grade.max_score),
                        "message": message,
                    }
                )
        score, max_score = float(submission.score), float(submission.max_score)
    return {
        "student": student,
        "status": "graded",
        "score": round(score, 6),
        "max_score": max_score,
        "tests": tests,
        "integrity": integrity,
        "error": None,
    }


def _cell_order(notebook, name: str) -> int:
    names = [cell.name for cell in notebook.notebook.grade_cells]
    return names.index(name) if name in names else len(names)


def failed(student: str, error: str, integrity: list[dict] | None = None, max_score: float | None = None) -> dict:
    return {
        "student": student,
        "status": "failed",
        "score": None,
        "max_score": max_score,
        "tests": [],
        "integrity": integrity or [],
        "error": error,
    }
