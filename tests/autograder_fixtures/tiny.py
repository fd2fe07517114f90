"""A tiny nbgrader assignment ("tiny") and its student submissions, for the autograder's tests.

Small on purpose: one answer cell (``double``), a read-only prompt right before the tests,
a visible test (1 point) and a test with a hidden part (2 points). Its test cells import
torch, like the course's. Submissions are made from the *release* notebook nbgrader
generated, the way a student's would be, and then edited.
"""

import copy
from pathlib import Path

import nbformat

ASSIGNMENT = "tiny"
RIGHT = "def double(x):\n    return 2 * x"
WRONG = "def double(x):\n    return x + x.abs()"  # right for positive numbers only: fails the hidden test


def _cell(kind: str, source: str, grade_id: str, locked=True, grade=False, solution=False, points=None):
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    meta = {"schema_version": 3, "grade": grade, "locked": locked, "solution": solution, "task": False}
    meta["grade_id"] = grade_id
    if points is not None:
        meta["points"] = points
    return make(source, metadata={"nbgrader": meta})


def source_notebook() -> nbformat.NotebookNode:
    cells = [
        _cell("markdown", "# Tiny\nWrite `double(x)`, twice its input.", "intro"),
        _cell("code", "import torch", "setup"),
        _cell(
            "code",
            "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
            "answer",
            locked=False,
            solution=True,
        ),
        _cell("markdown", "The tests below check your answer.", "prompt_tests"),
        _cell(
            "code",
            'assert torch.equal(double(torch.tensor([1.0, 2.0])), torch.tensor([2.0, 4.0])), '
            '"double must multiply every entry by two"',
            "test_visible",
            grade=True,
            points=1,
        ),
        _cell(
            "code",
            "x = torch.arange(3.0)\n"
            'assert double(x).shape == x.shape, "double must keep the shape"\n'
            "### BEGIN HIDDEN TESTS\n"
            'assert torch.equal(double(torch.tensor([-3.0])), torch.tensor([-6.0])), "double must handle negatives"\n'
            "### END HIDDEN TESTS",
            "test_hidden",
            grade=True,
            points=2,
        ),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def write_source(solutions: Path) -> Path:
    """solutions/tiny/tiny.ipynb, as the notebooks engineer lays out the real assignments."""
    path = solutions / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(source_notebook(), path)
    return path


def prepared_course(root: Path):
    """A grading folder ``root/out`` for the tiny assignment, its source in ``root/solutions``, released."""
    from autograder.engine.course import Course, prepare

    write_source(root / "solutions")
    course = Course(root / "out", ASSIGNMENT)
    prepare(course, root / "solutions")
    return course


def submission(release: Path, answer: str = RIGHT, edit=None) -> nbformat.NotebookNode:
    """The release notebook with the answer cell filled in, then ``edit(nb)`` applied (if given)."""
    nb = copy.deepcopy(nbformat.read(release, as_version=4))
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "answer":
            cell.source = answer
    if edit is not None:
        edit(nb)
    return nb


def write_submissions(folder: Path, release: Path, variants: dict) -> Path:
    """folder/<student>/tiny.ipynb for each student -> (answer, edit) or a raw string (written as is)."""
    for student, variant in variants.items():
        path = folder / student / f"{ASSIGNMENT}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(variant, str):
            path.write_text(variant)
        else:
            nbformat.write(submission(release, *variant), path)
    return folder


def cell(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
