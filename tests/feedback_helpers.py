"""03_blocks submissions whose feedback the tests read: in a notebook, from ``check`` and on the feedback page.

``misconception_1`` is the course library's Misconception 1 in ``PreLNBlock`` (its
``PostLNBlock`` is right); ``crash`` has a ``PostLNBlock`` whose forward raises in the
student's own line (its ``PreLNBlock`` is right).
"""

import functools
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbgrader_helpers import REPO, solution_answers
from submissions import a03_blocks

ASSIGNMENT = "03_blocks"
RELEASE = REPO / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
CRASH_LINE = "x = self.ln_1(x + self.attn(x)[..., :3])"


def answers(student: str) -> dict[str, str]:
    result = solution_answers(ASSIGNMENT)
    edits = {
        "misconception_1": a03_blocks.WRONG["misconception_1_residual_after_ln"].patches,
        "crash": {"post_ln_block": [("x = self.ln_1(x + self.attn(x))", CRASH_LINE)]},
        "blank": {},
    }[student]
    for grade_id, changes in edits.items():
        for old, new in changes:
            assert old in result[grade_id], (student, old)
            result[grade_id] = result[grade_id].replace(old, new)
    return result


def notebook(student: str) -> nbformat.NotebookNode:
    """The release notebook with the student's answers (``blank``: the stubs, as released)."""
    nb = nbformat.read(RELEASE, as_version=4)
    if student != "blank":
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and meta.get("grade_id") in answers(student):
                cell.source = answers(student)[meta["grade_id"]]
    return nb


def grade_and_feedback(folder: Path, students: list[str], env: dict | None = None) -> Path:
    """``python -m autograder grade`` then ``feedback`` (sandboxed, real nbgrader); returns the grading folder."""
    for student in students:
        (folder / "subs" / student).mkdir(parents=True)
        nbformat.write(notebook(student), folder / "subs" / student / f"{ASSIGNMENT}.ipynb")
    out = folder / "out"
    for command in (["grade", ASSIGNMENT, str(folder / "subs"), "--out", str(out), "--workers", "1"],
                    ["feedback", ASSIGNMENT, "--out", str(out)]):
        run = subprocess.run([sys.executable, "-m", "autograder", *command], capture_output=True, text=True,
                             timeout=600, cwd=REPO, env=env)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    return out


def feedback_page(out: Path, student: str) -> Path:
    return out / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"


BOOK = REPO / "book" / "_build" / "html"


@functools.cache
def graded_once() -> Path:
    """Both submissions graded once per test session, book links pointing at the built book (``file://``)."""
    env = dict(os.environ, GPT2LN_BOOK_URL=BOOK.as_uri())
    return grade_and_feedback(Path(tempfile.mkdtemp(prefix="gpt2ln-feedback-")), ["misconception_1", "crash"], env)
