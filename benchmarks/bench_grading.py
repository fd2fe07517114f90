"""Benchmark: ``python -m autograder grade --workers 2`` against plain ``nbgrader autograde``.

Both grade the same N submissions (default 40; a mix of right and wrong) of the same
assignment on this machine in one run, and the ratio of wall times is printed. The assignment
is ``03_blocks`` when ``solutions/03_blocks`` exists (right/wrong submissions from
``tests/submissions/03_blocks`` when the notebooks engineer has made them, else the release
notebook with the reference answers and with one of them broken), and the tiny fixture
assignment otherwise (``--assignment tiny``). Scores of the two runs are compared too.

The machine may be shared: the two sides alternate (``--rounds``, plain first in odd rounds,
ours first in even ones), each round on fresh copies, the ratio is that of the summed times,
and the load average is printed beside each time. The floor is the notebooks' own compute:
every distinct submission, as graded (hidden tests included), run again in one warm kernel
(imports done), summed over the N submissions and divided by the workers.

    python benchmarks/bench_grading.py [--count 40] [--workers 2] [--rounds 2] [--assignment 03_blocks]
"""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from tqdm import tqdm

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.engine.course import Course, prepare  # noqa: E402
from tests.autograder_fixtures import tiny  # noqa: E402

ENV = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def library_notebooks(assignment: str, release: Path) -> list:
    """The notebooks engineer's right and wrong submissions (tests/submissions), as notebooks."""
    sys.path.insert(0, str(REPO / "tests"))
    try:
        from nbgrader_helpers import solution_answers
        from submissions import LIBRARY
    except ImportError:
        return []
    if assignment not in LIBRARY:
        return []
    module, notebooks = LIBRARY[assignment], []
    for submission in [*module.RIGHT.values(), *module.WRONG.values()]:
        answers = solution_answers(assignment)
        for grade_id, edits in submission.patches.items():
            for old, new in edits:
                answers[grade_id] = answers[grade_id].replace(old, new)
        answers.update(submission.answers)
        nb = nbformat.read(release, as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and meta.get("grade_id") in answers:
                cell.source = answers[meta["grade_id"]]
        notebooks.append(nb)
    return notebooks


def submissions_for(assignment: str, course: Course, folder: Path, count: int) -> Path:
    """count submissions, cycling through the right and wrong ones available."""
    if assignment == tiny.ASSIGNMENT:
        variants = [(tiny.RIGHT,), (tiny.WRONG,)]
        for i in range(count):
            tiny.write_submissions(folder, course.release_notebook(), {f"student{i:03d}": variants[i % 2]})
        return folder
    notebooks = library_notebooks(assignment, course.release_notebook())
    notebooks = notebooks or [nbformat.read(course.source_notebook(), as_version=4)]  # the reference: all right
    for i in range(count):
        target = folder / f"student{i:03d}" / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebooks[i % len(notebooks)], target)
    return folder


def plain_scores(gradebook: Path) -> dict[str, float]:
    query = (
        "select a.student_id, sum(coalesce(g.auto_score, 0)) from grade g "
        "join submitted_notebook n on g.notebook_id=n.id "
        "join submitted_assignment a on n.assignment_id=a.id group by a.student_id"
    )
    with sqlite3.connect(gradebook) as db:
        return {student: float(score) for student, score in db.execute(query).fetchall()}


def floor_seconds(out: Path, assignment: str, submissions: Path) -> float:
    """The notebooks' own compute: each distinct submission's autograded notebook run in one warm kernel."""
    from jupyter_client.manager import start_new_kernel
    from nbclient import NotebookClient

    by_content: dict[bytes, list[str]] = {}
    for notebook in sorted(submissions.glob(f"*/{assignment}.ipynb")):
        by_content.setdefault(notebook.read_bytes(), []).append(notebook.parent.name)
    km, kc = start_new_kernel(kernel_name="python3", env=dict(ENV, OMP_NUM_THREADS="1"))
    try:
        total, warm = 0.0, False
        for students in tqdm(by_content.values(), desc="floor (warm kernel)", unit="notebook"):
            path = out / "autograded" / students[0] / assignment / f"{assignment}.ipynb"
            runs = 2 if not warm else 1  # the first run imports; time the second
            for _ in range(runs):
                nb = nbformat.read(path, as_version=4)
                start = time.monotonic()
                NotebookClient(nb, km=km, allow_errors=True, timeout=600).execute(cleanup_kc=False)
                seconds = time.monotonic() - start
            warm = True
            total += seconds * len(students)
        return total
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run_plain(pristine: Path, submissions: Path, work: Path, assignment: str) -> tuple[float, dict]:
    """``nbgrader autograde`` in a fresh copy of the prepared course folder."""
    plain = work / "plain"
    shutil.rmtree(plain, ignore_errors=True)
    shutil.copytree(pristine, plain)
    for notebook in sorted(submissions.glob(f"*/{assignment}.ipynb")):
        target = plain / "submitted" / notebook.parent.name / assignment
        target.mkdir(parents=True)
        shutil.copy(notebook, target / notebook.name)
    start = time.monotonic()
    subprocess.run(["nbgrader", "autograde", assignment], cwd=plain, env=ENV, check=True, capture_output=True)
    return time.monotonic() - start, plain_scores(plain / "gradebook.db")


def run_ours(pristine: Path, course: Course, submissions: Path, solutions: Path, workers: int) -> tuple[float, dict]:
    """``python -m autograder grade`` in a fresh copy of the prepared course folder."""
    shutil.rmtree(course.root, ignore_errors=True)
    shutil.copytree(pristine, course.root)
    command = [sys.executable, "-m", "autograder", "grade", course.assignment, str(submissions)]
    command += ["--out", str(course.root), "--source", str(solutions), "--workers", str(workers)]
    start = time.monotonic()
    subprocess.run(command, env=ENV, capture_output=True)
    seconds = time.monotonic() - start
    report = json.loads((course.root / "report.json").read_text())
    return seconds, {s["student"]: s["score"] for s in report["students"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each side (default 2)")
    default = "03_blocks" if (REPO / "solutions" / "03_blocks").is_dir() else tiny.ASSIGNMENT
    parser.add_argument("--assignment", default=default)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    solutions = REPO / "solutions"
    if args.assignment == tiny.ASSIGNMENT:
        solutions = work / "solutions"
        tiny.write_source(solutions)
    course = Course(work / "ours", args.assignment)
    prepare(course, solutions)
    submissions = submissions_for(args.assignment, course, work / "submissions", args.count)
    pristine = work / "prepared"
    shutil.copytree(course.root, pristine)

    n, times, same = args.count, {"plain": [], "ours": []}, True
    for round_ in range(args.rounds):
        order = ("plain", "ours") if round_ % 2 == 0 else ("ours", "plain")
        scores = {}
        for side in order:
            load = os.getloadavg()[0]
            if side == "plain":
                seconds, scores[side] = run_plain(pristine, submissions, work, args.assignment)
            else:
                seconds, scores[side] = run_ours(pristine, course, submissions, solutions, args.workers)
            times[side].append(seconds)
            print(f"round {round_ + 1} {side:5s}: {seconds:7.1f} s ({seconds / n:.2f} s per submission), "
                  f"load average {load:.1f} at its start", flush=True)
        same = same and scores["plain"] == scores["ours"]
    floor = floor_seconds(course.root, args.assignment, submissions) / args.workers
    plain_seconds, our_seconds = sum(times["plain"]), sum(times["ours"])
    print(f"assignment {args.assignment}, {n} submissions, {os.cpu_count()} CPUs, {args.rounds} rounds")
    print(f"nbgrader autograde:            {plain_seconds / args.rounds:7.1f} s per run "
          f"({plain_seconds / args.rounds / n:.2f} s per submission)")
    print(f"autograder --workers {args.workers}:       {our_seconds / args.rounds:7.1f} s per run "
          f"({our_seconds / args.rounds / n:.2f} s per submission)")
    print(f"floor (the notebooks' compute in a warm kernel, on {args.workers} workers): {floor:7.1f} s "
          f"({floor / n:.2f} s per submission)")
    print(f"ratio: {plain_seconds / our_seconds:.1f}x   scores identical: {same}")
    print("scores:", sorted(scores["ours"].values()))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
