"""Regenerate the student notebooks (``notebooks/``) from the source notebooks (``solutions/``).

``nbgrader generate_assignment`` strips the solutions, hides the hidden tests and records
checksums. It runs from the repository root with the course's ``nbgrader_config.py``; the
gradebook it needs is a throw-away SQLite file, so no ``gradebook.db`` is left behind.

    python -m gpt2ln.grading.release                 # all assignments into notebooks/
    python -m gpt2ln.grading.release --into DIR      # somewhere else (the staleness test)
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

import nbformat

from ..paths import REPO_ROOT

SOURCE = REPO_ROOT / "solutions"
RELEASE = REPO_ROOT / "notebooks"
# Metadata that changes from run to run or machine to machine, ignored when comparing releases.
VOLATILE_METADATA = ("execution", "collapsed", "scrolled", "trusted")


def assignments(source: Path = SOURCE) -> list[str]:
    """The assignment ids: every folder of ``solutions/`` that holds ``<id>/<id>.ipynb``."""
    return sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").exists())


def nbgrader_env() -> dict:
    """nbgrader runs ``alembic`` as a subprocess: the interpreter's ``bin/`` must come first on PATH."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def release(names: list[str] | None = None, into: Path = RELEASE, quiet: bool = True) -> list[Path]:
    """``nbgrader generate_assignment`` for each assignment, in one process; return the notebooks written.

    The course's ``nbgrader_config.py`` is loaded as nbgrader would load it, then pointed at a
    temporary gradebook and at ``into``.
    """
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    into = Path(into).resolve()
    os.environ["PATH"] = nbgrader_env()["PATH"]
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO_ROOT)).load_config()
        config.CourseDirectory.root = str(REPO_ROOT)
        config.CourseDirectory.db_url = f"sqlite:///{tmp}/gradebook.db"
        config.CourseDirectory.release_directory = str(into)
        if quiet:
            config.Application.log_level = "WARN"
        api = NbGraderAPI(config=config)
        for name in names or assignments():
            result = api.generate_assignment(name, force=True)
            if not result["success"]:
                raise RuntimeError(f"nbgrader generate_assignment {name} failed:\n{result['log']}\n{result['error']}")
            written.append(into / name / f"{name}.ipynb")
    return written


def normalised(path: Path) -> dict:
    """A notebook as a dict without volatile metadata, for comparing two releases."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for key in VOLATILE_METADATA:
            cell.metadata.pop(key, None)
        cell.pop("id", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def stale(release_dir: Path = RELEASE) -> list[str]:
    """The assignments whose committed release notebook differs from a fresh ``generate_assignment``."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = release(into=Path(tmp))
        return [p.parent.name for p in fresh
                if not (release_dir / p.parent.name / p.name).exists()
                or normalised(p) != normalised(release_dir / p.parent.name / p.name)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: all in solutions/)")
    parser.add_argument("--into", type=Path, default=RELEASE, help="release folder (default: notebooks/)")
    parser.add_argument("--check", action="store_true", help="only report whether notebooks/ is stale")
    args = parser.parse_args(argv)
    if args.check:
        outdated = stale(args.into)
        print("stale: " + ", ".join(outdated) if outdated else "notebooks/ is up to date")
        return 1 if outdated else 0
    for path in release(args.assignments or None, into=args.into):
        print(f"wrote {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
