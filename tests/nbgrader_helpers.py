"""A throw-away nbgrader course for the tests of the assignments, run through real nbgrader.

``Course(tmp)`` copies ``solutions/`` to ``source/``, uses the repository's own nbgrader
configuration (with a temporary SQLite gradebook), releases an assignment with
``nbgrader generate_assignment``, takes submissions made from the release notebook by
replacing only its answer cells, runs ``nbgrader autograde`` once for all of them and reads
the scores from the gradebook and the feedback from the autograded notebooks' test cells.
"""

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from gpt2ln.paths import REPO_ROOT

REPO = REPO_ROOT  # the repository root, as the package knows it
SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*(\n|$)", re.MULTILINE)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class Submission:
    """A student's notebook: the release notebook with some answer cells replaced.

    ``answers`` gives a whole answer cell's new source by grade_id; ``patches`` edits the
    *solution's* answer cell (a list of (old, new) replacements, each of which must apply).
    ``expect`` is a phrase the feedback must contain (for a wrong submission).
    """

    answers: dict[str, str] = field(default_factory=dict)
    patches: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    expect: str | None = None
    note: str = ""


def nbgrader_env() -> dict:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    env["GPT2LN_QUICK"] = "1"  # 06_warmup trains tiny models: the tests grade, they do not reproduce the book
    return env


def solution_answers(assignment: str) -> dict[str, str]:
    """The solution code of every answer cell of an assignment, markers removed."""
    nb = nbformat.read(REPO / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    return {c.metadata.nbgrader["grade_id"]: SOLUTION_MARKERS.sub("", c.source)
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def fill_answers(nb: nbformat.NotebookNode, assignment: str, submission: Submission, student: str = "") -> None:
    """Replace a release notebook's answer cells with the solution, edited as ``submission`` says."""
    answers = solution_answers(assignment)
    for grade_id, edits in submission.patches.items():
        for old, new in edits:
            assert old in answers[grade_id], f"{student}: patch {old!r} does not apply to {grade_id}"
            answers[grade_id] = answers[grade_id].replace(old, new)
    answers.update(submission.answers)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in answers:
            cell.source = answers[grade_id]


class Course:
    def __init__(self, root: Path):
        self.root = Path(root)
        shutil.copytree(REPO / "solutions", self.root / "source")
        (self.root / "nbgrader_config.py").write_text(
            "c = get_config()  # noqa\n"
            + f"load_subconfig({str(REPO / 'autograder' / 'nbgrader_config.py')!r})  # noqa\n"
            + "c.CourseDirectory.source_directory = 'source'\n"
            + "c.CourseDirectory.release_directory = 'release'\n"
            + f"c.CourseDirectory.db_url = 'sqlite:///{self.root / 'gradebook.db'}'\n"
        )

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"], cwd=self.root,
                                env=nbgrader_env(), capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def release(self, assignment: str) -> Path:
        self.nbgrader("generate_assignment", assignment, "--force")
        return self.root / "release" / assignment / f"{assignment}.ipynb"

    def submit(self, assignment: str, student: str, submission: Submission | None) -> None:
        """Write ``submitted/<student>/<assignment>/<assignment>.ipynb``; ``None`` submits the stubs."""
        nb = nbformat.read(self.root / "release" / assignment / f"{assignment}.ipynb", as_version=4)
        if submission is not None:
            fill_answers(nb, assignment, submission, student)
        folder = self.root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{assignment}.ipynb")

    def autograde(self, assignment: str) -> None:
        self.nbgrader("autograde", assignment, "--create", "--force")

    def scores(self, assignment: str, student: str) -> dict[str, tuple[float, float]]:
        """grade_id -> (score, max_score) for every graded cell, from the gradebook."""
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gb:
            nb = gb.find_submission_notebook(assignment, assignment, student)
            return {g.name: (g.score, g.max_score) for g in nb.grades}

    def feedback(self, assignment: str, student: str) -> dict[str, str]:
        """grade_id -> the error a failed test cell printed (what the student reads)."""
        nb = nbformat.read(self.root / "autograded" / student / assignment / f"{assignment}.ipynb", as_version=4)
        messages = {}
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade"):
                errors = [f"{o.ename}: {o.evalue}" for o in cell.get("outputs", []) if o.output_type == "error"]
                if errors:
                    messages[meta["grade_id"]] = ANSI.sub("", "\n".join(errors))
        return messages
