"""The course profile (``autograder/course.toml``): the one place that names the course.

The course package, its data, what each assignment asks for, the modules a fork server
pre-imports and the sandbox's environment. Every part of the autograder that needs to know
the course reads :func:`current`; ``AUTOGRADER_PROFILE`` (a path to another ``course.toml``)
points the whole autograder at another course.
"""

import functools
import importlib.util
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent / "course.toml"


@dataclass(frozen=True)
class Assignment:
    """What one assignment asks for: answer cells (grade_id -> name), other reference names, their modules."""

    answers: dict[str, str] = field(default_factory=dict)
    names: tuple[str, ...] = ()
    modules: tuple[str, ...] = ()

    @property
    def reference_names(self) -> frozenset[str]:
        """Every name whose reference implementation, used in an answer cell, hands in the answer."""
        return frozenset(self.answers.values()) | frozenset(self.names)


@dataclass(frozen=True)
class Language:
    """How a notebook's language reaches its checks: ``metadata`` (a dotted path in the notebook's
    metadata) names the language, and ``values`` maps it to the value of the environment variable
    ``variable``, set in the kernel before the notebook's first cell (a language not listed sets nothing)."""

    metadata: tuple[str, ...]
    variable: str
    values: dict[str, str]

    def kernel_env(self, notebook_metadata: dict) -> dict[str, str]:
        stated = notebook_metadata
        for key in self.metadata:
            stated = stated.get(key, {}) if isinstance(stated, dict) else {}
        return {self.variable: self.values[stated]} if isinstance(stated, str) and stated in self.values else {}


@dataclass(frozen=True)
class Profile:
    root: Path
    id: str
    package: str
    checks: str
    solutions: Path
    release: Path
    release_transform: str | None
    data_dir_env: str
    data_default: str
    read_only_data: tuple[str, ...]
    fixture_markers: tuple[str, ...]
    preimport: tuple[str, ...]
    not_preimported: tuple[str, ...]
    protected: tuple[str, ...]
    watched: tuple[str, ...]
    passed_env: tuple[str, ...]
    env: dict[str, str]
    assignments: dict[str, Assignment]
    language: Language | None = None

    @property
    def protected_roots(self) -> frozenset[str]:
        """Top-level modules a student cell must not modify: the protected libraries and the course package."""
        return frozenset(self.protected) | {self.package}

    def assignment(self, name: str) -> Assignment:
        return self.assignments.get(name, Assignment())

    def data_dir(self) -> Path:
        return Path(os.environ.get(self.data_dir_env) or self.root / self.data_default).resolve()

    def package_dir(self) -> Path:
        """The course package's folder, as the grader's interpreter finds it."""
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError(f"the course package {self.package!r} is not importable here")
        return Path(next(iter(spec.submodule_search_locations))).resolve()

    def sandbox_env(self) -> dict[str, str]:
        data = str(self.data_dir())
        env = {key: value.replace("{data}", data) for key, value in self.env.items()}
        return env | {key: os.environ[key] for key in self.passed_env if key in os.environ}

    def assignment_ids(self) -> list[str]:
        """The assignments: every folder of ``solutions`` that holds ``<id>/<id>.ipynb``."""
        return sorted(p.name for p in self.solutions.iterdir() if (p / f"{p.name}.ipynb").is_file())


def load(path: Path) -> Profile:
    """Read a ``course.toml``; paths in it are relative to its ``root``, itself relative to the file."""
    path = Path(path).resolve()
    with open(path, "rb") as file:
        raw = tomllib.load(file)
    course, data, sandbox = raw["course"], raw.get("data", {}), raw.get("sandbox", {})
    root = (path.parent / course.get("root", ".")).resolve()
    assignments = {
        name: Assignment(dict(spec.get("answers", {})), tuple(spec.get("names", ())), tuple(spec.get("modules", ())))
        for name, spec in raw.get("assignments", {}).items()
    }
    language = sandbox.get("language")
    if language is not None:
        language = Language(tuple(language["metadata"].split(".")), language["variable"], dict(language["values"]))
    return Profile(
        root=root,
        id=course.get("id", course["package"]),
        package=course["package"],
        checks=course.get("checks", course["package"]),
        solutions=root / course.get("solutions", "solutions"),
        release=root / course.get("release", "release"),
        release_transform=course.get("release_transform"),
        data_dir_env=data.get("dir_env", "AUTOGRADER_DATA_DIR"),
        data_default=data.get("default", "data"),
        read_only_data=tuple(data.get("read_only", ())),
        fixture_markers=tuple(data.get("fixture_markers", ())),
        preimport=tuple(sandbox.get("preimport", ())),
        not_preimported=tuple(sandbox.get("not_preimported", ())),
        protected=tuple(sandbox.get("protected", ())),
        watched=tuple(sandbox.get("watched", ())),
        passed_env=tuple(sandbox.get("passed_env", ())),
        env=dict(sandbox.get("env", {})),
        assignments=assignments,
        language=language,
    )


@functools.cache
def _cached(path: Path) -> Profile:
    return load(path)


def current() -> Profile:
    """The profile in use: ``$AUTOGRADER_PROFILE``, else this course's ``autograder/course.toml``."""
    return _cached(Path(os.environ.get("AUTOGRADER_PROFILE") or DEFAULT).resolve())
