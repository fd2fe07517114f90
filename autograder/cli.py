"""The command line: release, grade, feedback, export, check."""

import argparse
import os
import sys
from pathlib import Path

from .profile import current


def _grade(args) -> int:
    from .engine.batch import grade_class

    out = args.out or Path("grading") / args.assignment
    report = grade_class(args.assignment, args.submissions, out, args.source, args.workers, args.force,
                          cell_timeout=args.cell_timeout, cluster=args.cluster, db=args.db)
    failed = [s for s in report["students"] if s["status"] == "failed"]
    graded = len(report["students"]) - len(failed)
    print(f"{graded} graded, {len(failed)} failed; report: {out / 'report.json'}, grades: {out / 'grades.csv'}")
    for student in failed:
        print(f"  FAILED {student['student']}: {student['error']}", file=sys.stderr)
    return 1 if failed else 0


def _feedback(args) -> int:
    from .engine.feedback import generate_feedback

    out = args.out or Path("grading") / args.assignment
    for note in generate_feedback(out, args.assignment):
        print(f"  {note}", file=sys.stderr)
    print(f"feedback: {out / 'feedback'}")
    return 0


def _export(args) -> int:
    from .engine.course import Course
    from .engine.export import export_csv

    out = args.out or Path("grading") / args.assignment
    print(export_csv(Course(out.resolve(), args.assignment), args.to))
    return 0


def _check(args) -> int:
    from .check import check_notebook

    return check_notebook(args.notebook, timeout=args.timeout)


def _release(args) -> int:
    from .release import release, stale

    if args.check:
        outdated = stale(args.into)
        print("stale: " + ", ".join(outdated) if outdated else "the release notebooks are up to date")
        return 1 if outdated else 0
    for path in release(args.assignments or None, into=args.into, update_catalogs=args.update_catalogs):
        print(f"wrote {path}")
    return 0


def _skip_rfc3987_syntax() -> None:
    """jsonschema (which nbformat imports) imports ``rfc3987_syntax`` when it is installed (jupyter's tools
    bring it here), and that compiles 38 lark grammars: ~3 s of CPU in every process. Neither nbformat's
    schema nor nbgrader's uses the formats it checks, so the autograder does without it."""
    sys.modules.setdefault("rfc3987_syntax", None)


def main(argv: list[str] | None = None) -> int:
    _skip_rfc3987_syntax()
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"  # nbgrader's alembic
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    release = commands.add_parser("release", help="generate notebooks/ from solutions/ (nbgrader generate_assignment)")
    release.add_argument("assignments", nargs="*", help="assignment ids (default: every one in solutions/)")
    release.add_argument("--into", type=Path, help="the release folder (default: the profile's, notebooks/)")
    release.add_argument("--check", action="store_true", help="only say whether the release folder is stale")
    release.add_argument("--update-catalogs", action="store_true",
                         help="merge the English Markdown cells into the translation catalogs first")
    release.set_defaults(run=_release)

    grade = commands.add_parser("grade", help="grade a folder of submissions")
    grade.add_argument("assignment")
    grade.add_argument("submissions", type=Path, help="SUBMISSIONS/<student>/<assignment>.ipynb or nbgrader's layout")
    grade.add_argument("--workers", type=int, default=1)
    grade.add_argument("--out", type=Path, help="the grading folder (default: grading/ASSIGNMENT)")
    grade.add_argument("--source", type=Path, default=current().solutions,
                       help="the nbgrader source folder (default: the course profile's)")
    grade.add_argument("--force", action="store_true", help="grade again submissions already graded")
    grade.add_argument("--cell-timeout", type=int, default=30, help="seconds per cell (nbgrader's default: 30)")
    grade.add_argument("--cluster", metavar="ADDRESS",
                       help="grade on a Dask cluster (its scheduler, e.g. tcp://host:8786) instead of --workers")
    grade.add_argument("--db", metavar="URL", help="nbgrader's db_url for the gradebook, e.g. "
                       "postgresql://user@host/gradebook (default: OUT/gradebook.db, SQLite); kept by the folder")
    grade.set_defaults(run=_grade)

    for name, run, text in (("feedback", _feedback, "feedback HTML"), ("export", _export, "grades.csv")):
        command = commands.add_parser(name, help=f"write {text} for a graded assignment")
        command.add_argument("assignment")
        command.add_argument("--out", type=Path, help="the grading folder (default: grading/ASSIGNMENT)")
        if name == "export":
            command.add_argument("--to", type=Path, help="the CSV file (default: OUT/grades.csv)")
        command.set_defaults(run=run)

    check = commands.add_parser("check", help="run a notebook's visible tests; exit 1 when one fails")
    check.add_argument("notebook", type=Path)
    check.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    check.set_defaults(run=_check)

    args = parser.parse_args(argv)
    return args.run(args)
