"""Grading on a Dask cluster (``grade --cluster``): a scheduler and two worker processes on this machine,
started here as an instructor would start them (``dask scheduler``, ``dask worker --nworkers 2``).

The cluster grades like the local pool (same scores, the same report), and a worker killed with
``kill -9`` in the middle of a batch loses nothing: its submission is graded by the other
worker (or by the one its nanny restarts), and every submission is recorded exactly once.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.engine.course import Course
from autograder.sandbox import bwrap
from tests.autograder_fixtures import tiny
from tests.autograder_fixtures.local_dask import ENV, LocalDask
from tests.postgres_server import postgres  # noqa: F401 (a fixture)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not bwrap.available(), reason="the sandbox needs bubblewrap, setpriv and root"),
]
SLOW = "import time\ntime.sleep(1.5)\n"


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    cluster = LocalDask(tmp_path_factory.mktemp("dask"))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture()
def course(tmp_path):
    return tiny.prepared_course(tmp_path)


def grade(course: Course, submissions: Path, address: str, *extra: str, **kwargs) -> subprocess.Popen:
    command = [sys.executable, "-m", "autograder", "grade", "tiny", str(submissions), "--out", str(course.root)]
    command += ["--source", str(course.root.parent / "solutions"), "--cluster", address, *extra]
    return subprocess.Popen(command, env=ENV, **kwargs)


def journal(course: Course) -> list[str]:
    path = course.state / "journal.log"
    return [line.split()[1] for line in path.read_text().splitlines()] if path.exists() else []


def test_cluster_grades_as_the_local_pool_does(dask_cluster, course, tmp_path):
    variants = {"alice": (tiny.RIGHT,), "bob": (tiny.WRONG,), "carl": ("def double(x):\n    return x",)}
    submissions = tiny.write_submissions(tmp_path / "subs", course.release_notebook(), variants)
    variants["dora"] = "{not a notebook"
    (submissions / "dora").mkdir()
    (submissions / "dora" / "tiny.ipynb").write_text(variants["dora"])
    run = grade(course, submissions, dask_cluster.address, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = run.communicate(timeout=600)
    assert run.returncode == 1, out + err  # dora failed to grade: the exit code says so, the batch went on
    report = json.loads((course.root / "report.json").read_text())
    assert [(s["student"], s["status"], s["score"]) for s in report["students"]] == [
        ("alice", "graded", 3.0),
        ("bob", "graded", 1.0),
        ("carl", "graded", 0.0),
        ("dora", "failed", None),
    ]
    assert "could not be read" in report["students"][3]["error"]
    assert "double must handle negatives" in report["students"][1]["tests"][1]["message"]
    assert sorted(journal(course)) == sorted(variants)
    for student in ("alice", "bob", "carl"):  # graded in place: the autograded notebooks are in the folder
        assert course.autograded(student).exists()
    rerun = grade(course, submissions, dask_cluster.address, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    rerun.communicate(timeout=600)
    assert sorted(journal(course)) == sorted(variants), "a rerun grades nothing already recorded"


def test_a_worker_killed_mid_batch_loses_nothing_and_grades_nothing_twice(dask_cluster, course, tmp_path):
    variants = {f"s{i:02d}": (SLOW + (tiny.RIGHT if i % 2 else tiny.WRONG),) for i in range(8)}
    submissions = tiny.write_submissions(tmp_path / "subs", course.release_notebook(), variants)
    batch = grade(course, submissions, dask_cluster.address, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and len(journal(course)) < 2:
        time.sleep(0.1)
    victim, held = dask_cluster.busy_worker()
    while not held and time.monotonic() < deadline:  # between two tasks: ask again
        victim, held = dask_cluster.busy_worker()
    os.kill(victim, signal.SIGKILL)  # the Dask worker process, with the submission it is grading
    graded_at_kill = journal(course)
    lost = {key.rsplit("-", 1)[1] for key in held} - set(graded_at_kill)  # keys are grade-<batch>-<student>
    out, err = batch.communicate(timeout=600)
    assert len(graded_at_kill) < 8 and lost, "the kill must land in the middle of the batch, on a busy worker"
    assert batch.returncode == 0, out + err
    assert sorted(journal(course)) == sorted(variants)  # each exactly once: none lost, none duplicated
    report = json.loads((course.root / "report.json").read_text())
    assert [s["student"] for s in report["students"]] == sorted(variants)
    assert [s["score"] for s in report["students"]] == [3.0 if i % 2 else 1.0 for i in range(8)]
    assert all(s["status"] == "graded" for s in report["students"] if s["student"] in lost)  # graded elsewhere
    with sqlite3.connect(course.gradebook) as db:
        assert db.execute("select count(*) from submitted_assignment").fetchone()[0] == 8
    assert victim not in dask_cluster.worker_pids().values()


def test_with_a_database_gradebook_the_workers_need_only_the_database(dask_cluster, postgres, course, tmp_path):  # noqa: F811
    """--db: the task carries the notebooks, the worker grades in its own scratch folder and nbgrader writes
    into the shared gradebook; the autograded notebook comes back to the grading folder."""
    url = postgres.url("cluster")
    database_course = Course(tmp_path / "db_out", tiny.ASSIGNMENT)
    variants = {"alice": (tiny.RIGHT,), "bob": (tiny.WRONG,)}
    submissions = tiny.write_submissions(tmp_path / "subs", course.release_notebook(), variants)
    run = grade(database_course, submissions, dask_cluster.address, "--db", url,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0, out + err
    report = json.loads((database_course.root / "report.json").read_text())
    assert [(s["student"], s["score"]) for s in report["students"]] == [("alice", 3.0), ("bob", 1.0)]
    assert not database_course.gradebook.exists()  # no SQLite file: the scores are in PostgreSQL
    with Gradebook(url) as gradebook:
        assert {s: gradebook.find_submission("tiny", s).score for s in variants} == {"alice": 3.0, "bob": 1.0}
    for student in variants:  # written here by the submitter, from the bytes the worker sent back
        graded = nbformat.read(database_course.autograded(student), as_version=4)
        assert any(o.get("output_type") == "error" for c in graded.cells for o in c.get("outputs", [])) == (
            student == "bob")
