"""Benchmark: ``grade --cluster`` on a Dask cluster on this machine, against ``grade --workers`` (the local pool).

Starts ``dask scheduler`` and ``dask worker --nworkers N --nthreads 1`` here (as an instructor
would on each machine), grades the same COUNT submissions (default 200, the right and wrong
ones of bench_grading.py) on it, then with the local pool of N workers unless ``--no-pool``,
and prints both times and whether the scores agree. On one machine the cluster adds only
its messaging to the local pool's work; on many machines it adds their cores.

    python benchmarks/bench_cluster.py [--count 200] [--workers 2] [--assignment 03_blocks] [--no-pool]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_grading import submissions_for  # noqa: E402

from autograder.engine.course import Course, prepare  # noqa: E402
from tests.autograder_fixtures import tiny  # noqa: E402
from tests.autograder_fixtures.local_dask import ENV, LocalDask  # noqa: E402


def timed_grade(assignment: str, submissions: Path, out: Path, solutions: Path, *how: str) -> tuple[float, dict]:
    command = [sys.executable, "-m", "autograder", "grade", assignment, str(submissions), "--out", str(out)]
    start = time.monotonic()
    subprocess.run([*command, "--source", str(solutions), *how], env=ENV, capture_output=True)
    seconds = time.monotonic() - start
    report = json.loads((out / "report.json").read_text())
    return seconds, {s["student"]: (s["status"], s["score"]) for s in report["students"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    default = "03_blocks" if (REPO / "solutions" / "03_blocks").is_dir() else tiny.ASSIGNMENT
    parser.add_argument("--assignment", default=default)
    parser.add_argument("--no-pool", action="store_true", help="time the cluster only")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    solutions = REPO / "solutions"
    if args.assignment == tiny.ASSIGNMENT:
        solutions = work / "solutions"
        tiny.write_source(solutions)
    course = Course(work / "cluster", args.assignment)
    prepare(course, solutions)  # both folders start prepared: only the grading is timed
    shutil.copytree(course.root, work / "pool")
    submissions = submissions_for(args.assignment, course, work / "submissions", args.count)

    cluster = LocalDask(work, workers=args.workers)
    try:
        cluster_seconds, cluster_scores = timed_grade(args.assignment, submissions, course.root, solutions,
                                                      "--cluster", cluster.address)  # fmt: skip
    finally:
        cluster.stop()
    n = args.count
    print(f"assignment {args.assignment}, {n} submissions, {os.cpu_count()} CPUs, {args.workers} Dask workers")
    print(f"grade --cluster:    {cluster_seconds:7.1f} s  ({cluster_seconds / n:.2f} s per submission)")
    print("graded:", sum(status == "graded" for status, _ in cluster_scores.values()), "of", n)
    if not args.no_pool:
        pool_seconds, pool_scores = timed_grade(args.assignment, submissions, work / "pool", solutions,
                                                "--workers", str(args.workers))  # fmt: skip
        print(f"grade --workers {args.workers}:  {pool_seconds:7.1f} s  ({pool_seconds / n:.2f} s per submission)")
        print(f"scores identical: {cluster_scores == pool_scores}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
