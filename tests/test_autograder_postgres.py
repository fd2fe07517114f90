"""The gradebook in PostgreSQL (``grade --db postgresql://...``, nbgrader's own ``db_url``), on a real server.

The server is Debian's PostgreSQL, started for this module in a temporary folder
(tests/postgres_server.py). A batch grades into it, the grading folder remembers it
(feedback and export read it back), and a batch regrades a class while a teaching assistant
saves manual scores for a written answer into the same gradebook, the way formgrader saves
them; afterwards every manual and every automatic score is there.
"""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.engine.course import Course
from autograder.engine.gradebook import recorded_url
from autograder.sandbox import bwrap
from tests.autograder_fixtures import tiny
from tests.postgres_server import postgres  # noqa: F401 (a fixture)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not bwrap.available(), reason="the sandbox needs bubblewrap, setpriv and root"),
]
ENV = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", OMP_NUM_THREADS="1")
WRITTEN = {"schema_version": 3, "grade": True, "locked": False, "solution": True, "task": False,
           "grade_id": "explain", "points": 2}  # fmt: skip


def write_source(solutions: Path) -> None:
    """tiny, plus a written answer graded by hand (a markdown answer cell with points)."""
    nb = tiny.source_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("Why twice? YOUR ANSWER HERE", metadata={"nbgrader": WRITTEN}))
    path = solutions / tiny.ASSIGNMENT / f"{tiny.ASSIGNMENT}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def grade(out: Path, submissions: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "autograder", "grade", "tiny", str(submissions), "--out", str(out)]
    command += ["--source", str(out.parent / "solutions"), *extra]
    return subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=900)


def release(tmp_path: Path, url: str) -> Course:
    """The grading folder, prepared by grading nobody into the database."""
    write_source(tmp_path / "solutions")
    (tmp_path / "nobody").mkdir()
    run = grade(tmp_path / "out", tmp_path / "nobody", "--db", url)
    assert run.returncode == 0, run.stdout + run.stderr
    return Course(tmp_path / "out", tiny.ASSIGNMENT)


def auto_scores(url: str, students) -> dict:
    with Gradebook(url) as gradebook:
        return {s: {g.name: g.auto_score for g in gradebook.find_submission_notebook("tiny", "tiny", s).grades
                    if g.name.startswith("test")} for s in students}  # fmt: skip


def test_a_batch_grades_into_postgresql_and_the_folder_keeps_it(postgres, tmp_path):  # noqa: F811
    url = postgres.url("keeps")
    course = release(tmp_path, url)
    variants = {"alice": (tiny.RIGHT,), "bob": (tiny.WRONG,)}
    submissions = tiny.write_submissions(tmp_path / "subs", course.release_notebook(), variants)
    run = grade(course.root, submissions, "--workers", "2")  # no --db: the folder remembers its gradebook
    assert run.returncode == 0, run.stdout + run.stderr
    assert recorded_url(course.root) == url and not course.gradebook.exists()
    assert auto_scores(url, variants) == {"alice": {"test_visible": 1.0, "test_hidden": 2.0},
                                          "bob": {"test_visible": 1.0, "test_hidden": 0.0}}  # fmt: skip
    report = json.loads((course.root / "report.json").read_text())
    assert [(s["student"], s["score"], s["max_score"]) for s in report["students"]] == [
        ("alice", 3.0, 5.0),
        ("bob", 1.0, 5.0),
    ]
    csv = (course.root / "grades.csv").read_text()
    assert "alice" in csv and "bob" in csv
    feedback = subprocess.run([sys.executable, "-m", "autograder", "feedback", "tiny", "--out", str(course.root)],
                              env=ENV, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert feedback.returncode == 0, feedback.stderr
    assert (course.root / "feedback" / "bob" / "tiny" / "tiny.html").exists()
    other = grade(course.root, submissions, "--db", postgres.url("another"))
    assert other.returncode != 0 and "grade into another --out folder" in other.stderr


def test_manual_scores_written_while_a_batch_grades_are_all_kept(postgres, tmp_path):  # noqa: F811
    url = postgres.url("concurrent")
    course = release(tmp_path, url)
    students = [f"s{i:02d}" for i in range(6)]
    variants = {s: ("import time\ntime.sleep(1)\n" + (tiny.RIGHT if i % 2 else tiny.WRONG),)
                for i, s in enumerate(students)}  # fmt: skip
    submissions = tiny.write_submissions(tmp_path / "subs", course.release_notebook(), variants)
    assert grade(course.root, submissions, "--workers", "2").returncode == 0  # the written answers now exist
    manual = {s: 0.5 * (i % 5) for i, s in enumerate(students)}
    stop, writes = threading.Event(), []

    def teaching_assistant():  # what formgrader's PUT /formgrader/api/grade/<id> does, over and over
        with Gradebook(url) as gradebook:
            while not stop.is_set():
                for student in students:
                    written = gradebook.find_grade("explain", "tiny", "tiny", student)
                    written.manual_score = manual[student]
                    written.needs_manual_grade = written.manual_score is None and written.auto_score is None
                    gradebook.db.commit()
                    writes.append(time.monotonic())

    assistant = threading.Thread(target=teaching_assistant)
    start = time.monotonic()
    assistant.start()
    try:
        regrade = grade(course.root, submissions, "--workers", "2", "--force")  # the same rows, rewritten
    finally:
        end = time.monotonic()
        stop.set()
        assistant.join()
    assert regrade.returncode == 0, regrade.stdout + regrade.stderr
    assert sum(start < t < end for t in writes) >= len(students), "the manual scores must be written during the batch"
    with Gradebook(url) as gradebook:
        kept = {s: gradebook.find_grade("explain", "tiny", "tiny", s).manual_score for s in students}
        totals = {s: gradebook.find_submission("tiny", s).score for s in students}
    assert kept == manual
    expected = {s: {"test_visible": 1.0, "test_hidden": 2.0 if i % 2 else 0.0} for i, s in enumerate(students)}
    assert auto_scores(url, students) == expected
    assert totals == {s: sum(expected[s].values()) + manual[s] for s in students}


def test_the_folder_records_its_database_and_refuses_another(tmp_path):
    from autograder.engine.gradebook import COURSE_ID, use_database

    root = tmp_path / "out"
    use_database(root, None)
    assert recorded_url(root) is None and not root.exists()  # SQLite stays the default: nothing written
    with pytest.raises(SystemExit, match="not a database URL"):
        use_database(root, "gradebook.db")
    use_database(root, "postgresql://grader@db.example/course")
    use_database(root, "postgresql://grader@db.example/course")  # the same again: fine
    assert recorded_url(root) == "postgresql://grader@db.example/course"
    assert Course(root, "tiny").coursedir().course_id == COURSE_ID
    with pytest.raises(SystemExit, match="grade into another --out folder"):
        use_database(root, "postgresql://grader@db.example/other")
    sqlite_folder = tmp_path / "sqlite"
    sqlite_folder.mkdir()
    (sqlite_folder / "gradebook.db").touch()
    with pytest.raises(SystemExit, match="its SQLite gradebook"):
        use_database(sqlite_folder, "postgresql://grader@db.example/course")
