"""Grading a whole class: N workers, each with its own sandbox, resumable after ``kill -9``.

Every submission ends as ``graded`` or ``failed`` (with a reason) in report.json; a submission
whose result is already recorded (same notebook bytes) is not graded again, so running the
same command after a crash grades each remaining submission exactly once.
"""

import ctypes
import multiprocessing
import shutil
import signal
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from tqdm import tqdm

from ..sandbox import bwrap
from ..sandbox.kernels import ForkServer
from . import results
from .course import Course, find_submissions, prepare, stage
from .gradebook import use_database
from .results import ResultStore
from .worker import fingerprint, grade_submission

FIRST_SANDBOX_UID = 61000  # each worker's kernels run as their own unprivileged uid

_fork_server: ForkServer | None = None


def _init_worker(course: Course, counter, limits: bwrap.Limits, run_root: Path) -> None:
    """Start this worker's sandbox; die with the parent (a killed batch leaves nothing running)."""
    global _fork_server
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    with counter.get_lock():
        index = counter.value
        counter.value += 1
    _fork_server = ForkServer(run_root / f"w{index}", FIRST_SANDBOX_UID + index, limits).__enter__()


def _grade(course: Course, student: str, submission_hash: str, cell_timeout: int) -> results.Result:
    result = grade_submission(course, student, cell_timeout)
    ResultStore(course).record(result, submission_hash)
    return result


def missing_reason(submissions: Path, student: str, assignment: str) -> str:
    """Why a student's folder gave no notebook, naming the notebooks that are there instead."""
    folder = submissions.resolve()
    folder = folder / "submitted" / student if (folder / "submitted").is_dir() else folder / student
    notebooks = [p for p in folder.rglob("*.ipynb") if p.is_file() and ".ipynb_checkpoints" not in p.parts]
    others = sorted(str(p.relative_to(folder)) for p in notebooks)
    found = f" (found {', '.join(others[:5])}{', ...' if len(others) > 5 else ''}: rename it)" if others else ""
    return f"no {assignment}.ipynb in the submission folder{found}"


def grade_class(
    assignment: str,
    submissions: Path,
    out: Path,
    source_dir: Path,
    workers: int = 1,
    force: bool = False,
    limits: bwrap.Limits | None = None,
    cell_timeout: int = 30,
    cluster: str | None = None,
    db: str | None = None,
) -> dict:
    """Grade every submission; ``cluster``: a Dask scheduler's address (engine/cluster.py), ``db``: nbgrader's
    db_url for the gradebook (engine/gradebook.py; default: the folder's SQLite file)."""
    if cluster is None and not bwrap.available():
        raise SystemExit("grading runs submissions in a sandbox: it needs root, bubblewrap and setpriv")
    course = Course(out.resolve(), assignment)
    use_database(course.root, db)
    prepare(course, source_dir.resolve())
    found = find_submissions(submissions.resolve(), assignment)
    store = ResultStore(course)
    done = store.all()
    todo: dict[str, str] = {}
    for student, notebook in found.items():
        if notebook is None:
            if student not in done:
                store.record(results.failed(student, missing_reason(submissions, student, assignment)), "")
            continue
        submission_hash = fingerprint(notebook)
        if not force and student in done and done[student].hash == submission_hash:
            continue
        stage(course, student, notebook)
        todo[student] = submission_hash

    progress = tqdm(total=len(todo), desc=f"grading {assignment}", unit="submission", disable=not todo)
    # unix socket paths are limited to 107 bytes: the kernels' run folders live in a short temporary path
    run_root = Path(tempfile.mkdtemp(prefix="autograder-"))
    try:
        if cluster:
            from .cluster import grade_on_cluster

            remaining = grade_on_cluster(course, todo, cluster, limits or bwrap.Limits(), cell_timeout, progress)
        else:
            remaining = _grade_all(course, todo, workers, limits or bwrap.Limits(), cell_timeout, run_root, progress)
    finally:
        shutil.rmtree(run_root, ignore_errors=True)
    for student, submission_hash in remaining.items():  # never lose anyone
        failure = results.failed(student, "the grading worker died repeatedly on this submission")
        store.record(failure, submission_hash)
    progress.close()
    report = store.report()
    from .export import export_csv

    export_csv(course)
    return report


def _grade_all(course, todo: dict, workers: int, limits, cell_timeout: int, run_root: Path, progress) -> dict:
    """Grade ``todo`` (student -> notebook hash) on a pool of workers; return what could not be graded."""
    remaining = dict(todo)
    for _attempt in range(3):  # a worker that died takes its pool down: start a new pool for the rest
        if not remaining:
            break
        counter = multiprocessing.get_context("fork").Value("i", 0)
        try:
            with ProcessPoolExecutor(
                max_workers=max(1, min(workers, len(remaining))),
                mp_context=multiprocessing.get_context("fork"),
                initializer=_init_worker,
                initargs=(course, counter, limits, run_root),
            ) as pool:
                futures = {pool.submit(_grade, course, s, h, cell_timeout): s for s, h in sorted(remaining.items())}
                for future in as_completed(futures):
                    future.result()
                    remaining.pop(futures[future])
                    progress.update()
        except BrokenProcessPool:
            continue
    return remaining
