"""Grading on many machines: the submissions go to a Dask distributed cluster, the results come back.

``grade A SUBMISSIONS --cluster tcp://scheduler:8786`` hands each staged submission to the
cluster as one task; Dask's scheduler places it, and reschedules it when the worker holding
it dies (``distributed.scheduler.allowed-failures`` times, 3 by default; then ``KilledWorker``,
recorded as ``failed``). The submitting process records each result as it comes back
(:meth:`autograder.engine.results.ResultStore.record`), so resume semantics are the local pool's: a
result is recorded once, by one process, and a rerun grades only what is not recorded.

On each worker, :class:`Sandboxes` (a Dask ``WorkerPlugin``) adds an executor of grading
processes, one per worker thread, each starting its own sandbox and fork server once, as the
local pool's workers do; the tasks run in it (``dask.annotate(executor=...)``). A grading
process lives in a mount namespace of its own (its run folder is a private tmpfs) and dies
with its Dask worker (``PR_SET_PDEATHSIG``); its sandbox uid is the first free slot on the
machine (a ``flock`` held for the process's life), so several Dask workers on one machine
never share a uid.

What a worker needs, and where the gradebook is:

* every worker machine has the same course installed (``pip install -e ".[grading]"`` of the
  same commit, ``python -m gpt2ln.fetch all``), bubblewrap, and runs as root; the plugin
  carries a sha256 of the submitter's ``gpt2ln`` and ``autograder`` sources and a worker whose
  own differ refuses it (``grade`` stops and names the worker) rather than grade with other checks;
* SQLite gradebook (the default): the workers grade in the grading folder itself, as the
  local pool does, so they must see it at the same path (workers on the grading machine, or
  a shared filesystem); a worker that cannot fails the submission and says to use ``--db``;
* a database gradebook (``--db postgresql://...``, :mod:`autograder.engine.gradebook`): the
  task carries the release and submitted notebooks, the worker grades in a scratch folder,
  nbgrader writes the scores straight into the shared gradebook, and the autograded notebook
  comes back with the result and is written into the grading folder (for ``feedback``).
  Nothing but the database is shared, so the database URL must reach it from every worker.
"""

import ctypes
import fcntl
import hashlib
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import uuid
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from ..profile import current
from ..release import nbgrader_env
from ..sandbox import bwrap
from ..sandbox.kernels import ForkServer
from . import results
from .batch import FIRST_SANDBOX_UID
from .course import CONFIG_TEMPLATE, COURSE_SETTINGS, Course
from .gradebook import is_sqlite, settings
from .results import ResultStore
from .worker import fingerprint, grade_submission

EXECUTOR = "autograder"  # the executor's name on each Dask worker
FIRST_CLUSTER_UID = FIRST_SANDBOX_UID + 1000  # apart from the local pool's uids, on a machine that runs both
SLOTS = 256
_sandbox: ForkServer | None = None
_slot_lock = None


@dataclass(frozen=True)
class Job:
    """One submission, as a task: all a worker needs that is not installed on it."""

    root: str  # the grading folder on the submitting machine
    assignment: str
    student: str
    submission_hash: str
    cell_timeout: int
    db_url: str
    files: dict[str, bytes] = field(default_factory=dict)  # path in the course folder -> bytes (database mode)


def package_fingerprint() -> str:
    """sha256 over the course package and the autograder sources (what decides a grade besides the notebook)."""
    digest = hashlib.sha256()
    for folder in (current().package_dir(), Path(__file__).resolve().parents[1]):  # the course's, the autograder's
        for path in sorted([*folder.rglob("*.py"), *folder.glob("*.toml")]):
            digest.update(f"{folder.name}/{path.relative_to(folder)}".encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def claim_slot() -> int:
    """The first sandbox slot no other grading process on this machine holds; held until this process exits."""
    global _slot_lock
    folder = Path(tempfile.gettempdir()) / "autograder-slots"
    folder.mkdir(exist_ok=True)
    for slot in range(SLOTS):
        handle = open(folder / f"{slot}.lock", "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        _slot_lock = handle
        return slot
    raise RuntimeError(f"all {SLOTS} sandbox slots of this machine are taken")


def start_sandbox(run_root: Path, limits: bwrap.Limits) -> None:
    """A grading process's initializer: die with the Dask worker, then start this process's sandbox."""
    global _sandbox
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    os.environ["PATH"] = nbgrader_env()["PATH"]  # nbgrader's alembic
    slot = claim_slot()
    _sandbox = ForkServer(run_root / f"s{slot}", FIRST_CLUSTER_UID + slot, limits).__enter__()


class SandboxPool(Executor):
    """A process pool of sandboxed grading processes that replaces itself when one of them dies."""

    def __init__(self, size: int, limits: bwrap.Limits):
        self.size, self.limits = size, limits
        self.run_root = Path(tempfile.mkdtemp(prefix="autograder-"))  # short: unix socket paths have 107 bytes
        self.pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # spawn, not fork: a Dask worker is multi-threaded
        return ProcessPoolExecutor(self.size, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=start_sandbox, initargs=(self.run_root, self.limits))  # fmt: skip

    def submit(self, fn, /, *args, **kwargs):
        try:
            return self.pool.submit(fn, *args, **kwargs)
        except BrokenProcessPool:  # a grading process died (its task erred): start afresh for the next
            self.pool.shutdown(wait=False)
            self.pool = self._start()
            return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)
        shutil.rmtree(self.run_root, ignore_errors=True)


class Sandboxes(WorkerPlugin):
    """Gives a Dask worker the executor its grading tasks run in: one sandboxed process per worker thread."""

    name = "autograder-sandboxes"

    def __init__(self, limits: bwrap.Limits):
        self.limits, self.package = limits, package_fingerprint()  # the submitter's

    def setup(self, worker) -> None:
        if package_fingerprint() != self.package:
            raise RuntimeError(f"{socket.gethostname()}: its gpt2ln/autograder sources differ from the submitter's; "
                               "install the same commit on every worker")
        if not bwrap.available():
            raise RuntimeError(f"{socket.gethostname()}: grading needs root, bubblewrap and setpriv")
        if multiprocessing.current_process().daemon:
            raise RuntimeError(f"{socket.gethostname()}: this Dask worker cannot start grading processes (a daemon); "
                               "start the workers with DASK_DISTRIBUTED__WORKER__DAEMON=False")
        self.pool = SandboxPool(worker.state.nthreads, self.limits)
        worker.executors[EXECUTOR] = self.pool

    def teardown(self, worker) -> None:
        if worker.executors.get(EXECUTOR) is self.pool:
            del worker.executors[EXECUTOR]
        self.pool.shutdown(wait=False)


def grade_job(job: Job) -> dict:
    """Grade one submission in this worker's sandbox: ``{"result": ...}``, plus the autograded notebook's
    bytes in database mode (``"autograded"``). Never raises for a bad submission."""
    if not job.files:
        course = Course(Path(job.root), job.assignment)
        staged = course.submitted(job.student)
        if not staged.exists() or fingerprint(staged) != job.submission_hash:
            reason = (f"worker {socket.gethostname()} cannot see the grading folder {job.root} (an SQLite gradebook "
                      "is graded in place): give the workers a shared database with --db postgresql://...")  # fmt: skip
            return {"result": results.failed(job.student, reason)}
        return {"result": grade_submission(course, job.student, job.cell_timeout)}
    scratch = Path(tempfile.mkdtemp(prefix="autograder-job-"))
    try:
        course = Course(scratch, job.assignment)
        for relative, data in job.files.items():
            (scratch / relative).parent.mkdir(parents=True, exist_ok=True)
            (scratch / relative).write_bytes(data)
        config = CONFIG_TEMPLATE.format(settings=str(COURSE_SETTINGS)) + settings(job.db_url)
        (scratch / "nbgrader_config.py").write_text(config)
        course.state.mkdir(parents=True)
        outcome = {"result": grade_submission(course, job.student, job.cell_timeout)}
        if course.autograded(job.student).exists():
            outcome["autograded"] = course.autograded(job.student).read_bytes()
        return outcome
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def make_job(course: Course, student: str, submission_hash: str, cell_timeout: int, db_url: str) -> Job:
    files = {}
    if not is_sqlite(db_url):  # ship what the worker cannot see: the release and the staged submission
        for folder in (course.release_notebook().parent, course.submitted(student).parent):
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                files[str(path.relative_to(course.root))] = path.read_bytes()
    return Job(str(course.root), course.assignment, student, submission_hash, cell_timeout, db_url, files)


def grade_on_cluster(course: Course, todo: dict, address: str, limits, cell_timeout: int, progress) -> dict:
    """Grade ``todo`` (student -> notebook hash) on the Dask cluster at ``address``; record each result here.

    Returns what could not be graded (nothing: a task that failed on the cluster is recorded as failed).
    """
    import dask
    from distributed import Client, as_completed

    db_url = course.db_url
    batch = uuid.uuid4().hex[:8]
    try:
        client = Client(address, timeout="30s")
    except OSError as error:
        raise SystemExit(f"no Dask scheduler at {address}: {error}") from error
    with client:
        try:
            client.register_plugin(Sandboxes(limits))
        except Exception as error:  # a worker that cannot grade: say which and why, grade nothing
            raise SystemExit(f"a Dask worker could not start its sandboxes: {error}") from error
        if not client.scheduler_info()["workers"]:
            print(f"no Dask worker has joined {address} yet: waiting for one", file=sys.stderr)
        futures = {}
        with dask.annotate(executor=EXECUTOR):
            for student, submission_hash in sorted(todo.items()):
                job = make_job(course, student, submission_hash, cell_timeout, db_url)
                # retries: a grading process that died (the task raised BrokenProcessPool) gets two more, as locally
                futures[client.submit(grade_job, job, key=f"grade-{batch}-{student}", retries=2)] = student
        for future in as_completed(futures):
            student = futures[future]
            try:
                outcome = future.result()
            except Exception as error:  # KilledWorker: it took down its workers allowed-failures times
                reason = f"grading failed on the cluster: {type(error).__name__}: {str(error)[:300]}"
                outcome = {"result": results.failed(student, reason)}
            if "autograded" in outcome:
                course.autograded(student).parent.mkdir(parents=True, exist_ok=True)
                course.autograded(student).write_bytes(outcome["autograded"])
            ResultStore(course).record(outcome["result"], todo[student])
            progress.update()
            future.release()
    return {}
