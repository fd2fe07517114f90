"""The course profile: the autograder pointed at another course by its profile alone.

A toy course is built in a temporary folder: a package (``toycourse``, with its checks and
its reference answer), a data file, one assignment (``triple``) and a ``course.toml``. With
``AUTOGRADER_PROFILE`` set to that file, and nothing else of this course's autograder changed,
``python -m autograder release`` writes its student notebook and ``python -m autograder grade``
grades right, wrong and copied answers in the sandbox: the package and the data file are
mounted, the environment is the profile's, and the reference answer is flagged.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder import profile
from autograder.sandbox import bwrap

PYTHON = sys.executable

PROFILE = """\
[course]
root = "."
package = "toycourse"
checks = "toycourse.checks"
solutions = "solutions"
release = "release"

[data]
dir_env = "TOYCOURSE_DATA"
default = "data"
read_only = ["seven.txt"]

[sandbox]
preimport = ["json"]
protected = ["json"]
watched = ["json"]

[sandbox.env]
TOYCOURSE_DATA = "{data}"

[assignments.triple]
answers = { answer = "triple" }
modules = ["toycourse.reference"]
"""

CHECKS = '''\
def check_triple(triple):
    for x in (-2, 0, 5):
        assert triple(x) == 3 * x, f"triple({x}) should be {3 * x}, got {triple(x)}: multiply by three"
'''


def _cell(kind: str, source: str, grade_id: str, locked=True, grade=False, solution=False, points=None):
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    meta = {"schema_version": 3, "grade": grade, "locked": locked, "solution": solution, "task": False,
            "grade_id": grade_id}
    if points is not None:
        meta["points"] = points
    return make(source, metadata={"nbgrader": meta})


def write_course(root: Path) -> Path:
    """The toy course under ``root``; returns its profile."""
    package = root / "toycourse"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""A toy course."""\n')
    (package / "checks.py").write_text(CHECKS)
    (package / "reference.py").write_text("def triple(x):\n    return 3 * x\n")
    (root / "data").mkdir()
    (root / "data" / "seven.txt").write_text("7\n")
    cells = [
        _cell("markdown", "# Triple\nWrite `triple(x)`.", "intro"),
        _cell("code", "import os\nfrom toycourse import checks", "setup"),
        _cell("code", "def triple(x):\n    ### BEGIN SOLUTION\n    return 3 * x\n    ### END SOLUTION", "answer",
              locked=False, solution=True),
        _cell("code", "checks.check_triple(triple)", "test_checks", grade=True, points=2),
        _cell("code", 'seven = int(open(os.path.join(os.environ["TOYCOURSE_DATA"], "seven.txt")).read())\n'
              'assert triple(seven) == 21, "triple of the data file\'s 7 should be 21"', "test_data",
              grade=True, points=1),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (root / "solutions" / "triple").mkdir(parents=True)
    nbformat.write(nb, root / "solutions" / "triple" / "triple.ipynb")
    (root / "course.toml").write_text(PROFILE)
    return root / "course.toml"


def test_the_profile_declares_this_course():
    course = profile.current()
    assert course.package == "gpt2ln" and course.package_dir().name == "gpt2ln"
    assert course.assignment_ids() == sorted(course.assignments)
    assert course.assignment("03_blocks").reference_names == {"PreLNBlock", "PostLNBlock"}
    assert course.assignment("05_gradient_flow").reference_names == set()
    assert course.protected_roots == {"torch", "numpy", "gpt2ln"}


def test_a_toy_profile_loads_with_its_own_answers(tmp_path):
    toy = profile.load(write_course(tmp_path))
    assert toy.root == tmp_path.resolve() and toy.solutions == tmp_path.resolve() / "solutions"
    assert toy.assignment_ids() == ["triple"]
    assert toy.assignment("triple").reference_names == {"triple"}
    assert toy.protected_roots == {"json", "toycourse"}
    assert toy.sandbox_env() == {"TOYCOURSE_DATA": str(tmp_path.resolve() / "data")}


@pytest.mark.slow
@pytest.mark.skipif(not bwrap.available(), reason="the sandbox needs bubblewrap, setpriv and root")
def test_another_course_is_released_and_graded_from_its_profile_alone(tmp_path):
    course_toml = write_course(tmp_path / "course")
    env = dict(os.environ, AUTOGRADER_PROFILE=str(course_toml), PYTHONPATH=str(tmp_path / "course"),
               PATH=f"{Path(PYTHON).parent}{os.pathsep}{os.environ['PATH']}")
    env.pop("TOYCOURSE_DATA", None)
    release = subprocess.run([PYTHON, "-m", "autograder", "release"], env=env, capture_output=True, text=True)
    assert release.returncode == 0, release.stderr
    released = nbformat.read(tmp_path / "course" / "release" / "triple" / "triple.ipynb", as_version=4)
    answer = next(c for c in released.cells if c.metadata["nbgrader"]["grade_id"] == "answer")
    assert "raise NotImplementedError" in answer.source and "3 * x" not in answer.source

    answers = {
        "right": "def triple(x):\n    return x + x + x",
        "wrong": "def triple(x):\n    return 2 * x",
        "copied": "from toycourse.reference import triple",
    }
    for student, source in answers.items():
        nb = nbformat.read(tmp_path / "course" / "release" / "triple" / "triple.ipynb", as_version=4)
        next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == "answer").source = source
        (tmp_path / "submissions" / student).mkdir(parents=True)
        nbformat.write(nb, tmp_path / "submissions" / student / "triple.ipynb")
    out = tmp_path / "out"
    command = [PYTHON, "-m", "autograder", "grade", "triple", str(tmp_path / "submissions"), "--out", str(out)]
    grade = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tmp_path)
    assert grade.returncode == 0, grade.stdout + grade.stderr
    report = {s["student"]: s for s in json.loads((out / "report.json").read_text())["students"]}
    assert {s: r["score"] for s, r in report.items()} == {"copied": 3.0, "right": 3.0, "wrong": 0.0}
    wrong = {t["grade_id"]: t["message"] for t in report["wrong"]["tests"]}
    assert "multiply by three" in wrong["test_checks"] and "should be 21" in wrong["test_data"]
    flags = {(f["kind"], f["detail"]) for f in report["copied"]["integrity"]}
    assert ("reference_import", "from toycourse.reference import triple") in flags
    assert any(kind == "reference_import" and "toycourse.reference.triple" in detail for kind, detail in flags)
    assert report["right"]["integrity"] == []
