"""One environment, two ways in: pyproject.toml (pip, the Makefile) and environment.yml (conda)."""

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def pyproject_dependencies() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def conda_pip_dependencies() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    return [d for d in pip_section if not d.startswith("-e")]


def test_conda_and_pip_install_the_same_pinned_set():
    assert sorted(conda_pip_dependencies()) == sorted(pyproject_dependencies())


def test_everything_but_torch_is_pinned_exactly():
    loose = [d for d in pyproject_dependencies() if "==" not in d and not d.startswith("torch")]
    assert loose == []


def test_environment_installs_the_course_package_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert "-e ." in pip_section
