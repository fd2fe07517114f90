"""One environment, three ways in: pyproject.toml (pip, the Makefile), environment.yml (conda) and Binder.

``pip install gpt2ln`` installs what a student's notebook needs; the extras add grading, the book
and the tests. environment.yml is the whole set, extras included, and is what Binder builds
(there is no ``binder/`` folder, so repo2docker reads the repository's root), followed by
``postBuild``.
"""

import os
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def name(requirement: str) -> str:
    return requirement.split("==")[0].split(">=")[0].strip().lower()


def pyproject_dependencies() -> list[str]:
    """The core and every extra."""
    return PROJECT["dependencies"] + [d for extra in PROJECT["optional-dependencies"].values() for d in extra]


def conda_pip_section() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    return next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)


def conda_pip_dependencies() -> list[str]:
    """The requirements of environment.yml's pip list (options such as ``--extra-index-url`` and ``-e .`` left out)."""
    return [d for d in conda_pip_section() if not d.startswith("-")]


def test_conda_and_pip_install_the_same_pinned_set():
    assert sorted(conda_pip_dependencies()) == sorted(pyproject_dependencies())


def test_everything_but_torch_is_pinned_exactly():
    loose = [d for d in pyproject_dependencies() if "==" not in d and not d.startswith("torch")]
    assert loose == []


def test_each_package_is_named_once():
    names = [name(d) for d in pyproject_dependencies()]
    assert sorted(set(names)) == sorted(names)


def test_the_core_install_is_what_a_notebook_needs():
    """No grader, book builder or test tool in a student's install."""
    core = {name(d) for d in PROJECT["dependencies"]}
    assert core == {"torch", "transformers", "tiktoken", "numpy", "matplotlib", "tqdm"}
    assert set(PROJECT["optional-dependencies"]) == {"grading", "book", "dev"}
    assert {"nbgrader", "jupyter-book", "pytest", "ruff"}.isdisjoint(core)


def test_make_installs_every_extra():
    makefile = (ROOT / "Makefile").read_text()
    extras = ",".join(PROJECT["optional-dependencies"])
    assert f'pip install --quiet -e ".[{extras}]"' in makefile


def test_environment_installs_the_course_package_itself():
    assert "-e ." in conda_pip_section()


def test_binder_builds_the_environment_then_fetches_the_data():
    assert not (ROOT / "binder").exists(), "a binder/ folder would hide the root environment.yml from Binder"
    post_build = ROOT / "postBuild"
    assert post_build.exists() and os.access(post_build, os.X_OK), "postBuild must exist and be executable"
    assert "python -m gpt2ln.fetch all" in post_build.read_text()
