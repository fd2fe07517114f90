"""The student's install: the wheel, with only its core dependencies, in a fresh venv, runs every notebook.

One fresh venv (``python -m venv``, no system site-packages) gets ``torch==2.13.0`` (as Colab
brings its own torch) and ``ipykernel`` (Colab's and JupyterLab's kernel), and no ``gpt2ln``.
Then, as on Colab:

1. the *release* notebook of 01_layernorm runs there, its answer cells filled with the solution:
   its setup cell finds no ``gpt2ln`` and installs it with pip from the locally built wheel
   (``GPT2LN_PIP_SOURCE``; online it would be the repository, ``gpt2ln.links.pip_source()``),
   which brings the core dependencies; then every test cell passes;
2. every *solution* notebook (hidden tests included) runs there through nbclient: every
   graded test cell passes (full marks).

The notebooks run from a folder outside the repository, so ``import gpt2ln`` can only find the
installed wheel (checked). Data come from the repository's ``data/`` (``GPT2LN_DATA_DIR``,
``TIKTOKEN_CACHE_DIR``), so nothing is downloaded but the packages.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader_helpers import Submission, fill_answers

from autograder.release import assignments
from gpt2ln.grading.release import SETUP_ID
from gpt2ln.paths import REPO_ROOT

pytestmark = pytest.mark.slow

TORCH = "torch==2.13.0"
KERNEL = "ipykernel==7.4.0"
CHECK_INSTALLED = """\
import gpt2ln, sys
assert gpt2ln.__file__.startswith(sys.prefix), f"gpt2ln imported from {gpt2ln.__file__}, not the venv {sys.prefix}"
"""


def pip(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *args], check=True)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    # a copy of the sources, so the build leaves nothing (build/, *.egg-info) in the checkout
    shutil.copytree(REPO_ROOT, build / "src", ignore=lambda folder, names: [
        n for n in names if n == "__pycache__" or n.endswith(".egg-info")
        or (Path(folder) == REPO_ROOT and n not in ("pyproject.toml", "README.md", "gpt2ln", "autograder"))])
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(build / "src")], check=True)
    [path] = out.glob("gpt2ln-*.whl")
    return path


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory) -> Path:
    """A venv with torch and a kernel, and nothing of the course: its python."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip(python, TORCH, KERNEL)
    subprocess.run([str(python), "-m", "ipykernel", "install", "--prefix", str(venv), "--name", "fresh"],
                   check=True, capture_output=True)
    (venv / "etc" / "ipython").mkdir(parents=True)  # as the Makefile: no "running over TCP" warning per kernel
    (venv / "etc" / "ipython" / "ipython_kernel_config.json").write_text('{"IPKernelApp": {"log_level": "ERROR"}}')
    probe = subprocess.run([str(python), "-c", "import gpt2ln"], capture_output=True, cwd=venv)
    assert probe.returncode != 0, "the fresh venv already has gpt2ln"
    return python


def kernel_env(data: Path) -> dict:
    env = dict(os.environ, MPLBACKEND="Agg", GPT2LN_QUICK="1", HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1",
               GPT2LN_DATA_DIR=str(data), TIKTOKEN_CACHE_DIR=str(data / "tiktoken"))
    env.pop("PYTHONPATH", None)
    return env


def run(nb: nbformat.NotebookNode, python: Path, cwd: Path, env: dict) -> nbformat.NotebookNode:
    """Execute a notebook with the fresh venv's kernel; a cell that raises fails the test."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    kernels = KernelSpecManager(kernel_dirs=[str(python.parent.parent / "share" / "jupyter" / "kernels")])
    manager = KernelManager(kernel_name="fresh", kernel_spec_manager=kernels)
    nb.cells.insert(1, nbformat.v4.new_code_cell(CHECK_INSTALLED))  # after the setup cell
    client = NotebookClient(nb, km=manager, timeout=600, resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute(env=env)
    finally:
        if manager.has_kernel:
            manager.shutdown_kernel(now=True)
    return nb


def graded_points(nb: nbformat.NotebookNode) -> tuple[float, float]:
    """(points earned, points possible) over the autograded test cells: a test cell scores when it raised nothing."""
    earned = possible = 0.0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            possible += meta["points"]
            earned += meta["points"] * all(o.output_type != "error" for o in cell.outputs)
    return earned, possible


@pytest.fixture(scope="module")
def installed_by_setup_cell(fresh_venv, wheel, tmp_path_factory) -> Path:
    """Step 1: the release notebook's setup cell installs gpt2ln (from the wheel) into the fresh venv."""
    assignment = assignments()[0]
    nb = nbformat.read(REPO_ROOT / "notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
    assert nb.cells[0].metadata["nbgrader"]["grade_id"] == SETUP_ID
    fill_answers(nb, assignment, Submission())
    env = dict(kernel_env(REPO_ROOT / "data"), GPT2LN_PIP_SOURCE=str(wheel))
    done = run(nb, fresh_venv, tmp_path_factory.mktemp("release_run"), env)
    earned, possible = graded_points(done)
    assert possible > 0 and earned == possible, f"{assignment}: {earned}/{possible} after the setup cell"
    return fresh_venv


def test_core_install_has_no_grading_book_or_dev_tools(installed_by_setup_cell):
    listed = subprocess.run([str(installed_by_setup_cell), "-m", "pip", "list", "--format=freeze"],
                            capture_output=True, text=True, check=True).stdout.lower()
    names = {line.split("==")[0] for line in listed.splitlines()}
    assert {"gpt2ln", "torch", "tiktoken", "numpy", "matplotlib", "tqdm", "transformers"} <= names
    assert not names & {"nbgrader", "jupyter-book", "jupyterlab", "pytest", "ruff", "playwright"}, names
    size = subprocess.run(["du", "-sh", str(installed_by_setup_cell.parent.parent)], capture_output=True, text=True)
    print(f"core install (fresh venv): {size.stdout.split()[0]}")


@pytest.mark.parametrize("assignment", assignments())
def test_solution_notebook_gets_full_marks_in_the_core_install(assignment, installed_by_setup_cell, tmp_path):
    nb = nbformat.read(REPO_ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    done = run(nb, installed_by_setup_cell, tmp_path, kernel_env(REPO_ROOT / "data"))
    earned, possible = graded_points(done)
    assert possible > 0 and earned == possible, f"{assignment}: {earned}/{possible}"
