"""``release``: the student notebooks (the profile's release folder, ``notebooks/``) from the source
notebooks (``solutions/``), with nbgrader's ``generate_assignment``.

nbgrader strips the solutions, hides the hidden tests and records checksums. It runs with the
course's nbgrader settings; the gradebook it needs is a throw-away SQLite file, so no
``gradebook.db`` is left behind. The assignments are the folders of ``solutions/`` that hold
``<id>/<id>.ipynb``. Before nbgrader sees them, the source notebooks (copied to a temporary
folder) go through the course's own ``release_transform`` from the profile (for this course
:func:`gpt2ln.grading.release.with_links`: the setup cell and the book's addresses).

    python -m autograder release                     # all assignments into notebooks/
    python -m autograder release 03_blocks --into DIR
    python -m autograder release --check             # exit 1 when notebooks/ is stale
"""

import importlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from .engine.course import COURSE_SETTINGS
from .profile import current

# Metadata that changes from run to run or machine to machine, ignored when comparing releases.
VOLATILE_METADATA = ("execution", "collapsed", "scrolled", "trusted")


def assignments() -> list[str]:
    """The assignment ids: every folder of the profile's ``solutions`` that holds ``<id>/<id>.ipynb``."""
    return current().assignment_ids()


def nbgrader_env() -> dict:
    """nbgrader runs ``alembic`` as a subprocess: the interpreter's ``bin/`` must come first on PATH."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _transform():
    """The profile's ``release_transform`` (``module:function``, notebook -> notebook), or None."""
    spec = current().release_transform
    if not spec:
        return None
    module, _, function = spec.partition(":")
    return getattr(importlib.import_module(module), function)


def transformed_sources(names: list[str], into: Path) -> None:
    """Copy each assignment folder of ``solutions`` into ``into``, with the course's transform applied."""
    transform = _transform()
    for name in names:
        shutil.copytree(current().solutions / name, into / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        notebook = into / name / f"{name}.ipynb"
        if transform is not None:
            nbformat.write(transform(nbformat.read(notebook, as_version=4)), notebook)


def release(names: list[str] | None = None, into: Path | None = None, quiet: bool = True) -> list[Path]:
    """``nbgrader generate_assignment`` for each assignment, in one process; return the notebooks written.

    The course's nbgrader settings (``autograder/nbgrader_config.py``, which the root's
    ``nbgrader_config.py`` includes) are loaded as nbgrader would load them, then pointed at a
    temporary gradebook, at a transformed temporary copy of ``solutions/``, and at ``into``.
    """
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    profile = current()
    into = Path(into or profile.release).resolve()
    os.environ["PATH"] = nbgrader_env()["PATH"]
    written = []
    names = names or assignments()
    with tempfile.TemporaryDirectory() as tmp:
        transformed_sources(names, Path(tmp) / "source")
        config = PyFileConfigLoader(COURSE_SETTINGS.name, path=str(COURSE_SETTINGS.parent)).load_config()
        config.CourseDirectory.root = str(profile.root)
        config.CourseDirectory.db_url = f"sqlite:///{tmp}/gradebook.db"
        config.CourseDirectory.source_directory = str(Path(tmp) / "source")
        config.CourseDirectory.release_directory = str(into)
        if quiet:
            config.Application.log_level = "WARN"
        api = NbGraderAPI(config=config)
        for name in names:
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


def stale(release_dir: Path | None = None) -> list[str]:
    """The assignments whose committed release notebook differs from a fresh ``generate_assignment``."""
    release_dir = Path(release_dir or current().release)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = release(into=Path(tmp))
        return [p.parent.name for p in fresh
                if not (release_dir / p.parent.name / p.name).exists()
                or normalised(p) != normalised(release_dir / p.parent.name / p.name)]
